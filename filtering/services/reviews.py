"""The regular review of the logs, and the yearly filtering and monitoring review."""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import Membership, Pupil, School, User
from esafety.notifications import notify
from esafety.roles import Role
from esafety.terms.calendar import year_label
from filtering import selectors
from filtering.figures import year_figures
from filtering.models import AnnualReview, AnnualReviewAction, FilterSettings, LogReview

# --- Reviews of the logs ------------------------------------------------------------


@transaction.atomic
def log_review_sign(*, school: School, actor: User, findings: str) -> LogReview:
    """
    Sign off a review of the logs: it covers everything since the last review ended (everything so far for the
    first) up to now, and keeps the date it was due by, to tell later whether it was on time.
    """
    findings = findings.strip()
    if not findings:
        raise ValidationError({"findings": "Write what you found, even if everything was in order."})
    # Two reviewers signing at once would both follow the same last review: one waits for the other.
    FilterSettings.objects.select_for_update().filter(school=school).first()
    last = LogReview.objects.filter(school=school).order_by("-signed_at", "-pk").first()
    due = selectors.log_review_due(school, last=last)
    now = timezone.now()
    review = LogReview(
        school=school,
        covers_from=last.covers_to if last else None,
        covers_to=now,
        findings=findings,
        reviewed_by=actor,
        signed_at=now,
        was_due_on=due.due_on,
    )
    save_with_history(review, actor=actor, reason="Signed off")
    return review


# --- The yearly review --------------------------------------------------------------

# What the review may be saved without while it is a draft; it is signed off only once they are written.
PARTICIPANTS = ("senior_leader", "dsl", "it_lead", "governor")
REQUIRED_TO_SIGN = (*PARTICIPANTS, "checks", "pupil_profiles", "staff_profiles", "findings")
REVIEW_FIELDS = (
    *PARTICIPANTS,
    "others",
    "checks",
    "pupil_profiles",
    "staff_profiles",
    "monitoring",
    "findings",
    "next_review_on",
    "early_triggers",
)
TEXT_FIELDS = tuple(name for name in REVIEW_FIELDS if name != "next_review_on")


@dataclass
class ActionRow:
    """One row of the review's actions as the form gives it: a new action when `action` is None."""

    action: AnnualReviewAction | None
    text: str = ""
    owner: str = ""
    due_on: date | None = None
    done_on: date | None = None
    delete: bool = False


