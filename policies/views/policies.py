"""
The register of policies: the list and each policy with its versions (every member of staff reads those in force);
adding, changing and retiring a policy, drafting, approving and discarding versions, and who has acknowledged a
version (the e-safety lead and the head teacher); and the page of policies a member of staff has to read.
"""

import mimetypes
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.roles import Capability
from filtering.services.changes import AlreadyDone
from policies.forms.policies import ApproveForm, PolicyFilter, PolicyForm, RetireForm, VersionForm
from policies.middleware import policy_acknowledgements_checked
from policies.models import PolicyVersion
from policies.selectors import policies as selectors
from policies.services import policies as services

C = Capability
Status = PolicyVersion.Status


def _add_errors(form, error: ValidationError) -> None:
    """A service's errors beside the fields they are about, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, texts in error.message_dict.items():
        form.add_error(key if key in form.fields else None, texts)


def _next_url(request) -> str:
    """Where to go once every policy has been acknowledged: the page the user was on their way to, on this site."""
    wanted = request.GET.get("next") or request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("home")


# --- The register ----------------------------------------------------------------------------------------------


@capability_required(C.READ_POLICIES)
def policy_list(request):
    """The register for the lead and the head teacher, every policy with its status; the policies in force for the rest."""
    manages = selectors.manages(request.access)
    filtered = PolicyFilter(request.GET, queryset=selectors.policies_for(request.access), manages=manages)
    return render(
        request,
        "policies/policies/list.html",
        {
            "filter": filtered,
            "page": page_of(request, filtered.qs),
            "query": query_without_page(request),
            "manages": manages,
            "today": timezone.localdate(),
        },
        status=400 if filtered.form.errors else 200,
    )


@capability_required(C.MANAGE_POLICIES)
def policy_new(request):
    school = request.access.school
    if request.method == "POST":
        form = PolicyForm(request.POST, staff=selectors.owner_choices(school), with_review=False)
        if form.is_valid():
            data = form.cleaned_data
            try:
                policy = services.policy_create(
                    school=school,
                    actor=request.user,
                    title=data["title"],
                    kind=data["kind"],
                    owner=data["owner"],
                    staff_must_acknowledge=data["staff_must_acknowledge"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"{policy.title} is on the register. Add its first version.")
                return redirect("policies:version_new", policy_id=policy.pk)
        return render(request, "policies/policies/form.html", {"form": form}, status=400)
    form = PolicyForm(staff=selectors.owner_choices(school), with_review=False)
    return render(request, "policies/policies/form.html", {"form": form})


@capability_required(C.READ_POLICIES)
def policy_detail(request, policy_id):
    """A policy, its version in force (the text, or the file) and, for the lead and the head teacher, every version."""
    access = request.access
    policy = selectors.get_policy_or_404(access, policy_id)
    versions = selectors.versions_of(access, policy)
    current = next((v for v in versions if v.status == Status.APPROVED), None)
    manages = selectors.manages(access)
    context = {
        "policy": policy,
        "versions": versions,
        "current": current,
        "manages": manages,
        "today": timezone.localdate(),
        "history": history_for(policy),
        "retire_form": RetireForm() if manages and policy.retired_on is None else None,
    }
    if current is not None:
        if manages:
            context["counts"] = selectors.acknowledgement_counts(current)
        else:
            context["own"] = selectors.own_acknowledgement(access, current)
    return render(request, "policies/policies/detail.html", context)


@capability_required(C.MANAGE_POLICIES)
def policy_edit(request, policy_id):
    """Change a policy's title, kind, owner, whether staff acknowledge it, and the date of its next review."""
    policy = selectors.get_policy_or_404(request.access, policy_id)
    if policy.retired_on is not None:
        messages.warning(request, "This policy has been retired: a retired policy is not changed.")
        return redirect("policies:policy_detail", policy_id=policy.pk)
    choices = {
        "staff": selectors.owner_choices(request.access.school, policy.owner),
        "with_review": policy.current_version is not None,
    }
    if request.method == "POST":
        form = PolicyForm(request.POST, **choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = services.policy_update(
                    policy=policy,
                    actor=request.user,
                    title=data["title"],
                    kind=data["kind"],
                    owner=data["owner"],
                    staff_must_acknowledge=data["staff_must_acknowledge"],
                    next_review_on=data.get("next_review_on"),
                )
            except AlreadyDone as error:
                messages.warning(request, " ".join(error.messages))
                return redirect("policies:policy_detail", policy_id=policy.pk)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "The policy has been changed." if changed else "Nothing was changed.")
                return redirect("policies:policy_detail", policy_id=policy.pk)
        return render(request, "policies/policies/form.html", {"form": form, "policy": policy}, status=400)
    form = PolicyForm(
        initial={
            "title": policy.title,
            "kind": policy.kind,
            "owner": policy.owner_id,
            "staff_must_acknowledge": policy.staff_must_acknowledge,
            "next_review_on": policy.next_review_on,
        },
        **choices,
    )
    return render(request, "policies/policies/form.html", {"form": form, "policy": policy})


