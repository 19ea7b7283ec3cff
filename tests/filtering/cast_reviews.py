"""The filtering reviews records of each school's cast (tests/filtering/cast.py)."""

from datetime import timedelta

from django.utils import timezone

from esafety.calendar import academic_year_start
from filtering.models import AnnualReview, FilterChange, FilterExceptionRequest, LogReview, SiteReport


def extend(cast, letter):
    """
    The DSL reviewed the logs a month ago; last year's yearly review was signed off by the head teacher, so this
    year's is still to start.
    """
    signed = timezone.now() - timedelta(days=30)
    cast.log_review = LogReview.objects.create(
        school=cast.school,
        covers_from=None,
        covers_to=signed,
        findings=f"Every request had a lesson behind it ({letter.upper()}).",
        reviewed_by=cast.users["dsl"],
        signed_at=signed,
        was_due_on=timezone.localdate(signed),
    )
    cast.annual_review = AnnualReview.objects.create(
        school=cast.school,
        start_year=academic_year_start(timezone.localdate()) - 1,
        status=AnnualReview.Status.SIGNED,
        senior_leader="Deputy head (pastoral)",
        dsl="Designated safeguarding lead",
        it_lead="Network manager",
        governor="Safeguarding governor",
        checks="SWGfL test-filtering checks on every profile: all blocked as expected.",
        pupil_profiles="KS3 pupils (pupils-ks3)",
        staff_profiles="Staff (staff)",
        findings=f"Filtering works as intended ({letter.upper()}).",
        next_review_on=timezone.localdate() + timedelta(days=60),
        figures={},
        created_by=cast.users["head"],
        signed_by=cast.users["head"],
        signed_at=signed,
    )


# Records of school A with the moments a test needs, for the reviews' tests.


def make_request(cast, number, *, created, status=FilterExceptionRequest.Status.SUBMITTED, **moments):
    """A request of school A asked for at `created`, with the moments of its decisions in `moments`."""
    item = FilterExceptionRequest.objects.create(
        school=cast.a.school,
        number=number,
        requested_by=cast.a.users["teacher"],
        purpose=f"Lesson number {number}",
        starts_on=created.date() + timedelta(days=7),
        ends_on=created.date() + timedelta(days=8),
        status=status,
        **moments,
    )
    FilterExceptionRequest.objects.filter(pk=item.pk).update(created_at=created)
    return item


def make_change(cast, what, *, made, agreement=FilterChange.Agreement.BEFORE, agreed=None, kind=FilterChange.Kind.SITE_BLOCKED):
    """A change to school A's filter made and logged at `made`."""
    change = FilterChange.objects.create(
        school=cast.a.school,
        kind=kind,
        applies_to=what,
        description=f"Blocked {what}",
        reason="Reported by a teacher",
        risk_assessment="None: a block",
        made_at=made,
        made_by=cast.a.users["it"],
        agreement=agreement,
        emergency_reason="It could not wait" if agreement == FilterChange.Agreement.EMERGENCY else "",
        agreed_by=cast.a.users["head"] if agreed else None,
        agreed_at=agreed,
    )
    FilterChange.objects.filter(pk=change.pk).update(logged_at=made)
    return change


def make_report(cast, number, *, reported, status=SiteReport.Status.NEW, **extra):
    """A site reported to school A at `reported`."""
    fields = {
        "url": f"https://site-{number}.example.com/page",
        "host": f"site-{number}.example.com",
        "what_was_seen": "Adult content",
        "where": "Room 4",
        "seen_at": reported,
        "status": status,
        **extra,
    }
    report = SiteReport.objects.create(school=cast.a.school, number=number, reported_by=cast.a.users["teacher"], **fields)
    SiteReport.objects.filter(pk=report.pk).update(reported_at=reported)
    return report
