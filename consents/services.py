"""
Every change to consents: one function each, atomic, validated, with history,
and side effects (notifications, background work) after commit.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from consents import printing
from consents.models import (
    ConsentAnswer,
    ConsentPurge,
    ConsentRenewal,
    ConsentRound,
    ConsentSettings,
    ConsentSlip,
    ConsentType,
    ConsentWording,
    PhotoCheckLookup,
    SlipBatch,
    StaffAgreement,
    new_slip_code,
)
from consents.selectors import (
    applicable_year_groups,
    applies_to,
    consent_settings_for,
    pupils_in_round,
    pupils_with_answers_missing,
    renewal_date,
    round_types,
)
from esafety.history import save_with_history
from esafety.models import AcademicYear, FormGroup, ParentCarer, Pupil, PupilContact, School, StaffMember, User
from esafety.notifications import notify
from esafety.outbox import outbox_enqueue
from esafety.progress import Progress

logger = logging.getLogger(__name__)

# Staff who looked a pupil up in the photo check this recently are warned when consent is withdrawn.
LOOKUP_WARNING_DAYS = 30


# --- Settings and types ----------------------------------------------------------


@transaction.atomic
def consent_settings_update(
    *, school: School, renewal_day: int, renewal_month: int, leaver_retention_years: int, actor: User
) -> ConsentSettings:
    current = ConsentSettings.objects.select_for_update().filter(school=school).first() or ConsentSettings(school=school)
    current.renewal_day, current.renewal_month = renewal_day, renewal_month
    current.leaver_retention_years = leaver_retention_years
    renewal_date(current, AcademicYear(start_year=2000))  # a date that cannot exist fails here, not in the job
    save_with_history(current, actor=actor, reason="Consent settings changed")
    return current


def consent_wording_add(*, consent_type: ConsentType, text: str, actor: User | None) -> ConsentWording:
    """A new version of a consent type's wording, which becomes the current one (part of its caller's transaction)."""
    latest = consent_type.wordings.order_by("-version").values_list("version", flat=True).first() or 0
    wording = ConsentWording(consent_type=consent_type, version=latest + 1, text=text.strip(), created_by=actor)
    save_with_history(wording, actor=actor)
    consent_type.current_wording = wording
    consent_type.save(update_fields=["current_wording"])
    return wording


TYPE_FIELDS = ("title", "kind", "answered_by", "key_stages", "duration", "valid_until", "missing_means_no", "is_active", "order")


@transaction.atomic
def consent_type_create(*, school: School, text: str, year_groups, actor: User, **fields) -> ConsentType:
    consent_type = ConsentType(school=school, **{k: fields[k] for k in TYPE_FIELDS if k in fields})
    if consent_type.is_image_use:
        consent_type.missing_means_no = True
    save_with_history(consent_type, actor=actor, reason="Consent added")
    consent_type.year_groups.set(year_groups)
    consent_wording_add(consent_type=consent_type, text=text, actor=actor)
    return consent_type


@transaction.atomic
def consent_type_update(*, consent_type: ConsentType, text: str, year_groups, actor: User, **fields) -> bool:
    """Save the type's settings; a change of wording makes a new version. Returns whether a new version was made."""
    for name in TYPE_FIELDS:
        if name in fields:
            setattr(consent_type, name, fields[name])
    if consent_type.is_image_use:
        consent_type.missing_means_no = True  # a photo with no answer is never allowed
    save_with_history(consent_type, actor=actor)
    consent_type.year_groups.set(year_groups)
    current = consent_type.current_wording
    if current is None or current.text.strip() != text.strip():
        consent_wording_add(consent_type=consent_type, text=text, actor=actor)
        return True
    return False


# --- Rounds ---------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *, school: School, academic_year: AcademicYear, title: str, consent_types, forms, year_groups, actor: User
) -> ConsentRound:
    consent_round = ConsentRound(school=school, academic_year=academic_year, title=title, created_by=actor)
    save_with_history(consent_round, actor=actor, reason="Round drafted")
    _round_set_scope(consent_round, consent_types, forms, year_groups)
    return consent_round


