"""The register of internet accounts (IT keeps it, the head teacher reads it) and its yearly review of access rights."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from devices.forms.accounts import AccessReviewForm, AccountDetailsForm, AccountEndForm, AccountFilterForm, AccountGrantForm
from devices.models import InternetAccount
from devices.selectors import accounts as selectors
from devices.services import accounts as services
from esafety.access import capability_required
from esafety.audit import access_log_write, filters_summary
from esafety.csv_export import csv_response, csv_safe, export_refused
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from esafety.selectors import pupils_for, staff_for
from filtering.services.changes import AlreadyDone

C = Capability
Holder = InternetAccount.Holder


def _add_errors(form, error: ValidationError) -> None:
    """A service's errors beside the fields they are about, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, texts in error.message_dict.items():
        form.add_error(key if key in form.fields else None, texts)


# --- The register ---------------------------------------------------------------------------------------------


def _filtered(request, form: AccountFilterForm):
    """The register as the filters ask: whose accounts, in use or ended, and the words searched for."""
    today = timezone.localdate()
    accounts = selectors.accounts_for(request.access)
    status = form.status_chosen()
    if status == AccountFilterForm.IN_USE:
        accounts = accounts.current(today)
    elif status == AccountFilterForm.ENDED:
        accounts = accounts.filter(selectors.ended_by(today))
    if form.is_valid():
        if form.cleaned_data["holder"]:
            accounts = accounts.filter(holder=form.cleaned_data["holder"])
        if form.cleaned_data["q"].strip():
            accounts = selectors.search(accounts, form.cleaned_data["q"])
    return selectors.with_sort_name(accounts)


def _with_words(school, accounts: list[InternetAccount]) -> list[InternetAccount]:
    """Each account with its agreement and how it ended, in words: a fixed number of queries for the whole list."""
    today = timezone.localdate()
    agreements = selectors.agreements_for(school, accounts, today)
    for account in accounts:
        account.agreement = agreements[account.pk]
        account.end_words = selectors.end_words(account, today)
    return accounts


@capability_required(C.READ_ACCESS_REGISTER)
def account_list(request):
    """Who holds which accounts, in use or ended, with whether they accepted the acceptable-use agreement."""
    form = AccountFilterForm(request.GET or None)
    page = page_of(request, _filtered(request, form))
    page.object_list = _with_words(request.access.school, list(page.object_list))
    return render(
        request,
        "devices/accounts/account_list.html",
        {
            "page": page,
            "filter_form": form,
            "query": query_without_page(request),
            "keeps": request.access.can(C.KEEP_ACCESS_REGISTER),
            "due": selectors.access_review_due(request.access.school),
        },
        status=400 if form.errors else 200,
    )


CSV_HEADER = [
    "Holder",
    "Who",
    "Organisation",
    "Form",
    "Username",
    "Access to",
    "Granted on",
    "Granted by",
    "Acceptable-use agreement",
    "In use",
    "Ended",
]


@capability_required(C.READ_ACCESS_REGISTER)
def account_export(request):
    """The filtered register as CSV, e.g. for an audit. It names staff and pupils: every export is in the access log."""
    form = AccountFilterForm(request.GET or None)
    if form.errors:
        return export_refused(form)
    accounts = _with_words(request.access.school, list(_filtered(request, form)))
    today = timezone.localdate()
    response = csv_response(f"internet-accounts-{today:%Y-%m-%d}.csv")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for account in accounts:
        writer.writerow(
            csv_safe(
                [
                    account.holder_name,
                    account.get_holder_display(),
                    account.organisation,
                    account.pupil.form.name if account.pupil_id and account.pupil.form else "",
                    account.username,
                    account.access,
                    account.granted_on.strftime("%d/%m/%Y"),
                    account.granted_by,
                    "" if account.agreement.accepted is None else account.agreement.words,
                    "yes" if selectors.in_use_on(account, today) else "no",
                    account.end_words,
                ]
            )
        )
    query = QueryDict(mutable=True)
    for key in form.fields:
        query.setlist(key, request.GET.getlist(key))
    count = len(accounts)
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        summary=f"Exported {count} internet account{'s' if count != 1 else ''} as CSV ({filters_summary(query)})",
    )
    return response


