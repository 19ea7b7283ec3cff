"""
Web filtering: the school's filter groups, requests to open blocked sites for a lesson (teacher → head
teacher → IT → open for the period of study → ended and removed), the allowlist feed the filter appliance
pulls, reports of unsuitable sites, the log of changes made to the filter itself, and the reviews of all of it.

Every record is school-owned and scoped (docs/adding-an-app.md), with its history.
"""

import secrets
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from esafety.models import FormGroup, Pupil, School, SchoolScopedQuerySet
from esafety.scoping import SchoolScopedManager

User = settings.AUTH_USER_MODEL


def new_feed_token() -> str:
    """The secret in the feed's address: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class FilterSettings(models.Model):
    """A school's choices for web filtering, and the secret of its allowlist feed; one row per school."""

    class ReviewInterval(models.TextChoices):
        MONTH = "month", "Every month"
        HALF_TERM = "half_term", "Every half-term"
        TERM = "term", "Every term"

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="filter_settings")
    notice_school_days = models.PositiveSmallIntegerField(
        "notice needed (school days)",
        default=3,
        help_text="How many school days before the lesson a request should be made. Later requests are allowed "
        "but flagged, and the head teacher says why each is accepted late.",
    )
    longest_period_days = models.PositiveSmallIntegerField(
        "longest period a site may be open (days)",
        default=42,
        help_text="The most calendar days, first and last included, that one request may keep sites open.",
    )
    review_interval = models.CharField(
        "review the logs", max_length=10, choices=ReviewInterval.choices, default=ReviewInterval.HALF_TERM
    )
    feed_token = models.CharField("feed token", max_length=64, unique=True, default=new_feed_token, editable=False)
    feed_token_rotated_at = models.DateTimeField("feed token changed", null=True, blank=True, editable=False)
    # Bumped by every change that alters what the feed lists, so that its ETag is known without building it.
    feed_version = models.PositiveIntegerField("feed version", default=1, editable=False)
    feed_fetched_at = models.DateTimeField("feed last fetched", null=True, blank=True, editable=False)
    feed_fetched_from = models.GenericIPAddressField("feed last fetched from", null=True, blank=True, editable=False)
    last_number = models.PositiveIntegerField("last request number", default=0, editable=False)
    last_report_number = models.PositiveIntegerField("last site report number", default=0, editable=False)
    # The token is a secret and the rest are counters: the history says who changed a setting, not these.
    history = HistoricalRecords(
        excluded_fields=[
            "feed_token",
            "feed_version",
            "feed_fetched_at",
            "feed_fetched_from",
            "last_number",
            "last_report_number",
        ]
    )

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "filtering settings"
        verbose_name_plural = "filtering settings"
        constraints = [
            models.CheckConstraint(condition=Q(longest_period_days__gte=1), name="filter_settings_period_positive"),
        ]

    def __str__(self):
        return f"Filtering settings of {self.school}"


class FilterGroup(models.Model):
    """A group of users the filter treats alike (e.g. KS3 pupils, staff), by the name the appliance knows it by."""

    class Kind(models.TextChoices):
        PUPILS = "pupils", "Pupils"
        STAFF = "staff", "Staff"
        GUESTS = "guests", "Guests"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="filter_groups")
    name = models.CharField("name", max_length=80)
    appliance_name = models.SlugField(
        "name on the filter appliance",
        max_length=80,
        help_text="The group's name on the filter appliance; also the last part of the group's feed address.",
    )
    kind = models.CharField("who is in it", max_length=10, choices=Kind.choices)
    order = models.PositiveSmallIntegerField("order", default=0)
    is_active = models.BooleanField("in use", default=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "filter group"
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="filter_group_unique_name"),
            models.UniqueConstraint(fields=["school", "appliance_name"], name="filter_group_unique_appliance_name"),
        ]

    def __str__(self):
        return self.name