def _round_set_scope(consent_round, consent_types, forms, year_groups):
    for item in [*consent_types, *forms, *year_groups]:
        if item.school_id != consent_round.school_id:
            raise ValidationError("A round can only ask for its own school's consents, forms and year groups.")
    if not consent_types:
        raise ValidationError({"consent_types": "Choose at least one consent to ask for."})
    consent_round.consent_types.set(consent_types)
    consent_round.forms.set(forms)
    consent_round.year_groups.set(year_groups)


def round_update(
    *, consent_round: ConsentRound, title: str, academic_year, consent_types, forms, year_groups, actor: User
) -> None:
    if consent_round.status != ConsentRound.Status.DRAFT:
        raise ValidationError("Only a draft round can be changed: this one has been opened.")
    with transaction.atomic():
        consent_round.title, consent_round.academic_year = title, academic_year
        save_with_history(consent_round, actor=actor, reason="Round changed")
        _round_set_scope(consent_round, consent_types, forms, year_groups)


@transaction.atomic
def round_open(*, consent_round: ConsentRound, actor: User) -> int:
    """Open a draft round for collection and make a slip for each pupil it asks. Returns the number of slips made."""
    consent_round = ConsentRound.objects.select_for_update().get(pk=consent_round.pk)
    if consent_round.status != ConsentRound.Status.DRAFT:
        raise ValidationError("This round is already open or closed.")
    consent_round.status = ConsentRound.Status.OPEN
    consent_round.opened_at = timezone.now()
    save_with_history(consent_round, actor=actor, reason="Round opened")
    return round_slips_ensure(consent_round=consent_round)


@transaction.atomic
def round_close(*, consent_round: ConsentRound, actor: User) -> None:
    consent_round = ConsentRound.objects.select_for_update().get(pk=consent_round.pk)
    if consent_round.status != ConsentRound.Status.OPEN:
        raise ValidationError("Only an open round can be closed.")
    consent_round.status = ConsentRound.Status.CLOSED
    consent_round.closed_at = timezone.now()
    save_with_history(consent_round, actor=actor, reason="Round closed")


def round_slips_ensure(*, consent_round: ConsentRound, pupil_ids=None) -> int:
    """Make slips for the round's pupils (or those given) who have none: pupils who joined since it opened, too."""
    if pupil_ids is None:
        pupil_ids = list(pupils_in_round(consent_round).values_list("pk", flat=True))
    with transaction.atomic():
        have = set(ConsentSlip.objects.filter(round=consent_round, pupil_id__in=pupil_ids).values_list("pupil_id", flat=True))
        wanted = [pk for pk in pupil_ids if pk not in have]
        if not wanted:
            return 0
        codes = _unique_codes(len(wanted))
        slips = [ConsentSlip(round=consent_round, pupil_id=pk, code=code) for pk, code in zip(wanted, codes, strict=True)]
        bulk_create_with_history(slips, ConsentSlip, batch_size=500)
    return len(slips)


def _unique_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        batch = {new_slip_code() for _ in range(count - len(codes))} - codes
        taken = set(ConsentSlip.objects.filter(code__in=batch).values_list("code", flat=True))
        codes |= batch - taken
    return list(codes)


# --- Answers -----------------------------------------------------------------------------


@dataclass
class Recorded:
    created: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def summary(self) -> str:
        parts = []
        if self.created:
            parts.append(f"{self.created} answer{'s' if self.created != 1 else ''} recorded")
        if self.changed:
            parts.append(f"{self.changed} changed")
        if self.unchanged:
            parts.append(f"{self.unchanged} already recorded and unchanged")
        return ", ".join(parts) or "nothing to record"


def _check_answer_source(pupil: Pupil, given_by, signed_on: date):
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "The date signed cannot be in the future."})
    if given_by is not None and not pupil.contact_links.filter(contact=given_by).exists():
        raise ValidationError({"given_by": f"{given_by} is not a parent or carer of {pupil.full_name}."})


