"""
What each user may see of staff training: the e-safety lead, the DSL and the head teacher keep the register of
every member of staff's training (MANAGE_TRAINING); every member of staff sees their own records and what they
have due (VIEW_OWN_TRAINING). Another school's record, or one outside the user's reach, is a 404.

Who is due or overdue is worked out from one annotated query of the staff in post, whatever their number: each
person's start date, whether they have had e-safety or safeguarding training since they started, and their latest
such training with its expiry date (`staff_training_states`). The rules (`training_due_of`):

- induction: a member of staff with a start date completes induction, online-safety or safeguarding training on or
  after it, within the school's induction period; due until that deadline, overdue after it;
- refresher: otherwise, their latest induction, online-safety or safeguarding training expires on its own expiry
  date, or the school's refresher period after it was completed; due within REFRESHER_DUE_DAYS of that day,
  overdue once it has passed, and overdue too for someone who has never been trained.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, TextChoices, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from esafety.access import SchoolAccess
from esafety.models import School, StaffMember
from esafety.roles import Capability
from policies.models import PolicySettings, TrainingRecord, TrainingReminder, add_months

C = Capability
Kind = TrainingRecord.Kind
# The training that counts towards induction and the yearly refresher: e-safety and safeguarding.
CORE_KINDS = (Kind.INDUCTION, Kind.ONLINE_SAFETY, Kind.SAFEGUARDING)
# A refresher shows as due this many days before the training expires.
REFRESHER_DUE_DAYS = 30
_DEFAULTS = {name: PolicySettings._meta.get_field(name).default for name in ("induction_days", "refresher_months")}


def training_settings(school: School) -> PolicySettings:
    """The school's settings; reading them never creates them (a school without a row has the defaults)."""
    return PolicySettings.objects.for_school(school).first() or PolicySettings(school=school)


# --- Records -----------------------------------------------------------------------------------------------------


def training_records_for(access: SchoolAccess, user=None) -> QuerySet[TrainingRecord]:
    """Every record of the school for those who keep the register; a member of staff's own records for them."""
    records = TrainingRecord.objects.for_school(access.school).select_related("staff_member", "recorded_by")
    if access.can(C.MANAGE_TRAINING):
        return records
    if access.can(C.VIEW_OWN_TRAINING):
        return records.filter(staff_member__user=user or access.user)
    return TrainingRecord.objects.none()


def training_register(access: SchoolAccess) -> QuerySet[TrainingRecord]:
    """The register of every member of staff's training: for those who keep it."""
    if not access.can(C.MANAGE_TRAINING):
        return TrainingRecord.objects.none()
    return training_records_for(access)


def get_record_or_404(access: SchoolAccess, record_id) -> TrainingRecord:
    """A record of the register, for those who keep it."""
    return get_object_or_404(training_register(access), pk=record_id)


def get_certificate_record_or_404(access: SchoolAccess, record_id, user=None) -> TrainingRecord:
    """A record whose certificate this user may download: any, for those who keep the register; else their own."""
    return get_object_or_404(training_records_for(access, user), pk=record_id)


def staff_in_post(access: SchoolAccess) -> QuerySet[StaffMember]:
    """The members of staff training may be recorded for: those in post today."""
    if not access.can(C.MANAGE_TRAINING):
        return StaffMember.objects.none()
    return StaffMember.objects.for_school(access.school).current()


def search_filter(text: str) -> Q:
    """Each word in the person's name, their MIS staff code, the course or the provider."""
    q = Q()
    for word in text.split():
        q &= (
            Q(staff_member__first_name__icontains=word)
            | Q(staff_member__last_name__icontains=word)
            | Q(staff_member__mis_id__iexact=word)
            | Q(course__icontains=word)
            | Q(provider__icontains=word)
        )
    return q


def valid_from(day: date, months: int) -> date:
    """
    The earliest completion date of training, with no expiry date of its own, still valid on `day`: training
    completed on `c` lasts until `add_months(c, months)`, and that is on or after `day` from this date on.
    """
    candidate = add_months(day, -months)
    while add_months(candidate - timedelta(days=1), months) >= day:
        candidate -= timedelta(days=1)
    while add_months(candidate, months) < day:
        candidate += timedelta(days=1)
    return candidate


