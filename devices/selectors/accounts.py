"""
The register of internet accounts and its yearly review: who may read it (IT and the head teacher), the accounts in
use or ended, whether each holder has accepted the acceptable-use agreement, what changed since the last review and
when the next one is due. Reads only; every write is in devices.services.accounts.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from consents.selectors import pupil_agreement_answers, staff_agreement_status, staff_agreement_type
from devices.models import AccessReview, DeviceSettings, InternetAccount
from devices.selectors import device_settings_for
from esafety.access import SchoolAccess
from esafety.models import School
from esafety.roles import Capability

Holder = InternetAccount.Holder
# The longest list of one kind of change that the review page shows; the register has them all.
CHANGES_SHOWN = 100


# --- The register ---------------------------------------------------------------------------------------------


def accounts_for(access: SchoolAccess) -> QuerySet[InternetAccount]:
    """The school's register, for IT and the head teacher; nobody else sees a line of it."""
    if access.school is None or not access.can(Capability.READ_ACCESS_REGISTER):
        return InternetAccount.objects.none()
    return InternetAccount.objects.for_school(access.school).select_related("staff", "pupil__form", "granted_by")


def get_account_or_404(access: SchoolAccess, account_id) -> InternetAccount:
    return get_object_or_404(accounts_for(access), pk=account_id)


def holder_left(on: date) -> Q:
    """Accounts whose pupil or member of staff has left by `on` (the MIS import sets the leaving date)."""
    return Q(pupil__leaving_date__lte=on) | Q(staff__leaving_date__lte=on)


def ended_by(on: date) -> Q:
    """Accounts no longer in use on `on`: ended in the register, or their holder has left."""
    return Q(ended_on__lte=on) | holder_left(on)


def with_sort_name(accounts: QuerySet[InternetAccount]) -> QuerySet[InternetAccount]:
    """The register in the order people look for a name: surname (or a visitor's name), then username."""
    return accounts.annotate(sort_name=Lower(Coalesce(F("staff__last_name"), F("pupil__last_name"), F("name")))).order_by(
        "sort_name", Lower("username"), "pk"
    )


def search(accounts: QuerySet[InternetAccount], text: str) -> QuerySet[InternetAccount]:
    """Every word typed is in the holder's name (or organisation) or the username."""
    for word in text.split():
        accounts = accounts.filter(
            Q(username__icontains=word)
            | Q(name__icontains=word)
            | Q(organisation__icontains=word)
            | Q(staff__first_name__icontains=word)
            | Q(staff__last_name__icontains=word)
            | Q(pupil__first_name__icontains=word)
            | Q(pupil__preferred_name__icontains=word)
            | Q(pupil__last_name__icontains=word)
        )
    return accounts


def _left_on(account: InternetAccount) -> date | None:
    return account.pupil.leaving_date if account.pupil_id else account.staff.leaving_date if account.staff_id else None


def in_use_on(account: InternetAccount, on: date) -> bool:
    """As `InternetAccountQuerySet.current`, for an account in hand: not ended, and its holder has not left."""
    left = _left_on(account)
    return (account.ended_on is None or account.ended_on > on) and (left is None or left > on)


def end_words(account: InternetAccount, on: date) -> str:
    """How the account ended, in the register's words: "Ended 3 Mar 2025: visit over", "Left on 20 Jul 2020", or ""."""
    left = _left_on(account)
    if account.ended_on is not None and account.ended_on <= on and (left is None or account.ended_on <= left):
        return f"Ended {_day(account.ended_on)}" + (f": {account.end_reason}" if account.end_reason else "")
    if left is not None and left <= on:
        return f"Left on {_day(left)}"
    if account.ended_on is not None:
        return f"Ends {_day(account.ended_on)}" + (f": {account.end_reason}" if account.end_reason else "")
    return ""


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# --- The acceptable-use agreement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Whether an account's holder has accepted the acceptable-use agreement that applies to them."""

    # True: accepted or signed; False: not (or refused, or withdrawn); None: the school asks for none of this holder.
    accepted: bool | None
    words: str

    @property
    def missing(self) -> bool:
        return self.accepted is False


# Nothing asked of the holder: the school uses no such agreement, or they have left.
NOT_ASKED = Agreement(None, "–")


