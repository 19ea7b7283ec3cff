"""
Consents: what a school asks parents, pupils and staff to agree to, the
answers they give, and the yearly rounds in which the office collects them.

A consent type (e.g. "Photos on the website and social media") has versioned
wording: a change of wording makes a new `ConsentWording`, and every answer
points at the version that was read. An answer is *current* until it is
superseded by a newer answer, or expired by the yearly renewal; a withdrawn
answer stays current and counts as "no" until a new answer replaces it.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from esafety.calendar import KeyStage
from esafety.models import AcademicYear, FormGroup, ParentCarer, Pupil, School, SchoolScopedQuerySet, StaffMember, YearGroup
from esafety.scoping import SchoolScopedManager

# Slip codes avoid 0/O and 1/I, which are easily misread on paper.
SLIP_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SLIP_CODE_LENGTH = 8


def new_slip_code() -> str:
    return "".join(secrets.choice(SLIP_CODE_ALPHABET) for _ in range(SLIP_CODE_LENGTH))


def normalise_slip_code(text: str) -> str:
    """What was typed or scanned, as stored: capitals, no spaces or hyphens."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


class ConsentSettings(models.Model):
    """A school's choices for consents: when answers are renewed and how long leavers' records are kept."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="consent_settings")
    renewal_day = models.PositiveSmallIntegerField("renewal day", default=1)
    renewal_month = models.PositiveSmallIntegerField(
        "renewal month",
        default=9,
        help_text="Answers that last one school year expire on this date each year, and a new round is drafted.",
    )
    leaver_retention_years = models.PositiveSmallIntegerField(
        "keep leavers' consent records for (years)",
        default=3,
        help_text="After this many years from their leaving date, a pupil's consent records are removed.",
    )
    history = HistoricalRecords()

    objects = SchoolScopedManager()

    class Meta:
        verbose_name = "consent settings"
        verbose_name_plural = "consent settings"
        constraints = [
            models.CheckConstraint(condition=Q(renewal_month__gte=1, renewal_month__lte=12), name="consent_settings_month_valid"),
            models.CheckConstraint(condition=Q(renewal_day__gte=1, renewal_day__lte=31), name="consent_settings_day_valid"),
            models.CheckConstraint(condition=Q(leaver_retention_years__gte=1), name="consent_settings_retention_positive"),
        ]

    def __str__(self):
        return f"Consent settings of {self.school}"


class ConsentTypeQuerySet(SchoolScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_pupils(self):
        return self.filter(answered_by__in=ConsentType.Answerer.for_pupils())


class ConsentType(models.Model):
    class Kind(models.TextChoices):
        INTERNET = "internet", "Internet access and e-safety rules"
        WORK_PUBLICATION = "work_publication", "Publication of work on the website"
        PHOTO_IN_SCHOOL = "photo_in_school", "Photos and names on displays and newsletters in school"
        PHOTO_PRINT = "photo_print", "Photos in printed publicity and the press"
        PHOTO_WEB = "photo_web", "Photos on the website and social media"
        WEBCAM = "webcam", "Webcam and video calls"
        PUPIL_AUP = "pupil_aup", "Pupil acceptable-use agreement"
        STAFF_AUP = "staff_aup", "Staff acceptable-use agreement"
        VISITOR_AUP = "visitor_aup", "Visitor or community-user agreement"
        OTHER = "other", "Something else"

        @classmethod
        def image_uses(cls) -> list[str]:
            """The uses the photo and publication check shows, in its column order."""
            return [cls.PHOTO_IN_SCHOOL, cls.PHOTO_PRINT, cls.PHOTO_WEB, cls.WORK_PUBLICATION]

    class Answerer(models.TextChoices):
        PARENT = "parent", "A parent or carer"
        PUPIL = "pupil", "The pupil"
        PARENT_AND_PUPIL = "parent_and_pupil", "The pupil signs, a parent or carer endorses"
        STAFF = "staff", "A member of staff"
        VISITOR = "visitor", "A visitor or community user"

        @classmethod
        def for_pupils(cls) -> list[str]:
            return [cls.PARENT, cls.PUPIL, cls.PARENT_AND_PUPIL]

    class Duration(models.TextChoices):
        ACADEMIC_YEAR = "academic_year", "One school year"
        UNTIL_LEAVING = "until_leaving", "Until the pupil leaves"
        UNTIL_DATE = "until_date", "Until a date"
        UNTIL_WITHDRAWN = "until_withdrawn", "Until withdrawn"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="consent_types")
    kind = models.CharField(
        "what it is for",
        max_length=20,
        choices=Kind.choices,
        default=Kind.OTHER,
        help_text="Photo and publication uses feed the photo check; a school has one active type of each.",
    )
    title = models.CharField("title", max_length=120)
    answered_by = models.CharField("who answers", max_length=20, choices=Answerer.choices, default=Answerer.PARENT)
    key_stages = models.JSONField(
        "key stages",
        default=list,
        blank=True,
        help_text="Leave empty (and no year groups) for every pupil.",
    )
    year_groups = models.ManyToManyField(YearGroup, verbose_name="year groups", blank=True, related_name="+")
    duration = models.CharField("an answer lasts", max_length=20, choices=Duration.choices, default=Duration.ACADEMIC_YEAR)
    valid_until = models.DateField("answers last until", null=True, blank=True, help_text="Only for 'Until a date'.")
    missing_means_no = models.BooleanField(
        "no answer counts as no", default=True, help_text="Always on for photos and publication."
    )
    is_active = models.BooleanField("in use", default=True)
    order = models.PositiveSmallIntegerField("order on the slip", default=100)
    current_wording = models.ForeignKey(
        "ConsentWording", verbose_name="current wording", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["current_wording"])

    objects = SchoolScopedManager(ConsentTypeQuerySet)

    class Meta:
        ordering = ["order", "title"]
        constraints = [
            models.UniqueConstraint(fields=["school", "title"], name="consent_type_unique_title_per_school"),
            # The photo check and the login prompt need to know which type is *the* one for each use.
            models.UniqueConstraint(
                fields=["school", "kind"],
                condition=Q(is_active=True) & ~Q(kind="other"),
                name="consent_type_one_active_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(duration="until_date") | Q(valid_until__isnull=False), name="consent_type_until_date_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["photo_in_school", "photo_print", "photo_web", "work_publication"])
                | Q(missing_means_no=True),
                name="consent_type_images_missing_means_no",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_image_use(self) -> bool:
        return self.kind in self.Kind.image_uses()

    @property
    def key_stage_labels(self) -> list[str]:
        return [KeyStage(k).label for k in self.key_stages]


class ConsentWording(models.Model):
    """One version of a consent type's wording. Never changed once answers point at it: a change makes a new version."""

    consent_type = models.ForeignKey(ConsentType, on_delete=models.CASCADE, related_name="wordings")
    version = models.PositiveSmallIntegerField("version")
    text = models.TextField("wording", help_text="What parents (or pupils, or staff) read before they answer.")
    created_at = models.DateTimeField("written", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="written by", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="consent_type__school")

    class Meta:
        ordering = ["consent_type", "-version"]
        constraints = [models.UniqueConstraint(fields=["consent_type", "version"], name="consent_wording_unique_version")]

    def __str__(self):
        return f"{self.consent_type} (version {self.version})"


