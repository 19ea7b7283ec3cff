"""
Reads of consents, each scoped to the active school and the viewer's role, so
that another school's record is a 404.

`photo_consent_for` is the one public answer to "may this pupil be
photographed, or their work published, for this use?": other apps (trips,
devices) ask it and nothing else.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, Count, F, FilteredRelation, IntegerField, OuterRef, Q, Subquery, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from consents.models import (
    ConsentAnswer,
    ConsentRound,
    ConsentSettings,
    ConsentSlip,
    ConsentType,
    SlipBatch,
    StaffAgreement,
    normalise_slip_code,
)
from esafety.access import SchoolAccess
from esafety.calendar import academic_year_start, key_stage_for_ncy
from esafety.models import AcademicYear, FormGroup, Pupil, School, StaffMember, YearGroup
from esafety.roles import Capability

Kind = ConsentType.Kind


# --- Settings --------------------------------------------------------------


def consent_settings_for(school: School) -> ConsentSettings:
    """The school's consent settings, made when the school was set up (consents.defaults)."""
    return ConsentSettings.objects.get(school=school)


def renewal_date(settings: ConsentSettings, academic_year: AcademicYear) -> date:
    """The school's renewal date within a school year (September to December fall in its first calendar year)."""
    year = academic_year.start_year if settings.renewal_month >= 9 else academic_year.start_year + 1
    day = min(settings.renewal_day, 28 if settings.renewal_month == 2 else 30 if settings.renewal_month in (4, 6, 9, 11) else 31)
    return date(year, settings.renewal_month, day)


# --- Types ------------------------------------------------------------------


def consent_types_for(access: SchoolAccess):
    if not (access.can(Capability.SET_UP_CONSENT) or access.can(Capability.RECORD_CONSENT)):
        return ConsentType.objects.none()
    return ConsentType.objects.for_school(access.school).select_related("current_wording")


def get_consent_type_or_404(access: SchoolAccess, type_id) -> ConsentType:
    return get_object_or_404(consent_types_for(access).prefetch_related("year_groups"), pk=type_id)


def applicable_year_groups(types: Iterable[ConsentType], school: School) -> dict[int, set[int] | None]:
    """For each type, the ids of the year groups it applies to; None for every pupil. Types need `year_groups` prefetched."""
    types = list(types)
    # The school's year groups are only needed for types limited by key stage.
    years = list(YearGroup.objects.for_school(school).values_list("pk", "ncy")) if any(t.key_stages for t in types) else []
    result: dict[int, set[int] | None] = {}
    for consent_type in types:
        chosen = {y.pk for y in consent_type.year_groups.all()}
        if not consent_type.key_stages and not chosen:
            result[consent_type.pk] = None
            continue
        by_stage = {pk for pk, ncy in years if key_stage_for_ncy(ncy) in consent_type.key_stages}
        result[consent_type.pk] = by_stage | chosen
    return result


def applies_to(year_groups: set[int] | None, pupil: Pupil) -> bool:
    return year_groups is None or pupil.year_group_id in year_groups


# --- Rounds ------------------------------------------------------------------


def rounds_for(access: SchoolAccess):
    if not access.can(Capability.RECORD_CONSENT):
        return ConsentRound.objects.none()
    return ConsentRound.objects.for_school(access.school).select_related("school", "academic_year", "created_by")


def get_round_or_404(access: SchoolAccess, round_id) -> ConsentRound:
    return get_object_or_404(rounds_for(access), pk=round_id)


def round_types(consent_round: ConsentRound) -> list[ConsentType]:
    if "consent_types" in getattr(consent_round, "_prefetched_objects_cache", {}):
        return sorted(consent_round.consent_types.all(), key=lambda t: (t.order, t.title))
    return list(
        consent_round.consent_types.select_related("current_wording").prefetch_related("year_groups").order_by("order", "title")
    )


def pupils_in_round(consent_round: ConsentRound, on: date | None = None):
    """The pupils on roll whom the round asks: its forms and year groups, or the whole school."""
    pupils = Pupil.objects.for_school(consent_round.school_id).current(on)
    # .all() rather than values_list, so that rounds loaded with prefetch_related cost no query here.
    form_ids = [form.pk for form in consent_round.forms.all()]
    year_ids = [year.pk for year in consent_round.year_groups.all()]
    if form_ids or year_ids:
        pupils = pupils.filter(Q(form_id__in=form_ids) | Q(year_group_id__in=year_ids))
    return pupils