def _pupil_agreements(school: School, pupil_ids: set, on: date) -> dict | None:
    """Each pupil's answer to the pupils' acceptable-use agreement, in words; None when the school does not use one."""
    answers = pupil_agreement_answers(school, pupil_ids, on)
    if answers is None:
        return None
    result = {}
    for pupil_id, answer in answers.items():
        if answer.agreed and answer.withdrawn_on is None:
            result[pupil_id] = Agreement(True, f"Accepted {_day(answer.signed_on)}")
        elif answer.withdrawn_on is not None:
            result[pupil_id] = Agreement(False, f"Withdrawn {_day(answer.withdrawn_on)}")
        else:
            result[pupil_id] = Agreement(False, "Refused")
    return result


def agreements_for(school: School, accounts: list[InternetAccount], on: date | None = None) -> dict[int, Agreement]:
    """
    For each account, its holder's acceptable-use agreement: the current staff agreement (consents) for staff, the
    pupils' agreement (consents) for pupils, the date signed on paper for visitors and community users. At most four
    queries, however many accounts: two for staff and two for pupils, only when there are some.
    """
    on = on or timezone.localdate()
    staff = {a.staff_id for a in accounts if a.staff_id}
    pupils = {a.pupil_id for a in accounts if a.pupil_id}
    accepted_at = None
    if staff:
        agreement = staff_agreement_type(school)
        if agreement is not None:
            accepted_at = {row.member.pk: row.accepted_at for row in staff_agreement_status(school, agreement)}
    pupil_answers = _pupil_agreements(school, pupils, on) if pupils else None
    result = {}
    for account in accounts:
        if account.staff_id:
            if accepted_at is None:
                result[account.pk] = NOT_ASKED
            elif accepted_at.get(account.staff_id):
                result[account.pk] = Agreement(True, f"Accepted {_day(timezone.localdate(accepted_at[account.staff_id]))}")
            elif account.staff_id in accepted_at:
                result[account.pk] = Agreement(False, "Not accepted")
            else:
                # No longer on the staff: the agreement is no longer asked of them.
                result[account.pk] = NOT_ASKED
        elif account.pupil_id:
            if pupil_answers is None or (account.pupil.leaving_date is not None and account.pupil.leaving_date <= on):
                # No pupils' agreement at this school, or no longer on roll: nothing is asked of them.
                result[account.pk] = NOT_ASKED
            else:
                result[account.pk] = pupil_answers.get(account.pupil_id, Agreement(False, "Not given"))
        elif account.agreement_signed_on:
            result[account.pk] = Agreement(True, f"Signed {_day(account.agreement_signed_on)}")
        else:
            result[account.pk] = Agreement(False, "Not signed")
    return result


# --- The yearly review ----------------------------------------------------------------------------------------


def access_reviews_for(access: SchoolAccess) -> QuerySet[AccessReview]:
    if access.school is None or not access.can(Capability.READ_ACCESS_REGISTER):
        return AccessReview.objects.none()
    return AccessReview.objects.for_school(access.school).select_related("reviewed_by")


def get_access_review_or_404(access: SchoolAccess, review_id) -> AccessReview:
    return get_object_or_404(access_reviews_for(access), pk=review_id)


def last_access_review(school: School) -> AccessReview | None:
    return AccessReview.objects.for_school(school).select_related("reviewed_by").order_by("-signed_at", "-pk").first()


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1 month is 28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class AccessReviewDue:
    due_on: date
    last: AccessReview | None
    today: date

    @property
    def overdue(self) -> bool:
        return self.due_on < self.today

    @property
    def is_due(self) -> bool:
        return self.due_on <= self.today


def access_review_due(
    school: School, *, last: AccessReview | None = None, settings: DeviceSettings | None = None, today: date | None = None
) -> AccessReviewDue:
    """When the next review is due: the school's number of months after the last one was signed; today if there is none."""
    today = today or timezone.localdate()
    last = last if last is not None else last_access_review(school)
    # Read whether or not there is a review, so that the pages and the panel cost the same queries either way.
    settings = settings or device_settings_for(school)
    if last is None:
        return AccessReviewDue(due_on=today, last=None, today=today)
    return AccessReviewDue(
        due_on=add_months(timezone.localdate(last.signed_at), settings.access_review_months), last=last, today=today
    )


def _recorded(after: datetime | None, by: datetime) -> Exists:
    """The account was put on the register (its first history entry) after `after`, if given, and by `by`."""
    history = InternetAccount.history.model.objects.filter(id=OuterRef("pk"), history_type="+", history_date__lte=by)
    if after is not None:
        history = history.filter(history_date__gt=after)
    return Exists(history)