@require_POST
@capability_required(C.MANAGE_POLICIES)
def policy_retire(request, policy_id):
    policy = selectors.get_policy_or_404(request.access, policy_id)
    form = RetireForm(request.POST)
    if form.is_valid():
        try:
            services.policy_retire(policy=policy, actor=request.user, retired_on=form.cleaned_data["retired_on"])
        except AlreadyDone as error:
            messages.warning(request, " ".join(error.messages))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{policy.title} has been retired: staff no longer see it, and its reviews stop.")
    else:
        messages.error(request, " ".join(form.errors["retired_on"]))
    return redirect("policies:policy_detail", policy_id=policy.pk)


# --- Versions --------------------------------------------------------------------------------------------------


@capability_required(C.MANAGE_POLICIES)
def version_new(request, policy_id):
    """A new version, a draft until it is approved: upload the document, or write its text."""
    policy = selectors.get_policy_or_404(request.access, policy_id)
    if policy.retired_on is not None:
        messages.warning(request, "This policy has been retired: it has no new versions.")
        return redirect("policies:policy_detail", policy_id=policy.pk)
    if request.method == "POST":
        form = VersionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = services.policy_version_create(
                    policy=policy,
                    actor=request.user,
                    version=data["version"],
                    document=data["document"],
                    text=data["text"],
                    changes=data["changes"],
                )
            except AlreadyDone as error:
                messages.warning(request, " ".join(error.messages))
                return redirect("policies:policy_detail", policy_id=policy.pk)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Version {version.version} is saved as a draft. Record its approval once it is given.")
                return redirect("policies:version_detail", version_id=version.pk)
        return render(request, "policies/policies/version_form.html", {"form": form, "policy": policy}, status=400)
    return render(request, "policies/policies/version_form.html", {"form": VersionForm(), "policy": policy})


@capability_required(C.READ_POLICIES)
def version_detail(request, version_id):
    """One version: its text or file, what changed, its approval; for the lead and the head teacher, its history."""
    access = request.access
    version = selectors.get_version_or_404(access, version_id)
    manages = selectors.manages(access)
    context = {"version": version, "policy": version.policy, "manages": manages, "history": history_for(version)}
    if version.status == Status.APPROVED and not manages:
        context["own"] = selectors.own_acknowledgement(access, version)
    if manages and version.status != Status.DRAFT:
        context["counts"] = selectors.acknowledgement_counts(version)
    return render(request, "policies/policies/version_detail.html", context)


