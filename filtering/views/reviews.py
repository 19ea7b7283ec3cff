"""The regular review of the logs, and the yearly filtering and monitoring review."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.calendar import academic_year_start
from esafety.history import history_for
from esafety.listing import page_of
from esafety.pdf import pdf_response, render_pdf
from esafety.roles import Capability
from esafety.terms.calendar import year_label
from filtering import selectors
from filtering.figures import (
    academic_year_words,
    figure_sections,
    figures_worked_out_at,
    one_year_on,
    period_logs,
    year_figures,
)
from filtering.forms.reviews import ActionFormSet, AnnualReviewForm, LogReviewForm
from filtering.models import AnnualReview, FilterGroup
from filtering.services import reviews as services

C = Capability

# --- Reviews of the logs ------------------------------------------------------------


def _due_context(school) -> dict:
    due = selectors.log_review_due(school)
    return {"due": due, "overdue_since": due.due_on + timedelta(days=1) if due.overdue else None}


def _links(access) -> dict:
    """Which of the logs' pages the reader may open: the register of requests is for those who decide on them."""
    return {
        "link_requests": access.can(C.DECIDE_FILTER_EXCEPTION),
        "link_reports": access.can(C.HANDLE_SITE_REPORTS) or access.can(C.RUN_WEB_FILTER),
        "link_changes": access.can(C.REVIEW_FILTERING) or access.can(C.RUN_WEB_FILTER),
    }


@capability_required(C.REVIEW_FILTERING)
def log_review_list(request):
    """When the next review of the logs is due, and the reviews signed off so far."""
    reviews = selectors.log_reviews_for(request.access).order_by("-signed_at", "-pk")
    return render(
        request,
        "filtering/log_review_list.html",
        {**_due_context(request.access.school), "page": page_of(request, reviews, size=20), "query": ""},
    )