def _register_at(school: School, until: datetime) -> QuerySet[InternetAccount]:
    """The accounts on the register at `until`: a review's lists leave out those recorded after it was signed."""
    return (
        InternetAccount.objects.for_school(school)
        .filter(_recorded(None, until))
        .select_related("staff", "pupil__form", "granted_by")
    )


def granted_between(school: School, since: datetime | None, until: datetime) -> QuerySet[InternetAccount]:
    """
    Accounts granted since the day of `since`, or put on the register after `since` whatever date they were granted
    (every account for the first review), up to `until`.
    """
    accounts = _register_at(school, until).filter(granted_on__lte=timezone.localdate(until))
    if since is None:
        return accounts
    return accounts.filter(Q(granted_on__gte=timezone.localdate(since)) | Q(_recorded(since, until)))


def ended_between(school: School, since: datetime | None, until: datetime) -> QuerySet[InternetAccount]:
    """
    Accounts that stopped being in use from the day of `since` to the day of `until`: ended in the register, or their
    holder left (which ends the account without anyone touching it). Every ended account for the first review.
    """
    until_day = timezone.localdate(until)
    accounts = _register_at(school, until).filter(ended_by(until_day))
    if since is None:
        return accounts
    since_day = timezone.localdate(since)
    ended = Q(ended_on__gte=since_day, ended_on__lte=until_day)
    left = Q(pupil__leaving_date__gte=since_day, pupil__leaving_date__lte=until_day) | Q(
        staff__leaving_date__gte=since_day, staff__leaving_date__lte=until_day
    )
    # An account ended in the register before its holder left ended then, not when they left.
    left &= Q(ended_on=None) | Q(ended_on__gte=since_day)
    return accounts.filter(ended | left)


def in_use_at(school: School, until: datetime) -> QuerySet[InternetAccount]:
    until_day = timezone.localdate(until)
    return _register_at(school, until).current(until_day).filter(granted_on__lte=until_day)


def leavers_ended_since(school: School, since: datetime | None, today: date) -> QuerySet[InternetAccount]:
    """Accounts nobody ended in the register whose holder has left since `since` (ever, with no review yet)."""
    accounts = (
        InternetAccount.objects.for_school(school).filter(Q(ended_on=None) | Q(ended_on__gt=today)).filter(holder_left(today))
    )
    if since is None:
        return accounts
    since_day = timezone.localdate(since)
    return accounts.filter(Q(pupil__leaving_date__gte=since_day) | Q(staff__leaving_date__gte=since_day))


@dataclass
class ReviewChanges:
    """What the review page lists: each kind of change with how many there are, and the first CHANGES_SHOWN of them."""

    since: datetime | None
    until: datetime
    granted: list[InternetAccount]
    granted_count: int
    ended: list[InternetAccount]
    ended_count: int
    in_use_count: int
    without_agreement: list[InternetAccount] | None = None
    without_agreement_count: int = 0
    agreements: dict[int, Agreement] | None = None


def review_changes(school: School, since: datetime | None, until: datetime, *, with_agreements: bool) -> ReviewChanges:
    """
    The changes between two moments: accounts granted, accounts ended (holders who left included) and, for a review
    being written now (`with_agreements`), every account in use whose holder has not accepted their agreement.
    A fixed number of queries, however many accounts.
    """
    until_day = timezone.localdate(until)
    granted = granted_between(school, since, until)
    ended = ended_between(school, since, until)
    in_use = in_use_at(school, until)
    changes = ReviewChanges(
        since=since,
        until=until,
        granted=list(with_sort_name(granted)[:CHANGES_SHOWN]),
        granted_count=granted.count(),
        ended=list(with_sort_name(ended)[:CHANGES_SHOWN]),
        ended_count=ended.count(),
        in_use_count=in_use.count(),
    )
    shown = changes.granted + changes.ended
    if with_agreements:
        accounts = list(with_sort_name(in_use))
        agreements = agreements_for(school, accounts + shown, until_day)
        without = [a for a in accounts if agreements[a.pk].missing]
        changes.without_agreement, changes.without_agreement_count = without[:CHANGES_SHOWN], len(without)
        changes.agreements = agreements
        shown += changes.without_agreement
    for account in shown:
        account.end_words = end_words(account, until_day)
        account.agreement = changes.agreements[account.pk] if changes.agreements else None
    return changes


def review_counts(school: School, since: datetime | None, until: datetime) -> dict[str, int]:
    """The figures a signed review keeps: accounts in use, granted and ended since the previous review."""
    return {
        "accounts_in_use": in_use_at(school, until).count(),
        "granted": granted_between(school, since, until).count(),
        "ended": ended_between(school, since, until).count(),
    }