class SiteCategory(models.Model):
    """What kind of site is asked for; some the school never opens, whatever the lesson (the reason says why)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="site_categories")
    name = models.CharField("name", max_length=80)
    never_open = models.BooleanField(
        "never opened", default=False, help_text="Requests for sites of this kind are refused at the form."
    )
    reason = models.CharField("why never", max_length=300, blank=True, help_text="Shown to whoever asks for a site of this kind.")
    order = models.PositiveSmallIntegerField("order", default=0)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "site category"
        verbose_name_plural = "site categories"
        ordering = ["never_open", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="site_category_unique_name"),
            models.CheckConstraint(condition=Q(never_open=False) | ~Q(reason=""), name="site_category_never_says_why"),
        ]

    def __str__(self):
        return self.name


class FilterExceptionRequestQuerySet(SchoolScopedQuerySet):
    def waiting(self):
        return self.filter(status__in=[FilterExceptionRequest.Status.SUBMITTED, FilterExceptionRequest.Status.HEAD_APPROVED])

    def open_on(self, day: date):
        """Applied on the filter and within their period on `day`: what the feed lists."""
        return self.filter(status=FilterExceptionRequest.Status.ACTIVE, starts_on__lte=day, ends_on__gte=day)


class FilterExceptionRequest(models.Model):
    """A member of staff's request to open one or more blocked sites for a lesson, and every decision on it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for the head teacher"
        HEAD_APPROVED = "head_approved", "Waiting for IT"
        HEAD_DECLINED = "head_declined", "Declined by the head teacher"
        IT_APPROVED = "it_approved", "Approved, to be applied by IT"
        IT_DECLINED = "it_declined", "Declined by IT"
        ACTIVE = "active", "Open on the filter"
        EXPIRED = "expired", "Ended, removal to be confirmed"
        REMOVED = "removed", "Ended and removed from the filter"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REVOKED = "revoked", "Revoked early"

    FINISHED = (Status.HEAD_DECLINED, Status.IT_DECLINED, Status.REMOVED, Status.WITHDRAWN)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="filter_exception_requests")
    number = models.PositiveIntegerField("number", null=True, editable=False)
    requested_by = models.ForeignKey(User, verbose_name="asked by", on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField("lesson or purpose", help_text="What the sites are needed for: an educational reason.")
    category = models.ForeignKey(
        SiteCategory, verbose_name="kind of site", on_delete=models.PROTECT, null=True, related_name="requests"
    )
    groups = models.ManyToManyField(FilterGroup, verbose_name="filter groups", related_name="requests")
    forms = models.ManyToManyField(FormGroup, verbose_name="forms", blank=True, related_name="+")
    starts_on = models.DateField("open from")
    ends_on = models.DateField("open until")
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField("asked on", auto_now_add=True)
    is_late = models.BooleanField("asked late", default=False, help_text="Asked with less notice than the school asks for.")
    renews = models.ForeignKey(
        "self", verbose_name="more time for", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals"
    )
    head_decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    head_decided_at = models.DateTimeField("head teacher's decision", null=True, blank=True)
    head_note = models.TextField("head teacher's note", blank=True)
    late_reason = models.TextField("why accepted late", blank=True)
    it_decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    it_decided_at = models.DateTimeField("IT's decision", null=True, blank=True)
    it_note = models.TextField("IT's note", blank=True)
    applied_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField("applied on the filter", null=True, blank=True)
    ended_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField("withdrawn or revoked", null=True, blank=True)
    end_reason = models.TextField("why ended early", blank=True)
    removed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    removed_at = models.DateTimeField("removal confirmed", null=True, blank=True)
    # The day each reminder was last sent, so that a daily job sends each once.
    reminded_waiting_on = models.DateField(null=True, blank=True, editable=False)
    reminded_ending_on = models.DateField(null=True, blank=True, editable=False)
    reminded_removal_on = models.DateField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["reminded_waiting_on", "reminded_ending_on", "reminded_removal_on"])

    objects = SchoolScopedManager(FilterExceptionRequestQuerySet)

    class Meta:
        verbose_name = "filter exception request"
        ordering = ["starts_on", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="filter_request_ends_after_start"),
            models.UniqueConstraint(fields=["school", "number"], name="filter_request_unique_number"),
        ]
        indexes = [
            # The queues of the head and IT: what waits, soonest lesson first.
            models.Index(fields=["school", "status", "starts_on"], name="filter_request_queue"),
            # The register's default order, newest first.
            models.Index(fields=["school", "-created_at"], name="filter_request_newest"),
            # The feed: what is open on the filter today.
            models.Index(fields=["school", "starts_on", "ends_on"], condition=Q(status="active"), name="filter_request_open"),
        ]

    def __str__(self):
        return f"{self.reference}: {self.purpose[:60]}"

    @property
    def reference(self) -> str:
        return f"FR-{self.number:05d}" if self.number else "FR-draft"

    @property
    def is_open_now(self) -> bool:
        today = timezone.localdate()
        return self.status == self.Status.ACTIVE and self.starts_on <= today <= self.ends_on

    @property
    def status_words(self) -> str:
        """The status as the reader needs it: an exception past its end date has ended, whatever the nightly job."""
        if self.status == self.Status.ACTIVE:
            today = timezone.localdate()
            if self.ends_on < today:
                return self.Status.EXPIRED.label
            if self.starts_on > today:
                return f"Applied, opens {self.starts_on:%-d %b %Y}"
        return self.get_status_display()


