"""
Every change to the register of policies (docs/adding-an-app.md, step 3): a policy added, changed or retired; a new
version drafted, discarded, or approved (the version before it superseded, the next review set); a member of staff's
acknowledgement of a version; and the reminders of reviews coming, sent to the policy's owner.
"""

from datetime import date
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import School, StaffMember, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.services.changes import AlreadyDone
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion, add_months
from policies.selectors.policies import (
    policies_to_remind,
    policy_settings_for,
    reminder_stage_due,
    reminder_thresholds,
)

Status = PolicyVersion.Status
# Stored file names stay well inside the field's 100 characters (with "policies/" and a suffix if the name is taken).
LONGEST_FILE_STEM = 60
REMINDER_WORDS = {1: "in two months", 2: "in a month", 3: "in a week"}


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _lock(policy: Policy) -> Policy:
    """Of two people changing a policy or its versions at once, the second waits and then sees the first's change."""
    return Policy.objects.select_for_update().get(pk=policy.pk)


def _check_title(school: School, title: str, policy: Policy | None = None) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Give the policy's title."})
    taken = Policy.objects.for_school(school).filter(title__iexact=title)
    if policy is not None:
        taken = taken.exclude(pk=policy.pk)
    if taken.exists():
        raise ValidationError({"title": f"There is already a policy called “{title}”: choose another title."})
    return title


def _check_owner(school: School, owner: StaffMember | None, policy: Policy | None = None) -> None:
    if owner is None or (policy is not None and owner.pk == policy.owner_id):
        return
    in_post = owner.leaving_date is None or owner.leaving_date > timezone.localdate()
    if owner.school_id != school.pk or not in_post:
        raise ValidationError({"owner": f"{owner} is not on the school's staff."})


def _refuse_if_retired(policy: Policy) -> None:
    if policy.retired_on is not None:
        raise AlreadyDone(f"This policy was retired on {_day(policy.retired_on)}: a retired policy is not changed.")


@transaction.atomic
def policy_create(
    *, school: School, actor: User, title: str, kind: str, owner: StaffMember | None, staff_must_acknowledge: bool
) -> Policy:
    """A new policy on the register, without a version yet."""
    policy = Policy(
        school=school,
        title=_check_title(school, title),
        kind=kind,
        owner=owner,
        staff_must_acknowledge=staff_must_acknowledge,
    )
    _check_owner(school, owner)
    save_with_history(policy, actor=actor, reason="Added to the register")
    return policy


@transaction.atomic
def policy_update(
    *,
    policy: Policy,
    actor: User,
    title: str,
    kind: str,
    owner: StaffMember | None,
    staff_must_acknowledge: bool,
    next_review_on: date | None = None,
) -> bool:
    """
    Change a policy's details; its next review date only once a version is in force (approval sets it), and not to
    a day before that version's approval. Returns whether anything changed.
    """
    policy = _lock(policy)
    _refuse_if_retired(policy)
    school = policy.school
    title = _check_title(school, title, policy)
    _check_owner(school, owner, policy)
    in_force = PolicyVersion.objects.filter(policy=policy, status=Status.APPROVED).first()
    if in_force is not None and next_review_on is not None:
        if next_review_on <= in_force.approved_on:
            raise ValidationError(
                {
                    "next_review_on": f"The review is due after the version in force was approved "
                    f"({_day(in_force.approved_on)}): give a later date."
                }
            )
    else:
        next_review_on = policy.next_review_on
    new = {
        "title": title,
        "kind": kind,
        "owner_id": owner.pk if owner else None,
        "staff_must_acknowledge": staff_must_acknowledge,
        "next_review_on": next_review_on,
    }
    if all(getattr(policy, key) == value for key, value in new.items()):
        return False
    for key, value in new.items():
        setattr(policy, key, value)
    save_with_history(policy, actor=actor, reason="Details changed")
    return True


@transaction.atomic
def policy_retire(*, policy: Policy, actor: User, retired_on: date) -> Policy:
    """
    The policy is no longer in use (replaced by another, or no longer needed): it leaves the staff's list and the
    reviews, and staff are no longer asked to acknowledge it. Its versions stay on the register.
    """
    policy = _lock(policy)
    _refuse_if_retired(policy)
    if retired_on > timezone.localdate():
        raise ValidationError({"retired_on": "This is in the future. Retire the policy on the day it stops being in use."})
    policy.retired_on = retired_on
    save_with_history(policy, actor=actor, reason="Retired")
    return policy


