"""
The register of internet accounts: granting an account to a member of staff, a pupil, a visitor or a community user,
changing it, ending it; the yearly review of access rights signed off by IT, and the reminder when it falls due.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from devices.models import AccessReview, DeviceSettings, InternetAccount
from devices.selectors.accounts import access_review_due, end_words, last_access_review, review_counts
from esafety.history import save_with_history
from esafety.models import Pupil, School, StaffMember, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.services.changes import AlreadyDone, staff_with_roles, when_words

Holder = InternetAccount.Holder
# How often the reminder of an overdue review is sent again.
REMIND_EVERY = timedelta(days=7)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _lock_register(school: School) -> None:
    """
    Of two people granting or changing accounts at once, the second waits for the first: the username each checks
    is then checked against the other's.
    """
    DeviceSettings.objects.select_for_update().filter(school=school).first()


def _check_username(school: School, username: str, *, today: date, account: InternetAccount | None = None) -> str:
    username = username.strip()
    if not username:
        raise ValidationError({"username": "Give the username of the account."})
    if any(character.isspace() for character in username):
        raise ValidationError({"username": "A username has no spaces in it."})
    taken = (
        InternetAccount.objects.for_school(school)
        .filter(username__iexact=username)
        .filter(Q(ended_on=None) | Q(ended_on__gt=today))
        .select_related("staff", "pupil")
    )
    if account is not None and account.pk:
        taken = taken.exclude(pk=account.pk)
    holder = taken.first()
    if holder is not None:
        left = end_words(holder, today)
        if left.startswith("Left"):
            raise ValidationError(
                {
                    "username": f"“{username}” is still the username of {holder.holder_name}'s account, who "
                    f"{left[0].lower()}{left[1:]}. End that account in the register first, or choose another username."
                }
            )
        raise ValidationError(
            {
                "username": f"“{username}” is already in use: it is {holder.holder_name}'s account "
                f"({holder.get_holder_display().lower()}, granted on {_day(holder.granted_on)}). Choose another username."
            }
        )
    return username


def _check_dates(*, granted_on: date, agreement_signed_on: date | None, holder: str, today: date) -> None:
    if granted_on > today:
        raise ValidationError({"granted_on": "This is in the future. Record an account once it has been given."})
    if holder in (Holder.VISITOR, Holder.COMMUNITY):
        if agreement_signed_on is None:
            raise ValidationError(
                {
                    "agreement_signed_on": "Visitors and community users sign the acceptable-use agreement before they are "
                    "given access: give the date they signed it."
                }
            )
        if agreement_signed_on > today:
            raise ValidationError({"agreement_signed_on": "This is in the future. Give the date the agreement was signed."})
        if agreement_signed_on > granted_on:
            raise ValidationError(
                {"agreement_signed_on": "The agreement is signed before access is given: this date is after the date granted."}
            )


def _check_holder(school: School, holder: str, staff: StaffMember | None, pupil: Pupil | None, name: str, today: date) -> None:
    if holder == Holder.STAFF:
        if staff is None:
            raise ValidationError({"staff": "Choose the member of staff."})
        if staff.school_id != school.pk or (staff.leaving_date is not None and staff.leaving_date <= today):
            raise ValidationError({"staff": f"{staff} is not on the school's staff."})
    elif holder == Holder.PUPIL:
        if pupil is None:
            raise ValidationError({"pupil": "Choose the pupil."})
        if pupil.school_id != school.pk or pupil.has_left:
            raise ValidationError({"pupil": f"{pupil} is not on the school's roll."})
    elif holder in (Holder.VISITOR, Holder.COMMUNITY):
        if not name.strip():
            raise ValidationError({"name": "Give the name of the person the account is for."})
    else:
        raise ValidationError({"holder": "Choose who the account is for: staff, a pupil, a visitor or a community user."})


@transaction.atomic
def internet_account_grant(
    *,
    school: School,
    actor: User,
    holder: str,
    username: str,
    access: str,
    granted_on: date,
    staff: StaffMember | None = None,
    pupil: Pupil | None = None,
    name: str = "",
    organisation: str = "",
    agreement_signed_on: date | None = None,
) -> InternetAccount:
    """Record an account given to someone; a username is used by one account in use at a time."""
    today = timezone.localdate()
    _check_holder(school, holder, staff, pupil, name, today)
    if not access.strip():
        raise ValidationError({"access": "Say what the account gives access to, e.g. network, e-mail, guest Wi-Fi."})
    _check_dates(granted_on=granted_on, agreement_signed_on=agreement_signed_on, holder=holder, today=today)
    _lock_register(school)
    username = _check_username(school, username, today=today)
    named = holder in (Holder.VISITOR, Holder.COMMUNITY)
    account = InternetAccount(
        school=school,
        holder=holder,
        staff=staff if holder == Holder.STAFF else None,
        pupil=pupil if holder == Holder.PUPIL else None,
        name=name.strip() if named else "",
        organisation=organisation.strip() if named else "",
        username=username,
        access=access.strip(),
        granted_on=granted_on,
        granted_by=actor,
        agreement_signed_on=agreement_signed_on if named else None,
    )
    save_with_history(account, actor=actor, reason="Granted")
    return account


def _lock(account: InternetAccount) -> InternetAccount:
    """The account read again under a row lock: of two people acting at once, the second sees the first's change."""
    # Only the account's own row is locked: its holder is joined to it, and may be none (a visitor).
    return InternetAccount.objects.select_for_update(of=("self",)).select_related("staff", "pupil").get(pk=account.pk)


