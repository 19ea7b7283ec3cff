"""
The daily phone register: today's forms, a form's morning register and its afternoon, the phones not collected,
and the pupils allowed to keep their phone.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from devices.forms.phones import (
    CollectFormSet,
    DayForm,
    ExceptionEndForm,
    ExceptionReviewForm,
    NotCollectedFilterForm,
    PhoneExceptionForm,
    RegisterFormSet,
    SeenForm,
)
from devices.models import PhoneException
from devices.selectors import phones as selectors
from devices.services import phones as services
from esafety.access import capability_required
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import FormGroup
from esafety.roles import Capability
from esafety.selectors import pupils_for, staff_for

C = Capability


def _add_errors(form, error: ValidationError) -> None:
    """A service's problems beside their fields, or above the form for a field the form does not show."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


# --- Today's forms -----------------------------------------------------------------------------------------------


@capability_required(C.RECORD_PHONES)
def phone_forms(request):
    """The forms on the register today, the user's own first, each with its morning and afternoon done or not."""
    access = request.access
    today = timezone.localdate()
    calendar = selectors.calendar_around(access.school, today)
    day_off = calendar.day_off_reason(today)
    days = selectors.register_days(access, today)
    context = {
        "today": today,
        "day_off": day_off,
        "next_day": calendar.next_school_day(today) if day_off else None,
        "days": days,
        "own": [d for d in days if d.own],
        "others": [d for d in days if not d.own],
        "may_set_up": access.can(C.SET_UP_DEVICES),
    }
    return render(request, "devices/phones/forms.html", context)


# --- One form's day ---------------------------------------------------------------------------------------------


def _day_asked(request):
    """The day of the page (`?day=`, today when not given), the school's calendar around it, and why it is refused."""
    form = DayForm(request.GET)
    today = timezone.localdate()
    if not form.is_valid():
        return today, None, "Give the day as a date, e.g. " + today.isoformat() + "."
    day = form.day_or_today()
    calendar = selectors.calendar_around(request.access.school, day) if selectors.FIRST_DAY <= day <= today else None
    return day, calendar, services.register_day_refusal(calendar, day, today)


def _day_url(name: str, form: FormGroup, day: date) -> str:
    url = reverse(name, args=[form.pk])
    return url if day == timezone.localdate() else f"{url}?day={day.isoformat()}"


def _no_register(request, form, day, refusal, calendar, what):
    today = timezone.localdate()
    next_day = calendar.next_school_day(today) if calendar is not None and day == today else None
    context = {"form_group": form, "day": day, "refusal": refusal, "next_day": next_day, "what": what}
    return render(request, "devices/phones/no_register.html", context, status=400)


def _neighbours(calendar, day: date) -> dict:
    """The school days either side of `day`, for moving through past registers (never into days to come)."""
    after = calendar.next_school_day(day)
    return {
        "previous_day": selectors.previous_school_day(calendar, day),
        "next_day": after if after is not None and after <= timezone.localdate() else None,
    }


def _register_page(request, form, day, calendar, register, formset, *, status=200, problems=(), ticked=False, seen=None):
    lines = register.lines
    seen = seen if seen is not None else register.saved_at
    context = {
        "form_group": form,
        "day": day,
        "is_today": day == timezone.localdate(),
        "register": register,
        "formset": formset,
        "seen_form": SeenForm(initial={"seen": seen.isoformat() if seen else ""}, prefix="register"),
        "problems": list(problems),
        "ticked": ticked,
        "keeps": sum(1 for line in lines if line.keeps_phone),
        "held_earlier": sum(1 for line in lines if line.held),
        "collect_url": _day_url("devices:phone_collect", form, day),
        **_neighbours(calendar, day),
    }
    return render(request, "devices/phones/register.html", context, status=status)


@capability_required(C.RECORD_PHONES)
def phone_register(request, form_id):
    """The morning: a form's register for a day on one screen, saved all together or not at all."""
    access = request.access
    form = selectors.get_register_form_or_404(access, form_id)
    day, calendar, refusal = _day_asked(request)
    if refusal:
        return _no_register(request, form, day, refusal, calendar, "register")
    register = selectors.register_of(access, form, day)
    if request.method != "POST":
        return _register_page(request, form, day, calendar, register, RegisterFormSet(lines=register.lines))

    formset = RegisterFormSet(request.POST, lines=register.lines)
    seen_form = SeenForm(request.POST, prefix="register")
    if not formset.is_valid():
        return _register_page(request, form, day, calendar, register, formset, status=400)
    if "everyone_present" in request.POST:
        # Without JavaScript, the button ticks everyone present on the server: nothing is saved until "Save".
        ticked = RegisterFormSet(lines=register.lines, initial=formset.everyone_present())
        return _register_page(request, form, day, calendar, register, ticked, ticked=True, seen=seen_form.seen_at())
    try:
        saved = services.phone_register_record(
            form=form, day=day, rows=formset.rows(), actor=request.user, seen=seen_form.seen_at()
        )
    except services.RegisterChanged as error:
        # Theirs is shown beside each pupil, and the next save replaces it.
        register = selectors.register_of(access, form, day)
        formset = RegisterFormSet(request.POST, lines=register.lines)
        formset.is_valid()
        return _register_page(
            request, form, day, calendar, register, formset, status=409, problems=error.messages, seen=error.latest
        )
    except ValidationError as error:
        problems = formset.add_problems(error.message_dict) if hasattr(error, "error_dict") else error.messages
        return _register_page(request, form, day, calendar, register, formset, status=400, problems=problems)
    messages.success(request, f"{form.name}, {services.day_words(day)}: the register is saved. {saved.summary.capitalize()}.")
    return redirect(_day_url("devices:phone_register", form, day))