def action_error_key(index: int, name: str) -> str:
    """How an error of the `index`-th action row's field is keyed in the ValidationError the services raise."""
    return f"action:{index}:{name}"


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[\w'’-]+", text.lower())) + " "


def _pupil_names_in(school: School, texts: dict[str, str]) -> dict[str, str]:
    """
    For each of `texts` (key → text) that holds the full name of one of the school's pupils, past or present
    (first or preferred name, then last name), the name found. One query.
    """
    wanted = {key: _words(text) for key, text in texts.items() if text and text.strip()}
    if not wanted:
        return {}
    found = {}
    for first, preferred, last in Pupil.objects.filter(school=school).values_list("first_name", "preferred_name", "last_name"):
        for given in {first, preferred} - {""}:
            name = _words(f"{given} {last}")
            if name.count(" ") < 3:  # a name of one word alone is too common to tell from ordinary words
                continue
            for key, text in wanted.items():
                if key not in found and name in text:
                    found[key] = f"{given} {last}"
    return found


def _no_pupil_names(school: School, review: AnnualReview, rows: list[ActionRow]) -> dict[str, list[str]]:
    """The review is read by governors: a pupil's name in any of it is refused, beside the field that holds it."""
    texts = {name: getattr(review, name) for name in TEXT_FIELDS}
    for index, row in enumerate(rows):
        if not row.delete:
            texts[action_error_key(index, "text")] = row.text
            texts[action_error_key(index, "owner")] = row.owner
    errors = {}
    for key, name in _pupil_names_in(school, texts).items():
        if key.endswith(":owner"):
            errors[key] = [f"The owner is a role or a member of staff, not a pupil: “{name}” is a pupil's name."]
        else:
            errors[key] = [f"Governors read this review: leave out pupils' names (“{name}” is a pupil's name)."]
    return errors


def _clean_review(review: AnnualReview) -> None:
    """A draft may be saved with its participants, checks, profiles and findings still to write: signing it needs them."""
    review.full_clean(exclude=[] if review.status == AnnualReview.Status.SIGNED else list(REQUIRED_TO_SIGN))


def _save_review(review: AnnualReview, *, actor: User, reason: str, clean: bool = True) -> None:
    """As `save_with_history`, with the checks of `_clean_review`."""
    if clean:
        _clean_review(review)
    review._history_user = actor
    review._change_reason = reason
    review.save()


def _refuse_if_signed(review: AnnualReview) -> AnnualReview:
    """The review as it is now, locked for the change; a signed review is kept as it was signed."""
    current = AnnualReview.objects.select_for_update().get(pk=review.pk)
    if current.status == AnnualReview.Status.SIGNED:
        raise ValidationError("This review has been signed off: it can no longer be changed.")
    return current


@transaction.atomic
def annual_review_create(*, school: School, actor: User, start_year: int, fields: dict) -> AnnualReview:
    """Start the year's review as a draft, with the year's figures as they are now."""
    if AnnualReview.objects.filter(school=school, start_year=start_year).exists():
        raise ValidationError(f"The review of {year_label(start_year)} has already been started.")
    review = AnnualReview(
        school=school,
        start_year=start_year,
        created_by=actor,
        figures=year_figures(school, start_year),
        **{name: value for name, value in fields.items() if name in REVIEW_FIELDS},
    )
    errors = _no_pupil_names(school, review, [])
    if errors:
        raise ValidationError(errors)
    _save_review(review, actor=actor, reason="Started")
    return review


@transaction.atomic
def annual_review_save(*, review: AnnualReview, actor: User, fields: dict, actions: list[ActionRow]) -> AnnualReview:
    """
    Save the draft and its actions together: every row is checked first, and either all of it is saved or
    nothing is. Errors are keyed by the review's field, or by `action_error_key` for a row of the actions.
    """
    review = _refuse_if_signed(review)
    before = [getattr(review, name) for name in REVIEW_FIELDS]
    for name in REVIEW_FIELDS:
        if name in fields:
            setattr(review, name, fields[name])
    changed = before != [getattr(review, name) for name in REVIEW_FIELDS]
    errors = {}
    existing = {action.pk: action for action in AnnualReviewAction.objects.filter(review=review)}
    to_save, to_delete = [], []
    for index, row in enumerate(actions):
        action = row.action
        if action is not None:
            action = existing.get(action.pk)
            if action is None:
                errors[action_error_key(index, "text")] = ["This action is no longer in the review: reload the page."]
                continue
        if row.delete:
            if action is not None:
                to_delete.append(action)
            continue
        action = action or AnnualReviewAction(review=review)
        before = (action.text, action.owner, action.due_on, action.done_on)
        action.text, action.owner, action.due_on, action.done_on = row.text.strip(), row.owner.strip(), row.due_on, row.done_on
        try:
            action.full_clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[action_error_key(index, name)] = messages
            continue
        if action.pk is None or before != (action.text, action.owner, action.due_on, action.done_on):
            to_save.append(action)
    errors.update(_no_pupil_names(review.school, review, actions))
    try:
        _clean_review(review)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if changed:
        _save_review(review, actor=actor, reason="Edited", clean=False)
    for action in to_delete:
        action._history_user = actor
        action.delete()
    for action in to_save:
        save_with_history(action, actor=actor, reason="Added" if action.pk is None else "Edited")
    return review


@transaction.atomic
def annual_review_refresh_figures(*, review: AnnualReview, actor: User) -> AnnualReview:
    """Work the year's figures out again, for a draft started before the year's records were all in."""
    review = _refuse_if_signed(review)
    review.figures = year_figures(review.school, review.start_year)
    _save_review(review, actor=actor, reason="Figures worked out again")
    return review


MISSING_WORDS = {
    "senior_leader": "the senior leader",
    "dsl": "the designated safeguarding lead",
    "it_lead": "the IT lead or provider",
    "governor": "the governor",
    "checks": "what was checked and tested",
    "pupil_profiles": "the pupil profiles",
    "staff_profiles": "the staff profiles",
    "findings": "the findings",
}


def missing_to_sign(review: AnnualReview) -> list[str]:
    """What the review still needs before it may be signed off, in words."""
    return [MISSING_WORDS[name] for name in REQUIRED_TO_SIGN if not (getattr(review, name) or "").strip()]


@transaction.atomic
def annual_review_sign(*, review: AnnualReview, actor: User) -> AnnualReview:
    """
    Sign the review off: refused while a participant, the checks, the profiles or the findings are missing.
    From then on it is read-only, and the governors may read it: they are told.
    """
    review = _refuse_if_signed(review)
    missing = missing_to_sign(review)
    if missing:
        listed = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise ValidationError(f"It cannot be signed off yet: write {listed} first.")
    review.status = AnnualReview.Status.SIGNED
    review.signed_by = actor
    review.signed_at = timezone.now()
    _save_review(review, actor=actor, reason="Signed off")
    governors = [
        membership.user
        for membership in Membership.objects.filter(
            school=review.school, role=Role.GOVERNOR, user__is_active=True
        ).select_related("user")
    ]
    notify(
        recipients=governors,
        school=review.school,
        title=f"The filtering and monitoring review of {year_label(review.start_year)} has been signed off",
        body="It is ready for governors to read.",
        link=reverse("filtering:annual_review_detail", kwargs={"review_id": review.pk}),
    )
    return review
