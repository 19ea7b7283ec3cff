"""Reports of unsuitable sites: reporting, the decision, escalation to an incident, IT's blocking."""

import re

import idna
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.audit import access_log_write
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from esafety.selectors import pupils_for
from filtering import selectors
from filtering.forms.reports import BlockedForm, DecisionForm, EscalateForm, ReferralForm, ReportFilterForm, SiteReportForm
from filtering.models import SiteReport
from filtering.services import reports as services
from filtering.services.changes import AlreadyDone
from incidents.selectors import incidents_for

C = Capability
Status = SiteReport.Status
# "SR-00042", "sr-42" or "sr42": a search for a report by its reference.
REFERENCE = re.compile(r"^sr-?0*(\d{1,9})$", re.IGNORECASE)
# Those who see the reports of the whole school, not only their own.
SEE_ALL = (C.HANDLE_SITE_REPORTS, C.RUN_WEB_FILTER)


def _domain_words(text: str) -> str:
    """What was typed in the search, as the register stores a domain: lower case, punycode, no scheme or path."""
    text = text.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError:
        return text


def _first_in_queue(access):
    """The handlers' list starts with what waits for a decision, IT's with what waits to be blocked."""
    first = []
    if access.can(C.HANDLE_SITE_REPORTS):
        first.append(Status.NEW)
    if access.can(C.RUN_WEB_FILTER):
        first.append(Status.TO_BLOCK)
    return Case(
        *(When(status=s, then=Value(i)) for i, s in enumerate(first)), default=Value(len(first)), output_field=IntegerField()
    )


@capability_required(C.REPORT_UNSUITABLE_SITE, *SEE_ALL)
def report_list(request):
    access = request.access
    form = ReportFilterForm(request.GET or None)
    reports = selectors.site_reports_for(access)
    if form.is_valid():
        if form.cleaned_data["status"]:
            reports = reports.filter(status=form.cleaned_data["status"])
        q = form.cleaned_data["q"].strip()
        if q:
            reference = REFERENCE.match(q)
            reports = (
                reports.filter(number=int(reference.group(1))) if reference else reports.filter(host__icontains=_domain_words(q))
            )
    reports = reports.annotate(queue_rank=_first_in_queue(access)).order_by("queue_rank", "-reported_at", "-number")
    return render(
        request,
        "filtering/report_list.html",
        {
            "page": page_of(request, reports),
            "filter_form": form,
            "query": query_without_page(request),
            "sees_all": any(access.can(c) for c in SEE_ALL),
            "may_report": access.can(C.REPORT_UNSUITABLE_SITE),
        },
        status=400 if form.errors else 200,
    )