@capability_required(C.RECORD_PHONES)
def phone_collect(request, form_id):
    """The afternoon: the form's phones handed back, those of the day and any still held from earlier days."""
    access = request.access
    form = selectors.get_register_form_or_404(access, form_id)
    day, calendar, refusal = _day_asked(request)
    if refusal:
        return _no_register(request, form, day, refusal, calendar, "collection")
    records = selectors.collection_of(access, form, day)
    waiting = [record for record in records if record.collected_at is None]
    status, problems, ticked = 200, [], False
    formset = CollectFormSet(request.POST if request.method == "POST" else None, lines=waiting)
    if request.method == "POST":
        status = 400
        if formset.is_valid() and "everyone" in request.POST:
            formset, status, ticked = CollectFormSet(lines=waiting, initial=formset.everyone()), 200, True
        elif formset.is_valid():
            try:
                collected = services.phone_register_collect(form=form, day=day, records=formset.collected(), actor=request.user)
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(request, f"{form.name}, {services.day_words(day)}: {collected.summary}.")
                return redirect(_day_url("devices:phone_collect", form, day))
    context = {
        "form_group": form,
        "day": day,
        "is_today": day == timezone.localdate(),
        "records": records,
        "formset": formset,
        "problems": problems,
        "ticked": ticked,
        "register_url": _day_url("devices:phone_register", form, day),
        **_neighbours(calendar, day),
    }
    return render(request, "devices/phones/collect.html", context, status=status)


# --- Phones not collected -----------------------------------------------------------------------------------------


@capability_required(C.RECORD_PHONES)
def phone_not_collected(request):
    """Phones handed in and not handed back, from days that have ended: oldest first, by form."""
    access = request.access
    forms_shown = FormGroup.objects.for_school(access.school).active().select_related("year_group")
    filter_form = NotCollectedFilterForm(request.GET or None, forms_shown=forms_shown.order_by("year_group__ncy", "name"))
    records = selectors.phones_not_collected_for(access)
    if filter_form.is_valid() and filter_form.cleaned_data["form"]:
        records = records.filter(form=filter_form.cleaned_data["form"])
    context = {
        "page": page_of(request, records),
        "filter_form": filter_form,
        "query": query_without_page(request),
        "today": timezone.localdate(),
    }
    return render(request, "devices/phones/not_collected.html", context, status=400 if filter_form.errors else 200)


def _back_to_list(request):
    """The list as it was (its form and page), from the button's hidden `back`; nothing else is carried over."""
    asked = QueryDict(request.POST.get("back", "")[:200])
    kept = QueryDict(mutable=True)
    for key in ("form", "page"):
        if asked.get(key, "").isdigit():
            kept[key] = asked[key]
    url = reverse("devices:phone_not_collected")
    return redirect(f"{url}?{kept.urlencode()}" if kept else url)


@require_POST
@capability_required(C.RECORD_PHONES)
def phone_mark_collected(request, record_id):
    record = selectors.get_held_record_or_404(request.access, record_id)
    try:
        record = services.phone_record_collect(record=record, actor=request.user)
    except services.AlreadyDone as error:
        messages.warning(request, " ".join(error.messages))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{record.pupil.full_name}'s phone from {services.day_words(record.day)} is handed back.")
    return _back_to_list(request)


# --- Pupils who keep their phone ----------------------------------------------------------------------------------

SHOW_CHOICES = {"open": "In force or to come", "ended": "Ended", "all": "All"}


@capability_required(C.RECORD_PHONES, C.MANAGE_PHONE_EXCEPTIONS)
def phone_exception_list(request):
    access = request.access
    show = request.GET.get("show", "open")
    show = show if show in SHOW_CHOICES else "open"
    exceptions = selectors.phone_exceptions_for(access)
    if show == "open":
        exceptions = exceptions.filter(ended_on=None).order_by("review_on", "pupil__last_name", "pk")
    elif show == "ended":
        exceptions = exceptions.exclude(ended_on=None).order_by("-ended_on", "pupil__last_name", "pk")
    else:
        exceptions = exceptions.order_by("pupil__last_name", "pupil__first_name", "-starts_on", "pk")
    today = timezone.localdate()
    context = {
        "page": page_of(request, exceptions),
        "show": show,
        "show_choices": SHOW_CHOICES,
        "query": query_without_page(request),
        "today": today,
        "soon": today + timedelta(days=selectors.REVIEW_SOON_DAYS),
        "may_manage": access.can(C.MANAGE_PHONE_EXCEPTIONS),
    }
    return render(request, "devices/phones/exception_list.html", context)