class RequestedSite(models.Model):
    """One site of a request, normalised (filtering.sites): a domain, a domain and its subdomains, or an exact address."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", "This domain only"
        SUBDOMAINS = "subdomains", "This domain and its subdomains"
        URL = "url", "This exact address"

    request = models.ForeignKey(FilterExceptionRequest, on_delete=models.CASCADE, related_name="sites")
    kind = models.CharField("what to open", max_length=10, choices=Kind.choices)
    value = models.CharField("site", max_length=2000)
    # The host alone (punycode), for the register's search by domain.
    host = models.CharField("domain", max_length=253, db_index=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="request__school")

    class Meta:
        verbose_name = "requested site"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "value"], name="requested_site_unique"),
        ]

    def __str__(self):
        return f"*.{self.value}" if self.kind == self.Kind.SUBDOMAINS else self.value

    @property
    def feed_line(self) -> str:
        """How the site is written in the plain-text feed: `*.example.org` stands for the domain and every subdomain."""
        return str(self)


class SiteReport(models.Model):
    """A site that should have been blocked, reported by anyone on the staff; the e-safety lead and DSL decide."""

    class Status(models.TextChoices):
        NEW = "new", "Waiting for a decision"
        TO_BLOCK = "to_block", "To be blocked by IT"
        BLOCKED = "blocked", "Blocked"
        NO_ACTION = "no_action", "No action needed"
        ESCALATED = "escalated", "Escalated to an incident"

    class Decision(models.TextChoices):
        BLOCK = "block", "Block it"
        NO_ACTION = "no_action", "No action"
        ESCALATE = "escalate", "Escalate to an incident"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="site_reports")
    number = models.PositiveIntegerField("number", editable=False)
    reported_by = models.ForeignKey(User, verbose_name="reported by", on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField("reported", auto_now_add=True)
    url = models.CharField("address of the site", max_length=2000)
    host = models.CharField("domain", max_length=253, blank=True)
    what_was_seen = models.TextField("what was seen")
    where = models.CharField("where", max_length=200, help_text="The room, and the device if known.")
    seen_at = models.DateTimeField("when")
    found_by = models.CharField("who found it", max_length=200, blank=True)
    pupils = models.ManyToManyField(Pupil, verbose_name="pupils who saw it", blank=True, related_name="+")
    suspected_illegal = models.BooleanField(
        "suspected illegal material",
        default=False,
        help_text="Child sexual abuse images, terrorist or other criminal content.",
    )
    status = models.CharField("status", max_length=12, choices=Status.choices, default=Status.NEW)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField("decided", null=True, blank=True)
    decision_note = models.TextField("decision note", blank=True)
    reported_to_iwf_police = models.CharField(
        "reported to the IWF or police", max_length=200, blank=True, help_text="Who it was reported to, and their reference."
    )
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name="incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    blocked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    blocked_at = models.DateTimeField("blocked", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "unsuitable-site report"
        ordering = ["-reported_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="site_report_unique_number"),
        ]
        indexes = [
            # The lead's and DSL's queue, and IT's: reports by status, newest first.
            models.Index(fields=["school", "status", "-reported_at"], name="site_report_queue"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"SR-{self.number:05d}"


class FilterChange(models.Model):
    """A change made to the filter itself, with its reason, its risk assessment and the head teacher's agreement."""

    class Kind(models.TextChoices):
        SWITCHED_OFF_USER = "off_user", "Filtering switched off for a user"
        CHANGED_USER = "user", "Filtering changed for a user"
        CHANGED_GROUP = "group", "Filtering changed for a group"
        CATEGORY_ALLOWED = "allowed", "A category allowed"
        CATEGORY_BLOCKED = "blocked", "A category blocked"
        SITE_BLOCKED = "site_blocked", "A site blocked"
        POLICY = "policy", "A change of filtering policy"

    class Agreement(models.TextChoices):
        BEFORE = "before", "The head teacher agreed before the change"
        EMERGENCY = "emergency", "Emergency: made first, to be agreed straight after"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="filter_changes")
    kind = models.CharField("change", max_length=12, choices=Kind.choices)
    applies_to = models.CharField("for whom or what", max_length=200, help_text="The user, group, category or policy.")
    group = models.ForeignKey(
        FilterGroup, verbose_name="filter group", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField("what was changed")
    reason = models.TextField("why")
    risk_assessment = models.TextField("risk assessment", help_text="The risks of the change, and how they are managed.")
    made_at = models.DateTimeField("made")
    made_by = models.ForeignKey(User, verbose_name="made by", on_delete=models.PROTECT, related_name="+")
    ends_on = models.DateField("until", null=True, blank=True, help_text="When a temporary change is to be undone.")
    agreement = models.CharField("head teacher's agreement", max_length=10, choices=Agreement.choices)
    emergency_reason = models.TextField("why it could not wait", blank=True)
    agreed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agreed_at = models.DateTimeField("agreed", null=True, blank=True)
    site_report = models.ForeignKey(
        SiteReport, verbose_name="site report", on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    logged_at = models.DateTimeField("logged", auto_now_add=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "filter change"
        ordering = ["-made_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(agreement="emergency") | ~Q(emergency_reason=""), name="filter_change_emergency_says_why"
            ),
        ]
        indexes = [
            # The change log, newest first, and the changes waiting for the head teacher's agreement.
            models.Index(fields=["school", "-made_at"], name="filter_change_newest"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.applies_to}"


class LogReview(models.Model):
    """A regular review of the exception and change logs since the last one, signed off by its reviewer."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="filter_log_reviews")
    covers_from = models.DateTimeField("covers from", null=True, blank=True)
    covers_to = models.DateTimeField("covers to")
    findings = models.TextField("findings")
    reviewed_by = models.ForeignKey(User, verbose_name="reviewed by", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("signed off")
    was_due_on = models.DateField("was due by", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "review of the filtering logs"
        verbose_name_plural = "reviews of the filtering logs"
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["school", "-signed_at"], name="filter_log_review_newest")]

    def __str__(self):
        return f"Review of the filtering logs signed {self.signed_at:%-d %b %Y}"

    @property
    def on_time(self) -> bool:
        return self.was_due_on is None or timezone.localdate(self.signed_at) <= self.was_due_on


class AnnualReview(models.Model):
    """
    The yearly review of filtering and monitoring to the DfE standard, for the governors. A draft may leave its
    participants, checks, profiles and findings to be written; a signed review has them all.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed off"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="filter_annual_reviews")
    start_year = models.PositiveSmallIntegerField("academic year")
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    senior_leader = models.CharField("senior leader responsible", max_length=200, blank=True)
    dsl = models.CharField("designated safeguarding lead", max_length=200, blank=True)
    it_lead = models.CharField("IT lead or provider", max_length=200, blank=True)
    governor = models.CharField("governor responsible", max_length=200, blank=True)
    others = models.CharField("others who took part", max_length=300, blank=True)
    checks = models.TextField(
        "what was checked and tested, with results",
        blank=True,
        help_text="For example the SWGfL test-filtering checks on each profile, with their results.",
    )
    pupil_profiles = models.TextField("pupil filtering profiles in place", blank=True)
    staff_profiles = models.TextField("staff filtering profiles in place", blank=True)
    monitoring = models.TextField("how monitoring works", blank=True)
    findings = models.TextField("findings", blank=True)
    next_review_on = models.DateField("next review by")
    early_triggers = models.TextField(
        "what would bring the next review forward",
        default="A safeguarding risk found; a change in working practice (remote access, bring your own device); "
        "new technology, generative AI included.",
    )
    figures = models.JSONField("the year's figures", default=dict, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField("signed off", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "yearly filtering and monitoring review"
        ordering = ["-start_year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "start_year"], name="filter_annual_review_one_a_year"),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (
                    ~Q(senior_leader="")
                    & ~Q(dsl="")
                    & ~Q(it_lead="")
                    & ~Q(governor="")
                    & ~Q(checks="")
                    & ~Q(pupil_profiles="")
                    & ~Q(staff_profiles="")
                    & ~Q(findings="")
                ),
                name="filter_annual_review_signed_complete",
            ),
        ]

    def __str__(self):
        return f"Filtering and monitoring review {self.start_year}/{(self.start_year + 1) % 100:02d}"


class AnnualReviewAction(models.Model):
    """An action the yearly review agreed, with its owner and due date."""

    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField("action", max_length=300)
    owner = models.CharField("owner", max_length=200, help_text="A role or a name: no pupils' names.")
    due_on = models.DateField("due by")
    done_on = models.DateField("done", null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(path="review__school")

    class Meta:
        verbose_name = "review action"
        ordering = ["due_on", "pk"]

    def __str__(self):
        return self.text
