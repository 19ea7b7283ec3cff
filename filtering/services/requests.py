"""
Requests to open sites, one function per step of the chain:

    submitted → head teacher approves or declines → IT approves or declines → IT marks it applied → open for
    the period of study → ended (by the nightly job, or at once when the end date has passed) → IT confirms removal

or withdrawn by the requester before it is open, or revoked early by the head teacher or IT. No step can be
skipped or repeated: each moves the request from the one status it expects, with a conditional UPDATE, so that of
two people acting at once one succeeds and the other is told what happened (`RequestChanged`). Nobody decides
on their own request. Every step keeps who, when and why in the history, and the requester is told of each decision.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from esafety.history import save_with_history
from esafety.models import FormGroup, School, User
from esafety.notifications import notify
from esafety.roles import Capability
from esafety.terms.selectors import school_days_between
from filtering import selectors
from filtering.models import FilterExceptionRequest, FilterGroup, FilterSettings, RequestedSite, SiteCategory
from filtering.services.feed import feed_version_bump
from filtering.sites import Site

Status = FilterExceptionRequest.Status


class RequestChanged(ValidationError):
    """Someone else moved the request on first: the message says who, and what it is now."""


@dataclass(frozen=True)
class Notice:
    school_days: int  # school days between asking and the first day
    needed: int  # what the school asks for

    @property
    def is_late(self) -> bool:
        return self.school_days < self.needed


def notice_given(school: School, *, asked_on: date, starts_on: date, needed: int | None = None) -> Notice:
    """How much notice a request gives, in school days on the school's term dates (the first day itself included)."""
    if needed is None:
        needed = selectors.settings_for(school).notice_school_days
    # School days after the day of asking, up to the day before the lesson: a request made on Monday for
    # Thursday gives Tuesday and Wednesday, 2 school days.
    given = school_days_between(school, asked_on, starts_on - timedelta(days=1))
    return Notice(school_days=given, needed=needed)


def request_problems(
    *, school: School, category: SiteCategory | None, starts_on: date, ends_on: date, settings: FilterSettings
) -> dict[str, str]:
    """What stops a request being made, by field: a never-opened kind of site, dates the wrong way or too long."""
    problems = {}
    if category is not None and category.never_open:
        problems["category"] = f"Sites of this kind cannot be opened: {category.reason}"
    today = timezone.localdate()
    if ends_on < starts_on:
        problems["ends_on"] = "The last day must be on or after the first day."
    elif ends_on < today:
        problems["ends_on"] = "The last day has already passed."
    elif (ends_on - starts_on).days + 1 > settings.longest_period_days:
        problems["ends_on"] = (
            f"Sites may be opened for at most {settings.longest_period_days} days at a time; "
            "ask again nearer the time for a longer period of study."
        )
    return problems


def _number(school: School) -> int:
    # The next number, taken under a row lock (as incidents are numbered).
    FilterSettings.objects.filter(school=school).update(last_number=F("last_number") + 1)
    return FilterSettings.objects.select_for_update().values_list("last_number", flat=True).get(school=school)


def _link(request: FilterExceptionRequest) -> str:
    return reverse("filtering:request_detail", args=[request.pk])


def users_who_can(school: School, capability: str) -> list[User]:
    """The active users whose roles at the school give them `capability`."""
    from esafety.roles import ROLE_CAPABILITIES

    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]
    return list(
        User.objects.filter(is_active=True, memberships__school=school, memberships__role__in=roles)
        .distinct()
        .order_by("full_name")
    )


def _tell(request: FilterExceptionRequest, recipients, title: str, *, email: bool = True) -> None:
    notify(recipients=recipients, school=request.school, title=title, link=_link(request), email=email)


@transaction.atomic
def request_submit(
    *,
    school: School,
    actor: User,
    purpose: str,
    category: SiteCategory,
    sites: list[Site],
    groups: list[FilterGroup],
    starts_on: date,
    ends_on: date,
    forms: list[FormGroup] = (),
    renews: FilterExceptionRequest | None = None,
) -> FilterExceptionRequest:
    """Ask for sites to be opened; late requests are allowed and flagged. The head teacher is told."""
    settings = FilterSettings.objects.get(school=school)
    problems = request_problems(school=school, category=category, starts_on=starts_on, ends_on=ends_on, settings=settings)
    if not purpose.strip():
        problems["purpose"] = "Say which lesson or purpose the sites are for."
    if not sites:
        problems["sites"] = "Type at least one site."
    if not groups:
        problems["groups"] = "Choose at least one filter group."
    if category.school_id != school.pk or any(g.school_id != school.pk for g in groups):
        raise ValidationError("Choose the school's own kinds of site and filter groups.")
    if any(form.school_id != school.pk for form in forms):
        raise ValidationError({"forms": "Choose the school's own forms."})
    if problems:
        raise ValidationError(problems)
    notice = notice_given(school, asked_on=timezone.localdate(), starts_on=starts_on, needed=settings.notice_school_days)
    request = FilterExceptionRequest(
        school=school,
        number=_number(school),
        requested_by=actor,
        purpose=purpose.strip(),
        category=category,
        starts_on=starts_on,
        ends_on=ends_on,
        is_late=notice.is_late,
        renews=renews,
    )
    save_with_history(request, actor=actor, reason="Asked" + (" late" if notice.is_late else ""))
    request.groups.set(groups)
    if forms:
        request.forms.set(forms)
    for site in sites:
        save_with_history(RequestedSite(request=request, kind=site.kind, value=site.value, host=site.host), actor=actor)
    heads = [u for u in users_who_can(school, Capability.SIGN_OFF_FILTER_EXCEPTION) if u.pk != actor.pk]
    late = " (late)" if notice.is_late else ""
    _tell(request, heads, f"{request.reference}: sites to open from {_day(starts_on)} wait for your sign-off{late}")
    return request


