"""
The incident log: what happened, who was involved, what the school did.

Visibility is decided when an incident is logged (and again when its
category or people change) and stored on the row as `audience`, so that one
indexed filter answers "may this user see it" everywhere: lists, counts,
search, exports, the chronology and notifications (`incidents.selectors`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from esafety.models import Pupil, School, SchoolScopedQuerySet, StaffMember
from esafety.scoping import SchoolScopedManager


class IncidentSettings(models.Model):
    """A school's choices for incidents; one row per school, made when first needed."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="incident_settings")
    repeat_window_days = models.PositiveSmallIntegerField(
        "look back for earlier incidents (days)",
        default=90,
        help_text="When someone involved has an earlier incident within this many days, "
        "“continued infringements” is proposed as well.",
    )
    repeat_threshold = models.PositiveSmallIntegerField(
        "incidents in a term that flag a pupil",
        default=3,
        help_text="Pupils with at least this many incidents this term are listed on the dashboard.",
    )
    last_number = models.PositiveIntegerField("last incident number", default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["last_number"])

    objects = SchoolScopedManager()

    class Meta:
        verbose_name = "incident settings"
        verbose_name_plural = "incident settings"

    def __str__(self):
        return f"Incident settings of {self.school}"


class Matrix(models.TextChoices):
    PUPILS = "pupils", "Incidents involving pupils"
    STAFF = "staff", "Incidents involving staff"


class SanctionAction(models.Model):
    """A column of a sanction matrix: something the school does, e.g. "Inform parents/carers"."""

    class Owner(models.TextChoices):
        TUTOR = "tutor", "The pupil's form tutor"
        DSL = "dsl", "The DSL team"
        HEAD = "head", "The head teacher"
        IT = "it", "IT / network manager"
        LINE_MANAGER = "line_manager", "The member of staff's line manager"
        HANDLER = "handler", "Whoever handles the incident"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="sanction_actions")
    matrix = models.CharField("matrix", max_length=10, choices=Matrix.choices)
    name = models.CharField("action", max_length=120)
    order = models.PositiveSmallIntegerField("order", default=0)
    default_owner = models.CharField("usually done by", max_length=20, choices=Owner.choices, default=Owner.HANDLER)
    due_in_days = models.PositiveSmallIntegerField("due within (days)", default=5)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["matrix", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "matrix", "name"], name="sanction_action_unique_name")]

    def __str__(self):
        return self.name


class SanctionRow(models.Model):
    """A row of a sanction matrix: a kind of incident and the actions ticked for it."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="sanction_rows")
    matrix = models.CharField("matrix", max_length=10, choices=Matrix.choices)
    name = models.CharField("incident", max_length=200)
    order = models.PositiveSmallIntegerField("order", default=0)
    is_repeat = models.BooleanField(
        "continued infringements",
        default=False,
        help_text="Proposed on top of the incident's own row when those involved have earlier incidents.",
    )
    actions = models.ManyToManyField(SanctionAction, blank=True, related_name="rows", verbose_name="actions")
    history = HistoricalRecords(m2m_fields=[actions])

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["matrix", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "matrix", "name"], name="sanction_row_unique_name"),
            models.UniqueConstraint(fields=["school", "matrix"], condition=Q(is_repeat=True), name="sanction_row_one_repeat_row"),
        ]

    def __str__(self):
        return self.name


class IncidentCategoryQuerySet(SchoolScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)


class IncidentCategory(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="incident_categories")
    name = models.CharField("name", max_length=120)
    order = models.PositiveSmallIntegerField("order", default=0)
    is_active = models.BooleanField("offered when logging", default=True)
    child_protection = models.BooleanField(
        "child protection",
        default=False,
        help_text="Incidents in this category are restricted: only the DSL team and the head teacher see them.",
    )
    involves_images = models.BooleanField(
        "may involve indecent images",
        default=False,
        help_text="The log form warns not to view, copy or forward images and takes no uploads.",
    )
    illegal_material = models.BooleanField(
        "illegal material",
        default=False,
        help_text="Logging one tells the DSL team at once, in the app and by e-mail.",
    )
    about_staff = models.BooleanField(
        "about a member of staff", default=False, help_text="Incidents go to the head teacher, not the DSL team."
    )
    pupil_row = models.ForeignKey(
        SanctionRow,
        verbose_name="row of the pupils' matrix",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"matrix": Matrix.PUPILS},
    )
    staff_row = models.ForeignKey(
        SanctionRow,
        verbose_name="row of the staff matrix",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"matrix": Matrix.STAFF},
    )
    history = HistoricalRecords()

    objects = SchoolScopedManager(IncidentCategoryQuerySet)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "incident categories"
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="incident_category_unique_name")]

    def __str__(self):
        return self.name


class ChecklistStepTemplate(models.Model):
    """One step of a category's response checklist; copied onto each incident of the category."""

    category = models.ForeignKey(IncidentCategory, on_delete=models.CASCADE, related_name="checklist")
    order = models.PositiveSmallIntegerField("order", default=0)
    text = models.CharField("step", max_length=300)
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="category__school")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.text