class ConsentRound(models.Model):
    """A collection of answers in one school year: which types, from which forms or year groups."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft: being checked"
        OPEN = "open", "Open: collecting answers"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="consent_rounds")
    academic_year = models.ForeignKey(AcademicYear, verbose_name="school year", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("title", max_length=120)
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    consent_types = models.ManyToManyField(ConsentType, verbose_name="consents asked for", related_name="rounds")
    forms = models.ManyToManyField(
        FormGroup,
        verbose_name="forms",
        blank=True,
        related_name="+",
        help_text="Leave forms and year groups empty for the whole school.",
    )
    year_groups = models.ManyToManyField(YearGroup, verbose_name="year groups", blank=True, related_name="+")
    created_at = models.DateTimeField("created", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="created by", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField("opened", null=True, blank=True)
    closed_at = models.DateTimeField("closed", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["school", "title"], name="consent_round_unique_title_per_school")]

    def __str__(self):
        return self.title

    @property
    def is_collecting(self) -> bool:
        return self.status == self.Status.OPEN


class ConsentSlip(models.Model):
    """One pupil's paper slip in a round; its code is typed or scanned when the slip comes back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(ConsentRound, verbose_name="round", on_delete=models.CASCADE, related_name="slips")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="consent_slips")
    code = models.CharField("slip code", max_length=12, unique=True, default=new_slip_code, editable=False)
    returned_at = models.DateTimeField("returned", null=True, blank=True)
    created_at = models.DateTimeField("created", default=timezone.now)
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="round__school")

    class Meta:
        ordering = ["pupil__last_name", "pupil__first_name"]
        constraints = [models.UniqueConstraint(fields=["round", "pupil"], name="consent_slip_one_per_pupil_per_round")]

    def __str__(self):
        return f"Slip {self.display_code} for {self.pupil}"

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


