"""Reports of unsuitable sites: reporting, the decision, escalation to an incident, IT's blocking."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import Pupil, School, StaffMember, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.models import FilterChange, FilterSettings, SiteReport
from filtering.selectors import settings_for
from filtering.services.changes import AlreadyDone, filter_change_log, staff_with_roles, when_words
from incidents.models import Incident, IncidentCategory, IncidentPerson
from incidents.services import Involved, incident_log

Status = SiteReport.Status
Decision = SiteReport.Decision

# The category an ordinary report is escalated to, as incidents.defaults names it; a school may rename it.
INAPPROPRIATE_CONTENT = "Inappropriate or harmful content accessed"


def status_words(report: SiteReport) -> str:
    """The status inside a sentence: "to be blocked by IT"."""
    label = report.get_status_display()
    return label[:1].lower() + label[1:]


def _link(report: SiteReport) -> str:
    return reverse("filtering:report_detail", args=[report.pk])


def _lock(report: SiteReport) -> SiteReport:
    """The report read again under a row lock: of two people deciding at once, the second waits and sees the first's decision."""
    # Who decided is read after the lock, not joined to it: a join is of the rows as they were before the wait.
    return SiteReport.objects.select_for_update().get(pk=report.pk)


def decided_words(report: SiteReport) -> str:
    """What the second of two people deciding at once is told."""
    when = when_words(report.decided_at or report.reported_at)
    return f"Already decided by {report.decided_by or 'someone else'} at {when}: {report.get_status_display()}."


def _require_new(report: SiteReport) -> None:
    if report.status != Status.NEW:
        raise AlreadyDone(decided_words(report))


@transaction.atomic
def site_report_submit(
    *,
    school: School,
    actor: User,
    url: str,
    host: str,
    what_was_seen: str,
    where: str,
    seen_at: datetime,
    found_by: str = "",
    pupils: list[Pupil] = (),
    suspected_illegal: bool = False,
) -> SiteReport:
    """
    Report a site that should have been blocked: numbered, and the DSL and the e-safety lead told (the head teacher
    too, urgently, for suspected illegal material). No notification or e-mail carries the address.
    """
    if any(pupil.school_id != school.pk for pupil in pupils):
        raise ValidationError({"pupils": "Choose pupils of your school."})
    # The next number, taken under a row lock. An UPDATE rather than save(): the counter is not a change of the
    # school's settings, and a history entry for it would tell the settings page when each report was made.
    settings_pk = settings_for(school).pk
    FilterSettings.objects.filter(pk=settings_pk).update(last_report_number=F("last_report_number") + 1)
    number = FilterSettings.objects.select_for_update().values_list("last_report_number", flat=True).get(pk=settings_pk)
    report = SiteReport(
        school=school,
        number=number,
        reported_by=actor,
        url=url.strip(),
        host=host,
        what_was_seen=what_was_seen.strip(),
        where=where.strip(),
        seen_at=seen_at,
        found_by=found_by.strip(),
        suspected_illegal=suspected_illegal,
    )
    save_with_history(report, actor=actor, reason="Reported")
    if pupils:
        report.pupils.set(pupils)
    roles = [Role.DSL, Role.LEAD, Role.HEAD] if suspected_illegal else [Role.DSL, Role.LEAD]
    if suspected_illegal:
        title = f"Act now: {report.reference}, suspected illegal material reported"
        body = "Do not visit or share the address. Open the app for the report and the IWF and police route."
    else:
        title = f"Site report {report.reference}: a site was reported"
        body = "A site that should have been blocked was reported. Open the app to read it and decide."
    notify(
        recipients=staff_with_roles(school, roles).exclude(pk=actor.pk),
        school=school,
        title=title,
        body=body,
        link=_link(report),
        email=True,
    )
    return report


def _tell_reporter(report: SiteReport, actor: User, title: str) -> None:
    """The reporter hears the outcome: nothing of the note or the incident, which they may not see."""
    if report.reported_by_id != actor.pk:
        notify(recipients=[report.reported_by], school=report.school, title=title, link=_link(report))


@transaction.atomic
def site_report_decide(*, report: SiteReport, actor: User, decision: str, note: str = "") -> SiteReport:
    """Block it (IT is told) or no action; only a report waiting for a decision, and only once."""
    if decision not in (Decision.BLOCK, Decision.NO_ACTION):
        raise ValidationError({"decision": "Choose to block the site or to take no action."})
    if decision == Decision.NO_ACTION and not note.strip():
        raise ValidationError({"note": "Say why no action is needed."})
    report = _lock(report)
    _require_new(report)
    report.status = Status.TO_BLOCK if decision == Decision.BLOCK else Status.NO_ACTION
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.decision_note = note.strip()
    save_with_history(report, actor=actor, reason=f"Decided: {Decision(decision).label.lower()}")
    if decision == Decision.BLOCK:
        notify(
            recipients=staff_with_roles(report.school, [Role.IT]).exclude(pk=actor.pk),
            school=report.school,
            title=f"Site report {report.reference}: a site is to be blocked",
            body="Block it on the filter, then record it as blocked in the app.",
            link=_link(report),
        )
    _tell_reporter(report, actor, f"Your site report {report.reference} has been decided: {status_words(report)}")
    return report


