"""The yearly renewal and the removal of leavers' records, with a travelled clock."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from consents import services, tasks
from consents.models import (
    ConsentAnswer,
    ConsentPurge,
    ConsentRenewal,
    ConsentRound,
    ConsentSettings,
    ConsentSlip,
    ConsentType,
    StaffAgreement,
)
from consents.selectors import Answer, photo_consent_for
from esafety.models import AcademicYear, Notification
from esafety.scoping import scope, scopes_disabled
from tests import factories as f

Kind = ConsentType.Kind
LONDON = ZoneInfo("Europe/London")


def _at(day: date, hour=5):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON), tick=False)


def _answer(cast, kind, agreed=True, pupil=None):
    return services.answer_record(
        pupil=pupil or cast.a.pupil,
        consent_type=cast.a.consent_types[kind],
        agreed=agreed,
        given_by=None,
        method="paper",
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )


def _activate_staff_agreement(cast):
    staff_aup = cast.a.consent_types[Kind.STAFF_AUP]
    staff_aup.is_active = True
    staff_aup.save()
    return staff_aup


def test_renewal_at_the_year_boundary_expires_one_year_answers_once(cast):
    with _at(date(2029, 9, 1)):
        assert services.consent_renewal_run(school=cast.a.school) is not None  # last year's, for a clean start
    with _at(date(2030, 6, 10)):
        photo = _answer(cast, Kind.PHOTO_PRINT)  # one school year
        internet = _answer(cast, Kind.INTERNET)  # until the pupil leaves
        staff_aup = _activate_staff_agreement(cast)
        services.staff_agreement_accept(staff_member=cast.a.staff_member, consent_type=staff_aup, actor=cast.a.users["teacher"])
        # Until the next renewal date nothing happens.
        assert services.consent_renewal_run(school=cast.a.school) is None

    with _at(date(2030, 8, 31), hour=23):
        assert services.consent_renewal_run(school=cast.a.school) is None
        assert photo_consent_for([cast.a.pupil])[cast.a.pupil.pk].may(Kind.PHOTO_PRINT)

    with _at(date(2030, 9, 1)):
        renewal = services.consent_renewal_run(school=cast.a.school)
        assert renewal is not None
        photo.refresh_from_db()
        internet.refresh_from_db()
        assert photo.expired_at is not None and internet.expired_at is None
        assert photo.history.first().history_change_reason == "Expired at renewal"
        assert photo_consent_for([cast.a.pupil])[cast.a.pupil.pk].uses[Kind.PHOTO_PRINT].status == Answer.NO_ANSWER
        assert renewal.answers_expired == 1
        assert renewal.agreements_expired == 1
        draft = ConsentRound.objects.get(school=cast.a.school, academic_year__start_year=2030)
        assert draft.status == ConsentRound.Status.DRAFT and renewal.round == draft
        assert Kind.STAFF_AUP not in set(draft.consent_types.values_list("kind", flat=True))
        assert Kind.PHOTO_WEB in set(draft.consent_types.values_list("kind", flat=True))
        assert StaffAgreement.objects.get(staff_member=cast.a.staff_member).expired_at is not None
        reminders = Notification.objects.filter(
            title__startswith="Please read and accept the staff acceptable-use agreement for 2030/31"
        )
        assert list(reminders.values_list("recipient", flat=True)) == [cast.a.users["teacher"].pk]

        # Running it again changes nothing.
        assert services.consent_renewal_run(school=cast.a.school) is None
        assert ConsentRound.objects.filter(school=cast.a.school, academic_year__start_year=2030).count() == 1
        assert reminders.count() == 1
        assert ConsentRenewal.objects.filter(school=cast.a.school).count() == 2
    # School B's renewal is its own.
    with scope(school=cast.b.school):
        assert not ConsentRenewal.objects.filter(school=cast.b.school).exists()


def test_a_school_chooses_its_own_renewal_date(cast):
    ConsentSettings.objects.filter(school=cast.a.school).update(renewal_day=5, renewal_month=9)
    with _at(date(2029, 9, 5)):
        services.consent_renewal_run(school=cast.a.school)
    with _at(date(2030, 6, 10)):
        photo = _answer(cast, Kind.PHOTO_IN_SCHOOL)
    with _at(date(2030, 9, 4)):
        assert services.consent_renewal_run(school=cast.a.school) is None
        # An answer given in the new school year before the renewal date is for this year: it stays.
        new_year_answer = _answer(cast, Kind.WEBCAM)
    with _at(date(2030, 9, 5)):
        assert services.consent_renewal_run(school=cast.a.school) is not None
    photo.refresh_from_db()
    new_year_answer.refresh_from_db()
    assert photo.expired_at is not None and new_year_answer.expired_at is None


def test_the_beat_job_fans_out_one_renewal_per_school(cast, django_capture_on_commit_callbacks):
    with _at(date(2030, 9, 2)):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.consent_renewal_all.apply()
        with scopes_disabled():
            assert set(ConsentRenewal.objects.values_list("school", flat=True)) == {cast.a.school.pk, cast.b.school.pk}
        assert AcademicYear.objects.get(start_year=2030)


def test_leavers_records_are_removed_after_the_schools_period_with_counts_in_history(cast):
    leaver = cast.a.leaver  # left on 20/07/2020
    with _at(date(2020, 6, 1)):
        _answer(cast, Kind.PHOTO_WEB, pupil=leaver)
        _answer(cast, Kind.INTERNET, pupil=leaver, agreed=False)
    slips_before = ConsentSlip.objects.filter(pupil=leaver).count()
    with _at(date(2023, 7, 19)):
        # Kept for three years after leaving: not yet.
        assert services.consent_retention_run(school=cast.a.school) is None
        assert ConsentAnswer.objects.filter(pupil=leaver).count() == 2
    with _at(date(2023, 7, 21)):
        purge = services.consent_retention_run(school=cast.a.school)
    assert purge is not None
    assert (purge.pupils, purge.answers, purge.slips) == (1, 2, slips_before)
    assert not ConsentAnswer.objects.filter(pupil=leaver).exists()
    assert not ConsentAnswer.history.filter(pupil_id=leaver.pk).exists()
    # Pupils on roll keep theirs; the history says what was removed, in counts, without names.
    assert ConsentAnswer.objects.filter(pupil=cast.a.pupil).exists()
    record = ConsentPurge.history.get()
    assert record.history_change_reason == "Leavers' consent records removed"
    assert "Leaver" not in str(purge) and "2 answers of 1 leavers removed" in str(purge)
    # Again: nothing more to remove, nothing written.
    with _at(date(2023, 7, 22)):
        assert services.consent_retention_run(school=cast.a.school) is None
    assert ConsentPurge.objects.count() == 1


def test_a_school_that_keeps_records_longer_keeps_them(cast):
    ConsentSettings.objects.filter(school=cast.a.school).update(leaver_retention_years=6)
    with _at(date(2020, 6, 1)):
        _answer(cast, Kind.PHOTO_WEB, pupil=cast.a.leaver)
    with _at(date(2024, 1, 1)):
        assert services.consent_retention_run(school=cast.a.school) is None
    assert ConsentAnswer.objects.filter(pupil=cast.a.leaver).exists()


def test_the_retention_job_forgets_old_photo_check_lookups(cast, django_capture_on_commit_callbacks):
    from consents.models import PhotoCheckLookup

    with _at(date(2030, 1, 1)):
        PhotoCheckLookup.objects.create(school=cast.a.school, user=cast.a.users["teacher"], pupil=cast.a.pupil)
    with _at(date(2030, 1, 20)):
        PhotoCheckLookup.objects.create(school=cast.a.school, user=cast.a.users["dsl"], pupil=cast.a.pupil)
    with _at(date(2030, 2, 10)):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.consent_retention_all.apply()
    assert list(PhotoCheckLookup.objects.values_list("user", flat=True)) == [cast.a.users["dsl"].pk]


def test_a_new_leaver_is_kept_until_the_period_ends(cast):
    pupil = f.make_pupil(cast.a.school, "Recent", "Leaver", form=cast.a.form, mis_id="a050", leaving_date="2029-07-20")
    with _at(date(2029, 6, 1)):
        _answer(cast, Kind.PHOTO_WEB, pupil=pupil)
    with _at(date(2031, 1, 1)):
        services.consent_retention_run(school=cast.a.school)
    assert ConsentAnswer.objects.filter(pupil=pupil).exists()