def _short_name(document: UploadedFile) -> UploadedFile:
    path = PurePath(document.name)
    stem = path.stem[:LONGEST_FILE_STEM] or "document"
    document.name = f"{stem}{path.suffix.lower()}"
    return document


@transaction.atomic
def policy_version_create(
    *, policy: Policy, actor: User, version: str, document: UploadedFile | None, text: str, changes: str
) -> PolicyVersion:
    """A new version of the policy, a draft until it is approved: its document as a file, or its text."""
    policy = _lock(policy)
    _refuse_if_retired(policy)
    label = version.strip()
    if not label:
        raise ValidationError({"version": "Give the version's number or name."})
    if PolicyVersion.objects.filter(policy=policy, version__iexact=label).exists():
        raise ValidationError({"version": f"This policy already has a version {label}: give the new one another number."})
    if document is None and not text.strip():
        raise ValidationError({"text": "Upload the document as a file, or write its text here."})
    draft = PolicyVersion(
        policy=policy,
        version=label,
        status=Status.DRAFT,
        document=_short_name(document) if document is not None else "",
        text=text.strip(),
        changes=changes.strip(),
        created_by=actor,
    )
    save_with_history(draft, actor=actor, reason="Drafted")
    return draft


@transaction.atomic
def policy_version_discard(*, version: PolicyVersion, actor: User) -> None:
    """A draft no longer wanted (uploaded by mistake, or overtaken by another draft): removed, with its file."""
    policy = _lock(version.policy)
    version = PolicyVersion.objects.select_for_update().filter(pk=version.pk, policy=policy).first()
    if version is None:
        raise AlreadyDone("This draft has already been discarded.")
    if version.status != Status.DRAFT:
        raise AlreadyDone(f"Version {version.version} has been approved: only a draft can be discarded.")
    document = version.document
    version._history_user = actor
    version._change_reason = "Discarded"
    version.delete()
    if document:
        storage, name = document.storage, document.name
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def policy_version_approve(
    *,
    version: PolicyVersion,
    actor: User,
    approved_by: str,
    approved_at_meeting: str,
    approved_on: date,
    next_review_on: date | None = None,
) -> PolicyVersion:
    """
    Record a draft's approval: who approved it, at which meeting, on what day (not a day to come). It comes into
    force: the version before it is superseded, and the policy's next review is due on `next_review_on`, by default
    the school's review period after the approval. The version keeps the review it answered (the policy's next review
    date until now), so that the governors' report can say whether reviews were on time. Staff asked to acknowledge
    the policy are asked again, for this version, at their next login.
    """
    policy = _lock(version.policy)
    _refuse_if_retired(policy)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.DRAFT:
        raise AlreadyDone(f"Version {version.version} was approved on {_day(version.approved_on)} by {version.approved_by}.")
    errors = {}
    if not approved_by.strip():
        errors["approved_by"] = "Say who approved it."
    today = timezone.localdate()
    if approved_on > today:
        errors["approved_on"] = "This is in the future. Record the approval once it has been given."
    previous = PolicyVersion.objects.filter(policy=policy, status=Status.APPROVED).first()
    if previous is not None and approved_on < previous.approved_on:
        errors["approved_on"] = (
            f"Version {previous.version}, in force now, was approved on {_day(previous.approved_on)}: a new version is "
            "approved on that day or later."
        )
    if next_review_on is None:
        next_review_on = add_months(approved_on, policy_settings_for(policy.school).review_months)
    elif next_review_on <= approved_on:
        errors["next_review_on"] = "The next review is due after the approval: give a later date."
    if errors:
        raise ValidationError(errors)
    if previous is not None:
        previous.status = Status.SUPERSEDED
        save_with_history(previous, actor=actor, reason=f"Superseded by version {version.version}")
    version.status = Status.APPROVED
    version.approved_by = approved_by.strip()
    version.approved_at_meeting = approved_at_meeting.strip()
    version.approved_on = approved_on
    version.review_due_on = policy.next_review_on
    save_with_history(version, actor=actor, reason="Approved")
    policy.next_review_on = next_review_on
    save_with_history(policy, actor=actor, reason=f"Version {version.version} approved")
    return version