def _ended_words(account: InternetAccount) -> str:
    last = account.history.select_related("history_user").order_by("-history_date", "-history_id").first()
    who = f" by {last.history_user}" if last is not None and last.history_user is not None else ""
    reason = f": {account.end_reason}" if account.end_reason else ""
    return f"This account was already ended{who}, on {_day(account.ended_on)}{reason}."


@transaction.atomic
def internet_account_update(
    *,
    account: InternetAccount,
    actor: User,
    username: str,
    access: str,
    granted_on: date,
    name: str = "",
    organisation: str = "",
    agreement_signed_on: date | None = None,
) -> bool:
    """Correct an account's details (not whose it is: that is a new account). Returns whether anything changed."""
    today = timezone.localdate()
    _lock_register(account.school)
    account = _lock(account)
    if account.ended_on is not None:
        raise AlreadyDone(_ended_words(account) + " An ended account is not changed.")
    named = account.holder in (Holder.VISITOR, Holder.COMMUNITY)
    if named and not name.strip():
        raise ValidationError({"name": "Give the name of the person the account is for."})
    if not access.strip():
        raise ValidationError({"access": "Say what the account gives access to, e.g. network, e-mail, guest Wi-Fi."})
    _check_dates(granted_on=granted_on, agreement_signed_on=agreement_signed_on, holder=account.holder, today=today)
    username = _check_username(account.school, username, today=today, account=account)
    new = {
        "username": username,
        "access": access.strip(),
        "granted_on": granted_on,
        "name": name.strip() if named else account.name,
        "organisation": organisation.strip() if named else account.organisation,
        "agreement_signed_on": agreement_signed_on if named else account.agreement_signed_on,
    }
    if all(getattr(account, key) == value for key, value in new.items()):
        return False
    for key, value in new.items():
        setattr(account, key, value)
    save_with_history(account, actor=actor, reason="Details corrected")
    return True


@transaction.atomic
def internet_account_end(*, account: InternetAccount, actor: User, ended_on: date, reason: str) -> InternetAccount:
    """End an account (a leaver's, a visit over, access no longer needed), with the reason; only once."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the account ends, e.g. left the school, the visit is over."})
    account = _lock(account)
    if account.ended_on is not None:
        raise AlreadyDone(_ended_words(account))
    if ended_on < account.granted_on:
        raise ValidationError({"ended_on": f"The account was granted on {_day(account.granted_on)}: it cannot end before."})
    account.ended_on = ended_on
    account.end_reason = reason
    save_with_history(account, actor=actor, reason="Ended")
    return account


# --- The yearly review ----------------------------------------------------------------------------------------


@transaction.atomic
def access_review_sign(*, school: School, actor: User, findings: str, previous_id: int | None) -> AccessReview:
    """
    Sign off a review of who holds which accounts: it covers the changes since the previous review (everything for
    the first) and keeps the figures. `previous_id` is the previous review as the reviewer saw it: if someone signed
    one off since, this one is refused, so that nobody signs off changes they have not seen.
    """
    findings = findings.strip()
    if not findings:
        raise ValidationError({"findings": "Write what you checked and found, even if everything was in order."})
    # Two reviewers signing at once would both follow the same review: the second waits, then is told.
    _lock_register(school)
    last = last_access_review(school)
    if (last.pk if last else None) != previous_id:
        raise AlreadyDone(
            f"{last.reviewed_by if last else 'Someone'} signed off a review at "
            f"{when_words(last.signed_at) if last else 'the same time'} while you were writing yours. The page now shows "
            "what has changed since then: your findings are kept below to sign off again if there is more to say."
        )
    now = timezone.now()
    since = last.signed_at if last else None
    review = AccessReview(school=school, reviewed_by=actor, signed_at=now, since=since, findings=findings)
    for field, value in review_counts(school, since, now).items():
        setattr(review, field, value)
    save_with_history(review, actor=actor, reason="Signed off")
    return review


def access_review_remind(*, school: School, today: date) -> int:
    """
    When the review of access rights is due or overdue, tell IT: once when it falls due, then once a week until it
    is signed off. Returns how many notifications were sent; a second run the same day (or week) sends none.
    """
    due = access_review_due(school, today=today)
    if not due.is_due:
        return 0
    again = Q(access_review_reminded_on=None) | Q(access_review_reminded_on__lte=today - REMIND_EVERY)
    if due.last is not None:
        # Not yet reminded since this review fell due.
        again |= Q(access_review_reminded_on__lt=due.due_on)
    if due.last is None:
        title = "No review of internet accounts and access rights has been signed off yet: it is due now"
    elif due.overdue:
        title = f"The review of internet accounts and access rights is overdue: it was due on {_day(due.due_on)}"
    else:
        title = "The review of internet accounts and access rights is due today"
    with transaction.atomic():
        # Stamp first, with a condition, in the notification's transaction: two runs send once.
        if not DeviceSettings.objects.filter(school=school).filter(again).update(access_review_reminded_on=today):
            return 0
        sent = notify(
            recipients=staff_with_roles(school, [Role.IT]),
            school=school,
            title=title,
            body="Check who holds which accounts and access rights, end those no longer needed, and sign off the review.",
            link=reverse("devices:access_review_new"),
            email=True,
        )
    return len(sent)