def _exception_form(request, data=None, **kwargs):
    access = request.access
    return PhoneExceptionForm(
        data,
        pupils=pupils_for(access).current().order_by("last_name", "first_name"),
        staff=staff_for(access).current().order_by("last_name", "first_name"),
        **kwargs,
    )


@capability_required(C.MANAGE_PHONE_EXCEPTIONS)
def phone_exception_new(request):
    access = request.access
    today = timezone.localdate()
    if request.method == "POST":
        form = _exception_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                exception = services.phone_exception_agree(school=access.school, actor=request.user, **data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"{exception.pupil.full_name} may keep their phone: the exception is recorded.")
                return redirect("devices:phone_exception_detail", exception_id=exception.pk)
        return render(request, "devices/phones/exception_form.html", {"form": form, "exception": None}, status=400)
    form = _exception_form(request, initial={"starts_on": today, "review_on": today + timedelta(days=91)})
    return render(request, "devices/phones/exception_form.html", {"form": form, "exception": None})


def _exception_page(request, exception: PhoneException, status: int = 200, **forms):
    today = timezone.localdate()
    manage = request.access.can(C.MANAGE_PHONE_EXCEPTIONS) and exception.ended_on is None
    context = {
        "exception": exception,
        "today": today,
        "soon": today + timedelta(days=selectors.REVIEW_SOON_DAYS),
        "in_force": exception.starts_on <= today and exception.ended_on is None,
        "may_manage": manage,
        "review_form": ExceptionReviewForm(initial={"review_on": today + timedelta(days=91)}) if manage else None,
        "end_form": ExceptionEndForm(initial={"ended_on": max(today, exception.starts_on)}) if manage else None,
        "history": history_for(exception),
    }
    context.update(forms)
    return render(request, "devices/phones/exception_detail.html", context, status=status)


@capability_required(C.RECORD_PHONES, C.MANAGE_PHONE_EXCEPTIONS)
def phone_exception_detail(request, exception_id):
    return _exception_page(request, selectors.get_phone_exception_or_404(request.access, exception_id))


@capability_required(C.MANAGE_PHONE_EXCEPTIONS)
def phone_exception_edit(request, exception_id):
    exception = selectors.get_phone_exception_or_404(request.access, exception_id)
    if exception.ended_on is not None:
        messages.warning(
            request, f"This exception ended on {services.day_words(exception.ended_on)}: it can no longer be changed."
        )
        return redirect("devices:phone_exception_detail", exception_id=exception.pk)
    initial = {
        "reason": exception.reason,
        "detail": exception.detail,
        "agreed_by": exception.agreed_by_id,
        "starts_on": exception.starts_on,
        "review_on": exception.review_on,
    }
    if request.method == "POST":
        form = _exception_form(request, request.POST, fixed_pupil=exception.pupil)
        if form.is_valid():
            try:
                services.phone_exception_change(exception=exception, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"The phone exception of {exception.pupil.full_name} is changed.")
                return redirect("devices:phone_exception_detail", exception_id=exception.pk)
        return render(request, "devices/phones/exception_form.html", {"form": form, "exception": exception}, status=400)
    form = _exception_form(request, initial=initial, fixed_pupil=exception.pupil)
    return render(request, "devices/phones/exception_form.html", {"form": form, "exception": exception})


@require_POST
@capability_required(C.MANAGE_PHONE_EXCEPTIONS)
def phone_exception_review(request, exception_id):
    exception = selectors.get_phone_exception_or_404(request.access, exception_id)
    form = ExceptionReviewForm(request.POST)
    if form.is_valid():
        try:
            exception = services.phone_exception_review(exception=exception, actor=request.user, **form.cleaned_data)
        except services.AlreadyDone as error:
            messages.warning(request, " ".join(error.messages))
            return redirect("devices:phone_exception_detail", exception_id=exception.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"The review is recorded: next review by {services.day_words(exception.review_on)}.")
            return redirect("devices:phone_exception_detail", exception_id=exception.pk)
    return _exception_page(request, exception, status=400, review_form=form)


@require_POST
@capability_required(C.MANAGE_PHONE_EXCEPTIONS)
def phone_exception_end(request, exception_id):
    exception = selectors.get_phone_exception_or_404(request.access, exception_id)
    form = ExceptionEndForm(request.POST)
    if form.is_valid():
        try:
            exception = services.phone_exception_end(exception=exception, actor=request.user, **form.cleaned_data)
        except services.AlreadyDone as error:
            messages.warning(request, " ".join(error.messages))
            return redirect("devices:phone_exception_detail", exception_id=exception.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"The exception has ended: {exception.pupil.full_name} hands their phone in from "
                f"{services.day_words(exception.ended_on)}.",
            )
            return redirect("devices:phone_exception_detail", exception_id=exception.pk)
    return _exception_page(request, exception, status=400, end_form=form)
