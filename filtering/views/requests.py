"""Requests to open sites: asking, the head teacher's and IT's decisions, applying, ending, the queues and the register."""

import csv
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.audit import access_log_write, filters_summary
from esafety.csv_export import csv_response, csv_safe, export_filters, export_refused
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from filtering import selectors
from filtering.filters import RequestFilter
from filtering.forms.requests import EndForm, HeadDecisionForm, ITDecisionForm, RequestForm
from filtering.models import FilterExceptionRequest
from filtering.services import requests as services
from filtering.services.requests import RequestChanged, notice_given

C = Capability
Status = FilterExceptionRequest.Status


def _filtered(request) -> RequestFilter:
    access = request.access
    return RequestFilter(
        request.GET,
        queryset=selectors.requests_for(access),
        school=access.school,
        whole_register=access.can(C.DECIDE_FILTER_EXCEPTION),
    )


@capability_required(C.REQUEST_FILTER_EXCEPTION)
def request_list(request):
    """The register for those who decide; a member of staff's own requests for everyone else."""
    filtered = _filtered(request)
    requests = filtered.qs.select_related("requested_by", "category").prefetch_related("sites", "groups")
    return render(
        request,
        "filtering/request_list.html",
        {
            "filter": filtered,
            "page": page_of(request, requests),
            "query": query_without_page(request),
            "whole_register": request.access.can(C.DECIDE_FILTER_EXCEPTION),
        },
    )


CSV_HEADER = [
    "Reference",
    "Sites",
    "Kind of site",
    "Filter groups",
    "Lesson or purpose",
    "Open from",
    "Open until",
    "Status",
    "Asked by",
    "Asked on",
    "Asked late",
    "Head teacher's decision",
    "IT's decision",
    "Applied on the filter",
    "Removal confirmed",
]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _csv_row(item: FilterExceptionRequest) -> list[str]:
    return csv_safe(
        [
            item.reference,
            " ".join(str(site) for site in item.sites.all()),
            item.category.name if item.category else "",
            "; ".join(group.name for group in item.groups.all()),
            item.purpose,
            item.starts_on.strftime("%d/%m/%Y"),
            item.ends_on.strftime("%d/%m/%Y"),
            item.status_words,
            item.requested_by,
            _when(item.created_at),
            "yes" if item.is_late else "no",
            _when(item.head_decided_at),
            _when(item.it_decided_at),
            _when(item.applied_at),
            _when(item.removed_at),
        ]
    )


@capability_required(C.DECIDE_FILTER_EXCEPTION)
def request_export(request):
    """The filtered register as CSV, e.g. the sites opened this term for the local cluster. Names staff: logged."""
    filtered = _filtered(request)
    if not filtered.is_valid():
        return export_refused(filtered.form)
    response = csv_response(f"filter-exceptions-{timezone.localdate():%Y-%m-%d}.csv")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    rows = filtered.qs.select_related("requested_by", "category").prefetch_related("sites", "groups")
    count = 0
    for item in rows.iterator(chunk_size=500):
        writer.writerow(_csv_row(item))
        count += 1
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        summary=f"Exported {count} filter exception request{'s' if count != 1 else ''} as CSV "
        f"({filters_summary(export_filters(filtered))})",
    )
    return response


def _renewal_of(request):
    """The request a "more time" link starts from, if the user may see it."""
    renew_id = request.GET.get("renew") or request.POST.get("renew")
    if not renew_id:
        return None
    return selectors.get_request_or_404(request.access, renew_id)


def _initial_from(previous: FilterExceptionRequest) -> dict:
    return {
        "sites": "\n".join(str(site) for site in previous.sites.all()),
        "category": previous.category_id,
        "purpose": previous.purpose,
        "groups": [group.pk for group in previous.groups.all()],
        "form_groups": list(previous.forms.values_list("pk", flat=True)),
        "starts_on": max(previous.ends_on + timedelta(days=1), timezone.localdate()),
    }


