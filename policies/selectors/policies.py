"""
The register of policies: who may read what (the lead and the head teacher see every policy and version; the rest of
the staff the versions in force), the versions a member of staff still has to read and acknowledge, and who has
acknowledged a version. Reads only; every write is in policies.services.policies.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from esafety.access import SchoolAccess
from esafety.models import School, StaffMember, User
from esafety.roles import Capability
from policies.models import Policy, PolicyAcknowledgement, PolicySettings, PolicyVersion, add_months

C = Capability
Status = PolicyVersion.Status
# Reviews due this soon show beside the overdue ones on the home page.
DUE_SOON = 1  # month


def manages(access: SchoolAccess) -> bool:
    return access.can(C.MANAGE_POLICIES)


def policy_settings_for(school: School) -> PolicySettings:
    """The school's settings; a school set up before policies existed reads the defaults (reading creates nothing)."""
    return PolicySettings.objects.for_school(school).first() or PolicySettings(school=school)


def _in_force(policy_field: str = "pk") -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(policy=OuterRef(policy_field), status=Status.APPROVED)


def policies_for(access: SchoolAccess) -> QuerySet[Policy]:
    """
    Those who keep the register see every policy, drafts and retired ones too; the rest of the staff the policies
    in use that have a version in force. Each with its version in force (label, approval date), and whether a draft
    waits for approval.
    """
    if access.school is None or not access.can(C.READ_POLICIES):
        return Policy.objects.none()
    policies = (
        Policy.objects.for_school(access.school)
        .select_related("owner")
        .annotate(
            current_version=Subquery(_in_force().values("version")[:1]),
            current_version_id=Subquery(_in_force().values("pk")[:1]),
            current_approved_on=Subquery(_in_force().values("approved_on")[:1]),
            has_draft=Exists(PolicyVersion.objects.filter(policy=OuterRef("pk"), status=Status.DRAFT)),
        )
    )
    if manages(access):
        return policies
    return policies.in_use().filter(Exists(_in_force()))


def get_policy_or_404(access: SchoolAccess, policy_id) -> Policy:
    return get_object_or_404(policies_for(access), pk=policy_id)


def versions_for(access: SchoolAccess) -> QuerySet[PolicyVersion]:
    """Every version for those who keep the register; the versions in force of policies in use for the rest."""
    if access.school is None or not access.can(C.READ_POLICIES):
        return PolicyVersion.objects.none()
    versions = PolicyVersion.objects.filter(policy__school=access.school).select_related("policy", "created_by")
    if manages(access):
        return versions
    return versions.filter(status=Status.APPROVED, policy__retired_on__isnull=True)


def get_version_or_404(access: SchoolAccess, version_id) -> PolicyVersion:
    return get_object_or_404(versions_for(access).select_related("policy__owner"), pk=version_id)


def versions_of(access: SchoolAccess, policy: Policy) -> list[PolicyVersion]:
    """The policy's versions the user may see, newest first."""
    return list(versions_for(access).filter(policy=policy).order_by("-created_at", "-pk"))


def owner_choices(school: School, owner: StaffMember | None = None) -> QuerySet[StaffMember]:
    """The staff in post who may own a policy, and its present owner even if they have left (so the form keeps them)."""
    staff = StaffMember.objects.for_school(school)
    in_post = Q(pk__in=staff.current().values("pk"))
    if owner is not None:
        in_post |= Q(pk=owner.pk)
    return staff.filter(in_post).order_by("last_name", "first_name")


# --- Acknowledgements ---------------------------------------------------------------------------------------------


def staff_member_of(user: User, school: School, today: date | None = None) -> QuerySet[StaffMember]:
    """The user's staff record at the school, while they are in post (none for governors, the trust, leavers)."""
    return StaffMember.objects.for_school(school).current(today).filter(user=user)


def _acknowledged_by_user(user: User, school: School) -> Exists:
    return Exists(
        PolicyAcknowledgement.objects.filter(version=OuterRef("pk"), staff_member__user=user, staff_member__school=school)
    )


def versions_to_acknowledge(school: School) -> QuerySet[PolicyVersion]:
    """The versions in force that staff are asked to read and acknowledge."""
    return PolicyVersion.objects.filter(
        policy__school=school,
        status=Status.APPROVED,
        policy__staff_must_acknowledge=True,
        policy__retired_on__isnull=True,
    )


def acknowledgements_due(user: User, school: School | None) -> QuerySet[PolicyVersion]:
    """
    The versions this user must still read and acknowledge at the school: none unless they are a member of its
    staff in post. One query, however many policies.
    """
    if school is None or not user.is_authenticated:
        return PolicyVersion.objects.none()
    return (
        versions_to_acknowledge(school)
        .filter(Exists(staff_member_of(user, school)))
        .exclude(_acknowledged_by_user(user, school))
        .select_related("policy")
        .order_by("policy__title")
    )