def answer_record(
    *,
    pupil: Pupil,
    consent_type: ConsentType,
    agreed: bool,
    given_by: ParentCarer | None,
    method: str,
    signed_on: date,
    actor: User,
    slip: ConsentSlip | None = None,
    given_by_pupil: bool = False,
    result: Recorded | None = None,
) -> ConsentAnswer:
    """
    Record a yes or no to the type's current wording. The same answer from the same slip again changes
    nothing; a different one from the same slip corrects it; an answer from elsewhere replaces the old one.
    """
    result = result if result is not None else Recorded()
    if consent_type.school_id != pupil.school_id:
        raise ValidationError("That consent belongs to another school.")
    if consent_type.current_wording_id is None:
        raise ValidationError(f"“{consent_type}” has no wording yet.")
    with transaction.atomic():
        _check_answer_source(pupil, given_by, signed_on)
        current = ConsentAnswer.objects.current().select_for_update().filter(pupil=pupil, consent_type=consent_type).first()
        if current is not None and slip is not None and current.slip_id == slip.pk:
            same = (current.agreed, current.given_by_id, current.method, current.signed_on, current.withdrawn_on) == (
                agreed,
                getattr(given_by, "pk", None),
                method,
                signed_on,
                None,
            )
            if same:
                result.unchanged += 1
                return current
            current.agreed, current.given_by, current.method, current.signed_on = agreed, given_by, method, signed_on
            current.given_by_pupil = given_by_pupil
            current.entered_by = actor
            save_with_history(current, actor=actor, reason="Corrected from the same slip")
            result.changed += 1
            return current
        if current is not None:
            current.superseded_at = timezone.now()
            save_with_history(current, actor=actor, reason="Replaced by a newer answer")
        year = slip.round.academic_year if slip is not None else AcademicYear.objects.for_date(signed_on)
        answer = ConsentAnswer(
            school_id=pupil.school_id,
            pupil=pupil,
            consent_type=consent_type,
            wording_id=consent_type.current_wording_id,
            academic_year=year,
            slip=slip,
            agreed=agreed,
            given_by=given_by,
            given_by_pupil=given_by_pupil,
            method=method,
            signed_on=signed_on,
            entered_by=actor,
            expires_on=consent_type.valid_until if consent_type.duration == ConsentType.Duration.UNTIL_DATE else None,
        )
        save_with_history(answer, actor=actor, reason="Answer recorded")
        result.created += 1
    return answer


def _check_answer_type(pupil: Pupil, consent_type: ConsentType) -> None:
    if consent_type.school_id != pupil.school_id:
        raise ValidationError("That consent belongs to another school.")
    if consent_type.current_wording_id is None:
        raise ValidationError(f"“{consent_type}” has no wording yet.")


# Checked by the queries that loaded them: the answer's other fields are validated in Python, without a query.
_ANSWER_RELATIONS = [f.name for f in ConsentAnswer._meta.concrete_fields if f.is_relation]