def _day(day: date) -> str:
    return date_format(day, "j M Y")


def _move(request: FilterExceptionRequest, *, expected: tuple[str, ...], to: str, **fields) -> FilterExceptionRequest:
    """
    Move the request on from one of the `expected` statuses, or raise RequestChanged saying what happened:
    the conditional UPDATE lets one of two people acting at once through, on every database.
    """
    moved = FilterExceptionRequest.objects.filter(pk=request.pk, status__in=expected).update(status=to, **fields)
    if not moved:
        current = FilterExceptionRequest.objects.select_related("head_decided_by", "it_decided_by", "ended_by").get(pk=request.pk)
        raise RequestChanged(f"This request has moved on: it is now “{current.status_words}”. {_who_moved(current)}")
    request.refresh_from_db()
    return request


def _who_moved(request: FilterExceptionRequest) -> str:
    steps = [
        (request.ended_at, request.ended_by, request.get_status_display()),
        (request.it_decided_at, request.it_decided_by, "IT's decision"),
        (request.head_decided_at, request.head_decided_by, "The head teacher's decision"),
    ]
    for at, by, what in steps:
        if at is not None and by is not None:
            return f"{what}: {by}, {timezone.localtime(at):%-d %b %Y at %H:%M}."
    return ""


def _history(request: FilterExceptionRequest, actor: User, reason: str) -> None:
    # The status moved in the UPDATE above; this writes its history entry, with who and why.
    save_with_history(request, actor=actor, reason=reason)


def _not_own(request: FilterExceptionRequest, actor: User) -> None:
    if request.requested_by_id == actor.pk:
        raise ValidationError("Nobody may decide on their own request: another member of staff with this role must.")


@transaction.atomic
def request_head_decide(
    *, request: FilterExceptionRequest, actor: User, approve: bool, note: str, late_reason: str = ""
) -> FilterExceptionRequest:
    """The head teacher's express sign-off, or refusal. A late request needs the reason it is accepted late."""
    _not_own(request, actor)
    note, late_reason = note.strip(), late_reason.strip()
    if not approve and not note:
        raise ValidationError({"note": "Say why the request is declined: the requester will read it."})
    if approve and request.is_late and not late_reason:
        raise ValidationError({"late_reason": "This request was made late: say why it is accepted all the same."})
    request = _move(
        request,
        expected=(Status.SUBMITTED,),
        to=Status.HEAD_APPROVED if approve else Status.HEAD_DECLINED,
        head_decided_by=actor,
        head_decided_at=timezone.now(),
        head_note=note,
        late_reason=late_reason if approve else "",
    )
    _history(request, actor, "Signed off by the head teacher" if approve else "Declined by the head teacher")
    if approve:
        _tell(request, [request.requested_by], f"{request.reference}: signed off by the head teacher, now with IT")
        it = [u for u in users_who_can(request.school, Capability.RUN_WEB_FILTER) if u.pk != request.requested_by_id]
        _tell(request, it, f"{request.reference}: signed off, waiting for IT's decision")
    else:
        _tell(request, [request.requested_by], f"{request.reference}: declined by the head teacher")
    return request


@transaction.atomic
def request_it_decide(*, request: FilterExceptionRequest, actor: User, approve: bool, note: str) -> FilterExceptionRequest:
    """IT's final say on security, safety and the effect on the school's systems."""
    _not_own(request, actor)
    note = note.strip()
    if not approve and not note:
        raise ValidationError({"note": "Say why the request is declined: the requester will read it."})
    request = _move(
        request,
        expected=(Status.HEAD_APPROVED,),
        to=Status.IT_APPROVED if approve else Status.IT_DECLINED,
        it_decided_by=actor,
        it_decided_at=timezone.now(),
        it_note=note,
    )
    _history(request, actor, "Approved by IT" if approve else "Declined by IT")
    outcome = "approved by IT, to be applied on the filter" if approve else "declined by IT"
    _tell(request, [request.requested_by], f"{request.reference}: {outcome}")
    return request