def _answers_in_force(types: list[ConsentType], on: date | None) -> FilteredRelation:
    """
    A pupil's answers in force on a day (as `ConsentAnswerQuerySet.current`) to these consents, joined once
    to a Pupil queryset; the school comes with the pupil.
    """
    on = on or timezone.localdate()
    return FilteredRelation(
        "consent_answers",
        condition=Q(
            consent_answers__consent_type__in=[t.pk for t in types],
            consent_answers__superseded_at__isnull=True,
            consent_answers__expired_at__isnull=True,
        )
        & (Q(consent_answers__expires_on__isnull=True) | Q(consent_answers__expires_on__gte=on)),
    )


def pupils_with_answers_missing(consent_round: ConsentRound, types: list[ConsentType] | None = None, on: date | None = None):
    """
    Pupils of the round, annotated with what is missing: `missing_<type id>` is 1 when that consent applies
    to the pupil and has no answer in force, and `missing_count` adds them up. Filter on `missing_count__gt=0`
    for those to chase.

    One query, whatever the number of pupils and consents: the pupils' answers in force are joined once and
    counted per consent (`answered_<type id>`) in a single pass. A subquery per consent would be run again
    wherever the flags are used: in the filter, the sum, the sort and the count.
    """
    types = round_types(consent_round) if types is None else types
    pupils = pupils_in_round(consent_round, on).select_related("form", "year_group")
    if not types:
        return pupils.annotate(missing_count=Value(0, output_field=IntegerField()))
    applicable = applicable_year_groups(types, consent_round.school)
    answered, missing = {}, {}
    for consent_type in types:
        answered[f"answered_{consent_type.pk}"] = Count("in_force", filter=Q(in_force__consent_type_id=consent_type.pk))
        condition = Q(**{f"answered_{consent_type.pk}": 0})
        if applicable[consent_type.pk] is not None:
            condition &= Q(year_group_id__in=applicable[consent_type.pk])
        missing[f"missing_{consent_type.pk}"] = Case(
            When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    return (
        pupils.annotate(in_force=_answers_in_force(types, on))
        .annotate(**answered)
        .annotate(**missing)
        .annotate(missing_count=sum((F(name) for name in missing), Value(0)))
    )


@dataclass
class FormSummary:
    form_id: int | None
    name: str
    pupils: int
    complete: int

    @property
    def missing(self) -> int:
        return self.pupils - self.complete


def round_form_summaries(consent_round: ConsentRound, types: list[ConsentType]) -> list[FormSummary]:
    """
    For each form of the round: pupils, pupils with every answer in, and pupils still missing some. Two
    queries: what each pupil misses (a row a pupil, added up here, as SQL cannot sum what it counts per pupil
    without a second pass), and the forms' names.
    """
    tally: dict[int | None, list[int]] = {}
    for form_id, missing in pupils_with_answers_missing(consent_round, types).order_by().values_list("form_id", "missing_count"):
        counts = tally.setdefault(form_id, [0, 0])
        counts[0] += 1
        counts[1] += not missing
    forms = FormGroup.objects.for_school(consent_round.school_id).filter(pk__in=[pk for pk in tally if pk is not None])
    summaries = [
        FormSummary(form.pk, form.name, *tally[form.pk])
        for form in sorted(forms.select_related("year_group"), key=lambda form: (form.year_group.ncy, form.name))
    ]
    if None in tally:
        summaries.append(FormSummary(None, "No form", *tally[None]))
    return summaries


def open_rounds_missing_count(school: School) -> int:
    """Pupils still missing an answer in the school's open rounds (the office's home panel)."""
    rounds = (
        ConsentRound.objects.for_school(school)
        .filter(status=ConsentRound.Status.OPEN)
        .prefetch_related("consent_types__year_groups", "forms", "year_groups")
    )
    total = 0
    for consent_round in rounds:
        consent_round.school = school
        total += pupils_with_answers_missing(consent_round).filter(missing_count__gt=0).count()
    return total


# --- Slips and batches ---------------------------------------------------------


class SlipRefused(Exception):
    """A slip code that cannot be used here, with the reason in words for the office."""


def slips_for(access: SchoolAccess):
    if not access.can(Capability.RECORD_CONSENT):
        return ConsentSlip.objects.none()
    return ConsentSlip.objects.filter(round__school=access.school).select_related(
        "round__school", "round__academic_year", "pupil__form", "pupil__year_group"
    )


def slip_for_code(access: SchoolAccess, code: str, today: date | None = None) -> ConsentSlip:
    """The slip with this code, if the office may enter it now; otherwise `SlipRefused` saying why."""
    cleaned = normalise_slip_code(code)
    if not cleaned:
        raise SlipRefused("Type or scan the code printed at the bottom of the slip.")
    # Only this school's slips are looked at: another school's code reads as unknown.
    slip = slips_for(access).filter(code=cleaned).first()
    if slip is None:
        raise SlipRefused(
            f"None of {access.school.name}'s slips has the code {code.strip()}. Check the code: it is 8 letters and "
            "numbers. A slip printed by another school cannot be recorded here."
        )
    _refuse_unless_collecting(slip, today)
    return slip


def get_slip_to_record_or_404(access: SchoolAccess, slip_id, today: date | None = None) -> ConsentSlip:
    """The slip whose answers are sent in (another school's is a 404); `SlipRefused` if its round no longer collects them."""
    slip = get_object_or_404(slips_for(access), pk=slip_id)
    _refuse_unless_collecting(slip, today)
    return slip


def _refuse_unless_collecting(slip: ConsentSlip, today: date | None) -> None:
    consent_round = slip.round
    this_year = academic_year_start(today or timezone.localdate())
    if consent_round.status != ConsentRound.Status.OPEN or consent_round.academic_year.start_year != this_year:
        raise SlipRefused(
            f"The slip {slip.display_code} is from the round “{consent_round.title}” ({consent_round.academic_year.label}), "
            f"which is {consent_round.get_status_display().split(':')[0].lower()}. Answers on old slips are not recorded: "
            "print a new slip from the current round."
        )


def batches_for(access: SchoolAccess):
    if not access.can(Capability.RECORD_CONSENT):
        return SlipBatch.objects.none()
    return SlipBatch.objects.filter(round__school=access.school).select_related("round", "created_by")


def get_batch_or_404(access: SchoolAccess, batch_id) -> SlipBatch:
    return get_object_or_404(batches_for(access), pk=batch_id)


# --- Answers ---------------------------------------------------------------------


def answers_for(access: SchoolAccess):
    if not access.can(Capability.RECORD_CONSENT):
        return ConsentAnswer.objects.none()
    return ConsentAnswer.objects.for_school(access.school).select_related(
        "pupil__form", "consent_type", "wording", "given_by", "entered_by", "withdrawn_by", "academic_year"
    )


def get_answer_or_404(access: SchoolAccess, answer_id) -> ConsentAnswer:
    return get_object_or_404(answers_for(access), pk=answer_id)


# --- The photo and publication check ------------------------------------------------


class Answer:
    YES = "yes"
    NO = "no"
    NO_ANSWER = "none"


@dataclass(frozen=True)
class UseAnswer:
    status: str  # Answer.YES, NO or NO_ANSWER
    withdrawn_on: date | None = None

    @property
    def allowed(self) -> bool:
        return self.status == Answer.YES


@dataclass
class PupilImageConsent:
    pupil_id: object
    uses: dict[str, UseAnswer] = field(default_factory=dict)

    def may(self, use: str) -> bool:
        """Whether this use is allowed; a missing answer is always no for images."""
        return self.uses.get(use, UseAnswer(Answer.NO_ANSWER)).allowed

    @property
    def none_allowed(self) -> bool:
        return not any(answer.allowed for answer in self.uses.values())


def photo_consent_for(pupils: Iterable, today: date | None = None) -> dict:
    """
    For each pupil (instances or ids, of one school), the answer in force for each photo and
    publication use (`ConsentType.Kind.image_uses()`): yes, no (including withdrawn), or no answer.
    Two queries, however many pupils.
    """
    pupil_ids = [getattr(p, "pk", p) for p in pupils]
    # Answers are immutable: the same one serves every pupil who gave it (a year group is hundreds of pupils).
    no_answer = UseAnswer(Answer.NO_ANSWER)
    given = {(status, None): UseAnswer(status) for status in (Answer.YES, Answer.NO)}
    uses = Kind.image_uses()
    result = {pk: PupilImageConsent(pk, dict.fromkeys(uses, no_answer)) for pk in pupil_ids}
    if not pupil_ids:
        return result
    answers = (
        ConsentAnswer.objects.current(today)
        .filter(pupil_id__in=pupil_ids, consent_type__kind__in=uses, consent_type__is_active=True)
        .order_by()
        .values_list("pupil_id", "consent_type__kind", "agreed", "withdrawn_on")
    )
    for pupil_id, kind, agreed, withdrawn_on in answers:
        key = (Answer.YES if agreed and withdrawn_on is None else Answer.NO, withdrawn_on)
        if key not in given:
            given[key] = UseAnswer(*key)
        result[pupil_id].uses[kind] = given[key]
    return result


# --- Coverage ------------------------------------------------------------------------


@dataclass
class CoverageRow:
    consent_type: ConsentType
    pupils: int
    yes: int
    no: int

    @property
    def no_answer(self) -> int:
        return self.pupils - self.yes - self.no

    @property
    def yes_percent(self) -> int:
        return round(100 * self.yes / self.pupils) if self.pupils else 0


def coverage_for(school: School, today: date | None = None) -> list[CoverageRow]:
    """Counts, never names: for each consent asked of pupils, how many on roll said yes, no, or nothing."""
    types = list(ConsentType.objects.for_school(school).active().for_pupils().prefetch_related("year_groups"))
    if not types:
        return []
    applicable = applicable_year_groups(types, school)
    on_roll = dict(
        Pupil.objects.for_school(school)
        .current(today)
        .order_by()
        .values("year_group_id")
        .annotate(n=Count("pk"))
        .values_list("year_group_id", "n")
    )
    # The answers in force of the pupils on roll, joined to them once (as for the chasing list), by year group.
    counts = (
        Pupil.objects.for_school(school)
        .current(today)
        .annotate(in_force=_answers_in_force(types, today))
        .filter(in_force__isnull=False)
        .order_by()
        .values_list("in_force__consent_type_id", "year_group_id")
        .annotate(
            yes=Count("in_force", filter=Q(in_force__agreed=True, in_force__withdrawn_on__isnull=True)),
            no=Count("in_force", filter=Q(in_force__agreed=False) | Q(in_force__withdrawn_on__isnull=False)),
        )
    )
    tally: dict[int, list[int]] = {t.pk: [0, 0] for t in types}
    for type_id, year_id, yes, no in counts:
        years = applicable[type_id]
        if years is None or year_id in years:
            tally[type_id][0] += yes
            tally[type_id][1] += no
    rows = []
    for consent_type in types:
        years = applicable[consent_type.pk]
        pupils = sum(n for year, n in on_roll.items() if years is None or year in years)
        rows.append(CoverageRow(consent_type, pupils, *tally[consent_type.pk]))
    return rows


# --- Staff agreement -------------------------------------------------------------------


def staff_agreement_type(school: School) -> ConsentType | None:
    """The school's staff acceptable-use agreement, when it is in use and has wording."""
    return (
        ConsentType.objects.for_school(school)
        .active()
        .filter(kind=Kind.STAFF_AUP, current_wording__isnull=False)
        .select_related("current_wording")
        .first()
    )


def staff_agreement_due(user, school: School) -> ConsentType | None:
    """The staff agreement this user must still accept at this school, or None."""
    agreement = staff_agreement_type(school)
    if agreement is None:
        return None
    member = StaffMember.objects.for_school(school).current().filter(user=user).first()
    if member is None:
        return None
    accepted = StaffAgreement.objects.filter(staff_member=member, wording=agreement.current_wording, expired_at__isnull=True)
    return None if accepted.exists() else agreement


@dataclass
class StaffAgreementRow:
    member: StaffMember
    accepted_at: object  # datetime or None


def staff_agreement_status(school: School, agreement: ConsentType) -> list[StaffAgreementRow]:
    """Every member of staff on roll, with when they accepted the current version (None: not yet)."""
    accepted = StaffAgreement.objects.filter(
        staff_member=OuterRef("pk"), wording=agreement.current_wording, expired_at__isnull=True
    ).values("accepted_at")[:1]
    staff = (
        StaffMember.objects.for_school(school)
        .current()
        .annotate(accepted_at=Subquery(accepted))
        .order_by("last_name", "first_name")
    )
    return [StaffAgreementRow(member, member.accepted_at) for member in staff]


@dataclass(frozen=True)
class PupilAgreementAnswer:
    agreed: bool
    signed_on: date
    withdrawn_on: date | None


def pupil_agreement_answers(school: School, pupil_ids, on: date) -> dict | None:
    """
    Each pupil's answer in force on `on` to the school's pupils' acceptable-use agreement, by pupil id (pupils with
    no answer are left out); None when the school does not use one. Two queries, however many pupils.
    """
    in_use = ConsentType.objects.for_school(school).active().filter(kind=ConsentType.Kind.PUPIL_AUP).exists()
    if not in_use:
        return None
    answers = (
        ConsentAnswer.objects.for_school(school)
        .current(on)
        .filter(pupil_id__in=pupil_ids, consent_type__kind=ConsentType.Kind.PUPIL_AUP, consent_type__is_active=True)
        .order_by()
        .values_list("pupil_id", "agreed", "withdrawn_on", "signed_on")
    )
    return {
        pupil_id: PupilAgreementAnswer(agreed=agreed, signed_on=signed_on, withdrawn_on=withdrawn_on)
        for pupil_id, agreed, withdrawn_on, signed_on in answers
    }