@capability_required(C.READ_POLICIES)
def version_document(request, version_id):
    """The version's file, for those who may read the version."""
    version = selectors.get_version_or_404(request.access, version_id)
    if not version.document:
        messages.info(request, "This version has no file: its text is on this page.")
        return redirect("policies:version_detail", version_id=version.pk)
    suffix = PurePath(version.document.name).suffix.lower()
    label = slugify(version.version.replace(".", "-")) or "draft"
    filename = f"{slugify(version.policy.title) or 'policy'}-version-{label}{suffix}"
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(version.document.open("rb"), content_type=content_type, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(C.MANAGE_POLICIES)
def version_approve(request, version_id):
    """Record a draft's approval: who, at which meeting, when, and when the next review is due."""
    version = selectors.get_version_or_404(request.access, version_id)
    # As the register reads it: with the version in force, which the approval supersedes.
    policy = selectors.get_policy_or_404(request.access, version.policy_id)
    if version.status != Status.DRAFT or policy.retired_on is not None:
        messages.warning(request, f"Version {version.version} is not a draft waiting for approval.")
        return redirect("policies:version_detail", version_id=version.pk)
    review_months = selectors.policy_settings_for(request.access.school).review_months
    if request.method == "POST":
        form = ApproveForm(request.POST, review_months=review_months)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = services.policy_version_approve(
                    version=version,
                    actor=request.user,
                    approved_by=data["approved_by"],
                    approved_at_meeting=data["approved_at_meeting"],
                    approved_on=data["approved_on"],
                    next_review_on=data["next_review_on"],
                )
            except AlreadyDone as error:
                messages.warning(request, " ".join(error.messages))
                return redirect("policies:version_detail", version_id=version.pk)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                policy.refresh_from_db()
                asked = (
                    " Staff will be asked to read and acknowledge it at their next login."
                    if policy.staff_must_acknowledge
                    else ""
                )
                messages.success(
                    request,
                    f"Version {version.version} is approved and in force; the next review is due on "
                    f"{policy.next_review_on:%d/%m/%Y}.{asked}",
                )
                return redirect("policies:policy_detail", policy_id=policy.pk)
    else:
        form = ApproveForm(review_months=review_months)
    return render(
        request,
        "policies/policies/approve.html",
        {"form": form, "version": version, "policy": policy},
        status=400 if form.errors else 200,
    )


@require_POST
@capability_required(C.MANAGE_POLICIES)
def version_discard(request, version_id):
    version = selectors.get_version_or_404(request.access, version_id)
    policy = version.policy
    try:
        services.policy_version_discard(version=version, actor=request.user)
    except AlreadyDone as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, f"The draft version {version.version} has been discarded.")
    return redirect("policies:policy_detail", policy_id=policy.pk)


@capability_required(C.MANAGE_POLICIES)
def version_acknowledgements(request, version_id):
    """Who of the staff in post has read and acknowledged the version, and who has not yet."""
    version = selectors.get_version_or_404(request.access, version_id)
    if version.status == Status.DRAFT:
        raise Http404("A draft is not acknowledged.")
    return render(
        request,
        "policies/policies/acknowledgements.html",
        {"version": version, "policy": version.policy, "status": selectors.acknowledgement_status(version)},
    )


# --- Reading and acknowledging -----------------------------------------------------------------------------------


@capability_required(C.READ_POLICIES)
def policies_to_read(request):
    """The policies a member of staff is asked to read and acknowledge; they are sent here when they log in."""
    due = list(selectors.acknowledgements_due(request.user, request.access.school))
    if not due:
        policy_acknowledgements_checked(request)
    return render(request, "policies/policies/to_read.html", {"due": due, "next": _next_url(request)})


@require_POST
@capability_required(C.READ_POLICIES)
def policy_acknowledge(request, version_id):
    """I have read it: one version acknowledged; on to the next one to read, or where the user was going."""
    access = request.access
    version = selectors.get_version_or_404(access, version_id)
    next_url = _next_url(request)
    to_read = f"{reverse('policies:policies_to_read')}?{urlencode({'next': next_url})}"
    member = selectors.staff_member_of(request.user, access.school).first()
    if member is None:
        messages.warning(request, "Only members of the school's staff acknowledge its policies: you are not on its staff list.")
        return redirect(to_read)
    try:
        services.policy_acknowledge(version=version, staff_member=member, actor=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
        return redirect(to_read)
    messages.success(request, f"Thank you: you have acknowledged {version.policy.title}, version {version.version}.")
    if selectors.acknowledgements_due(request.user, access.school).exists():
        return redirect(to_read)
    policy_acknowledgements_checked(request)
    return redirect(next_url)
