"""
Policies and staff training: the lead's register of the school's e-safety documents with their versions,
approval and review dates, the staff's acknowledgements of the versions they were asked to read, and the
staff's e-safety and safeguarding training with the school's induction period.

Every record is school-owned and scoped (docs/adding-an-app.md), with its history.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from esafety.models import School, SchoolScopedQuerySet, StaffMember
from esafety.scoping import SchoolScopedManager

User = settings.AUTH_USER_MODEL


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter (31 Jan + 1 month: 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


class PolicySettings(models.Model):
    """A school's choices for policies and training; one row per school (made with the school: policies.defaults)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="policy_settings")
    review_months = models.PositiveSmallIntegerField(
        "review policies every (months)",
        default=12,
        help_text="The next review of an approved version is due this long after its approval.",
    )
    induction_days = models.PositiveSmallIntegerField(
        "induction training within (days of starting)",
        default=30,
        help_text="New staff complete their e-safety and safeguarding induction within this many days of their start date.",
    )
    refresher_months = models.PositiveSmallIntegerField(
        "refresher training every (months)",
        default=12,
        help_text="Training without its own expiry date is due again this long after it was completed.",
    )
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "policy and training settings"
        verbose_name_plural = "policy and training settings"
        constraints = [
            models.CheckConstraint(condition=Q(review_months__gte=1), name="policy_settings_review_positive"),
            models.CheckConstraint(condition=Q(induction_days__gte=1), name="policy_settings_induction_positive"),
            models.CheckConstraint(condition=Q(refresher_months__gte=1), name="policy_settings_refresher_positive"),
        ]

    def __str__(self):
        return f"Policy and training settings of {self.school}"


class PolicyQuerySet(SchoolScopedQuerySet):
    def review_overdue(self, today: date):
        return self.filter(next_review_on__lt=today, retired_on__isnull=True)

    def in_use(self):
        return self.filter(retired_on__isnull=True)


class Policy(models.Model):
    """One of the school's e-safety documents, through all its versions."""

    class Kind(models.TextChoices):
        ONLINE_SAFETY = "online_safety", "Online-safety (e-safety) policy"
        STAFF_AUP = "staff_aup", "Staff acceptable-use agreement"
        PUPIL_AUP = "pupil_aup", "Pupil acceptable-use agreement"
        VISITOR_AUP = "visitor_aup", "Visitor and community-user agreement"
        MOBILE_PHONES = "mobile_phones", "Mobile phones and devices policy"
        IMAGES = "images", "Images and video policy"
        FILTERING = "filtering", "Filtering and monitoring"
        SAFEGUARDING = "safeguarding", "Safeguarding and child protection policy"
        OTHER = "other", "Other"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="policies")
    title = models.CharField("title", max_length=200)
    kind = models.CharField("kind of document", max_length=20, choices=Kind.choices, default=Kind.OTHER)
    owner = models.ForeignKey(
        StaffMember,
        verbose_name="owner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="policies_owned",
        help_text="Who keeps this document up to date and is reminded of its reviews.",
    )
    staff_must_acknowledge = models.BooleanField(
        "staff must read and acknowledge it",
        default=False,
        help_text="Each member of staff is asked, at their next login, to read each newly approved version and say so.",
    )
    # The review the current approved version is due for; empty until a version is approved.
    next_review_on = models.DateField("next review due", null=True, blank=True)
    retired_on = models.DateField("no longer in use since", null=True, blank=True)
    # The review date the last reminder was about, and which reminder that was (0 none, 1 two months,
    # 2 one month, 3 one week, 4 on the day), so that each is sent once.
    reminded_for = models.DateField("reminders sent for the review due", null=True, blank=True, editable=False)
    reminder_stage = models.PositiveSmallIntegerField("last reminder sent", default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["reminded_for", "reminder_stage"])

    objects = SchoolScopedManager(PolicyQuerySet)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["school", "title"], name="policy_unique_title_per_school"),
        ]
        indexes = [
            # Overdue and coming reviews on the home pages and the reminder job.
            models.Index(fields=["school", "next_review_on"], name="policy_school_review_idx"),
        ]

    def __str__(self):
        return self.title


class PolicyVersionQuerySet(SchoolScopedQuerySet):
    def approved(self):
        return self.filter(status__in=[PolicyVersion.Status.APPROVED, PolicyVersion.Status.SUPERSEDED])