def expires_before_filter(day: date, months: int) -> Q:
    """Records whose training expired before `day`: on their own expiry date, or `months` after completion."""
    return Q(expires_on__lt=day) | Q(expires_on__isnull=True, completed_on__lt=valid_from(day, months))


class Expiry(TextChoices):
    """Where a record's training stands on a day: the register's filter, and its badge."""

    EXPIRED = "expired", "Expired"
    SOON = "soon", f"Expiring within {REFRESHER_DUE_DAYS} days"
    VALID = "valid", "Valid"


def expiry_filter(choice: str, today: date, months: int) -> Q:
    expired = expires_before_filter(today, months)
    later = expires_before_filter(today + timedelta(days=REFRESHER_DUE_DAYS + 1), months)
    if choice == Expiry.EXPIRED:
        return expired
    if choice == Expiry.SOON:
        return later & ~expired
    return ~expired


# The register's orders: (label, order_by).
ORDERS = {
    "completed": ("Completed, newest first", ("-completed_on", "staff_member__last_name", "staff_member__first_name")),
    "oldest": ("Completed, oldest first", ("completed_on", "staff_member__last_name", "staff_member__first_name")),
    "name": ("Name", ("staff_member__last_name", "staff_member__first_name", "-completed_on")),
    "course": ("Course", ("course", "staff_member__last_name", "-completed_on")),
    "kind": ("Kind", ("kind", "staff_member__last_name", "-completed_on")),
}


def expiry_of(record: TrainingRecord, refresher_months: int) -> date:
    """When the training runs out: its own expiry date, or the school's refresher period after completion."""
    return record.expires_on or add_months(record.completed_on, refresher_months)


def with_expiry(records, settings: PolicySettings, today: date) -> list[TrainingRecord]:
    """The records, each with `expiry` (the day it runs out) and `expiry_state` (expired, soon or valid)."""
    records = list(records)
    soon = today + timedelta(days=REFRESHER_DUE_DAYS)
    for record in records:
        record.expiry = expiry_of(record, settings.refresher_months)
        record.expiry_state = Expiry.EXPIRED if record.expiry < today else Expiry.SOON if record.expiry <= soon else Expiry.VALID
    return records


def records_of(staff_member: StaffMember) -> QuerySet[TrainingRecord]:
    """A member of staff's training, newest first."""
    return TrainingRecord.objects.filter(staff_member=staff_member).select_related("recorded_by").order_by("-completed_on")


# --- Who is due or overdue -----------------------------------------------------------------------------------------


class Due(TextChoices):
    """What a member of staff has due."""

    INDUCTION = "induction", "Induction"
    REFRESHER = "refresher", "Refresher"
    NEVER = "never", "Never trained"


@dataclass
class TrainingDue:
    """What one member of staff has due on `today`: induction, a refresher, or training they have never had."""

    staff_member: StaffMember
    what: Due
    due_on: date  # the deadline (for someone never trained: today)
    overdue: bool
    today: date
    last_completed: date | None = None
    last_course: str = ""

    @property
    def about(self) -> str:
        """What a reminder of it is about: induction, or a refresher (for someone never trained too)."""
        return TrainingReminder.About.INDUCTION if self.what == Due.INDUCTION else TrainingReminder.About.REFRESHER

    @property
    def label(self) -> str:
        if self.what == Due.INDUCTION:
            return "Induction overdue" if self.overdue else "Induction due"
        if self.what == Due.NEVER:
            return "Never trained"
        return "Refresher overdue" if self.overdue else "Refresher due"

    @property
    def days(self) -> int:
        """Days to the deadline, negative once it has passed."""
        return (self.due_on - self.today).days

    @property
    def days_late(self) -> int:
        return -self.days