@dataclass
class _SlipAnswers:
    """
    Answers from returned slips, gathered to be saved together, each kind in one statement with its history:
    the answers in force they replace, those they correct (the same slip entered again differently), the new
    answers, and the slips now returned.
    """

    academic_year: AcademicYear
    method: str
    signed_on: date
    actor: User
    now: datetime = field(default_factory=timezone.now)
    replaced: list[ConsentAnswer] = field(default_factory=list)
    corrected: list[ConsentAnswer] = field(default_factory=list)
    created: list[ConsentAnswer] = field(default_factory=list)
    returned: list[ConsentSlip] = field(default_factory=list)

    def add(
        self,
        *,
        slip: ConsentSlip,
        pupil: Pupil,
        consent_type: ConsentType,
        agreed: bool,
        current: ConsentAnswer | None,
        given_by: ParentCarer | None,
        given_by_pupil: bool,
        result: Recorded,
    ) -> bool:
        """
        One answer on a slip, as `answer_record` records it: the same answer from the same slip again changes
        nothing; a different one from the same slip corrects it; an answer in force from elsewhere (`current`)
        is replaced. Returns whether anything is to be saved.
        """
        if current is not None and current.slip_id == slip.pk:
            same = (current.agreed, current.given_by_id, current.method, current.signed_on, current.withdrawn_on) == (
                agreed,
                getattr(given_by, "pk", None),
                self.method,
                self.signed_on,
                None,
            )
            if same:
                result.unchanged += 1
                return False
            current.agreed, current.given_by, current.given_by_pupil = agreed, given_by, given_by_pupil
            current.method, current.signed_on, current.entered_by = self.method, self.signed_on, self.actor
            # Only a withdrawn answer can break a constraint here (a withdrawn no): checking one costs a query.
            current.full_clean(
                exclude=_ANSWER_RELATIONS, validate_unique=False, validate_constraints=current.withdrawn_on is not None
            )
            self.corrected.append(current)
            return True
        if current is not None:
            current.superseded_at = self.now
            self.replaced.append(current)
        answer = ConsentAnswer(
            school_id=pupil.school_id,
            pupil=pupil,
            consent_type=consent_type,
            wording_id=consent_type.current_wording_id,
            academic_year=self.academic_year,
            slip=slip,
            agreed=agreed,
            given_by=given_by,
            given_by_pupil=given_by_pupil,
            method=self.method,
            signed_on=self.signed_on,
            entered_by=self.actor,
            expires_on=consent_type.valid_until if consent_type.duration == ConsentType.Duration.UNTIL_DATE else None,
        )
        answer.full_clean(exclude=_ANSWER_RELATIONS, validate_unique=False, validate_constraints=False)
        self.created.append(answer)
        return True

    def slip_returned(self, slip: ConsentSlip) -> None:
        if slip.returned_at is None:
            slip.returned_at = self.now
            self.returned.append(slip)

    def save(self, result: Recorded) -> None:
        # The replaced answers first: the new ones take their place as the answers in force.
        actor = self.actor
        bulk_update_with_history(
            self.replaced,
            ConsentAnswer,
            ["superseded_at"],
            default_user=actor,
            default_change_reason="Replaced by a newer answer",
        )
        bulk_update_with_history(
            self.corrected,
            ConsentAnswer,
            ["agreed", "given_by", "given_by_pupil", "method", "signed_on", "entered_by"],
            default_user=actor,
            default_change_reason="Corrected from the same slip",
        )
        bulk_create_with_history(self.created, ConsentAnswer, default_user=actor, default_change_reason="Answer recorded")
        bulk_update_with_history(
            self.returned, ConsentSlip, ["returned_at"], default_user=actor, default_change_reason="Slip returned"
        )
        result.created += len(self.created)
        result.changed += len(self.corrected)


def slip_record(
    *, slip: ConsentSlip, answers: dict, given_by, method: str, signed_on: date, actor: User, given_by_pupil: bool = False
) -> Recorded:
    """
    Record the answers ticked on a returned slip: {consent type: True/False}; types left blank are skipped.
    Each answer is recorded as `answer_record` would, with its history, in a fixed number of queries however
    many consents the slip asks.
    """
    answers = {consent_type: agreed for consent_type, agreed in answers.items() if agreed is not None}
    result = Recorded()
    with transaction.atomic():
        slip = ConsentSlip.objects.select_for_update().select_related("round__academic_year", "pupil").get(pk=slip.pk)
        if slip.round.status != ConsentRound.Status.OPEN:
            raise ValidationError("This slip's round is not open: its answers cannot be recorded.")
        if not answers:
            return result
        pupil = slip.pupil
        for consent_type in answers:
            _check_answer_type(pupil, consent_type)
        _check_answer_source(pupil, given_by, signed_on)
        current = {
            answer.consent_type_id: answer
            for answer in ConsentAnswer.objects.current()
            .select_for_update()
            .filter(pupil=pupil, consent_type__in=[t.pk for t in answers])
        }
        recording = _SlipAnswers(academic_year=slip.round.academic_year, method=method, signed_on=signed_on, actor=actor)
        recorded = False
        for consent_type, agreed in answers.items():
            recorded |= recording.add(
                slip=slip,
                pupil=pupil,
                consent_type=consent_type,
                agreed=agreed,
                current=current.get(consent_type.pk),
                given_by=given_by,
                given_by_pupil=given_by_pupil,
                result=result,
            )
        if recorded:
            recording.slip_returned(slip)
        recording.save(result)
    return result


@dataclass
class GridRow:
    """One pupil's row of a form's grid: the answers chosen ({consent type: yes or no}) and who signed."""

    pupil: Pupil
    answers: dict[ConsentType, bool]
    given_by: ParentCarer | None = None