class PolicyVersion(models.Model):
    """One version of a policy: drafted, then approved (by the governors or the head) and in force until the next."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved, in force"
        SUPERSEDED = "superseded", "Superseded"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField("version", max_length=20, help_text="e.g. 4.0, or 2026.")
    status = models.CharField("status", max_length=12, choices=Status.choices, default=Status.DRAFT)
    document = models.FileField("the document (a file)", upload_to="policies/", blank=True)
    text = models.TextField("or the text", blank=True)
    changes = models.TextField("what changed", blank=True)
    approved_by = models.CharField(
        "approved by", max_length=200, blank=True, help_text="e.g. the full governing body, or the head teacher."
    )
    approved_at_meeting = models.CharField(
        "at the meeting", max_length=200, blank=True, help_text="e.g. the governors' meeting of 14 October 2026."
    )
    approved_on = models.DateField("approved on", null=True, blank=True)
    # The review this version answered: the policy's next review date when it was approved (empty for a first
    # version), so that the governors' report can say whether reviews were on time.
    review_due_on = models.DateField("review was due on", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField("drafted at", auto_now_add=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(PolicyVersionQuerySet, path="policy__school")

    class Meta:
        ordering = ["policy", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policy_version_unique_label"),
            models.UniqueConstraint(fields=["policy"], condition=Q(status="approved"), name="policy_version_one_in_force"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_on__isnull=False),
                name="policy_version_approved_has_date",
            ),
        ]
        indexes = [
            # The report's reviews approved in a year.
            models.Index(fields=["status", "approved_on"], name="policy_version_approved_idx"),
        ]

    def __str__(self):
        return f"{self.policy} – version {self.version}"


class PolicyAcknowledgement(models.Model):
    """A member of staff said they have read one approved version of a policy."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="policy_acknowledgements")
    acknowledged_at = models.DateTimeField("read and acknowledged at", auto_now_add=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet, path="version__policy__school")

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "staff_member"], name="policy_acknowledged_once"),
        ]

    def __str__(self):
        return f"{self.staff_member} read {self.version}"


class TrainingRecordQuerySet(SchoolScopedQuerySet):
    """Training records of the school in scope (the reads are in policies.selectors.training)."""


class TrainingRecord(models.Model):
    """A course a member of staff completed: e-safety, safeguarding, induction, or another."""

    class Kind(models.TextChoices):
        INDUCTION = "induction", "Induction (e-safety and safeguarding)"
        ONLINE_SAFETY = "online_safety", "Online safety"
        SAFEGUARDING = "safeguarding", "Safeguarding and child protection"
        DSL = "dsl", "Designated safeguarding lead"
        PREVENT = "prevent", "Prevent duty"
        FILTERING = "filtering", "Filtering and monitoring"
        OTHER = "other", "Other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="training_records")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="training_records")
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    course = models.CharField("course", max_length=200)
    provider = models.CharField("provider", max_length=200, blank=True)
    completed_on = models.DateField("completed on")
    expires_on = models.DateField("expires on", null=True, blank=True, help_text="Leave empty for the school's refresher period.")
    certificate = models.FileField("certificate", upload_to="training/", blank=True)
    notes = models.TextField("notes", blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField("recorded at", auto_now_add=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(TrainingRecordQuerySet)

    class Meta:
        ordering = ["-completed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("completed_on")),
                name="training_expires_after_completion",
                violation_error_message="A course expires after the day it was completed.",
            ),
        ]
        indexes = [
            # Each person's latest training, and the report's courses completed in a year.
            models.Index(fields=["school", "staff_member", "-completed_on"], name="training_staff_latest_idx"),
            models.Index(fields=["school", "completed_on"], name="training_school_completed_idx"),
        ]

    def __str__(self):
        return f"{self.course} ({self.staff_member}, {self.completed_on:%d/%m/%Y})"


class TrainingReminder(models.Model):
    """A reminder sent to a member of staff about training due (induction or a refresher), at most weekly."""

    class About(models.TextChoices):
        INDUCTION = "induction", "Induction"
        REFRESHER = "refresher", "Refresher"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="training_reminders")
    about = models.CharField("about", max_length=12, choices=About.choices)
    due_on = models.DateField("training due on")
    sent_on = models.DateField("sent on")

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(fields=["staff_member", "about", "sent_on"], name="training_reminder_once_a_day"),
        ]

    def __str__(self):
        return f"{self.get_about_display()} reminder to {self.staff_member} on {self.sent_on:%d/%m/%Y}"