class IncidentQuerySet(SchoolScopedQuerySet):
    def open(self):
        return self.exclude(status=Incident.Status.CLOSED)

    def restricted(self):
        return self.exclude(audience=Incident.Audience.GENERAL)

    def involving_pupil(self, pupil):
        return self.filter(Exists(IncidentPerson.objects.filter(incident=OuterRef("pk"), pupil=pupil)))


class Incident(models.Model):
    class Location(models.TextChoices):
        IN_SCHOOL = "school", "In school"
        TRIP = "trip", "On a school trip or visit"
        OUTSIDE = "outside", "Outside school, but linked to the school"
        ONLINE = "online", "Online"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        IMMEDIATE = "immediate", "Immediate risk"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on an outside agency"
        CLOSED = "closed", "Closed"

    class Audience(models.TextChoices):
        # Who may see the incident: decided by its category and the people in it.
        GENERAL = "general", "Staff involved and the DSL team"
        SAFEGUARDING = "safeguarding", "Restricted: the DSL team and the head teacher"
        STAFF = "staff", "Restricted: the head teacher (about a member of staff)"
        HEAD = "head", "Restricted: the chair of governors (about the head teacher)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="incidents")
    number = models.PositiveIntegerField("number", editable=False)
    occurred_at = models.DateTimeField("when it happened")
    location = models.CharField("where", max_length=10, choices=Location.choices)
    location_detail = models.CharField("where exactly", max_length=200, blank=True)
    category = models.ForeignKey(IncidentCategory, verbose_name="category", on_delete=models.PROTECT, related_name="+")
    matrix_row = models.ForeignKey(
        SanctionRow,
        verbose_name="kind of incident (sanction matrix)",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.TextField(
        "what happened", help_text="The facts as they were reported, in the words of whoever reported them."
    )
    immediate_action = models.TextField("what you did straight away", blank=True)
    told_dsl_in_person = models.BooleanField("I have told a DSL in person", default=False)
    severity = models.CharField("severity", max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.NEW)
    audience = models.CharField("who may see it", max_length=15, choices=Audience.choices, default=Audience.GENERAL)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="logged by", on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField("logged at", default=timezone.now, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="handled by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    agency = models.CharField("outside agency", max_length=200, blank=True, help_text="e.g. children's social care, police")
    agency_reference = models.CharField("their reference", max_length=100, blank=True)
    outcome = models.TextField("outcome", blank=True)
    lessons_learnt = models.TextField("lessons learnt", blank=True)
    closed_at = models.DateTimeField("closed at", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(IncidentQuerySet)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="incident_unique_number"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="incident_closed_iff_closed_at",
            ),
        ]
        indexes = [
            # The dashboard and the list: a school's incidents by who may see them, newest first.
            models.Index(fields=["school", "audience", "-occurred_at"], name="incident_school_audience_idx"),
            # The dashboard's queues: open incidents by status.
            models.Index(fields=["school", "status"], name="incident_school_status_idx"),
            # The list's sort, newest first (number breaks ties): a page is read off the index, not sorted.
            models.Index(fields=["school", "-occurred_at", "-number"], name="incident_school_newest_idx"),
            # The dashboard's queue totals: the incidents not closed (a few hundred of tens of thousands) ...
            models.Index(fields=["school", "status"], condition=~Q(status="closed"), name="incident_school_not_closed_idx"),
            # ... and those closed lately, the last queue, the most recently closed first.
            models.Index(fields=["school", "-closed_at"], name="incident_school_closed_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"INC-{self.number:05d}"

    @property
    def is_restricted(self) -> bool:
        return self.audience != self.Audience.GENERAL

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def matrix(self) -> str:
        return Matrix.STAFF if self.audience in (self.Audience.STAFF, self.Audience.HEAD) else Matrix.PUPILS


class IncidentPerson(models.Model):
    """Someone involved in an incident: a pupil, a member of staff or someone outside the school."""

    class Part(models.TextChoices):
        AFFECTED = "affected", "Affected"
        ALLEGED = "alleged", "Alleged to have caused it"
        WITNESS = "witness", "Witness"
        REPORTER = "reporter", "Reported it"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="people")
    part = models.CharField("part", max_length=10, choices=Part.choices)
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, null=True, blank=True, related_name="incident_parts")
    staff = models.ForeignKey(
        StaffMember, verbose_name="member of staff", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    outsider = models.CharField("someone outside the school", max_length=200, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="incident__school")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(pupil__isnull=False, staff__isnull=True, outsider="")
                    | Q(pupil__isnull=True, staff__isnull=False, outsider="")
                    | (Q(pupil__isnull=True, staff__isnull=True) & ~Q(outsider=""))
                ),
                name="incident_person_is_one_person",
            ),
        ]
        indexes = [
            # A pupil's chronology and the repeat check: incidents by pupil.
            models.Index(fields=["pupil", "incident"], name="incident_person_pupil_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_part_display().lower()})"

    @property
    def name(self) -> str:
        if self.pupil_id:
            return self.pupil.full_name
        if self.staff_id:
            return self.staff.full_name
        return self.outsider


class IncidentEvent(models.Model):
    """
    The case's timeline: each decision or step, with its reason, in the order it
    happened. Written by the services beside the history of the rows they change,
    and never changed itself.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("when", default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="who", on_delete=models.PROTECT, related_name="+")
    summary = models.CharField("what", max_length=300)
    note = models.TextField("note or reason", blank=True)

    objects = SchoolScopedManager(path="incident__school")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return self.summary


class IncidentAction(models.Model):
    """A task that follows from an incident, e.g. "Inform parents/carers", with an owner and a due date."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actions")
    sanction_action = models.ForeignKey(SanctionAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField("action", max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="owner", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("due by")
    done_at = models.DateTimeField("done at", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="done by", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField("note", blank=True)
    reminded_on = models.DateField("last reminded on", null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["reminded_on"])

    objects = SchoolScopedManager(path="incident__school")

    class Meta:
        ordering = ["done_at", "due_on", "pk"]
        indexes = [
            # Overdue tasks on the dashboard and in the daily reminder.
            models.Index(fields=["done_at", "due_on"], name="incident_action_due_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_on < timezone.localdate()


class IncidentChecklistStep(models.Model):
    """A step of the response checklist, copied from the category when the incident was logged."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checklist")
    order = models.PositiveSmallIntegerField("order", default=0)
    text = models.CharField("step", max_length=300)
    done_at = models.DateTimeField("done at", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="done by", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField("note", blank=True, help_text="e.g. the referral's reference number")
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="incident__school")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.text


class EvidenceItem(models.Model):
    """Evidence registered, never uploaded: what it is, where it is held, by whom, since when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    description = models.CharField("what it is", max_length=300)
    location = models.CharField("where it is held", max_length=200)
    held_by = models.CharField("who holds it", max_length=200)
    secured_at = models.DateTimeField("secured at")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="incident__school")

    class Meta:
        ordering = ["secured_at", "pk"]
        verbose_name = "evidence"
        verbose_name_plural = "evidence"

    def __str__(self):
        return self.description


class IncidentDraft(models.Model):
    """
    What a member of staff has typed into the log form so far, saved as they type,
    so that a timed-out session or a closed tab loses nothing. Not a record of
    the school's (no history): it is deleted when the incident is logged.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "school"], name="incident_draft_one_per_user")]

    def __str__(self):
        return f"Draft of {self.user}"
