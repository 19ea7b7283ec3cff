"""The log of changes made to the filter itself, and the head teacher's agreement to each."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.roles import Capability
from filtering import selectors
from filtering.forms.changes import ChangeFilterForm, FilterChangeForm
from filtering.services import changes as services
from filtering.services.changes import AlreadyDone

C = Capability
READERS = (C.REVIEW_FILTERING, C.RUN_WEB_FILTER)


@capability_required(*READERS)
def change_list(request):
    access = request.access
    form = ChangeFilterForm(request.GET or None)
    changes = selectors.changes_for(access)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            changes = changes.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["waiting"]:
            changes = changes.filter(agreed_at=None)
    return render(
        request,
        "filtering/change_list.html",
        {
            "page": page_of(request, changes.order_by("-made_at", "-logged_at")),
            "filter_form": form,
            "query": query_without_page(request),
            "may_log": access.can(C.RUN_WEB_FILTER),
            "waiting": selectors.changes_to_agree(access).count() if access.can(C.SIGN_OFF_FILTER_EXCEPTION) else 0,
        },
        status=400 if form.errors else 200,
    )


@capability_required(C.RUN_WEB_FILTER)
def change_new(request):
    access = request.access
    groups = selectors.groups_for(access.school).filter(is_active=True)
    if request.method == "POST":
        form = FilterChangeForm(request.POST, groups=groups)
        if form.is_valid():
            try:
                change = services.filter_change_log(school=access.school, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "The change has been logged, and the head teacher asked to agree it.")
                return redirect("filtering:change_detail", change_id=change.pk)
        return render(request, "filtering/change_new.html", {"form": form}, status=400)
    form = FilterChangeForm(groups=groups, initial={"made_at": timezone.localtime().replace(second=0, microsecond=0)})
    return render(request, "filtering/change_new.html", {"form": form})


@capability_required(*READERS)
def change_detail(request, change_id):
    access = request.access
    change = selectors.get_change_or_404(access, change_id)
    report = None
    if change.site_report_id:
        report = selectors.site_reports_for(access).filter(pk=change.site_report_id).first()
    signs_off = access.can(C.SIGN_OFF_FILTER_EXCEPTION)
    return render(
        request,
        "filtering/change_detail.html",
        {
            "change": change,
            "report": report,
            "may_agree": signs_off and change.agreed_at is None and change.made_by_id != request.user.pk,
            "made_it_myself": signs_off and change.agreed_at is None and change.made_by_id == request.user.pk,
            # The report is named in the history only to those who may open it.
            "history": history_for(change, hidden_fields=() if report else ("site_report",)),
        },
    )


@require_POST
@capability_required(C.SIGN_OFF_FILTER_EXCEPTION)
def change_agree(request, change_id):
    change = selectors.get_change_or_404(request.access, change_id)
    try:
        services.filter_change_agree(change=change, actor=request.user)
    except AlreadyDone as error:
        messages.warning(request, " ".join(error.messages))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "You have agreed the change.")
    return redirect("filtering:change_detail", change_id=change.pk)
