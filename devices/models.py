"""
Devices: the daily register of pupils' phones handed in and collected, the pupils allowed to keep theirs,
devices confiscated (or found) with their chain of custody, the school's own devices lent to staff, staff's
requests to use personal equipment with pupils, and the register of who holds which internet accounts with its
yearly review.

Every record is school-owned and scoped (docs/adding-an-app.md), with its history; custody entries are
append-only.
"""

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from esafety.models import FormGroup, ParentCarer, Pupil, School, SchoolScopedQuerySet, StaffMember, YearGroup
from esafety.scoping import SchoolScopedManager

User = settings.AUTH_USER_MODEL


class DeviceSettings(models.Model):
    """A school's choices for devices; one row per school (made with the school: devices.defaults)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="device_settings")
    register_year_groups = models.ManyToManyField(
        YearGroup,
        verbose_name="year groups on the phone register",
        blank=True,
        related_name="+",
        help_text="Every form of these year groups hands phones in each morning.",
    )
    register_forms = models.ManyToManyField(
        FormGroup,
        verbose_name="other forms on the phone register",
        blank=True,
        related_name="+",
        help_text="Forms of other year groups that hand phones in as well.",
    )
    collection_time = models.TimeField(
        "end of the day",
        default=time(15, 30),
        help_text="Phones not collected by this time are listed for the office and the tutor.",
    )
    confiscation_limit_days = models.PositiveSmallIntegerField(
        "hold a confiscated device for at most (school days)",
        default=1,
        help_text="Devices held longer show on the office's and the DSL's home pages.",
    )
    images_deadline_hours = models.PositiveSmallIntegerField(
        "images moved and deleted within (hours)",
        default=24,
        help_text="After the end of a permission to use personal equipment, its images must be moved to school systems "
        "and deleted from the device within this time.",
    )
    access_review_months = models.PositiveSmallIntegerField(
        "review access rights every (months)", default=12, help_text="IT reviews who holds which accounts at least yearly."
    )
    last_confiscation_number = models.PositiveIntegerField("last confiscation number", default=0, editable=False)
    # The day the end-of-day list of phones not collected was last made, so that it is made once a school day.
    not_collected_listed_on = models.DateField("phones not collected last listed", null=True, blank=True, editable=False)
    access_review_reminded_on = models.DateField("access review last reminded", null=True, blank=True, editable=False)
    history = HistoricalRecords(
        excluded_fields=["last_confiscation_number", "not_collected_listed_on", "access_review_reminded_on"],
        m2m_fields=[register_year_groups, register_forms],
    )

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "device settings"
        verbose_name_plural = "device settings"
        constraints = [
            models.CheckConstraint(condition=Q(images_deadline_hours__gte=1), name="device_settings_deadline_positive"),
            models.CheckConstraint(condition=Q(access_review_months__gte=1), name="device_settings_review_positive"),
        ]

    def __str__(self):
        return f"Device settings of {self.school}"


# --- The daily phone register ---------------------------------------------------------------------------------


class PhoneRecordQuerySet(SchoolScopedQuerySet):
    def not_collected(self):
        """Handed in and still held: on the not-collected list from the end of its day until someone collects it."""
        return self.filter(status=PhoneRecord.Status.HANDED_IN, collected_at=None)


class PhoneRecord(models.Model):
    """One pupil's phone on one school day: handed in (where it is kept) or not, and when it was collected."""

    class Status(models.TextChoices):
        HANDED_IN = "handed_in", "Handed in"
        NOT_HANDED_IN = "not_handed_in", "No phone handed in"
        ABSENT = "absent", "Absent"
        KEEPS = "keeps", "Keeps their phone (exception)"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, verbose_name="pupil", on_delete=models.CASCADE, related_name="phone_records")
    day = models.DateField("day")
    form = models.ForeignKey(
        FormGroup, verbose_name="form", on_delete=models.SET_NULL, null=True, blank=True, related_name="phone_records"
    )
    status = models.CharField("morning", max_length=20, choices=Status.choices)
    storage = models.CharField("pouch or locker", max_length=20, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name="recorded by", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("recorded at")
    collected_at = models.DateTimeField("collected at", null=True, blank=True)
    collected_by = models.ForeignKey(
        User, verbose_name="handed back by", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = SchoolScopedManager(PhoneRecordQuerySet)

    class Meta:
        verbose_name = "phone register entry"
        verbose_name_plural = "phone register"
        ordering = ["-day", "pupil__last_name", "pupil__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "day"], name="phone_record_one_per_pupil_day"),
            models.CheckConstraint(
                condition=Q(collected_at=None) | Q(status="handed_in"), name="phone_record_collected_only_if_handed_in"
            ),
        ]
        indexes = [
            # Opening a form's register for a day.
            models.Index(fields=["form", "day"], name="phone_record_form_day_idx"),
            # The not-collected list: phones handed in and still held, oldest day first.
            models.Index(
                fields=["school", "day"],
                condition=Q(status="handed_in", collected_at=None),
                name="phone_record_held_idx",
            ),
        ]

    def __str__(self):
        return f"{self.pupil} on {self.day:%d/%m/%Y}: {self.get_status_display().lower()}"


class PhoneExceptionQuerySet(SchoolScopedQuerySet):
    def in_force(self, on):
        return self.filter(Q(ended_on=None) | Q(ended_on__gt=on), starts_on__lte=on)


class PhoneException(models.Model):
    """A pupil allowed to keep their phone during the day (the DfE guidance's young carers and medical needs)."""

    class Reason(models.TextChoices):
        YOUNG_CARER = "young_carer", "Young carer"
        MEDICAL = "medical", "Medical need"
        OTHER = "other", "Other"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, verbose_name="pupil", on_delete=models.CASCADE, related_name="phone_exceptions")
    reason = models.CharField("reason", max_length=20, choices=Reason.choices)
    detail = models.TextField("details", help_text="Why, and what the phone is for (e.g. checking blood glucose).")
    agreed_by = models.ForeignKey(
        StaffMember, verbose_name="agreed by", on_delete=models.PROTECT, related_name="+", help_text="Who agreed to it."
    )
    starts_on = models.DateField("from")
    review_on = models.DateField("review by")
    ended_on = models.DateField("ended", null=True, blank=True)
    reviewed_at = models.DateTimeField("last reviewed", null=True, blank=True)
    reminded_on = models.DateField("review last reminded", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(User, verbose_name="recorded by", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords(excluded_fields=["reminded_on"])

    objects = SchoolScopedManager(PhoneExceptionQuerySet)

    class Meta:
        verbose_name = "phone exception"
        ordering = ["review_on"]
        constraints = [
            models.CheckConstraint(condition=Q(review_on__gte=models.F("starts_on")), name="phone_exception_review_after_start"),
            models.CheckConstraint(
                condition=Q(ended_on=None) | Q(ended_on__gte=models.F("starts_on")), name="phone_exception_ends_after_start"
            ),
        ]
        indexes = [
            # The exceptions in force for a day's register, and the reviews due.
            models.Index(fields=["school", "review_on"], condition=Q(ended_on=None), name="phone_exception_open_idx"),
        ]

    def __str__(self):
        return f"{self.pupil}: {self.get_reason_display().lower()}"


# --- Confiscations and the chain of custody --------------------------------------------------------------------


class Confiscation(models.Model):
    """A device taken from a pupil, or found, and held by the school until it is returned or handed on."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Mobile phone"
        TABLET = "tablet", "Tablet"
        LAPTOP = "laptop", "Laptop"
        WATCH = "watch", "Smart watch"
        STORAGE = "storage", "USB stick or memory card"
        CAMERA = "camera", "Camera"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        HELD = "held", "Held by the school"
        WITH_POLICE = "with_police", "Handed to the police"
        RETURNED = "returned", "Returned"
        DISPOSED = "disposed", "Disposed of"

    CLOSED = (Status.RETURNED, Status.DISPOSED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="confiscations")
    number = models.PositiveIntegerField("number", editable=False)
    kind = models.CharField("kind of device", max_length=20, choices=Kind.choices)
    description = models.CharField("description", max_length=200, help_text="Make, colour, case: enough to know it again.")
    pupil = models.ForeignKey(
        Pupil,
        verbose_name="taken from",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confiscations",
        help_text="Leave blank for a device that was found.",
    )
    taken_by = models.ForeignKey(User, verbose_name="taken by", on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField("taken at")
    reason = models.TextField("why")
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name="incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="confiscations",
    )
    stored_at = models.CharField("where it is kept", max_length=120, help_text="e.g. the office safe.")
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.HELD)
    is_evidence = models.BooleanField(
        "evidence of an offence",
        default=False,
        help_text="It cannot be returned or disposed of until the DSL lifts the flag.",
    )
    closed_at = models.DateTimeField("returned or disposed of", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="confiscation_unique_number"),
            models.CheckConstraint(
                condition=~Q(status__in=["returned", "disposed"]) | Q(is_evidence=False),
                name="confiscation_evidence_not_released",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["returned", "disposed"], closed_at__isnull=False)
                | (~Q(status__in=["returned", "disposed"]) & Q(closed_at=None)),
                name="confiscation_closed_iff_released",
            ),
        ]
        indexes = [
            # Devices still held (the home pages' "held too long" and the register's first page).
            models.Index(fields=["school", "taken_at"], condition=Q(status="held"), name="confiscation_held_idx"),
        ]

    def __str__(self):
        return f"{self.reference}: {self.get_kind_display()}"

    @property
    def reference(self) -> str:
        return f"CF-{self.number:05d}"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED


class CustodyEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Custody entries cannot be changed.")

    def delete(self):
        raise PermissionError("Custody entries cannot be deleted.")


class CustodyEntry(models.Model):
    """One movement of a confiscated device, in order. Never changed or deleted: a correction is a new entry."""

    class Kind(models.TextChoices):
        TAKEN = "taken", "Taken"
        FOUND = "found", "Found"
        STORED = "stored", "Moved"
        SEARCHED = "searched", "Searched"
        FLAGGED = "flagged", "Flagged as evidence"
        FLAG_LIFTED = "flag_lifted", "Evidence flag lifted"
        TO_POLICE = "to_police", "Handed to the police"
        BACK_FROM_POLICE = "back_from_police", "Back from the police"
        RETURNED = "returned", "Returned"
        DISPOSED = "disposed", "Disposed of"
        NOTE = "note", "Note"

    class ReturnedTo(models.TextChoices):
        PUPIL = "pupil", "The pupil"
        CONTACT = "contact", "A parent or carer"

    confiscation = models.ForeignKey(Confiscation, on_delete=models.PROTECT, related_name="custody")
    kind = models.CharField("what happened", max_length=20, choices=Kind.choices)
    at = models.DateTimeField("when")
    recorded_by = models.ForeignKey(User, verbose_name="recorded by", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("recorded at", auto_now_add=True)
    stored_at = models.CharField("where it is kept", max_length=120, blank=True)
    # A search: who searched, with whose consent, who witnessed it, what was found (never the images themselves).
    searched_by = models.ForeignKey(
        StaffMember, verbose_name="searched by", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent_from = models.CharField("with the consent of", max_length=200, blank=True)
    witnessed_by = models.ForeignKey(
        StaffMember, verbose_name="witnessed by", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    found = models.TextField("what was found", blank=True)
    # Handed to the police.
    officer = models.CharField("police officer", max_length=200, blank=True)
    police_reference = models.CharField("police reference", max_length=60, blank=True)
    # Returned.
    returned_to = models.CharField("returned to", max_length=10, choices=ReturnedTo.choices, blank=True)
    contact = models.ForeignKey(
        ParentCarer, verbose_name="parent/carer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField("note", blank=True)

    objects = SchoolScopedManager(CustodyEntryQuerySet, path="confiscation__school")

    class Meta:
        verbose_name = "custody entry"
        verbose_name_plural = "custody entries"
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="returned")
                | Q(returned_to="pupil", contact=None)
                | Q(returned_to="contact", contact__isnull=False),
                name="custody_return_names_whom",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        # An entry once written stays as it was; this gives a clear error wherever a change is tried.
        if not self._state.adding:
            raise PermissionError("Custody entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Custody entries cannot be deleted.")


# --- School devices lent to staff -------------------------------------------------------------------------------


class SchoolDevice(models.Model):
    """A device the school owns (laptop, tablet, camera…) in its asset register."""

    class Kind(models.TextChoices):
        LAPTOP = "laptop", "Laptop"
        TABLET = "tablet", "Tablet"
        PHONE = "phone", "Phone"
        CAMERA = "camera", "Camera"
        DESKTOP = "desktop", "Desktop computer"
        STORAGE = "storage", "USB stick or drive"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        ON_LOAN = "on_loan", "On loan"
        LOST = "lost", "Lost"
        STOLEN = "stolen", "Stolen"
        RETIRED = "retired", "Retired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="school_devices")
    asset_tag = models.CharField("asset tag", max_length=40)
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    make = models.CharField("make", max_length=80, blank=True)
    model = models.CharField("model", max_length=120, blank=True)
    serial_number = models.CharField("serial number", max_length=80, blank=True)
    device_set = models.CharField(
        "trolley or set", max_length=80, blank=True, help_text="Devices of one trolley or set can be returned together."
    )
    is_encrypted = models.BooleanField("encrypted", default=False)
    encryption = models.CharField("how it is encrypted", max_length=120, blank=True, help_text="e.g. BitLocker, FileVault.")
    holds_pupil_data = models.BooleanField("holds pupils' personal data", default=False)
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    notes = models.TextField("notes", blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "school device"
        ordering = ["asset_tag"]
        constraints = [
            models.UniqueConstraint(fields=["school", "asset_tag"], name="school_device_unique_tag"),
            models.CheckConstraint(condition=Q(is_encrypted=False) | ~Q(encryption=""), name="school_device_encryption_says_how"),
        ]
        indexes = [
            # Bulk return: a set's devices.
            models.Index(fields=["school", "device_set"], name="school_device_set_idx"),
        ]

    def __str__(self):
        return f"{self.asset_tag} ({self.get_kind_display().lower()})"

    @property
    def possible_breach(self) -> bool:
        """Losing it may be a personal-data breach: it holds pupils' data and is not encrypted."""
        return self.holds_pupil_data and not self.is_encrypted


class DeviceLoanQuerySet(SchoolScopedQuerySet):
    def out(self):
        return self.filter(returned_at=None)


class DeviceLoan(models.Model):
    """A school device lent to one member of staff, for their use alone."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(SchoolDevice, verbose_name="device", on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey(StaffMember, verbose_name="lent to", on_delete=models.PROTECT, related_name="device_loans")
    lent_by = models.ForeignKey(User, verbose_name="lent by", on_delete=models.PROTECT, related_name="+")
    lent_at = models.DateTimeField("lent on")
    due_on = models.DateField("to be returned by")
    returned_at = models.DateTimeField("returned on", null=True, blank=True)
    returned_to = models.ForeignKey(
        User, verbose_name="taken back by", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    condition_note = models.TextField("condition when returned", blank=True)
    reminded_on = models.DateField("overdue last reminded", null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["reminded_on"])

    objects = SchoolScopedManager(DeviceLoanQuerySet)

    class Meta:
        verbose_name = "device loan"
        ordering = ["-lent_at"]
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=Q(returned_at=None), name="device_loan_one_open_per_device"),
        ]
        indexes = [
            # Overdue loans and leavers holding devices: the loans still out.
            models.Index(fields=["school", "due_on"], condition=Q(returned_at=None), name="device_loan_out_idx"),
        ]

    def __str__(self):
        return f"{self.device} lent to {self.borrower}"


class DeviceLoss(models.Model):
    """A school device reported lost or stolen, and whether it may be a personal-data breach to assess."""

    class Kind(models.TextChoices):
        LOST = "lost", "Lost"
        STOLEN = "stolen", "Stolen"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(SchoolDevice, verbose_name="device", on_delete=models.PROTECT, related_name="losses")
    kind = models.CharField("lost or stolen", max_length=10, choices=Kind.choices)
    reported_by = models.ForeignKey(User, verbose_name="reported by", on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField("reported at")
    circumstances = models.TextField("what happened", help_text="Where and when it was last seen.")
    police_reference = models.CharField("police crime reference", max_length=60, blank=True)
    # Fixed when reported: the device held pupils' data and was not encrypted. The 72 hours run from reported_at.
    possible_breach = models.BooleanField("possible personal-data breach", default=False, editable=False)
    breach_assessed_at = models.DateTimeField("breach assessed at", null=True, blank=True)
    breach_assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    breach_outcome = models.TextField("assessment", blank=True, help_text="What data was on it, whose, and the risk.")
    reported_to_ico = models.BooleanField("reported to the ICO", null=True, blank=True)
    ico_note = models.CharField("the ICO's reference, or why not reported", max_length=300, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "lost or stolen device"
        ordering = ["-reported_at"]

    def __str__(self):
        return f"{self.device}: {self.get_kind_display().lower()}"


# --- Personal equipment ----------------------------------------------------------------------------------------


class EquipmentPermissionQuerySet(SchoolScopedQuerySet):
    def images_outstanding(self):
        return self.filter(status=EquipmentPermission.Status.APPROVED, images_confirmed_at=None)


class EquipmentPermission(models.Model):
    """A member of staff's request to use their own equipment with pupils (a phone camera on a residential trip)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for the head teacher"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DONE = "done", "Images moved and deleted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(User, verbose_name="asked by", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("asked on", auto_now_add=True)
    equipment = models.CharField("equipment", max_length=120, help_text="e.g. my phone's camera.")
    purpose = models.TextField("what for", help_text="The trip or activity, and why school equipment will not do.")
    starts_on = models.DateField("from")
    ends_on = models.DateField("until")
    pupils = models.ManyToManyField(Pupil, verbose_name="pupils", blank=True, related_name="+")
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField("decided at", null=True, blank=True)
    decision_note = models.TextField("head teacher's note", blank=True)
    images_due_at = models.DateTimeField("images moved and deleted by", null=True, blank=True)
    images_confirmed_at = models.DateTimeField("images confirmed moved and deleted", null=True, blank=True)
    images_note = models.TextField("where the images were moved to", blank=True)
    reminded_on = models.DateField("last reminded", null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField("escalated to the head teacher", null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["reminded_on"], m2m_fields=[pupils])

    objects = SchoolScopedManager(EquipmentPermissionQuerySet)

    class Meta:
        verbose_name = "personal equipment permission"
        ordering = ["-starts_on", "-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="equipment_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "done"]) | Q(images_due_at__isnull=False),
                name="equipment_approved_has_deadline",
            ),
        ]

    def __str__(self):
        return f"{self.equipment}, {self.starts_on:%d/%m/%Y} to {self.ends_on:%d/%m/%Y}"


# --- The internet-access register ------------------------------------------------------------------------------


class InternetAccountQuerySet(SchoolScopedQuerySet):
    def current(self, on):
        """Accounts in use on `on`: not ended, and their holder has not left."""
        return self.filter(Q(ended_on=None) | Q(ended_on__gt=on)).exclude(
            Q(pupil__leaving_date__lte=on) | Q(staff__leaving_date__lte=on)
        )


class InternetAccount(models.Model):
    """Someone granted access to the school's network or internet, and under which username."""

    class Holder(models.TextChoices):
        STAFF = "staff", "Staff"
        PUPIL = "pupil", "Pupil"
        VISITOR = "visitor", "Visitor"
        COMMUNITY = "community", "Community user"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    holder = models.CharField("who", max_length=20, choices=Holder.choices)
    staff = models.ForeignKey(
        StaffMember, verbose_name="member of staff", on_delete=models.CASCADE, null=True, blank=True, related_name="accounts"
    )
    pupil = models.ForeignKey(
        Pupil, verbose_name="pupil", on_delete=models.CASCADE, null=True, blank=True, related_name="accounts"
    )
    name = models.CharField("name", max_length=200, blank=True, help_text="For visitors and community users.")
    organisation = models.CharField("organisation", max_length=200, blank=True)
    username = models.CharField("username", max_length=120)
    access = models.CharField("access to", max_length=200, help_text="e.g. network, e-mail, guest Wi-Fi.")
    granted_on = models.DateField("granted on")
    granted_by = models.ForeignKey(User, verbose_name="granted by", on_delete=models.PROTECT, related_name="+")
    # Visitors and community users sign a paper agreement; staff and pupils accept theirs in consents.
    agreement_signed_on = models.DateField("acceptable-use agreement signed", null=True, blank=True)
    ended_on = models.DateField("ended on", null=True, blank=True)
    end_reason = models.CharField("why it ended", max_length=200, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(InternetAccountQuerySet)

    class Meta:
        verbose_name = "internet account"
        ordering = ["holder", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "username"], condition=Q(ended_on=None), name="internet_account_username_in_use"
            ),
            models.CheckConstraint(
                condition=Q(holder="staff", staff__isnull=False, pupil=None)
                | Q(holder="pupil", pupil__isnull=False, staff=None)
                | (Q(holder__in=["visitor", "community"], staff=None, pupil=None) & ~Q(name="")),
                name="internet_account_names_its_holder",
            ),
        ]

    def __str__(self):
        return self.username

    @property
    def holder_name(self) -> str:
        return str(self.staff or self.pupil or self.name)


class AccessReview(models.Model):
    """IT's review of who holds which accounts and access rights, signed off, at least yearly."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    reviewed_by = models.ForeignKey(User, verbose_name="reviewed by", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("signed off")
    since = models.DateTimeField("changes since", null=True, blank=True, help_text="The previous review, if any.")
    accounts_in_use = models.PositiveIntegerField("accounts in use")
    granted = models.PositiveIntegerField("accounts granted since the previous review")
    ended = models.PositiveIntegerField("accounts ended since the previous review")
    findings = models.TextField("findings and actions", help_text="What was checked, what was changed and why.")
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "access rights review"
        ordering = ["-signed_at"]
        get_latest_by = "signed_at"

    def __str__(self):
        return f"Access review signed {self.signed_at:%d/%m/%Y}"