def consent_grid_record(
    *, consent_round: ConsentRound, form_group: FormGroup, rows: list[GridRow], method: str, signed_on: date, actor: User
) -> Recorded:
    """
    Record a form's grid of returned slips, all or nothing: every row is checked before any is saved, and
    all are saved in one transaction. Each answer is recorded as `slip_record` would (the same answer from
    the same slip changes nothing, a different one corrects it, one from elsewhere is replaced), in a fixed
    number of queries however many pupils the form has.
    """
    rows = [row for row in rows if row.answers]
    result = Recorded()
    with transaction.atomic():
        consent_round = (
            ConsentRound.objects.select_for_update(of=("self",))
            .select_related("school", "academic_year")
            .get(pk=consent_round.pk)
        )
        types = {t.pk: t for t in round_types(consent_round)}
        in_form = set(pupils_in_round(consent_round).filter(form=form_group).values_list("pk", flat=True))
        _check_grid(consent_round, types, in_form, rows, signed_on)
        round_slips_ensure(consent_round=consent_round, pupil_ids=sorted(in_form))
        pupil_ids = [row.pupil.pk for row in rows]
        slips = {
            slip.pupil_id: slip
            for slip in ConsentSlip.objects.select_for_update().filter(round=consent_round, pupil_id__in=pupil_ids)
        }
        current = {
            (answer.pupil_id, answer.consent_type_id): answer
            for answer in ConsentAnswer.objects.current()
            .select_for_update()
            .filter(pupil_id__in=pupil_ids, consent_type__in={t.pk for row in rows for t in row.answers})
        }
        recording = _SlipAnswers(academic_year=consent_round.academic_year, method=method, signed_on=signed_on, actor=actor)
        for row in rows:
            slip, recorded = slips[row.pupil.pk], False
            for asked, agreed in row.answers.items():
                recorded |= recording.add(
                    slip=slip,
                    pupil=row.pupil,
                    consent_type=types[asked.pk],
                    agreed=agreed,
                    current=current.get((row.pupil.pk, asked.pk)),
                    given_by=row.given_by,
                    given_by_pupil=False,
                    result=result,
                )
            if recorded:
                recording.slip_returned(slip)
        recording.save(result)
    return result


def _check_grid(consent_round: ConsentRound, types: dict, in_form: set, rows: list[GridRow], signed_on: date) -> None:
    """Every problem of every row at once, before anything is saved."""
    if consent_round.status != ConsentRound.Status.OPEN:
        raise ValidationError("This round is not open: its answers cannot be recorded.")
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "The date signed cannot be in the future."})
    applicable = applicable_year_groups(types.values(), consent_round.school)
    contacts = set(
        PupilContact.objects.filter(
            pupil_id__in=[row.pupil.pk for row in rows], contact_id__in={row.given_by.pk for row in rows if row.given_by}
        ).values_list("pupil_id", "contact_id")
    )
    problems = []
    for row in rows:
        pupil = row.pupil
        if pupil.pk not in in_form:
            problems.append(f"{pupil.full_name} is not one of this form's pupils in the round.")
            continue
        if row.given_by is not None and (pupil.pk, row.given_by.pk) not in contacts:
            problems.append(f"{row.given_by} is not a parent or carer of {pupil.full_name}.")
        for consent_type in row.answers:
            if consent_type.pk not in types:
                problems.append(f"“{consent_type}” is not asked for in this round.")
            elif types[consent_type.pk].current_wording_id is None:
                problems.append(f"{pupil.full_name}: “{consent_type}” has no wording yet.")
            elif not applies_to(applicable[consent_type.pk], pupil):
                problems.append(f"{pupil.full_name}: “{consent_type}” is not asked of this year group.")
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def answer_withdraw(
    *, answer: ConsentAnswer, withdrawn_on: date, withdrawn_by: ParentCarer | None, note: str, actor: User
) -> ConsentAnswer:
    """
    Withdraw a yes: from now on the pupil counts as "no" for this consent. Staff who looked the pupil
    up in the photo check recently are told.
    """
    answer = ConsentAnswer.objects.select_for_update().select_related("pupil", "consent_type").get(pk=answer.pk)
    if not answer.agreed or answer.withdrawn_on is not None or answer.superseded_at or answer.expired_at:
        raise ValidationError("Only a yes that is still in force can be withdrawn.")
    if withdrawn_on > timezone.localdate():
        raise ValidationError({"withdrawn_on": "The date of withdrawal cannot be in the future."})
    _check_answer_source(answer.pupil, withdrawn_by, withdrawn_on)
    answer.withdrawn_on, answer.withdrawn_by, answer.withdrawal_note = withdrawn_on, withdrawn_by, note.strip()
    answer.withdrawal_recorded_by = actor
    save_with_history(answer, actor=actor, reason="Consent withdrawn")
    if answer.consent_type.is_image_use:
        _warn_recent_lookups(answer, actor)
    return answer


