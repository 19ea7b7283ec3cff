"""
The governors' annual e-safety report, for one school and for a trust.

A report is built in the background from every part of the product for one academic year, and stored: its
figures (already suppressed: no count below the school's threshold, no figure that would reveal one), its charts
(SVG) and its PDF. A school's report goes from draft to published; building again makes a new version, and
publishing one supersedes the one governors read before. Nothing in a report names a pupil or a member of staff.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from esafety.models import AcademicYear, School, SchoolScopedQuerySet, Trust
from esafety.scoping import SchoolScopedManager

User = settings.AUTH_USER_MODEL


class ReportSettings(models.Model):
    """A school's choices for its governors' report; one row per school (made with the school: reports.defaults)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="report_settings")
    threshold = models.PositiveSmallIntegerField(
        "show counts below this as \u201cfewer than\u201d",
        default=5,
        help_text="Any count from 1 to one less than this shows as \u201cfewer than\u201d it, so that no child can be "
        "identified; totals that would reveal such a count are hidden too.",
    )
    history = HistoricalRecords()

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        verbose_name = "report settings"
        verbose_name_plural = "report settings"
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=2, threshold__lte=20), name="report_threshold_range"),
        ]

    def __str__(self):
        return f"Report settings of {self.school}"


class ReportStatus(models.TextChoices):
    BUILDING = "building", "Being built"
    FAILED = "failed", "Could not be built"
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class BaseReport(models.Model):
    """What a school's report and a trust's report share."""

    Status = ReportStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    academic_year = models.ForeignKey(AcademicYear, verbose_name="academic year", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField("version", default=1)
    status = models.CharField("status", max_length=12, choices=ReportStatus.choices, default=ReportStatus.BUILDING)
    # The figures as built: sections of tables, every cell already suppressed, and the charts' SVG.
    data = models.JSONField("figures", default=dict, blank=True, editable=False)
    narrative = models.TextField(
        "the lead's summary", blank=True, help_text="A few paragraphs for governors: what the figures show, and what comes next."
    )
    threshold = models.PositiveSmallIntegerField("small-number threshold used", default=5, editable=False)
    pdf = models.FileField("PDF", upload_to="reports/", blank=True, editable=False)
    error = models.TextField("why it could not be built", blank=True, editable=False)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField("asked for at", auto_now_add=True)
    built_at = models.DateTimeField("built at", null=True, blank=True, editable=False)
    published_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    published_at = models.DateTimeField("published at", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_ready(self) -> bool:
        return self.status in (ReportStatus.DRAFT, ReportStatus.PUBLISHED, ReportStatus.SUPERSEDED)


class SchoolReport(BaseReport):
    """One version of a school's governors' report for one academic year."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="governors_reports")
    history = HistoricalRecords(excluded_fields=["data"])

    objects = SchoolScopedManager(SchoolScopedQuerySet)

    class Meta:
        ordering = ["-academic_year__start_year", "-version"]
        verbose_name = "governors' report"
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "version"], name="school_report_unique_version"),
            models.UniqueConstraint(
                fields=["school", "academic_year"], condition=Q(status="published"), name="school_report_one_published"
            ),
        ]

    def __str__(self):
        return f"Governors' report {self.academic_year} (version {self.version})"


class TrustReport(BaseReport):
    """One version of a trust's report for one academic year: every school side by side and the trust's total."""

    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="governors_reports")
    history = HistoricalRecords(excluded_fields=["data"])

    # Not one school's: read by trust (the Trust role's trusts), like trusts themselves.
    objects = models.Manager()

    class Meta:
        ordering = ["-academic_year__start_year", "-version"]
        verbose_name = "trust report"
        constraints = [
            models.UniqueConstraint(fields=["trust", "academic_year", "version"], name="trust_report_unique_version"),
            models.UniqueConstraint(
                fields=["trust", "academic_year"], condition=Q(status="published"), name="trust_report_one_published"
            ),
        ]

    def __str__(self):
        return f"Trust report {self.academic_year} (version {self.version})"
