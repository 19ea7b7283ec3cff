"""Consents pages: access → form → service → message → redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from consents import printing, services
from consents.filters import ChasingFilter, ConsentTypeFilter, RoundFilter
from consents.forms import (
    AnswerRecordForm,
    ConsentSettingsForm,
    ConsentTypeForm,
    GridForm,
    PhotoCheckForm,
    RoundForm,
    SlipBatchForm,
    SlipCodeForm,
    SlipReturnForm,
    StaffAgreementForm,
    WithdrawForm,
)
from consents.middleware import staff_agreement_checked
from consents.models import ConsentAnswer, ConsentRound, ConsentSettings, ConsentType, SlipBatch
from consents.selectors import (
    SlipRefused,
    answers_for,
    applicable_year_groups,
    applies_to,
    batches_for,
    consent_settings_for,
    consent_types_for,
    coverage_for,
    get_answer_or_404,
    get_batch_or_404,
    get_consent_type_or_404,
    get_round_or_404,
    get_slip_to_record_or_404,
    photo_consent_for,
    pupils_with_answers_missing,
    round_form_summaries,
    round_types,
    rounds_for,
    slip_for_code,
    staff_agreement_due,
    staff_agreement_status,
    staff_agreement_type,
)
from esafety.access import capability_required, school_required
from esafety.audit import access_log_write
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry, PupilContact, StaffMember
from esafety.pdf import pdf_response
from esafety.progress import Progress, progress_response
from esafety.roles import Capability
from esafety.selectors import get_form_or_404, get_pupil_or_404, pupils_for

IMAGE_USES = ConsentType.Kind.image_uses()


def _render_list(request, template: str, filterset):
    """A searchable, filterable, sortable list, a page at a time."""
    return render(
        request, template, {"filter": filterset, "page": page_of(request, filterset.qs), "query": query_without_page(request)}
    )


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _log_pdf(request, summary: str, obj=None) -> None:
    access_log_write(request, kind=AccessLogEntry.Kind.EXPORT, summary=summary, obj=obj)


# --- Consent types and settings ------------------------------------------------------------


@capability_required(Capability.SET_UP_CONSENT)
def consent_type_list(request):
    return _render_list(
        request, "consents/type_list.html", ConsentTypeFilter(request.GET, queryset=consent_types_for(request.access))
    )


@capability_required(Capability.SET_UP_CONSENT)
def consent_type_create(request):
    form = ConsentTypeForm(request.POST or None, school=request.access.school)
    if request.method == "POST" and form.is_valid():
        try:
            consent_type = services.consent_type_create(school=request.access.school, actor=request.user, **form.service_fields())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"“{consent_type}” has been added.")
            return redirect("consents:consent_type_detail", type_id=consent_type.pk)
    return render(request, "consents/type_form.html", {"form": form}, status=400 if form.is_bound else 200)


@capability_required(Capability.SET_UP_CONSENT)
def consent_type_detail(request, type_id):
    consent_type = get_consent_type_or_404(request.access, type_id)
    wordings = consent_type.wordings.select_related("created_by")
    return render(
        request,
        "consents/type_detail.html",
        {"consent_type": consent_type, "wordings": wordings, "history": history_for(consent_type)},
    )


@capability_required(Capability.SET_UP_CONSENT)
def consent_type_edit(request, type_id):
    consent_type = get_consent_type_or_404(request.access, type_id)
    form = ConsentTypeForm(request.POST or None, instance=consent_type, school=request.access.school)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            new_version = services.consent_type_update(consent_type=consent_type, actor=request.user, **fields)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if new_version:
                messages.success(request, f"Saved. The wording is now version {consent_type.current_wording.version}.")
            else:
                messages.success(request, "Saved. The wording has not changed.")
            return redirect("consents:consent_type_detail", type_id=consent_type.pk)
    return render(
        request, "consents/type_form.html", {"form": form, "consent_type": consent_type}, status=400 if form.is_bound else 200
    )


@capability_required(Capability.SET_UP_CONSENT)
def consent_settings(request):
    current = consent_settings_for(request.access.school)
    form = ConsentSettingsForm(
        request.POST or None,
        instance=ConsentSettings(
            **{
                "school": request.access.school,
                "renewal_day": current.renewal_day,
                "renewal_month": current.renewal_month,
                "leaver_retention_years": current.leaver_retention_years,
            }
        ),
    )
    if request.method == "POST" and form.is_valid():
        services.consent_settings_update(school=request.access.school, actor=request.user, **form.cleaned_data)
        messages.success(request, "The consent settings have been saved.")
        return redirect("consents:consent_settings")
    history = history_for(current) if current.pk else []
    return render(request, "consents/settings.html", {"form": form, "history": history}, status=400 if form.is_bound else 200)


# --- Rounds ---------------------------------------------------------------------------------


@capability_required(Capability.RECORD_CONSENT)
def round_list(request):
    return _render_list(request, "consents/round_list.html", RoundFilter(request.GET, queryset=rounds_for(request.access)))


@capability_required(Capability.RECORD_CONSENT)
def round_create(request):
    form = RoundForm(request.POST or None, school=request.access.school)
    if request.method == "POST" and form.is_valid():
        try:
            consent_round = services.round_create(school=request.access.school, actor=request.user, **form.service_fields())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"The round “{consent_round}” has been drafted. Check it, then open it to print slips.")
            return redirect("consents:round_detail", round_id=consent_round.pk)
    return render(request, "consents/round_form.html", {"form": form}, status=400 if form.is_bound else 200)


@capability_required(Capability.RECORD_CONSENT)
def round_edit(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    if consent_round.status != ConsentRound.Status.DRAFT:
        messages.warning(request, "Only a draft round can be changed: this one has been opened.")
        return redirect("consents:round_detail", round_id=consent_round.pk)
    form = RoundForm(request.POST or None, instance=consent_round, school=request.access.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_update(consent_round=consent_round, actor=request.user, **form.service_fields())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "The round has been saved.")
            return redirect("consents:round_detail", round_id=consent_round.pk)
    return render(
        request, "consents/round_form.html", {"form": form, "round": consent_round}, status=400 if form.is_bound else 200
    )


@capability_required(Capability.RECORD_CONSENT)
def round_detail(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    types = round_types(consent_round)
    return render(
        request,
        "consents/round_detail.html",
        {
            "round": consent_round,
            "types": types,
            "summaries": round_form_summaries(consent_round, types),
            "batch_form": SlipBatchForm(),
            "batches": list(batches_for(request.access).filter(round=consent_round)[:5]),
            "history": history_for(consent_round),
        },
    )


@require_POST
@capability_required(Capability.RECORD_CONSENT)
def round_open(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    try:
        made = services.round_open(consent_round=consent_round, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The round is open: {made} slip{'s' if made != 1 else ''} ready to print.")
    return redirect("consents:round_detail", round_id=consent_round.pk)


@require_POST
@capability_required(Capability.RECORD_CONSENT)
def round_close(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    try:
        services.round_close(consent_round=consent_round, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The round is closed. Its slips can no longer be entered.")
    return redirect("consents:round_detail", round_id=consent_round.pk)


def _open_round_or_redirect(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    if consent_round.status != ConsentRound.Status.OPEN:
        messages.warning(request, "Open the round first: slips and reminders are printed from an open round.")
        return consent_round, redirect("consents:round_detail", round_id=consent_round.pk)
    return consent_round, None


@capability_required(Capability.RECORD_CONSENT)
def round_form_slips(request, round_id, form_id):
    consent_round, refused = _open_round_or_redirect(request, round_id)
    if refused:
        return refused
    form = get_form_or_404(request.access, form_id)
    only_missing = request.GET.get("only") != "all"
    per_page = 2 if request.GET.get("per_page") == "2" else 1
    pdf, count = services.form_slips_pdf(consent_round=consent_round, form=form, only_missing=only_missing, per_page=per_page)
    if not count:
        messages.info(
            request, f"Every pupil in {form.name} has answered everything this round asks: there are no slips to print."
        )
        return redirect("consents:round_detail", round_id=consent_round.pk)
    _log_pdf(request, f"Printed {count} consent slips for {form.name} ({consent_round})", consent_round)
    return pdf_response(pdf, f"consent-slips-{form.name}.pdf")


@capability_required(Capability.RECORD_CONSENT)
def round_form_reminders(request, round_id, form_id):
    consent_round, refused = _open_round_or_redirect(request, round_id)
    if refused:
        return refused
    form = get_form_or_404(request.access, form_id)
    pupils = pupils_with_answers_missing(consent_round).filter(form=form)
    pages = services.round_slip_pages(consent_round=consent_round, pupils=pupils, only_missing=True)
    pdf = printing.render_reminders(consent_round, pages, today=timezone.localdate())
    _log_pdf(request, f"Printed {len(pages)} consent reminder letters for {form.name} ({consent_round})", consent_round)
    return pdf_response(pdf, f"consent-reminders-{form.name}.pdf")


@capability_required(Capability.RECORD_CONSENT)
def round_chasing(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    types = round_types(consent_round)
    missing = pupils_with_answers_missing(consent_round, types).filter(missing_count__gt=0)
    chasing = ChasingFilter(request.GET, queryset=missing, school=request.access.school)
    # What each pupil misses is worked out once, over the whole round, for the ids in order (which also
    # gives the count); only the page's pupils are then read in full.
    page = page_of(request, list(chasing.qs.values_list("pk", flat=True)))
    pupils = missing.in_bulk(page.object_list)
    rows = [(pupils[pk], [t for t in types if getattr(pupils[pk], f"missing_{t.pk}")]) for pk in page if pk in pupils]
    return render(
        request,
        "consents/round_chasing.html",
        {"round": consent_round, "filter": chasing, "page": page, "rows": rows, "query": query_without_page(request)},
    )


@capability_required(Capability.RECORD_CONSENT)
def round_form_grid(request, round_id, form_id):
    """A form's returned slips entered at once, a row a pupil: saved all together, or none with the reasons."""
    consent_round, refused = _open_round_or_redirect(request, round_id)
    if refused:
        return refused
    form_group = get_form_or_404(request.access, form_id)
    types = round_types(consent_round)
    applicable = applicable_year_groups(types, consent_round.school)
    pupils = list(pupils_with_answers_missing(consent_round, types).filter(form=form_group).order_by("last_name", "first_name"))
    contacts = {}
    for link in PupilContact.objects.filter(pupil__in=pupils).select_related("contact").order_by("priority"):
        contacts.setdefault(link.pupil_id, []).append((link.contact, link.get_relationship_display()))
    form = GridForm(request.POST or None, rows=pupils, types=types, contacts=contacts, applicable=applicable)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.consent_grid_record(
                consent_round=consent_round,
                form_group=form_group,
                rows=form.answered_rows(),
                method=form.cleaned_data["method"],
                signed_on=form.cleaned_data["signed_on"],
                actor=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{form_group.name}: {recorded.summary}.")
            return redirect("consents:round_form_grid", round_id=consent_round.pk, form_id=form_group.pk)
    return render(
        request,
        "consents/round_grid.html",
        {"round": consent_round, "form_group": form_group, "types": types, "form": form, "grid": form.grid()},
        status=400 if form.is_bound else 200,
    )


# --- Whole-school slips ----------------------------------------------------------------------


@require_POST
@capability_required(Capability.RECORD_CONSENT)
def slip_batch_start(request, round_id):
    consent_round = get_round_or_404(request.access, round_id)
    form = SlipBatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose which pupils and how many slips a page.")
        return redirect("consents:round_detail", round_id=consent_round.pk)
    try:
        batch = services.slip_batch_start(consent_round=consent_round, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consents:round_detail", round_id=consent_round.pk)
    batch.refresh_from_db(fields=["status"])
    if batch.is_running:
        messages.info(request, "The slips are being built. You can leave this page: you will be notified when they are ready.")
    return redirect("consents:slip_batch_detail", batch_id=batch.pk)


@capability_required(Capability.RECORD_CONSENT)
def slip_batch_detail(request, batch_id):
    batch = get_batch_or_404(request.access, batch_id)
    return render(
        request,
        "consents/batch_detail.html",
        {"batch": batch, "progress": _batch_percent_done(batch), "history": history_for(batch)},
    )


@capability_required(Capability.RECORD_CONSENT)
def slip_batch_progress(request, batch_id):
    """The progress bar, polled by htmx while the slips are built."""
    batch = get_batch_or_404(request.access, batch_id)
    return progress_response(
        request, percent=_batch_percent_done(batch), label=batch.get_status_display(), running=batch.is_running
    )


def _batch_percent_done(batch: SlipBatch) -> int:
    return Progress.for_job(batch).percent(finished=batch.status == SlipBatch.Status.READY)


@capability_required(Capability.RECORD_CONSENT)
def slip_batch_download(request, batch_id):
    batch = get_batch_or_404(request.access, batch_id)
    if batch.status != SlipBatch.Status.READY or not batch.file:
        messages.warning(request, "These slips are not ready yet.")
        return redirect("consents:slip_batch_detail", batch_id=batch.pk)
    _log_pdf(request, f"Downloaded {batch.pupil_count} consent slips ({batch.round})", batch)
    response = FileResponse(
        batch.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"consent-slips-{batch.round}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Recording returns -----------------------------------------------------------------------------


@capability_required(Capability.RECORD_CONSENT)
def return_entry(request):
    """Type or scan a slip code; the slip's answers come up to tick."""
    code_form = SlipCodeForm(request.GET or None)
    context = {"code_form": code_form}
    status = 200
    if code_form.is_bound and code_form.is_valid():
        try:
            slip = slip_for_code(request.access, code_form.cleaned_data["code"])
        except SlipRefused as refusal:
            code_form.add_error("code", str(refusal))
            status = 400
        else:
            context.update(_slip_context(slip, SlipReturnForm(slip=slip, types=_slip_types(slip))))
    return render(request, "consents/return_entry.html", context, status=status)


def _slip_types(slip):
    types = round_types(slip.round)
    applicable = applicable_year_groups(types, slip.round.school)
    return [t for t in types if applies_to(applicable[t.pk], slip.pupil)]


def _slip_context(slip, form):
    current = {
        a.consent_type_id: a
        for a in ConsentAnswer.objects.current()
        .filter(pupil=slip.pupil, consent_type__in=form.types)
        .select_related("entered_by")
    }
    rows = [(t, form[f"answer_{t.pk}"], current.get(t.pk)) for t in form.types]
    return {"slip": slip, "form": form, "rows": rows, "already": any(a.slip_id == slip.pk for a in current.values())}


@require_POST
@capability_required(Capability.RECORD_CONSENT)
def slip_record(request, slip_id):
    try:
        slip = get_slip_to_record_or_404(request.access, slip_id)
    except SlipRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("consents:return_entry")
    form = SlipReturnForm(request.POST, slip=slip, types=_slip_types(slip))
    if form.is_valid():
        try:
            result = services.slip_record(
                slip=slip,
                answers=form.answers(),
                given_by=form.cleaned_data["given_by"],
                given_by_pupil=form.cleaned_data["given_by_pupil"],
                method=form.cleaned_data["method"],
                signed_on=form.cleaned_data["signed_on"],
                actor=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            name = f"{slip.pupil.full_name}{f' ({slip.pupil.form.name})' if slip.pupil.form else ''}"
            if result.created or result.changed:
                messages.success(request, f"Slip {slip.display_code} for {name}: {result.summary}.")
            else:
                messages.info(
                    request, f"Slip {slip.display_code} for {name} was already recorded with these answers: nothing changed."
                )
            return redirect("consents:return_entry")
    context = {"code_form": SlipCodeForm(initial={"code": slip.display_code}), **_slip_context(slip, form)}
    return render(request, "consents/return_entry.html", context, status=400)


# --- A pupil's answers, withdrawal -----------------------------------------------------------------


@capability_required(Capability.RECORD_CONSENT)
def pupil_consents(request, pupil_id):
    pupil = get_pupil_or_404(request.access, pupil_id)
    answers = answers_for(request.access).filter(pupil=pupil).order_by("consent_type__order", "-entered_at")
    form = AnswerRecordForm(request.POST or None, pupil=pupil)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.answer_record(
                pupil=pupil,
                consent_type=data["consent_type"],
                agreed=data["agreed"],
                given_by=data["given_by"],
                method=data["method"],
                signed_on=data["signed_on"],
                actor=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, f"“{data['consent_type']}” for {pupil.full_name}: {'yes' if data['agreed'] else 'no'} recorded."
            )
            return redirect("consents:pupil_consents", pupil_id=pupil.pk)
    return render(
        request,
        "consents/pupil_consents.html",
        {"pupil": pupil, "answers": answers, "form": form, "image_consent": photo_consent_for([pupil])[pupil.pk]},
        status=400 if form.is_bound else 200,
    )


@capability_required(Capability.RECORD_CONSENT)
def answer_detail(request, answer_id):
    answer = get_answer_or_404(request.access, answer_id)
    return render(request, "consents/answer_detail.html", _answer_context(answer, WithdrawForm(pupil=answer.pupil)))


def _may_withdraw(answer) -> bool:
    return answer.agreed and not answer.is_withdrawn and not answer.superseded_at and not answer.expired_at


def _answer_context(answer, form):
    return {"answer": answer, "withdraw_form": form if _may_withdraw(answer) else None, "history": history_for(answer)}


@require_POST
@capability_required(Capability.RECORD_CONSENT)
def answer_withdraw(request, answer_id):
    answer = get_answer_or_404(request.access, answer_id)
    if not _may_withdraw(answer):
        messages.error(request, "Only a yes that is still in force can be withdrawn.")
        return redirect("consents:answer_detail", answer_id=answer.pk)
    form = WithdrawForm(request.POST, pupil=answer.pupil)
    if form.is_valid():
        try:
            services.answer_withdraw(answer=answer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, f"Consent withdrawn: {answer.pupil.full_name} now counts as no for “{answer.consent_type}”."
            )
            return redirect("consents:answer_detail", answer_id=answer.pk)
    return render(request, "consents/answer_detail.html", _answer_context(answer, form), status=400)


# --- The photo and publication check -----------------------------------------------------------------


@capability_required(Capability.CHECK_CONSENT)
def photo_check(request):
    """Who may be photographed or published, for a form, a year group or named pupils. Printable on one page."""
    form = PhotoCheckForm(request.GET or None, school=request.access.school)
    pupils = pupils_for(request.access).current()
    chosen_ids = request.GET.getlist("pupils")
    rows = []
    if form.is_chosen or chosen_ids:
        data = form.cleaned_data if form.is_valid() else {}
        if data.get("form"):
            pupils = pupils.filter(form=data["form"])
        if data.get("year_group"):
            pupils = pupils.filter(year_group=data["year_group"])
        if data.get("q"):
            names = [part.strip() for part in data["q"].split(",") if part.strip()]
            matched = pupils.none()
            for name in names:
                matched = matched | pupils.search(name)
            pupils = matched
        if chosen_ids:
            try:
                pupils = pupils.filter(pk__in=chosen_ids)
            except ValidationError:
                raise Http404("No such pupils.") from None
        # Only what the table shows: a year group is hundreds of rows.
        pupils = (
            pupils.select_related(None)
            .only("first_name", "preferred_name", "last_name")
            .annotate(form_name=F("form__name"))
            .order_by("last_name", "first_name")
        )
        pupils = list(pupils[:500])
        consent = photo_consent_for(pupils)
        rows = _photo_check_rows(pupils, consent)
        services.photo_lookups_record(school=request.access.school, user=request.user, pupils=pupils)
    # Each column is named as the school names that consent (its consent type's title), as on the slips.
    titles = dict(ConsentType.objects.for_school(request.access.school).filter(kind__in=IMAGE_USES).values_list("kind", "title"))
    uses = [titles.get(use, ConsentType.Kind(use).label) for use in IMAGE_USES]
    return render(
        request,
        "consents/photo_check.html",
        {"form": form, "rows": rows, "uses": uses, "searched": form.is_chosen or bool(chosen_ids), "today": timezone.localdate()},
    )


def _photo_check_rows(pupils, consent: dict) -> list[dict]:
    """
    The photo check's table, a row a pupil, ready to print: a year group is hundreds of rows, so each
    different answer is rendered once, and rows are plain values the template reads without looking anything up.
    """
    rendered = {}
    rows = []
    for pupil in pupils:
        cells = []
        for use in IMAGE_USES:
            answer = consent[pupil.pk].uses[use]
            if answer not in rendered:
                rendered[answer] = render_to_string("consents/_answer.html", {"answer": answer})
            cells.append(rendered[answer])
        rows.append(
            {
                "pupil": pupil,
                "name": f"{pupil.last_name}, {pupil.preferred_name or pupil.first_name}",
                "form": pupil.form_name or "–",
                "none_allowed": consent[pupil.pk].none_allowed,
                "cells": cells,
            }
        )
    # Pupils with no image consent at all first: they are the ones to keep out of every photo.
    rows.sort(key=lambda row: (not row["none_allowed"], row["pupil"].last_name, row["pupil"].first_name))
    return rows


# --- Coverage and the staff agreement -----------------------------------------------------------------


@capability_required(Capability.VIEW_CONSENT_COVERAGE)
def coverage(request):
    return render(request, "consents/coverage.html", {"rows": coverage_for(request.access.school)})


@capability_required(Capability.VIEW_CONSENT_COVERAGE)
def staff_agreement_list(request):
    """Who has accepted the current staff agreement. Governors see the counts, not the names."""
    agreement = staff_agreement_type(request.access.school)
    rows = staff_agreement_status(request.access.school, agreement) if agreement else []
    show_names = request.access.can(Capability.VIEW_STAFF)
    accepted = sum(1 for r in rows if r.accepted_at)
    shown = rows
    if show_names and request.GET.get("show") in ("accepted", "not_accepted"):
        shown = [r for r in rows if bool(r.accepted_at) == (request.GET["show"] == "accepted")]
    return render(
        request,
        "consents/staff_agreement_list.html",
        {
            "agreement": agreement,
            "page": page_of(request, shown) if show_names else None,
            "query": query_without_page(request),
            "show_names": show_names,
            "accepted": accepted,
            "not_accepted": len(rows) - accepted,
        },
    )


@school_required
def staff_agreement_accept(request):
    """The staff agreement to read and accept; staff who have not accepted it are sent here when they log in."""
    school = request.access.school
    agreement = staff_agreement_due(request.user, school)
    next_url = request.GET.get("next") or request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("home")
    form = StaffAgreementForm(request.POST or None)
    if request.method == "POST" and agreement is not None and form.is_valid():
        member = StaffMember.objects.for_school(school).current().get(user=request.user)
        services.staff_agreement_accept(staff_member=member, consent_type=agreement, actor=request.user)
        staff_agreement_checked(request)
        messages.success(request, "Thank you: you have accepted the staff acceptable-use agreement.")
        return redirect(next_url)
    if agreement is None:
        staff_agreement_checked(request)
    return render(
        request,
        "consents/staff_agreement_accept.html",
        {"agreement": agreement, "form": form, "next": next_url},
        status=400 if form.is_bound and agreement is not None else 200,
    )