class ConsentAnswerQuerySet(SchoolScopedQuerySet):
    def current(self, on=None):
        """Answers in force on a day: not replaced, not expired (a withdrawn answer is current, and means no)."""
        on = on or timezone.localdate()
        return self.filter(superseded_at__isnull=True, expired_at__isnull=True).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=on)
        )

    def agreed(self):
        return self.filter(agreed=True, withdrawn_on__isnull=True)


class ConsentAnswer(models.Model):
    """A yes or no to one version of a consent type, for one pupil, with who gave it and how."""

    class Method(models.TextChoices):
        PAPER = "paper", "Paper slip"
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        EMAIL = "email", "By e-mail"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="consent_answers")
    consent_type = models.ForeignKey(ConsentType, verbose_name="consent", on_delete=models.CASCADE, related_name="answers")
    wording = models.ForeignKey(ConsentWording, verbose_name="wording version", on_delete=models.PROTECT, related_name="answers")
    academic_year = models.ForeignKey(AcademicYear, verbose_name="school year", on_delete=models.PROTECT, related_name="+")
    slip = models.ForeignKey(
        ConsentSlip, verbose_name="slip", on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    agreed = models.BooleanField("answer", help_text="Yes or no.")
    given_by = models.ForeignKey(
        ParentCarer, verbose_name="given by", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    given_by_pupil = models.BooleanField("signed by the pupil", default=False)
    method = models.CharField("how", max_length=10, choices=Method.choices, default=Method.PAPER)
    signed_on = models.DateField("date signed")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="entered by", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("entered", default=timezone.now)
    expires_on = models.DateField("lasts until", null=True, blank=True)
    expired_at = models.DateTimeField("expired", null=True, blank=True)
    superseded_at = models.DateTimeField("replaced by a newer answer", null=True, blank=True)
    withdrawn_on = models.DateField("withdrawn on", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        ParentCarer, verbose_name="withdrawn by", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="withdrawal recorded by",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_note = models.CharField("withdrawal note", max_length=300, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(ConsentAnswerQuerySet)

    class Meta:
        ordering = ["-entered_at"]
        constraints = [
            # At most one answer in force per pupil and consent: a new one replaces the old.
            models.UniqueConstraint(
                fields=["pupil", "consent_type"],
                condition=Q(superseded_at__isnull=True, expired_at__isnull=True),
                name="consent_answer_one_current_per_pupil",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(agreed=True), name="consent_answer_only_yes_is_withdrawn"
            ),
        ]
        indexes = [
            # Photo check, chasing list and coverage: the answer in force for these pupils and this consent.
            models.Index(
                fields=["consent_type", "pupil"],
                condition=Q(superseded_at__isnull=True, expired_at__isnull=True),
                name="consent_answer_current_idx",
            ),
            # Renewal: one-year answers of earlier years still in force.
            models.Index(
                fields=["school", "academic_year"], condition=Q(expired_at__isnull=True), name="consent_answer_year_idx"
            ),
        ]

    def __str__(self):
        return f"{self.consent_type} for {self.pupil}: {self.answer_label}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None

    @property
    def answer_label(self) -> str:
        if self.is_withdrawn:
            return "No (withdrawn)"
        return "Yes" if self.agreed else "No"


class PhotoCheckLookup(models.Model):
    """A member of staff looked a pupil up in the photo check: they are warned if consent is withdrawn soon after."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # A short-lived note of who looked, purged after a few weeks: not a record anyone edits.

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        indexes = [
            # On withdrawal: who looked this pupil up recently.
            models.Index(fields=["pupil", "at"], name="photo_lookup_pupil_at_idx"),
            # On each photo check: whom this user has already looked up today.
            models.Index(fields=["user", "at"], name="photo_lookup_user_at_idx"),
        ]

    def __str__(self):
        return f"{self.user} checked {self.pupil} on {self.at:%d/%m/%Y}"


class SlipBatch(models.Model):
    """The slips of a whole round in one PDF, built in the background and kept for download."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        BUILDING = "building", "Building the slips"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(ConsentRound, on_delete=models.CASCADE, related_name="batches")
    only_missing = models.BooleanField("only pupils with answers missing", default=True)
    per_page = models.PositiveSmallIntegerField("slips a page", default=1, choices=[(1, "One"), (2, "Two")])
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.QUEUED)
    pupil_count = models.PositiveIntegerField("slips", default=0)
    file = models.FileField("PDF", upload_to="consent-slips/", blank=True)
    failure = models.TextField("why it failed", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("asked for", default=timezone.now)
    finished_at = models.DateTimeField("finished", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="round__school")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Slips for {self.round}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)


class StaffAgreement(models.Model):
    """A member of staff accepted one version of the staff acceptable-use agreement."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="agreements")
    wording = models.ForeignKey(ConsentWording, verbose_name="version", on_delete=models.PROTECT, related_name="+")
    academic_year = models.ForeignKey(AcademicYear, verbose_name="school year", on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField("accepted", default=timezone.now)
    expired_at = models.DateTimeField("expired", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff_member", "wording"], condition=Q(expired_at__isnull=True), name="staff_agreement_once_per_version"
            )
        ]

    def __str__(self):
        return f"{self.staff_member} accepted {self.wording}"


class ConsentRenewal(models.Model):
    """The yearly renewal has run for a school and a school year: running it again does nothing."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    ran_at = models.DateTimeField("ran", default=timezone.now)
    answers_expired = models.PositiveIntegerField("answers expired", default=0)
    agreements_expired = models.PositiveIntegerField("staff agreements expired", default=0)
    round = models.ForeignKey(ConsentRound, verbose_name="draft round", on_delete=models.SET_NULL, null=True, related_name="+")
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-ran_at"]
        constraints = [models.UniqueConstraint(fields=["school", "academic_year"], name="consent_renewal_once_a_year")]

    def __str__(self):
        return f"Renewal for {self.academic_year}: {self.answers_expired} answers expired"


class ConsentPurge(models.Model):
    """What the retention job removed: counts, never names."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    ran_at = models.DateTimeField("ran", default=timezone.now)
    left_before = models.DateField("pupils who left before")
    pupils = models.PositiveIntegerField("pupils", default=0)
    answers = models.PositiveIntegerField("answers removed", default=0)
    slips = models.PositiveIntegerField("slips removed", default=0)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        return f"{self.ran_at:%d/%m/%Y}: {self.answers} answers of {self.pupils} leavers removed"