@capability_required(C.REQUEST_FILTER_EXCEPTION)
def request_new(request):
    school = request.access.school
    renews = _renewal_of(request)
    settings = selectors.settings_for(school)
    if request.method == "POST":
        form = RequestForm(request.POST, school=school)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.request_submit(
                    school=school,
                    actor=request.user,
                    purpose=data["purpose"],
                    category=data["category"],
                    sites=data["site_list"],
                    groups=list(data["groups"]),
                    forms=list(data["form_groups"]),
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    renews=renews,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if made.is_late:
                    messages.warning(
                        request,
                        f"{made.reference} is with the head teacher. It gives less than the {settings.notice_school_days} "
                        "school days' notice the school asks for, so it is marked late: the head teacher will say "
                        "whether it can be accepted.",
                    )
                else:
                    messages.success(request, f"{made.reference} is with the head teacher for sign-off.")
                return redirect("filtering:request_detail", request_id=made.pk)
        status = 400
    else:
        form = RequestForm(initial=_initial_from(renews) if renews else None, school=school)
        status = 200
    return render(
        request,
        "filtering/request_form.html",
        {"form": form, "renews": renews, "settings": settings},
        status=status,
    )


def _detail_context(request, item: FilterExceptionRequest, **forms) -> dict:
    access, user = request.access, request.user
    own = item.requested_by_id == user.pk
    today = timezone.localdate()
    may = {
        "head": access.can(C.SIGN_OFF_FILTER_EXCEPTION) and item.status == Status.SUBMITTED and not own,
        "it": access.can(C.RUN_WEB_FILTER) and item.status == Status.HEAD_APPROVED and not own,
        "apply": access.can(C.RUN_WEB_FILTER) and item.status == Status.IT_APPROVED and item.ends_on >= today,
        "withdraw": own and item.status in (Status.SUBMITTED, Status.HEAD_APPROVED, Status.IT_APPROVED),
        "revoke": (access.can(C.SIGN_OFF_FILTER_EXCEPTION) or access.can(C.RUN_WEB_FILTER))
        and item.status in (Status.IT_APPROVED, Status.ACTIVE)
        and item.ends_on >= today,
        "remove": access.can(C.RUN_WEB_FILTER)
        and item.removed_at is None
        and (
            (item.status in (Status.ACTIVE, Status.EXPIRED) and item.ends_on < today)
            or (item.status == Status.REVOKED and item.applied_at is not None)
        ),
        "renew": own and item.status == Status.ACTIVE and item.ends_on >= today,
    }
    context = {
        "item": item,
        "sites": list(item.sites.all()),
        "groups": list(item.groups.all()),
        "forms_of_request": list(item.forms.select_related("year_group")),
        "may": may,
        "own": own,
        "notice": notice_given(item.school, asked_on=timezone.localdate(item.created_at), starts_on=item.starts_on),
        "history": history_for(item),
        "head_form": forms.get("head_form") or HeadDecisionForm(late=item.is_late),
        "it_form": forms.get("it_form") or ITDecisionForm(),
        "revoke_form": forms.get("revoke_form") or EndForm(),
        "withdraw_form": forms.get("withdraw_form") or EndForm(required=False),
    }
    return context


@capability_required(C.REQUEST_FILTER_EXCEPTION)
def request_detail(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    return render(request, "filtering/request_detail.html", _detail_context(request, item))


def _show(request, item, *, status=400, **forms):
    return render(request, "filtering/request_detail.html", _detail_context(request, item, **forms), status=status)


def _step(request, item, form_name, form, action, done: str):
    """Run one step of the chain from a valid form; someone else's step first is a message, not an error page."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except RequestChanged as error:
            messages.error(request, " ".join(error.messages))
            return redirect("filtering:request_detail", request_id=item.pk)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                # Not about what was typed (e.g. one's own request): said above the page, which shows no form for it.
                messages.error(request, " ".join(error.messages))
                return redirect("filtering:request_detail", request_id=item.pk)
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return redirect("filtering:request_detail", request_id=item.pk)
    return _show(request, item, **{form_name: form})


@require_POST
@capability_required(C.SIGN_OFF_FILTER_EXCEPTION)
def request_head_decide(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    form = HeadDecisionForm(request.POST, late=item.is_late)
    approve = request.POST.get("decision") == "approve"
    return _step(
        request,
        item,
        "head_form",
        form,
        lambda data: services.request_head_decide(
            request=item,
            actor=request.user,
            approve=data["decision"] == "approve",
            note=data["note"],
            late_reason=data.get("late_reason", ""),
        ),
        f"{item.reference} is signed off and with IT." if approve else f"{item.reference} is declined.",
    )


@require_POST
@capability_required(C.RUN_WEB_FILTER)
def request_it_decide(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    approve = request.POST.get("decision") == "approve"
    return _step(
        request,
        item,
        "it_form",
        ITDecisionForm(request.POST),
        lambda data: services.request_it_decide(
            request=item, actor=request.user, approve=data["decision"] == "approve", note=data["note"]
        ),
        f"{item.reference} is approved: apply it on the filter, then mark it applied."
        if approve
        else f"{item.reference} is declined.",
    )


def _simple_step(request, item, action, done: str):
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("filtering:request_detail", request_id=item.pk)


@require_POST
@capability_required(C.RUN_WEB_FILTER)
def request_apply(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    return _simple_step(
        request,
        item,
        lambda: services.request_apply(request=item, actor=request.user),
        f"{item.reference} is marked as applied: it is in the allowlist feed from {item.starts_on:%-d %b %Y} "
        f"to {item.ends_on:%-d %b %Y}.",
    )


@require_POST
@capability_required(C.REQUEST_FILTER_EXCEPTION)
def request_withdraw(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    return _step(
        request,
        item,
        "withdraw_form",
        EndForm(request.POST, required=False),
        lambda data: services.request_withdraw(request=item, actor=request.user, reason=data["reason"]),
        f"{item.reference} is withdrawn.",
    )


@require_POST
@capability_required(C.SIGN_OFF_FILTER_EXCEPTION, C.RUN_WEB_FILTER)
def request_revoke(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    return _step(
        request,
        item,
        "revoke_form",
        EndForm(request.POST),
        lambda data: services.request_revoke(request=item, actor=request.user, reason=data["reason"]),
        f"{item.reference} is revoked: it has left the allowlist feed.",
    )


@require_POST
@capability_required(C.RUN_WEB_FILTER)
def request_confirm_removal(request, request_id):
    item = selectors.get_request_or_404(request.access, request_id)
    return _simple_step(
        request,
        item,
        lambda: services.request_confirm_removal(request=item, actor=request.user),
        f"Removal of {item.reference} from the filter is confirmed.",
    )


def _queue(request, requests, *, title: str, intro: str):
    return render(
        request,
        "filtering/queue.html",
        {"page": page_of(request, requests), "query": query_without_page(request), "title": title, "intro": intro},
    )


@capability_required(C.SIGN_OFF_FILTER_EXCEPTION)
def head_queue(request):
    return _queue(
        request,
        selectors.head_queue(request.access),
        title="Waiting for your sign-off",
        intro="Requests to open sites that wait on the head teacher, soonest lesson first. Late ones are marked.",
    )


@capability_required(C.RUN_WEB_FILTER)
def it_queue(request):
    return _queue(
        request,
        selectors.it_queue(request.access),
        title="Waiting for IT",
        intro="Requests signed off by the head teacher for your decision, approved ones to apply on the filter, "
        "and ended or revoked ones to remove from it, soonest lesson first.",
    )