def _warn_recent_lookups(answer: ConsentAnswer, actor) -> None:
    since = timezone.now() - timedelta(days=LOOKUP_WARNING_DAYS)
    user_ids = set(
        PhotoCheckLookup.objects.filter(pupil=answer.pupil, at__gte=since).exclude(user=actor).values_list("user_id", flat=True)
    )
    if not user_ids:
        return
    pupil = answer.pupil
    notify(
        recipients=User.objects.filter(pk__in=user_ids),
        school=pupil.school,
        title=f"Photo consent withdrawn: {pupil.full_name}",
        body=(
            f"You checked {pupil.full_name}'s photo consent recently. Consent for “{answer.consent_type}” was withdrawn "
            f"on {answer.withdrawn_on:%d/%m/%Y}. Do not use any photo of {pupil.full_name} in this way from now on, "
            "and take down anything already published where you can."
        ),
        link=reverse("consents:photo_check") + f"?pupils={pupil.pk}",
        email=True,
    )


def photo_lookups_record(*, school: School, user: User, pupils) -> None:
    """
    Note who looked which pupils up in the photo check, so that a later withdrawal can warn them: once a day
    for each pupil and user is all the warning needs (it looks back LOOKUP_WARNING_DAYS), so a page opened
    again the same day writes nothing new rather than a row for every pupil on it.
    """
    now = timezone.now()
    start_of_day = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.min.time()))
    ids = [p.pk for p in pupils]
    seen = set(
        PhotoCheckLookup.objects.filter(user=user, at__gte=start_of_day, pupil_id__in=ids).values_list("pupil_id", flat=True)
    )
    PhotoCheckLookup.objects.bulk_create(
        [PhotoCheckLookup(school=school, user=user, pupil_id=pk, at=now) for pk in ids if pk not in seen]
    )


# --- Staff agreement -------------------------------------------------------------------------


