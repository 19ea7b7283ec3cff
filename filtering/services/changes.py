"""The log of changes made to the filter itself, and the head teacher's agreement to each."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import School, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.models import FilterChange, FilterGroup, SiteReport

Agreement = FilterChange.Agreement


class AlreadyDone(ValidationError):
    """Someone else got there first: the message says who, when and what they did."""


def staff_with_roles(school: School, roles) -> QuerySet[User]:
    """The active users holding any of `roles` at the school, e.g. whom to tell of a report."""
    return (
        User.objects.filter(is_active=True, memberships__school=school, memberships__role__in=roles)
        .distinct()
        .order_by("full_name")
    )


def when_words(moment: datetime) -> str:
    """A time for "already done by … at …": the time alone today, with the day otherwise."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local.day} {local:%b %Y}"


@transaction.atomic
def filter_change_log(
    *,
    school: School,
    actor: User,
    kind: str,
    applies_to: str,
    description: str,
    reason: str,
    risk_assessment: str,
    made_at: datetime,
    agreement: str,
    emergency_reason: str = "",
    group: FilterGroup | None = None,
    ends_on: date | None = None,
    site_report: SiteReport | None = None,
) -> FilterChange:
    """Log a change made to the filter; the head teacher is asked to agree it in the app (by e-mail too in an emergency)."""
    if group is not None and group.school_id != school.pk:
        raise ValidationError({"group": "Choose one of your school's filter groups."})
    if site_report is not None and site_report.school_id != school.pk:
        raise ValidationError("The site report is not one of your school's.")
    if agreement == Agreement.EMERGENCY and not emergency_reason.strip():
        raise ValidationError({"emergency_reason": "Say why the change could not wait for the head teacher's agreement."})
    change = FilterChange(
        school=school,
        kind=kind,
        applies_to=applies_to.strip(),
        group=group,
        description=description.strip(),
        reason=reason.strip(),
        risk_assessment=risk_assessment.strip(),
        made_at=made_at,
        made_by=actor,
        ends_on=ends_on,
        agreement=agreement,
        emergency_reason=emergency_reason.strip() if agreement == Agreement.EMERGENCY else "",
        site_report=site_report,
    )
    save_with_history(change, actor=actor, reason="Logged")
    emergency = agreement == Agreement.EMERGENCY
    # The kind of change only: who or what it applies to may name a member of staff, and an e-mail may be read anywhere.
    notify(
        recipients=staff_with_roles(school, [Role.HEAD]).exclude(pk=actor.pk),
        school=school,
        title="An emergency change to the web filter needs your agreement now"
        if emergency
        else "A change to the web filter waits for your agreement",
        body=f"{change.get_kind_display()}, made by {actor} on {timezone.localtime(made_at):%d/%m/%Y at %H:%M}.",
        link=reverse("filtering:change_detail", args=[change.pk]),
        email=emergency,
    )
    return change


@transaction.atomic
def filter_change_agree(*, change: FilterChange, actor: User) -> FilterChange:
    """The head teacher agrees a change in the app; whoever made it cannot, and agreeing twice says who did first."""
    # Locked, so that two head teachers agreeing at once do not both write their name; who agreed first is read
    # after the lock, not joined to it (a join is of the rows as they were before the wait).
    change = FilterChange.objects.select_for_update().get(pk=change.pk)
    if change.agreed_at is not None:
        raise AlreadyDone(f"Already agreed by {change.agreed_by} at {when_words(change.agreed_at)}.")
    if change.made_by_id == actor.pk:
        raise ValidationError("You made this change yourself, so someone else must agree it: another head teacher.")
    change.agreed_by = actor
    change.agreed_at = timezone.now()
    save_with_history(change, actor=actor, reason="Agreed by the head teacher")
    notify(
        recipients=[change.made_by],
        school=change.school,
        title=f"{actor} has agreed your change to the web filter",
        body=change.get_kind_display(),
        link=reverse("filtering:change_detail", args=[change.pk]),
    )
    return change