@transaction.atomic
def site_report_record_referral(*, report: SiteReport, actor: User, reported_to: str) -> SiteReport:
    """Who a suspected-illegal report went to outside the school (the IWF, the police), and their reference."""
    if not report.suspected_illegal:
        raise ValidationError("Only a report of suspected illegal material goes to the IWF or the police.")
    if not reported_to.strip():
        raise ValidationError({"reported_to_iwf_police": "Say who it was reported to, and their reference."})
    report = _lock(report)
    report.reported_to_iwf_police = reported_to.strip()
    save_with_history(report, actor=actor, reason="Reported to the IWF or police")
    return report


def _incident_category(school: School, illegal: bool) -> IncidentCategory:
    """Suspected illegal material goes to the school's illegal-material category; anything else to inappropriate content."""
    categories = IncidentCategory.objects.for_school(school).active().order_by("order", "name")
    choices = []
    if illegal:
        choices.append(categories.filter(illegal_material=True))
    choices += [
        categories.filter(name=INAPPROPRIATE_CONTENT),
        categories.filter(name__icontains="inappropriate"),
        categories.filter(name="Other"),
        categories.filter(child_protection=False, about_staff=False),
    ]
    for candidates in choices:
        category = candidates.first()
        if category is not None:
            return category
    raise ValidationError("The school has no incident category to escalate this to: add one in the incidents set-up.")


def _description(report: SiteReport, actor: User, note: str) -> str:
    seen = timezone.localtime(report.seen_at)
    lines = [
        f"Escalated from site report {report.reference}, reported by {report.reported_by} on "
        f"{timezone.localtime(report.reported_at):%d/%m/%Y at %H:%M}.",
        "",
        f"What was seen: {report.what_was_seen}",
        f"Address of the site (do not visit it): {report.url}",
        f"Where: {report.where}",
        f"When: {seen:%d/%m/%Y at %H:%M}",
        f"Found by: {report.found_by or 'not recorded'}",
    ]
    if report.suspected_illegal:
        lines.append("Suspected illegal material.")
    if note.strip():
        lines += ["", f"Note from {actor}: {note.strip()}"]
    return "\n".join(lines)


def _people(report: SiteReport) -> list[Involved]:
    """The pupils who saw it; with none named, whoever reported it (their staff record), or someone not known."""
    pupils = list(report.pupils.all())
    if pupils:
        return [Involved(IncidentPerson.Part.AFFECTED, pupil=pupil) for pupil in pupils]
    staff = StaffMember.objects.for_school(report.school).filter(user=report.reported_by_id).first()
    if staff is not None:
        return [Involved(IncidentPerson.Part.REPORTER, staff=staff)]
    return [Involved(IncidentPerson.Part.AFFECTED, outsider="Not known")]


@transaction.atomic
def site_report_escalate(*, report: SiteReport, actor: User, note: str = "") -> SiteReport:
    """
    One click: an incident logged with the report's details and pupils (suspected illegal material as an
    immediate risk in the illegal-material category), linked to the report.
    """
    report = _lock(report)
    _require_new(report)
    school = report.school
    incident = incident_log(
        school=school,
        actor=actor,
        occurred_at=report.seen_at,
        location=Incident.Location.IN_SCHOOL,
        location_detail=report.where[:200],
        category=_incident_category(school, report.suspected_illegal),
        description=_description(report, actor, note),
        people=_people(report),
        immediate_action=f"Reported to the IWF or police: {report.reported_to_iwf_police}"
        if report.reported_to_iwf_police
        else "",
        severity=Incident.Severity.IMMEDIATE if report.suspected_illegal else Incident.Severity.MEDIUM,
        # The escalator's own half-typed incident has nothing to do with this one: it stays.
        from_draft=False,
    )
    report.status = Status.ESCALATED
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.decision_note = note.strip()
    report.incident = incident
    save_with_history(report, actor=actor, reason="Escalated to an incident")
    _tell_reporter(report, actor, f"Your site report {report.reference} has been escalated to an incident")
    return report


@transaction.atomic
def site_report_blocked(*, report: SiteReport, actor: User, change: dict | None = None) -> SiteReport:
    """
    IT records that a site decided "block it" is blocked; with `change` (reason, risk assessment, agreement and
    its emergency reason), the block is logged in the filter change log too, linked to the report.
    """
    report = _lock(report)
    if report.status == Status.BLOCKED:
        raise AlreadyDone(f"Already recorded as blocked by {report.blocked_by} at {when_words(report.blocked_at)}.")
    if report.status != Status.TO_BLOCK:
        raise ValidationError(f"Only a report decided “block it” is recorded as blocked; this one is: {status_words(report)}.")
    report.status = Status.BLOCKED
    report.blocked_by = actor
    report.blocked_at = timezone.now()
    save_with_history(report, actor=actor, reason="Blocked on the filter")
    if change is not None:
        filter_change_log(
            school=report.school,
            actor=actor,
            kind=FilterChange.Kind.SITE_BLOCKED,
            applies_to=(report.host or report.url)[:200],
            description=f"Blocked the site reported in {report.reference}.",
            made_at=report.blocked_at,
            site_report=report,
            **change,
        )
    _tell_reporter(report, actor, f"The site of your report {report.reference} has been blocked")
    return report