@transaction.atomic
def policy_acknowledge(*, version: PolicyVersion, staff_member: StaffMember, actor: User) -> tuple[PolicyAcknowledgement, bool]:
    """
    A member of staff in post says they have read a version in force. Once only: a second time returns the first
    acknowledgement. Returns it, and whether it is new.
    """
    version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if version.status != Status.APPROVED or version.policy.retired_on is not None:
        raise AlreadyDone(
            f"Version {version.version} of {version.policy} is no longer in force: there is nothing to acknowledge."
        )
    in_post = staff_member.leaving_date is None or staff_member.leaving_date > timezone.localdate()
    if staff_member.school_id != version.policy.school_id or not in_post:
        raise ValidationError("Only a member of the school's staff in post acknowledges its policies.")
    existing = PolicyAcknowledgement.objects.filter(version=version, staff_member=staff_member).first()
    if existing is not None:
        return existing, False
    acknowledgement = PolicyAcknowledgement(version=version, staff_member=staff_member)
    save_with_history(acknowledgement, actor=actor, reason="Read and acknowledged")
    return acknowledgement, True


# --- Reminders of reviews -------------------------------------------------------------------------------------------


def _leads(school: School) -> list[User]:
    return list(
        User.objects.filter(is_active=True, memberships__school=school, memberships__role=Role.LEAD).distinct().order_by("pk")
    )


def _recipients(policy: Policy, leads: list[User], today: date) -> list[User]:
    """The owner, while they are in post with an active login; otherwise the e-safety lead(s)."""
    owner = policy.owner
    if owner is not None and owner.user is not None and owner.user.is_active:
        if owner.leaving_date is None or owner.leaving_date > today:
            return [owner.user]
    return leads


def _reminder_title(policy: Policy, stage: int, today: date) -> str:
    review_on = policy.next_review_on
    if review_on < today:
        return f"The review of {policy.title} is overdue: it was due on {_day(review_on)}"
    if review_on == today:
        return f"The review of {policy.title} is due today"
    starts = dict(reminder_thresholds(review_on))
    days = (review_on - today).days
    when = REMINDER_WORDS[stage] if starts[stage] == today else f"in {days} day{'s' if days != 1 else ''}"
    return f"The review of {policy.title} is due {when}, on {_day(review_on)}"


def policy_review_reminders_send(school: School) -> int:
    """
    Remind each policy's owner (or, without one, the e-safety lead) of its next review: two months, one month and
    one week before it is due, and on the day; each once (only the latest, when several fell due since the last run).
    A new review date starts the reminders again; a retired policy, or one without a review date, gets none. Run
    daily (policies.tasks); returns how many notifications were sent, none the second time the same day.
    """
    today = timezone.localdate()
    leads = None
    sent = 0
    for policy in policies_to_remind(school, today):
        stage = reminder_stage_due(policy.next_review_on, today)
        done = policy.reminder_stage if policy.reminded_for == policy.next_review_on else 0
        if stage <= done:
            continue
        if leads is None:
            leads = _leads(school)
        recipients = _recipients(policy, leads, today)
        if not recipients:
            continue
        with transaction.atomic():
            # Stamp first, on the values read, in the notification's transaction: two runs at once send once.
            stamped = Policy.objects.filter(
                pk=policy.pk,
                next_review_on=policy.next_review_on,
                reminded_for=policy.reminded_for,
                reminder_stage=policy.reminder_stage,
            ).update(reminded_for=policy.next_review_on, reminder_stage=stage)
            if not stamped:
                continue
            sent += len(
                notify(
                    recipients=recipients,
                    school=school,
                    title=_reminder_title(policy, stage, today),
                    body="Review the policy with those who need a say, add the new version and record its approval. "
                    "Until then it shows as due on the head teacher's and the e-safety lead's home pages.",
                    link=reverse("policies:policy_detail", args=[policy.pk]),
                    email=True,
                )
            )
    return sent