@capability_required(C.KEEP_ACCESS_REGISTER)
def account_new(request):
    """Grant an account to a member of staff, a pupil on roll, a visitor or a community user."""
    access = request.access
    today = timezone.localdate()
    choices = {"staff": staff_for(access).current(today), "pupils": pupils_for(access).current(today)}
    if request.method == "POST":
        form = AccountGrantForm(request.POST, **choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = services.internet_account_grant(
                    school=access.school,
                    actor=request.user,
                    holder=data["holder"],
                    staff=data["staff"],
                    pupil=data["pupil"],
                    name=data["name"],
                    organisation=data["organisation"],
                    agreement_signed_on=data["agreement_signed_on"],
                    username=data["username"],
                    access=data["access"],
                    granted_on=data["granted_on"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"The account {account.username} of {account.holder_name} is on the register.")
                return redirect("devices:account_detail", account_id=account.pk)
        return render(request, "devices/accounts/account_form.html", {"form": form}, status=400)
    form = AccountGrantForm(initial={"granted_on": today}, **choices)
    return render(request, "devices/accounts/account_form.html", {"form": form})


def _show(request, account: InternetAccount, status: int = 200, end_form=None):
    today = timezone.localdate()
    keeps = request.access.can(C.KEEP_ACCESS_REGISTER)
    _with_words(request.access.school, [account])
    may_end = keeps and account.ended_on is None
    return render(
        request,
        "devices/accounts/account_detail.html",
        {
            "account": account,
            "in_use": selectors.in_use_on(account, today),
            "keeps": keeps,
            "may_edit": may_end,
            "end_form": (end_form or AccountEndForm()) if may_end else None,
            "history": history_for(account),
            "today": today,
        },
        status=status,
    )


@capability_required(C.READ_ACCESS_REGISTER)
def account_detail(request, account_id):
    return _show(request, selectors.get_account_or_404(request.access, account_id))


@capability_required(C.KEEP_ACCESS_REGISTER)
def account_edit(request, account_id):
    """Correct an account's username, access, dates, or a visitor's details."""
    account = selectors.get_account_or_404(request.access, account_id)
    if account.ended_on is not None:
        messages.warning(request, "This account has ended: an ended account is not changed.")
        return redirect("devices:account_detail", account_id=account.pk)
    if request.method == "POST":
        form = AccountDetailsForm(request.POST, holder=account.holder)
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = services.internet_account_update(
                    account=account,
                    actor=request.user,
                    username=data["username"],
                    access=data["access"],
                    granted_on=data["granted_on"],
                    name=data.get("name", ""),
                    organisation=data.get("organisation", ""),
                    agreement_signed_on=data.get("agreement_signed_on"),
                )
            except AlreadyDone as error:
                messages.warning(request, " ".join(error.messages))
                return redirect("devices:account_detail", account_id=account.pk)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "The account has been changed." if changed else "Nothing was changed.")
                return redirect("devices:account_detail", account_id=account.pk)
        return render(request, "devices/accounts/account_form.html", {"form": form, "account": account}, status=400)
    form = AccountDetailsForm(
        holder=account.holder,
        initial={
            key: getattr(account, key)
            for key in ("name", "organisation", "agreement_signed_on", "username", "access", "granted_on")
        },
    )
    return render(request, "devices/accounts/account_form.html", {"form": form, "account": account})


@require_POST
@capability_required(C.KEEP_ACCESS_REGISTER)
def account_end(request, account_id):
    """End an account, with the day and the reason."""
    account = selectors.get_account_or_404(request.access, account_id)
    form = AccountEndForm(request.POST)
    if form.is_valid():
        try:
            account = services.internet_account_end(
                account=account, actor=request.user, ended_on=form.cleaned_data["ended_on"], reason=form.cleaned_data["reason"]
            )
        except AlreadyDone as error:
            messages.warning(request, " ".join(error.messages))
            return redirect("devices:account_detail", account_id=account.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            when = "has ended" if account.ended_on <= timezone.localdate() else f"ends on {account.ended_on:%d/%m/%Y}"
            messages.success(request, f"The account {account.username} of {account.holder_name} {when}.")
            return redirect("devices:account_detail", account_id=account.pk)
    return _show(request, account, status=400, end_form=form)


# --- The yearly review ----------------------------------------------------------------------------------------


@capability_required(C.READ_ACCESS_REGISTER)
def access_review_list(request):
    """When the next review is due, and the reviews signed off so far."""
    school = request.access.school
    reviews = selectors.access_reviews_for(request.access).order_by("-signed_at", "-pk")
    return render(
        request,
        "devices/accounts/access_review_list.html",
        {
            "due": selectors.access_review_due(school),
            "page": page_of(request, reviews, size=20),
            "query": "",
            "keeps": request.access.can(C.KEEP_ACCESS_REGISTER),
        },
    )


@capability_required(C.KEEP_ACCESS_REGISTER)
def access_review_new(request):
    """What changed since the last review, and the accounts in use without an agreement; IT signs it off."""
    school = request.access.school
    due = selectors.access_review_due(school)
    if request.method == "POST":
        form = AccessReviewForm(request.POST)
        if form.is_valid():
            try:
                review = services.access_review_sign(
                    school=school,
                    actor=request.user,
                    findings=form.cleaned_data["findings"],
                    previous_id=form.cleaned_data["previous"],
                )
            except AlreadyDone as error:
                messages.warning(request, " ".join(error.messages))
                due = selectors.access_review_due(school)
                # The findings stay; the page now follows the review signed off meanwhile.
                form = AccessReviewForm(
                    initial={"findings": form.cleaned_data["findings"], "previous": due.last.pk if due.last else None}
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "The review of internet accounts and access rights has been signed off.")
                return redirect("devices:access_review_detail", review_id=review.pk)
    else:
        form = AccessReviewForm(initial={"previous": due.last.pk if due.last else None})
    since = due.last.signed_at if due.last else None
    return render(
        request,
        "devices/accounts/access_review_new.html",
        {"form": form, "due": due, "changes": selectors.review_changes(school, since, timezone.now(), with_agreements=True)},
        status=400 if form.errors else 200,
    )


@capability_required(C.READ_ACCESS_REGISTER)
def access_review_detail(request, review_id):
    """A signed review: its findings and figures, and what changed in the period it covered."""
    review = selectors.get_access_review_or_404(request.access, review_id)
    return render(
        request,
        "devices/accounts/access_review_detail.html",
        {
            "review": review,
            "changes": selectors.review_changes(request.access.school, review.since, review.signed_at, with_agreements=False),
            "history": history_for(review),
        },
    )