@transaction.atomic
def request_apply(*, request: FilterExceptionRequest, actor: User) -> FilterExceptionRequest:
    """IT has opened the sites on the filter: from its first day the request is in the feed."""
    if request.ends_on < timezone.localdate():
        raise ValidationError("The period of this request has already ended: it cannot be applied now.")
    request = _move(request, expected=(Status.IT_APPROVED,), to=Status.ACTIVE, applied_by=actor, applied_at=timezone.now())
    _history(request, actor, "Applied on the filter")
    feed_version_bump(school=request.school)
    _tell(
        request,
        [request.requested_by],
        f"{request.reference}: open on the filter from {_day(request.starts_on)} to {_day(request.ends_on)}",
    )
    return request


@transaction.atomic
def request_withdraw(*, request: FilterExceptionRequest, actor: User, reason: str = "") -> FilterExceptionRequest:
    """The requester no longer needs the sites, before they are open on the filter."""
    if request.requested_by_id != actor.pk:
        raise ValidationError("Only the member of staff who asked may withdraw a request.")
    request = _move(
        request,
        expected=(Status.SUBMITTED, Status.HEAD_APPROVED, Status.IT_APPROVED),
        to=Status.WITHDRAWN,
        ended_by=actor,
        ended_at=timezone.now(),
        end_reason=reason.strip(),
    )
    _history(request, actor, "Withdrawn")
    return request


@transaction.atomic
def request_revoke(*, request: FilterExceptionRequest, actor: User, reason: str) -> FilterExceptionRequest:
    """The head teacher or IT ends an approved or open exception early; IT removes it from the filter."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the sites are closed early: it is kept in the record."})
    was_applied = request.status == Status.ACTIVE
    request = _move(
        request,
        expected=(Status.IT_APPROVED, Status.ACTIVE),
        to=Status.REVOKED,
        ended_by=actor,
        ended_at=timezone.now(),
        end_reason=reason.strip(),
    )
    _history(request, actor, "Revoked early")
    feed_version_bump(school=request.school)
    _tell(request, [request.requested_by], f"{request.reference}: closed early ({reason.strip()[:80]})")
    if was_applied:
        it = [u for u in users_who_can(request.school, Capability.RUN_WEB_FILTER) if u.pk != actor.pk]
        _tell(request, it, f"{request.reference}: revoked, remove it from the filter and confirm")
    return request


@transaction.atomic
def request_confirm_removal(*, request: FilterExceptionRequest, actor: User) -> FilterExceptionRequest:
    """IT confirms the sites are blocked again, after the end date or a revocation."""
    today = timezone.localdate()
    if request.status == Status.ACTIVE and request.ends_on >= today:
        raise ValidationError("This exception is still open: revoke it first to close it early.")
    expected = (Status.ACTIVE, Status.EXPIRED) if request.status != Status.REVOKED else (Status.REVOKED,)
    if request.status == Status.REVOKED and request.applied_at is None:
        raise ValidationError("This request was never applied on the filter: there is nothing to remove.")
    if request.status == Status.REVOKED and request.removed_at is not None:
        raise RequestChanged(f"Removal was already confirmed by {request.removed_by}.")
    # A revoked request keeps its status; its removal is recorded beside it.
    to = Status.REVOKED if request.status == Status.REVOKED else Status.REMOVED
    moved = FilterExceptionRequest.objects.filter(pk=request.pk, status__in=expected, removed_at=None)
    if request.status != Status.REVOKED:
        moved = moved.filter(ends_on__lt=today)
    if not moved.update(status=to, removed_by=actor, removed_at=timezone.now()):
        current = FilterExceptionRequest.objects.select_related("removed_by").get(pk=request.pk)
        raise RequestChanged(
            f"This request has moved on: it is now “{current.status_words}”."
            + (f" Removal confirmed by {current.removed_by}." if current.removed_by else "")
        )
    request.refresh_from_db()
    _history(request, actor, "Removal from the filter confirmed")
    feed_version_bump(school=request.school)
    return request


def requests_expire(*, school: School, today: date | None = None) -> int:
    """Mark the exceptions whose end date has passed as ended (the feed has already left them out)."""
    today = today or timezone.localdate()
    ended = 0
    for request in FilterExceptionRequest.objects.for_school(school).filter(status=Status.ACTIVE, ends_on__lt=today):
        with transaction.atomic():
            if FilterExceptionRequest.objects.filter(pk=request.pk, status=Status.ACTIVE).update(status=Status.EXPIRED):
                request.refresh_from_db()
                save_with_history(request, actor=None, reason="Ended: its last day has passed")
                ended += 1
    return ended