@transaction.atomic
def staff_agreement_accept(*, staff_member: StaffMember, consent_type: ConsentType, actor: User) -> StaffAgreement:
    existing = StaffAgreement.objects.filter(
        staff_member=staff_member, wording_id=consent_type.current_wording_id, expired_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    agreement = StaffAgreement(
        school=staff_member.school,
        staff_member=staff_member,
        wording_id=consent_type.current_wording_id,
        academic_year=AcademicYear.objects.current(),
    )
    save_with_history(agreement, actor=actor, reason="Staff agreement accepted")
    return agreement


# --- Printing slips and reminder letters ------------------------------------------------------------


def round_slip_pages(
    *, consent_round: ConsentRound, pupils, only_missing: bool, types: list[ConsentType] | None = None
) -> list[printing.SlipPage]:
    """
    The slips to print for `pupils` (a queryset of the round's pupils), form by form (in the forms' order) and
    by name: the round's consents that apply to each, or, with `only_missing`, only those still unanswered (and
    only pupils missing any). A pupil who joined since the round opened is given a slip, and so a code, first.
    """
    types = round_types(consent_round) if types is None else types
    applicable = applicable_year_groups(types, consent_round.school)
    annotated = (
        pupils_with_answers_missing(consent_round, types)
        .filter(pk__in=pupils.values("pk"))
        .order_by("form__year_group__ncy", "form__name", "last_name", "first_name", "pk")
    )
    if only_missing:
        annotated = annotated.filter(missing_count__gt=0)
    annotated = list(annotated)
    round_slips_ensure(consent_round=consent_round, pupil_ids=[p.pk for p in annotated])
    codes = dict(
        ConsentSlip.objects.filter(round=consent_round, pupil__in=[p.pk for p in annotated]).values_list("pupil_id", "code")
    )
    return printing.slip_pages(annotated, types=types, applicable=applicable, codes=codes, only_missing=only_missing)


def form_slips_pdf(*, consent_round: ConsentRound, form: FormGroup, only_missing: bool, per_page: int) -> tuple[bytes, int]:
    """A form's slips as a PDF, and how many slips it holds."""
    pupils = pupils_with_answers_missing(consent_round).filter(form=form)
    pages = round_slip_pages(consent_round=consent_round, pupils=pupils, only_missing=only_missing)
    return printing.render_slips(consent_round, pages, per_page=per_page, title=f"Consent slips: {form.name}"), len(pages)


# --- Whole-school slips in the background --------------------------------------------------------


def slip_batch_start(*, consent_round: ConsentRound, only_missing: bool, per_page: int, actor: User) -> SlipBatch:
    if consent_round.status != ConsentRound.Status.OPEN:
        raise ValidationError("Open the round before printing its slips.")
    with transaction.atomic():
        batch = SlipBatch(round=consent_round, only_missing=only_missing, per_page=per_page, created_by=actor)
        save_with_history(batch, actor=actor, reason="Slips asked for")
        outbox_enqueue("consents.tasks.slip_batch_build", school_id=batch.round.school_id, batch_id=str(batch.pk))
    return batch


def slip_batch_build(batch_id) -> None:
    """Build the batch's PDF form by form, then offer it for download. Runs in the background; safe to run twice."""
    with transaction.atomic():
        batch = SlipBatch.objects.select_for_update().select_related("round__school", "created_by").filter(pk=batch_id).first()
        if batch is None or batch.status != SlipBatch.Status.QUEUED:
            return
        batch.status = SlipBatch.Status.BUILDING
        save_with_history(batch, actor=batch.created_by, reason="Building")
    try:
        pupil_count, file = _round_slips_build(batch)
    except Exception as exc:
        logger.exception("Slips of batch %s failed", batch_id)
        batch.status, batch.failure, batch.finished_at = SlipBatch.Status.FAILED, str(exc)[:1000], timezone.now()
        save_with_history(batch, actor=batch.created_by, reason="Failed")
        return
    with transaction.atomic():
        batch.file.save(f"slips-{batch.pk}.pdf", file, save=False)
        batch.status, batch.pupil_count, batch.finished_at = SlipBatch.Status.READY, pupil_count, timezone.now()
        save_with_history(batch, actor=batch.created_by, reason="Ready")
        notify(
            recipients=[batch.created_by],
            school=batch.round.school,
            title=f"Slips ready: {batch.round}",
            body=f"{pupil_count} slips are ready to download.",
            link=reverse("consents:slip_batch_detail", args=[batch.pk]),
        )


def _round_slips_build(batch: SlipBatch) -> tuple[int, File]:
    """The batch's slips, form by form, in one PDF file. Returns the slip count and the file."""
    consent_round = batch.round
    # One read for the whole round (read form by form, the answers were gone through once a form); the forms are then
    # rendered side by side.
    pages = round_slip_pages(
        consent_round=consent_round,
        pupils=pupils_in_round(consent_round).filter(form__isnull=False),
        only_missing=batch.only_missing,
    )
    forms: dict[str, list[printing.SlipPage]] = {}  # in the order of the slips
    for page in pages:
        forms.setdefault(page.form_name, []).append(page)
    return printing.round_slips_file(
        consent_round,
        list(forms.items()),
        per_page=batch.per_page,
        progress=Progress.for_job(batch).set,
        name=f"slips-{batch.pk}.pdf",
    )


# --- Renewal and retention ------------------------------------------------------------------------


def consent_renewal_run(*, school: School, today: date | None = None) -> ConsentRenewal | None:
    """
    On or after the school's renewal date: expire one-year answers and staff agreements of earlier
    school years, draft the new year's round, and remind staff whose agreement expired. Once a year:
    running it again the same year does nothing (and returns None).
    """
    today = today or timezone.localdate()
    year = AcademicYear.objects.for_date(today)
    if today < renewal_date(consent_settings_for(school), year):
        return None
    with transaction.atomic():
        if ConsentRenewal.objects.filter(school=school, academic_year=year).exists():
            return None
        now = timezone.now()
        one_year = ConsentType.Duration.ACADEMIC_YEAR
        answers = list(
            ConsentAnswer.objects.for_school(school).filter(
                expired_at__isnull=True, consent_type__duration=one_year, academic_year__start_year__lt=year.start_year
            )
        )
        for answer in answers:
            answer.expired_at = now
        bulk_update_with_history(
            answers, ConsentAnswer, ["expired_at"], batch_size=500, default_change_reason="Expired at renewal"
        )
        agreements = list(
            StaffAgreement.objects.for_school(school)
            .filter(
                expired_at__isnull=True, academic_year__start_year__lt=year.start_year, wording__consent_type__duration=one_year
            )
            .select_related("staff_member__user")
        )
        for agreement in agreements:
            agreement.expired_at = now
        bulk_update_with_history(
            agreements, StaffAgreement, ["expired_at"], batch_size=500, default_change_reason="Expired at renewal"
        )
        draft = _draft_round(school, year)
        renewal = ConsentRenewal(
            school=school, academic_year=year, answers_expired=len(answers), agreements_expired=len(agreements), round=draft
        )
        save_with_history(renewal, actor=None, reason="Yearly renewal")
        staff_users = [a.staff_member.user for a in agreements if a.staff_member.user_id and not _has_left(a.staff_member, today)]
        if staff_users:
            notify(
                recipients=staff_users,
                school=school,
                title=f"Please read and accept the staff acceptable-use agreement for {year.label}",
                body="Your agreement from last year has expired. It takes a minute: read it and accept it.",
                link=reverse("consents:staff_agreement_accept"),
                email=True,
            )
    return renewal


def _has_left(member: StaffMember, today: date) -> bool:
    return member.leaving_date is not None and member.leaving_date <= today


def _draft_round(school: School, year: AcademicYear) -> ConsentRound | None:
    title = f"Consents {year.label}"
    existing = ConsentRound.objects.for_school(school).filter(academic_year=year).first()
    if existing is not None:
        return existing  # the office has already started this year's round
    types = list(ConsentType.objects.for_school(school).active().for_pupils())
    if not types:
        return None
    consent_round = ConsentRound(school=school, academic_year=year, title=title)
    save_with_history(consent_round, actor=None, reason="Drafted at the yearly renewal")
    consent_round.consent_types.set(types)
    consent_round.forms.set(FormGroup.objects.for_school(school).active())
    return consent_round


def consent_retention_run(*, school: School, today: date | None = None) -> ConsentPurge | None:
    """Remove the consent records of pupils who left longer ago than the school keeps them; record the counts only."""
    today = today or timezone.localdate()
    keep = consent_settings_for(school).leaver_retention_years
    try:
        cutoff = today.replace(year=today.year - keep)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - keep, day=28)
    with transaction.atomic():
        leavers = list(Pupil.objects.for_school(school).filter(leaving_date__lt=cutoff).values_list("pk", flat=True))
        answers = ConsentAnswer.objects.filter(pupil_id__in=leavers)
        slips = ConsentSlip.objects.filter(pupil_id__in=leavers)
        answer_count, slip_count = answers.count(), slips.count()
        if not answer_count and not slip_count:
            return None
        pupils_with_records = len(set(answers.values_list("pupil_id", flat=True)) | set(slips.values_list("pupil_id", flat=True)))
        answers.delete()
        slips.delete()
        # The history of a removed record would keep what the removal is meant to remove.
        ConsentAnswer.history.filter(pupil_id__in=leavers).delete()
        ConsentSlip.history.filter(pupil_id__in=leavers).delete()
        PhotoCheckLookup.objects.filter(pupil_id__in=leavers).delete()
        purge = ConsentPurge(
            school=school, left_before=cutoff, pupils=pupils_with_records, answers=answer_count, slips=slip_count
        )
        save_with_history(purge, actor=None, reason="Leavers' consent records removed")
    return purge


def photo_lookups_purge(*, before) -> int:
    deleted, _ = PhotoCheckLookup.objects.filter(at__lt=before).delete()
    return deleted