def staff_training_states(school: School, today: date) -> QuerySet[StaffMember]:
    """
    The staff in post on `today`, each annotated with what `training_due_of` needs, in one query: the school's
    induction and refresher periods, whether they have had core training since their start date, and their latest
    core training (completion date, expiry date, course).
    """
    core = TrainingRecord.objects.filter(staff_member=OuterRef("pk"), kind__in=CORE_KINDS)
    latest = core.order_by("-completed_on", F("expires_on").desc(nulls_last=True))
    school_settings = PolicySettings.objects.filter(school=OuterRef("school"))
    return (
        StaffMember.objects.for_school(school)
        .current(today)
        .select_related("user")
        .annotate(
            training_induction_days=Coalesce(
                Subquery(school_settings.values("induction_days")[:1]),
                Value(_DEFAULTS["induction_days"]),
                output_field=IntegerField(),
            ),
            training_refresher_months=Coalesce(
                Subquery(school_settings.values("refresher_months")[:1]),
                Value(_DEFAULTS["refresher_months"]),
                output_field=IntegerField(),
            ),
            training_since_start=Exists(core.filter(completed_on__gte=OuterRef("start_date"))),
            training_last_completed=Subquery(latest.values("completed_on")[:1]),
            training_last_expires=Subquery(latest.values("expires_on")[:1]),
            training_last_course=Subquery(latest.values("course")[:1]),
        )
        .order_by("last_name", "first_name")
    )


def training_due_of(member: StaffMember, today: date) -> TrainingDue | None:
    """What a member of staff (annotated by `staff_training_states`) has due or overdue on `today`, or None."""
    last = member.training_last_completed
    facts = {"staff_member": member, "last_completed": last, "last_course": member.training_last_course or "", "today": today}
    if member.start_date is not None and not member.training_since_start:
        deadline = member.start_date + timedelta(days=member.training_induction_days)
        return TrainingDue(what=Due.INDUCTION, due_on=deadline, overdue=deadline < today, **facts)
    if last is None:
        return TrainingDue(what=Due.NEVER, due_on=today, overdue=True, **facts)
    expiry = member.training_last_expires or add_months(last, member.training_refresher_months)
    if expiry < today:
        return TrainingDue(what=Due.REFRESHER, due_on=expiry, overdue=True, **facts)
    if expiry <= today + timedelta(days=REFRESHER_DUE_DAYS):
        return TrainingDue(what=Due.REFRESHER, due_on=expiry, overdue=False, **facts)
    return None


def staff_training_due(school: School, today: date) -> list[TrainingDue]:
    """Every member of staff in post with training due or overdue: the overdue first, then by deadline and name."""
    found = [due for member in staff_training_states(school, today) if (due := training_due_of(member, today))]
    found.sort(key=lambda due: (not due.overdue, due.due_on, due.staff_member.last_name, due.staff_member.first_name))
    return found


def training_due_for(access: SchoolAccess, today: date) -> list[TrainingDue]:
    """Who is due or overdue: for those who keep the register."""
    if not access.can(C.MANAGE_TRAINING):
        return []
    return staff_training_due(access.school, today)


@dataclass
class DueCounts:
    due: int
    overdue: int


def training_due_counts(access: SchoolAccess, today: date) -> DueCounts:
    found = training_due_for(access, today)
    overdue = sum(1 for due in found if due.overdue)
    return DueCounts(due=len(found) - overdue, overdue=overdue)


# --- A member of staff's own training ---------------------------------------------------------------------------------


def my_staff_record(access: SchoolAccess, today: date, user=None) -> StaffMember | None:
    """The user's own staff record at the active school, in post and annotated as `staff_training_states` does."""
    if not access.can(C.VIEW_OWN_TRAINING):
        return None
    return staff_training_states(access.school, today).filter(user=user or access.user).first()


def my_training_due(access: SchoolAccess, today: date, user=None) -> TrainingDue | None:
    member = my_staff_record(access, today, user)
    return training_due_of(member, today) if member is not None else None


def my_records(access: SchoolAccess, user=None) -> QuerySet[TrainingRecord]:
    """The user's own training records at the active school, newest first."""
    if not access.can(C.VIEW_OWN_TRAINING):
        return TrainingRecord.objects.none()
    return (
        TrainingRecord.objects.for_school(access.school)
        .filter(staff_member__user=user or access.user)
        .select_related("staff_member")
        .order_by("-completed_on")
    )