@capability_required(C.REVIEW_FILTERING)
def log_review_new(request):
    """Everything in the logs since the last review, and the reviewer's findings to sign off."""
    school = request.access.school
    due = selectors.log_review_due(school)
    if request.method == "POST":
        form = LogReviewForm(request.POST)
        if form.is_valid():
            try:
                review = services.log_review_sign(school=school, actor=request.user, findings=form.cleaned_data["findings"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "The review of the filtering logs has been signed off.")
                return redirect("filtering:log_review_detail", review_id=review.pk)
    else:
        form = LogReviewForm()
    since = due.last.covers_to if due.last else None
    return render(
        request,
        "filtering/log_review_new.html",
        {
            "form": form,
            "due": due,
            "overdue_since": due.due_on + timedelta(days=1) if due.overdue else None,
            "logs": period_logs(school, since, timezone.now()),
            **_links(request.access),
        },
        status=400 if form.errors else 200,
    )


@capability_required(C.REVIEW_FILTERING)
def log_review_detail(request, review_id):
    review = get_object_or_404(selectors.log_reviews_for(request.access), pk=review_id)
    return render(
        request,
        "filtering/log_review_detail.html",
        {
            "review": review,
            "logs": period_logs(request.access.school, review.covers_from, review.covers_to),
            "history": history_for(review),
            **_links(request.access),
        },
    )


# --- The yearly review --------------------------------------------------------------


def _add_errors(form, error: ValidationError, formset=None) -> None:
    """A service's errors beside the fields they are about, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        if key.startswith("action:") and formset is not None:
            _, index, name = key.split(":")
            formset.forms[int(index)].add_error(name if name != "__all__" else None, messages_)
        elif key in form.fields:
            form.add_error(key, messages_)
        else:
            form.add_error(None, messages_)


def _profiles(school) -> dict:
    """The school's filter groups in use, pupils' and staff's, one a line, as the review starts them."""
    lines = {FilterGroup.Kind.PUPILS: [], FilterGroup.Kind.STAFF: []}
    for group in selectors.groups_for(school).filter(is_active=True, kind__in=list(lines)).order_by("order", "name"):
        lines[group.kind].append(f"{group.name} (on the filter: {group.appliance_name})")
    return {
        "pupil_profiles": "\n".join(lines[FilterGroup.Kind.PUPILS]),
        "staff_profiles": "\n".join(lines[FilterGroup.Kind.STAFF]),
    }


@capability_required(C.READ_FILTERING_REVIEW)
def annual_review_list(request):
    """The yearly reviews the reader may see: governors the signed ones; those who write them drafts too."""
    reviews = list(selectors.annual_reviews_for(request.access).select_related("signed_by").order_by("-start_year"))
    this_year = academic_year_start(timezone.localdate())
    may_write = request.access.can(C.REVIEW_FILTERING)
    return render(
        request,
        "filtering/annual_review_list.html",
        {
            "reviews": reviews,
            "may_write": may_write,
            "this_year": year_label(this_year),
            "may_start": may_write and not any(review.start_year == this_year for review in reviews),
        },
    )


@capability_required(C.REVIEW_FILTERING)
def annual_review_new(request):
    """This academic year's review, pre-filled: the profiles in place, the year's figures, the next review a year on."""
    school = request.access.school
    start_year = academic_year_start(timezone.localdate())
    existing = AnnualReview.objects.filter(school=school, start_year=start_year).first()
    if existing is not None:
        messages.info(request, f"The review of {year_label(start_year)} has already been started.")
        return redirect("filtering:annual_review_detail", review_id=existing.pk)
    if request.method == "POST":
        form = AnnualReviewForm(request.POST)
        if form.is_valid():
            try:
                review = services.annual_review_create(
                    school=school, actor=request.user, start_year=start_year, fields=form.service_fields()
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"The review of {year_label(start_year)} has been started as a draft.")
                return redirect("filtering:annual_review_detail", review_id=review.pk)
    else:
        form = AnnualReviewForm(initial={**_profiles(school), "next_review_on": one_year_on(timezone.localdate())})
    return render(
        request,
        "filtering/annual_review_new.html",
        {
            "form": form,
            "year": academic_year_words(start_year),
            "sections": figure_sections(year_figures(school, start_year)),
        },
        status=400 if form.errors else 200,
    )


def _review_context(request, review: AnnualReview, *, form=None, formset=None) -> dict:
    actions = list(review.actions.all())
    editing = review.status == AnnualReview.Status.DRAFT and request.access.can(C.REVIEW_FILTERING)
    context = {
        "review": review,
        "year": academic_year_words(review.start_year),
        "actions": actions,
        "sections": figure_sections(review.figures),
        "worked_out_at": figures_worked_out_at(review.figures),
        "editing": editing,
        "today": timezone.localdate(),
        # Governors read the review without names: not who signed it off, nor its history.
        "show_names": request.access.can(C.REVIEW_FILTERING),
        "history": history_for(review) if request.access.can(C.REVIEW_FILTERING) else [],
    }
    if editing:
        context.update(
            {
                "form": form or AnnualReviewForm(instance=review),
                "formset": formset or ActionFormSet(actions=actions),
                "missing": services.missing_to_sign(review),
            }
        )
    return context


@capability_required(C.READ_FILTERING_REVIEW)
def annual_review_detail(request, review_id):
    """The review: a draft to edit for those who write it, read-only once signed (governors see only those)."""
    review = selectors.get_annual_review_or_404(request.access, review_id)
    if request.method != "POST":
        return render(request, "filtering/annual_review_detail.html", _review_context(request, review))
    if not request.access.can(C.REVIEW_FILTERING):
        raise PermissionDenied
    if "refresh_figures" in request.POST:
        try:
            services.annual_review_refresh_figures(review=review, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The year's figures have been worked out again.")
        return redirect("filtering:annual_review_detail", review_id=review.pk)
    if review.status == AnnualReview.Status.SIGNED:
        messages.error(request, "This review has been signed off: it can no longer be changed.")
        return redirect("filtering:annual_review_detail", review_id=review.pk)
    actions = list(review.actions.all())
    form = AnnualReviewForm(request.POST, instance=review)
    formset = ActionFormSet(request.POST, actions=actions)
    if form.is_valid() and formset.is_valid():
        try:
            services.annual_review_save(review=review, actor=request.user, fields=form.service_fields(), actions=formset.rows())
        except ValidationError as error:
            _add_errors(form, error, formset)
        else:
            messages.success(request, "The review has been saved.")
            return redirect("filtering:annual_review_detail", review_id=review.pk)
    # The ModelForm put what was typed on the instance: show the review as it is saved.
    review.refresh_from_db()
    context = _review_context(request, review, form=form, formset=formset)
    return render(request, "filtering/annual_review_detail.html", context, status=400)


@require_POST
@capability_required(C.REVIEW_FILTERING)
def annual_review_sign(request, review_id):
    review = selectors.get_annual_review_or_404(request.access, review_id)
    try:
        services.annual_review_sign(review=review, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The review of {year_label(review.start_year)} has been signed off.")
    return redirect("filtering:annual_review_detail", review_id=review.pk)


@capability_required(C.READ_FILTERING_REVIEW)
def annual_review_pdf(request, review_id):
    """
    The review for the governors. It holds no personal data (no pupils; of the staff only who signed it off, and that
    only for those who review the filtering), so it is not written to the access log.
    """
    review = selectors.get_annual_review_or_404(request.access, review_id)
    pdf = render_pdf(
        "filtering/pdf/annual_review.html",
        {
            "school": request.access.school,
            "review": review,
            "year": academic_year_words(review.start_year),
            "title": str(review),
            "actions": list(review.actions.all()),
            "sections": figure_sections(review.figures),
            "worked_out_at": figures_worked_out_at(review.figures),
            "show_names": request.access.can(C.REVIEW_FILTERING),
        },
    )
    return pdf_response(pdf, f"filtering-review-{year_label(review.start_year).replace('/', '-')}.pdf")
