"""
The shared core: trusts and schools, the school calendar, people, users and
their roles, the access log, notifications, the outbox, and MIS imports.

Every model a school owns has a `school` foreign key and a queryset with
`for_school(school)`; views reach school-owned rows only through
`esafety.access`, so another school's row is a 404.
"""

import uuid
from datetime import date

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from esafety.calendar import KeyStage, academic_year_start, key_stage_for_ncy, ncy_label
from esafety.roles import Role
from esafety.scoping import SchoolScopedManager


class SchoolScopedQuerySet(models.QuerySet):
    def for_school(self, school):
        # Fails closed: no school, no rows.
        if school is None:
            return self.none()
        return self.filter(school=school)


# --- Trusts and schools ---------------------------------------------------


class Trust(models.Model):
    name = models.CharField("name", max_length=200, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class School(models.Model):
    class Phase(models.TextChoices):
        NURSERY = "nursery", "Nursery"
        FIRST = "first", "First"
        PRIMARY = "primary", "Primary"
        MIDDLE = "middle", "Middle"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"

    name = models.CharField("name", max_length=200)
    urn = models.CharField(
        "URN", max_length=8, unique=True, help_text="The school's unique reference number (Get Information about Schools)."
    )
    phase = models.CharField("phase", max_length=20, choices=Phase.choices, default=Phase.PRIMARY)
    trust = models.ForeignKey(
        Trust, verbose_name="trust", on_delete=models.PROTECT, null=True, blank=True, related_name="schools"
    )
    email = models.EmailField("office e-mail", blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AcademicYearQuerySet(models.QuerySet):
    def for_date(self, day: date) -> "AcademicYear":
        start = academic_year_start(day)
        year, _ = self.get_or_create(
            start_year=start, defaults={"starts_on": date(start, 9, 1), "ends_on": date(start + 1, 8, 31)}
        )
        return year

    def current(self) -> "AcademicYear":
        return self.for_date(timezone.localdate())


class AcademicYear(models.Model):
    """A school year, 1 September to 31 August, named like 2026/27."""

    start_year = models.PositiveSmallIntegerField("starting year", unique=True)
    starts_on = models.DateField("starts on")
    ends_on = models.DateField("ends on")

    objects = AcademicYearQuerySet.as_manager()

    class Meta:
        ordering = ["-start_year"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="academic_year_ends_after_start")
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start_year}/{str(self.start_year + 1)[-2:]}"

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class YearGroupQuerySet(SchoolScopedQuerySet):
    def in_key_stage(self, key_stage: str):
        low, high = KeyStage.ncy_range(key_stage)
        return self.filter(ncy__gte=low, ncy__lte=high)


class YearGroup(models.Model):
    """A year group by national curriculum year: 0 is Reception, 7 is Year 7."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="year_groups")
    ncy = models.SmallIntegerField("national curriculum year", help_text="-1 Nursery, 0 Reception, 1 to 13 Years 1 to 13.")
    name = models.CharField("name", max_length=40, blank=True, help_text="Leave blank for the usual name, e.g. Year 7.")
    history = HistoricalRecords()

    objects = SchoolScopedManager(YearGroupQuerySet)

    class Meta:
        ordering = ["school", "ncy"]
        constraints = [
            models.UniqueConstraint(fields=["school", "ncy"], name="year_group_unique_per_school"),
            models.CheckConstraint(condition=Q(ncy__gte=-1, ncy__lte=13), name="year_group_ncy_in_range"),
        ]

    def __str__(self):
        return self.name or ncy_label(self.ncy)

    @property
    def key_stage(self) -> str:
        return key_stage_for_ncy(self.ncy)

    @property
    def key_stage_label(self) -> str:
        return KeyStage(self.key_stage).label


class FormGroupQuerySet(SchoolScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)


class FormGroup(models.Model):
    """A form (registration/tutor group) or class, e.g. 7A."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="form_groups")
    name = models.CharField("name", max_length=40)
    year_group = models.ForeignKey(YearGroup, verbose_name="year group", on_delete=models.PROTECT, related_name="form_groups")
    tutor = models.ForeignKey(
        "StaffMember",
        verbose_name="tutor / class teacher",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forms",
    )
    is_active = models.BooleanField("in use", default=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(FormGroupQuerySet)

    class Meta:
        ordering = ["year_group__ncy", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="form_group_unique_name_per_school")]

    def __str__(self):
        return self.name


# --- People ---------------------------------------------------------------


class PersonQuerySet(SchoolScopedQuerySet):
    def current(self, on: date | None = None):
        """People on roll (or in post) on the given day: leavers drop out of day-to-day lists."""
        on = on or timezone.localdate()
        return self.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on))

    def search(self, text: str):
        q = Q()
        for word in text.split():
            q &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(mis_id__iexact=word)
        return self.filter(q)