@dataclass(frozen=True)
class OwnAcknowledgement:
    """A reader's own acknowledgement of a version: whether they are on the staff to give one, and when they did."""

    on_staff: bool
    acknowledged_at: datetime | None


def own_acknowledgement(access: SchoolAccess, version: PolicyVersion) -> OwnAcknowledgement:
    """Whether the user is a member of the school's staff in post, and when they acknowledged the version. One query."""
    when = PolicyAcknowledgement.objects.filter(version=version, staff_member=OuterRef("pk")).values("acknowledged_at")[:1]
    found = list(staff_member_of(access.user, access.school).annotate(at=Subquery(when)).values_list("at", flat=True)[:1])
    return OwnAcknowledgement(on_staff=bool(found), acknowledged_at=found[0] if found else None)


@dataclass
class AcknowledgementRow:
    member: StaffMember
    acknowledged_at: datetime | None


@dataclass
class AcknowledgementStatus:
    """Who of the staff in post has and has not acknowledged a version: the lead's view. Names: personal data."""

    version: PolicyVersion
    acknowledged: list[AcknowledgementRow]
    not_yet: list[AcknowledgementRow]

    @property
    def in_post(self) -> int:
        return len(self.acknowledged) + len(self.not_yet)


def acknowledgement_status(version: PolicyVersion, today: date | None = None) -> AcknowledgementStatus:
    """Every member of staff in post, with when they acknowledged the version (None: not yet). One query."""
    when = PolicyAcknowledgement.objects.filter(version=version, staff_member=OuterRef("pk")).values("acknowledged_at")[:1]
    staff = (
        StaffMember.objects.for_school(version.policy.school_id)
        .current(today)
        .annotate(acknowledged_at=Subquery(when))
        .order_by("last_name", "first_name", "pk")
    )
    rows = [AcknowledgementRow(member, member.acknowledged_at) for member in staff]
    return AcknowledgementStatus(
        version=version,
        acknowledged=sorted((r for r in rows if r.acknowledged_at), key=lambda r: r.acknowledged_at),
        not_yet=[r for r in rows if not r.acknowledged_at],
    )


@dataclass(frozen=True)
class AcknowledgementCounts:
    acknowledged: int
    in_post: int


def acknowledgement_counts(version: PolicyVersion, today: date | None = None) -> AcknowledgementCounts:
    """How many of the staff in post have acknowledged the version. One query."""
    done = Exists(PolicyAcknowledgement.objects.filter(version=version, staff_member=OuterRef("pk")))
    counts = (
        StaffMember.objects.for_school(version.policy.school_id)
        .current(today)
        .annotate(done=done)
        .aggregate(in_post=Count("pk"), acknowledged=Count("pk", filter=Q(done=True)))
    )
    return AcknowledgementCounts(acknowledged=counts["acknowledged"], in_post=counts["in_post"])


# --- Reviews --------------------------------------------------------------------------------------------------------


def reviews_due(school: School, today: date) -> list[Policy]:
    """
    Policies in use whose review is overdue or due within a month, the most overdue first: the home page's panel.
    One query; a school keeps a few dozen policies at most.
    """
    return list(
        Policy.objects.for_school(school)
        .in_use()
        .filter(next_review_on__lte=add_months(today, DUE_SOON))
        .order_by("next_review_on", "title")
    )


def reminder_thresholds(review_on: date) -> list[tuple[int, date]]:
    """The reminders of a review (stage, the day it is sent from): two months, one month, one week before, and on the day."""
    return [
        (1, add_months(review_on, -2)),
        (2, add_months(review_on, -1)),
        (3, review_on - timedelta(days=7)),
        (4, review_on),
    ]


def reminder_stage_due(review_on: date, today: date) -> int:
    """The latest reminder whose day has come (0: none yet)."""
    return max((stage for stage, start in reminder_thresholds(review_on) if start <= today), default=0)


def policies_to_remind(school: School, today: date) -> QuerySet[Policy]:
    """
    Policies in use whose next review is about two months away or less: the candidates for a reminder today (a few
    days more than two months, for the months of different lengths; `reminder_stage_due` decides).
    """
    return (
        Policy.objects.for_school(school)
        .in_use()
        .filter(next_review_on__isnull=False, next_review_on__lte=add_months(today, 2) + timedelta(days=4))
        .select_related("owner__user")
        .order_by("next_review_on", "pk")
    )