@capability_required(C.REPORT_UNSUITABLE_SITE)
def report_new(request):
    access = request.access
    pupils = pupils_for(access).current()
    if request.method == "POST":
        form = SiteReportForm(request.POST, pupils=pupils)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.site_report_submit(
                    school=access.school,
                    actor=request.user,
                    host=form.host,
                    url=data["url"],
                    what_was_seen=data["what_was_seen"],
                    where=data["where"],
                    seen_at=data["seen_at"],
                    found_by=data["found_by"],
                    pupils=list(data["pupils"]),
                    suspected_illegal=data["suspected_illegal"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if report.suspected_illegal:
                    messages.warning(
                        request,
                        f"Report {report.reference} has been sent to the DSL, the e-safety lead and the head teacher. "
                        "Now tell the DSL in person.",
                    )
                else:
                    messages.success(
                        request, f"Thank you: report {report.reference} has been sent to the DSL and the e-safety lead."
                    )
                return redirect("filtering:report_detail", report_id=report.pk)
        return render(request, "filtering/report_new.html", {"form": form}, status=400)
    form = SiteReportForm(pupils=pupils, initial={"seen_at": timezone.localtime().replace(second=0, microsecond=0)})
    return render(request, "filtering/report_new.html", {"form": form})


def _show(request, report: SiteReport, status: int = 200, **forms):
    """The report's page, wherever it is shown (also again with a form's errors, given in `forms`)."""
    access = request.access
    handling = access.can(C.HANDLE_SITE_REPORTS)
    sees_all = any(access.can(c) for c in SEE_ALL)
    pupils = list(report.pupils.all())
    incident = None
    if report.incident_id:
        incident = incidents_for(access, request.user).filter(pk=report.incident_id).first()
    # The decision's note, the referral and the incident are for those who handle reports, not for every reporter.
    hidden = [] if sees_all else ["decision_note", "reported_to_iwf_police"]
    if incident is None:
        hidden.append("incident")
    waiting = report.status == Status.NEW
    context = {
        "report": report,
        "pupils": pupils,
        "incident": incident,
        "handling": handling,
        "sees_all": sees_all,
        "is_reporter": report.reported_by_id == request.user.pk,
        "history": history_for(report, hidden_fields=hidden),
        "changes": list(selectors.changes_for(access).filter(site_report=report).order_by("-made_at")) if sees_all else [],
        "decision_form": DecisionForm() if handling and waiting else None,
        "escalate_form": EscalateForm() if handling and waiting and access.can(C.LOG_INCIDENT) else None,
        "referral_form": ReferralForm(initial={"reported_to_iwf_police": report.reported_to_iwf_police})
        if handling and report.suspected_illegal
        else None,
        "blocked_form": BlockedForm() if access.can(C.RUN_WEB_FILTER) and report.status == Status.TO_BLOCK else None,
    }
    context.update(forms)
    if pupils:
        # It names pupils: who read it is on the record.
        access_log_write(
            request,
            kind=AccessLogEntry.Kind.VIEW,
            summary=f"Viewed site report {report.reference}, which names pupils",
            obj=report,
        )
    return render(request, "filtering/report_detail.html", context, status=status)


@capability_required(C.REPORT_UNSUITABLE_SITE, *SEE_ALL)
def report_detail(request, report_id):
    return _show(request, selectors.get_site_report_or_404(request.access, report_id))


def _after(request, report):
    return redirect("filtering:report_detail", report_id=report.pk)


def _already(request, report, error: ValidationError):
    messages.warning(request, " ".join(error.messages))
    return _after(request, report)


@require_POST
@capability_required(C.HANDLE_SITE_REPORTS)
def report_decide(request, report_id):
    """The decision on a report: block it, or no action (escalation has its own address)."""
    report = selectors.get_site_report_or_404(request.access, report_id)
    form = DecisionForm(request.POST)
    if report.status != Status.NEW:
        # A form left open while someone else decided: whatever it says, they were first.
        return _already(request, report, AlreadyDone(services.decided_words(report)))
    if form.is_valid():
        try:
            report = services.site_report_decide(report=report, actor=request.user, **form.cleaned_data)
        except AlreadyDone as error:
            return _already(request, report, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{report.reference}: {services.status_words(report)}.")
            return _after(request, report)
    return _show(request, report, status=400, decision_form=form)


@require_POST
@capability_required(C.HANDLE_SITE_REPORTS)
def report_referral(request, report_id):
    """Where suspected illegal material was reported (the IWF, the police) and their reference."""
    report = selectors.get_site_report_or_404(request.access, report_id)
    if not report.suspected_illegal:
        messages.error(
            request, "Nothing was recorded: only a report of suspected illegal material goes to the IWF or the police."
        )
        return _after(request, report)
    form = ReferralForm(request.POST)
    if form.is_valid():
        try:
            services.site_report_record_referral(
                report=report, actor=request.user, reported_to=form.cleaned_data["reported_to_iwf_police"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{report.reference}: the referral has been recorded.")
            return _after(request, report)
    return _show(request, report, status=400, referral_form=form)


@require_POST
@capability_required(C.HANDLE_SITE_REPORTS)
def report_escalate(request, report_id):
    """One click: an incident with the report's details and pupils, and then the incident."""
    report = selectors.get_site_report_or_404(request.access, report_id)
    if not request.access.can(C.LOG_INCIDENT):
        raise PermissionDenied
    if report.status != Status.NEW:
        return _already(request, report, AlreadyDone(services.decided_words(report)))
    form = EscalateForm(request.POST)
    form.is_valid()
    try:
        report = services.site_report_escalate(report=report, actor=request.user, note=form.cleaned_data.get("note", ""))
    except AlreadyDone as error:
        return _already(request, report, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _after(request, report)
    incident = report.incident
    messages.success(request, f"{report.reference} has been escalated to incident {incident.reference}.")
    if incidents_for(request.access, request.user).filter(pk=incident.pk).exists():
        return redirect("incidents:incident_detail", incident_id=incident.pk)
    # A restricted incident its logger may not open: they get its receipt.
    return redirect("incidents:incident_logged", incident_id=incident.pk)


@require_POST
@capability_required(C.RUN_WEB_FILTER)
def report_blocked(request, report_id):
    """IT records the site as blocked, and logs the block in the change log if they say so."""
    report = selectors.get_site_report_or_404(request.access, report_id)
    form = BlockedForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        change = None
        if data["log_change"]:
            change = {key: data[key] for key in ("reason", "risk_assessment", "agreement", "emergency_reason")}
        try:
            report = services.site_report_blocked(report=report, actor=request.user, change=change)
        except AlreadyDone as error:
            return _already(request, report, error)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _after(request, report)
        messages.success(
            request, f"{report.reference} is recorded as blocked" + (", and the block is in the change log." if change else ".")
        )
        return _after(request, report)
    if report.status != Status.TO_BLOCK:
        messages.error(request, f"Nothing was recorded: {report.reference} is {services.status_words(report)}.")
        return _after(request, report)
    return _show(request, report, status=400, blocked_form=form)