class Pupil(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="pupils")
    first_name = models.CharField("legal first name", max_length=100)
    preferred_name = models.CharField("preferred first name", max_length=100, blank=True)
    last_name = models.CharField("legal last name", max_length=100)
    date_of_birth = models.DateField("date of birth")
    year_group = models.ForeignKey(YearGroup, verbose_name="year group", on_delete=models.PROTECT, related_name="pupils")
    form = models.ForeignKey(
        FormGroup, verbose_name="form", on_delete=models.SET_NULL, null=True, blank=True, related_name="pupils"
    )
    mis_id = models.CharField("MIS id", max_length=40, help_text="The admission number or MIS id; imports match on it.")
    upn = models.CharField("UPN", max_length=13, blank=True, help_text="Unique pupil number.")
    admission_date = models.DateField("admission date", null=True, blank=True)
    leaving_date = models.DateField("leaving date", null=True, blank=True)
    additional_needs = models.BooleanField(
        "additional needs / vulnerable",
        default=False,
        help_text="Seen by the safeguarding team only: a reason to take extra care with this pupil online.",
    )
    additional_needs_note = models.TextField("note for the safeguarding team", blank=True)
    contacts = models.ManyToManyField("ParentCarer", through="PupilContact", related_name="pupils")
    history = HistoricalRecords()

    objects = SchoolScopedManager(PersonQuerySet)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "mis_id"], name="pupil_unique_mis_id_per_school"),
            models.UniqueConstraint(fields=["school", "upn"], condition=~Q(upn=""), name="pupil_unique_upn_per_school"),
            models.CheckConstraint(
                condition=Q(leaving_date__isnull=True)
                | Q(admission_date__isnull=True)
                | Q(leaving_date__gte=models.F("admission_date")),
                name="pupil_leaves_after_admission",
            ),
        ]
        indexes = [
            # Pupil list: a school's pupils by name.
            models.Index(fields=["school", "last_name", "first_name"], name="pupil_school_name_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    @property
    def has_left(self) -> bool:
        return self.leaving_date is not None and self.leaving_date <= timezone.localdate()


class ParentCarer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="parents")
    title = models.CharField("title", max_length=20, blank=True)
    first_name = models.CharField("first name", max_length=100, blank=True)
    last_name = models.CharField("last name", max_length=100)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("phone", max_length=40, blank=True)
    mis_id = models.CharField("MIS contact id", max_length=40)
    history = HistoricalRecords()

    objects = SchoolScopedManager(PersonQuerySet)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = "parent/carer"
        verbose_name_plural = "parents/carers"
        constraints = [models.UniqueConstraint(fields=["school", "mis_id"], name="parent_unique_mis_id_per_school")]

    def __str__(self):
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class PupilContact(models.Model):
    """A parent or carer of a pupil, and how they are related."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", "Mother"
        FATHER = "father", "Father"
        PARENT = "parent", "Parent"
        STEP_PARENT = "step_parent", "Step-parent"
        GRANDPARENT = "grandparent", "Grandparent"
        FOSTER_CARER = "foster_carer", "Foster carer"
        CARER = "carer", "Carer"
        OTHER_RELATIVE = "other_relative", "Other relative"
        SOCIAL_WORKER = "social_worker", "Social worker"
        OTHER = "other", "Other"

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(ParentCarer, verbose_name="parent/carer", on_delete=models.CASCADE, related_name="pupil_links")
    relationship = models.CharField("relationship", max_length=20, choices=Relationship.choices, default=Relationship.OTHER)
    parental_responsibility = models.BooleanField("parental responsibility", default=False)
    priority = models.PositiveSmallIntegerField("contact priority", default=1, help_text="1 is the first to contact.")
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="pupil__school")

    class Meta:
        ordering = ["priority"]
        constraints = [models.UniqueConstraint(fields=["pupil", "contact"], name="pupil_contact_unique")]

    def __str__(self):
        return f"{self.contact} ({self.get_relationship_display()} of {self.pupil})"


class StaffMember(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="login",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_records",
    )
    title = models.CharField("title", max_length=20, blank=True)
    first_name = models.CharField("first name", max_length=100)
    last_name = models.CharField("last name", max_length=100)
    email = models.EmailField("work e-mail", blank=True)
    job_title = models.CharField("job title", max_length=120, blank=True)
    line_manager = models.ForeignKey(
        "self", verbose_name="line manager", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    start_date = models.DateField("start date", null=True, blank=True)
    leaving_date = models.DateField("leaving date", null=True, blank=True)
    mis_id = models.CharField("MIS staff code", max_length=40)
    history = HistoricalRecords()

    objects = SchoolScopedManager(PersonQuerySet)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = "member of staff"
        verbose_name_plural = "staff"
        constraints = [
            models.UniqueConstraint(fields=["school", "mis_id"], name="staff_unique_mis_id_per_school"),
            models.UniqueConstraint(
                fields=["school", "user"], condition=Q(user__isnull=False), name="staff_one_record_per_user_per_school"
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# --- Users and roles -------------------------------------------------------


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # People type their address with capitals now and then; addresses are stored in lower case.
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who logs in, with their e-mail address and a password."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField("full name", max_length=200)
    is_active = models.BooleanField("active", default=True)
    is_staff = models.BooleanField("can use the set-up (admin) site", default=False)
    date_joined = models.DateTimeField("joined", default=timezone.now)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Membership(models.Model):
    """One role of a user at one school, or the Trust role across a whole trust."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    role = models.CharField("role", max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["school", "role"]
        constraints = [
            # The Trust role belongs to a trust; every other role to a school.
            models.CheckConstraint(
                condition=(Q(role=Role.TRUST) & Q(trust__isnull=False) & Q(school__isnull=True))
                | (~Q(role=Role.TRUST) & Q(school__isnull=False) & Q(trust__isnull=True)),
                name="membership_trust_role_iff_trust",
            ),
            models.UniqueConstraint(fields=["user", "school", "role"], name="membership_unique_school_role"),
            models.UniqueConstraint(fields=["user", "trust", "role"], name="membership_unique_trust_role"),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} at {self.school or self.trust}"


# --- Audit -----------------------------------------------------------------


class AccessLogQuerySet(SchoolScopedQuerySet):
    def update(self, **kwargs):
        raise PermissionError("The access log is append-only.")

    def delete(self):
        raise PermissionError("The access log is append-only.")


class AccessLogEntry(models.Model):
    """Who looked at a restricted record, or exported personal data. Never changed or deleted."""

    # On SQLite a migration that alters this table rebuilds it, dropping 0006's append-only triggers: re-create them.

    class Kind(models.TextChoices):
        VIEW = "view", "Viewed a restricted record"
        EXPORT = "export", "Exported personal data"
        SECURITY = "security", "Changed someone's sign-in security"

    at = models.DateTimeField("when", default=timezone.now, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="who", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField("what", max_length=10, choices=Kind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField("details", max_length=300)
    # An entry that names no single record (an export of many) but tells of restricted ones: only a reader
    # holding every one of these capabilities sees it. Stored as ",cap,cap," so that it filters on any database.
    reader_needs = models.CharField("capabilities a reader needs", max_length=300, blank=True, editable=False)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = SchoolScopedManager(AccessLogQuerySet)

    class Meta:
        ordering = ["-at", "-pk"]  # the newest first; entries of the same moment in the order they were written
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        indexes = [
            # Access log page: a school's entries, newest first.
            models.Index(fields=["school", "-at"], name="accesslog_school_at_idx"),
            # "Who has looked at this record?" on a restricted record's page.
            models.Index(fields=["content_type", "object_id"], name="accesslog_object_idx"),
        ]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor}: {self.summary}"

    def save(self, *args, **kwargs):
        # The database refuses too (a trigger on PostgreSQL); this gives a clear error everywhere.
        if not self._state.adding:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The access log is append-only.")


# --- Notifications and the outbox ------------------------------------------


class NotificationQuerySet(SchoolScopedQuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one user: shown under the bell, and e-mailed when it matters."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("title", max_length=200)
    body = models.TextField("message", blank=True)
    link = models.CharField("link", max_length=300, blank=True)
    created_at = models.DateTimeField("sent", default=timezone.now)
    read_at = models.DateTimeField("read", null=True, blank=True)
    send_email = models.BooleanField("also by e-mail", default=False)
    emailed_at = models.DateTimeField("e-mailed", null=True, blank=True)
    # A delivery to one user, not a school record: its read/e-mailed times are its history.

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The bell: a user's unread count on every page.
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self):
        return self.title


class OutboxMessage(models.Model):
    """
    A background task, written in the same transaction as the change that
    asks for it. It is sent to Celery after commit; if Redis is down then,
    the `outbox_drain` job sends it later. Tasks are idempotent, so a message
    sent twice does its work once.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # outbox_drain: messages not yet handed to the broker.
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self):
        return f"{self.task_name}({self.kwargs})"


# --- MIS imports -----------------------------------------------------------


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        PUPILS = "pupils", "Pupils"
        CONTACTS = "contacts", "Parents and carers"
        STAFF = "staff", "Staff"
        FORMS = "forms", "Forms and tutors"

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking the file"
        READY = "ready", "Checked: waiting for you to confirm"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed: nothing was imported"
        CANCELLED = "cancelled", "Cancelled: nothing was imported"

    class Accept(models.TextChoices):
        ALL = "all", "Every row (only when no row has an error)"
        VALID = "valid", "Only the rows without errors"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField("what the file holds", max_length=10, choices=Kind.choices)
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.CHECKING)
    file_name = models.CharField("file", max_length=200)
    csv_text = models.TextField(blank=True, help_text="The uploaded file; removed some days after the import.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("uploaded", default=timezone.now)
    row_count = models.PositiveIntegerField("rows", default=0)
    error_count = models.PositiveIntegerField("rows with errors", default=0)
    row_errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=dict, blank=True, help_text="Counts of rows to create, update and leave.")
    result = models.JSONField(default=dict, blank=True)
    accept = models.CharField("rows to import", max_length=10, choices=Accept.choices, blank=True)
    mark_missing_as_left = models.BooleanField(
        "mark pupils missing from the file as leavers",
        default=False,
        help_text="Only for a full export of every pupil on roll.",
    )
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    finished_at = models.DateTimeField("finished", null=True, blank=True)
    failure = models.TextField("why it failed", blank=True)
    file_removed_at = models.DateTimeField(null=True, blank=True)
    # The file and the per-row results hold personal data: history keeps the decisions, not them.
    history = HistoricalRecords(excluded_fields=["csv_text", "row_errors", "preview"])

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.file_name}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


# --- The school's own term dates ---------------------------------------------
# Read through `esafety.terms` (is_school_day, next_school_day, term_for…), which
# falls back to a default English pattern for a year the school has not entered.


class SchoolTerm(models.Model):
    """One of a school's three terms in an academic year, with its half-term break."""

    class Name(models.TextChoices):
        AUTUMN = "autumn", "Autumn"
        SPRING = "spring", "Spring"
        SUMMER = "summer", "Summer"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name="academic year", on_delete=models.PROTECT, related_name="school_terms"
    )
    name = models.CharField("term", max_length=10, choices=Name.choices)
    starts_on = models.DateField("first day of term")
    ends_on = models.DateField("last day of term")
    half_term_starts_on = models.DateField("first day of the half-term break")
    half_term_ends_on = models.DateField("last day of the half-term break")
    history = HistoricalRecords()

    objects = SchoolScopedManager()

    class Meta:
        verbose_name = "school term"
        ordering = ["starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "name"], name="school_term_one_of_each_per_year"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")),
                name="school_term_ends_after_start",
                violation_error_message="A term must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(half_term_ends_on__gte=models.F("half_term_starts_on")),
                name="school_term_half_term_ends_after_start",
                violation_error_message="A half-term break must end on or after its first day.",
            ),
            models.CheckConstraint(
                condition=Q(half_term_starts_on__gt=models.F("starts_on"), half_term_ends_on__lt=models.F("ends_on")),
                name="school_term_half_term_inside_term",
                violation_error_message="The half-term break must fall inside its term.",
            ),
        ]

    def __str__(self):
        return f"{self.get_name_display()} term"


class SchoolClosure(models.Model):
    """A day or days the school is closed to pupils in an academic year: an INSET (training) day or another closure."""

    class Kind(models.TextChoices):
        INSET = "inset", "INSET day"
        CLOSED = "closed", "Other closure"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closures")
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name="academic year", on_delete=models.PROTECT, related_name="school_closures"
    )
    kind = models.CharField("kind", max_length=10, choices=Kind.choices, default=Kind.INSET)
    starts_on = models.DateField("first day closed")
    ends_on = models.DateField("last day closed", help_text="The same as the first day for a single day.")
    description = models.CharField("description", max_length=200, blank=True, help_text="e.g. Staff training, polling station.")
    history = HistoricalRecords()

    objects = SchoolScopedManager()

    class Meta:
        verbose_name = "school closure"
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="school_closure_ends_after_start",
                violation_error_message="A closure must end on or after its first day.",
            ),
        ]
        indexes = [
            # The school calendar: a school's closures in a run of academic years (esafety.terms.selectors).
            models.Index(fields=["school", "academic_year"], name="school_closure_school_year_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_on:%d/%m/%Y}"
