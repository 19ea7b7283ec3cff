"""Consent types: the standard set every school gets, versioned wording, and who a type applies to."""

from django.urls import reverse
from django.utils import timezone

from consents import defaults, services
from consents.models import ConsentAnswer, ConsentSettings, ConsentType, ConsentWording
from esafety.scoping import scope
from tests import factories as f

Kind = ConsentType.Kind


def test_a_new_school_gets_the_standard_consent_types_and_settings(db):
    school = f.make_school(name="New School", urn="912345")
    with scope(school=school):
        types = {t.kind: t for t in ConsentType.objects.for_school(school).select_related("current_wording")}
        assert set(types) == {
            Kind.INTERNET,
            Kind.WORK_PUBLICATION,
            Kind.PHOTO_IN_SCHOOL,
            Kind.PHOTO_PRINT,
            Kind.PHOTO_WEB,
            Kind.WEBCAM,
            Kind.PUPIL_AUP,
            Kind.STAFF_AUP,
        }
        assert all(t.current_wording.version == 1 and t.current_wording.text for t in types.values())
        assert all(types[k].missing_means_no for k in Kind.image_uses())
        assert types[Kind.PUPIL_AUP].answered_by == ConsentType.Answerer.PARENT_AND_PUPIL
        assert types[Kind.STAFF_AUP].answered_by == ConsentType.Answerer.STAFF
        # Switched on by the school once it has checked the wording, so nobody is stopped at login before then.
        assert not types[Kind.STAFF_AUP].is_active
        settings = ConsentSettings.objects.get(school=school)
        assert (settings.renewal_day, settings.renewal_month, settings.leaver_retention_years) == (1, 9, 3)
        # Seeding again adds nothing.
        assert defaults.consent_types_seed_defaults(school=school) == []


def _edit_data(consent_type, **changes):
    data = {
        "title": consent_type.title,
        "kind": consent_type.kind,
        "answered_by": consent_type.answered_by,
        "duration": consent_type.duration,
        "valid_until": "",
        "missing_means_no": "on" if consent_type.missing_means_no else "",
        "is_active": "on" if consent_type.is_active else "",
        "order": consent_type.order,
        "text": consent_type.current_wording.text,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_a_change_of_wording_makes_a_new_version_and_old_answers_keep_theirs(cast, login):
    client = login(cast.a.users["office"])
    photo_web = cast.a.consent_types[Kind.PHOTO_WEB]
    old_answer = cast.a.answer
    assert old_answer.wording.version == 1

    response = client.post(
        reverse("consents:consent_type_edit", args=[photo_web.pk]),
        _edit_data(photo_web, text="New wording about our Instagram page."),
    )
    assert response.status_code == 302
    photo_web.refresh_from_db()
    assert photo_web.current_wording.version == 2
    assert photo_web.current_wording.text == "New wording about our Instagram page."
    assert ConsentWording.objects.filter(consent_type=photo_web).count() == 2
    old_answer.refresh_from_db()
    assert old_answer.wording.version == 1  # still the words that parent read

    services.answer_record(
        pupil=cast.a.pupil,
        consent_type=photo_web,
        agreed=False,
        given_by=cast.a.parent,
        method=ConsentAnswer.Method.PHONE,
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )
    new_answer = ConsentAnswer.objects.current().get(pupil=cast.a.pupil, consent_type=photo_web)
    assert new_answer.wording.version == 2
    old_answer.refresh_from_db()
    assert old_answer.superseded_at is not None

    page = client.get(reverse("consents:consent_type_detail", args=[photo_web.pk])).content.decode()
    assert "Version 2" in page and "Version 1" in page and "New wording about our Instagram page." in page


def test_saving_without_changing_the_wording_keeps_the_version(cast, login):
    client = login(cast.a.users["lead"])
    webcam = cast.a.consent_types[Kind.WEBCAM]
    response = client.post(reverse("consents:consent_type_edit", args=[webcam.pk]), _edit_data(webcam, title="Video calls"))
    assert response.status_code == 302
    webcam.refresh_from_db()
    assert webcam.title == "Video calls"
    assert webcam.current_wording.version == 1
    assert webcam.history.first().history_user == cast.a.users["lead"]


def test_no_answer_always_counts_as_no_for_photos_and_what_was_typed_is_kept(cast, login):
    client = login(cast.a.users["head"])
    photo = cast.a.consent_types[Kind.PHOTO_PRINT]
    response = client.post(
        reverse("consents:consent_type_edit", args=[photo.pk]),
        _edit_data(photo, missing_means_no="", title="Press photos (typed)"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "For photos and publication, no answer always counts as no." in page
    assert 'value="Press photos (typed)"' in page
    photo.refresh_from_db()
    assert photo.title == "Photos in printed publicity and the press" and photo.missing_means_no


def test_a_type_can_be_added_for_some_year_groups(cast, login):
    client = login(cast.a.users["office"])
    year8 = f.make_year_group(cast.a.school, 8)
    response = client.post(
        reverse("consents:consent_type_create"),
        {
            "title": "Residential trip photos",
            "kind": Kind.OTHER,
            "answered_by": ConsentType.Answerer.PARENT,
            "duration": ConsentType.Duration.UNTIL_DATE,
            "valid_until": "31/07/2031",
            "missing_means_no": "on",
            "is_active": "on",
            "order": "90",
            "year_groups": [year8.pk],
            "key_stages": ["KS4"],
            "text": "Photos taken on the Year 8 residential.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ConsentType.objects.get(school=cast.a.school, title="Residential trip photos")
    assert list(created.year_groups.all()) == [year8]
    assert created.key_stages == ["KS4"]
    assert created.current_wording.version == 1
    assert created.history.count() >= 1


def test_a_date_is_needed_when_answers_last_until_a_date(cast, login):
    client = login(cast.a.users["office"])
    response = client.post(
        reverse("consents:consent_type_create"),
        {
            "title": "Until a date",
            "kind": Kind.OTHER,
            "answered_by": ConsentType.Answerer.PARENT,
            "duration": ConsentType.Duration.UNTIL_DATE,
            "is_active": "on",
            "order": "90",
            "text": "Words.",
        },
    )
    assert response.status_code == 400
    assert "Give the date answers last until." in response.content.decode()
    assert not ConsentType.objects.filter(title="Until a date").exists()


def test_the_renewal_settings_are_saved_with_history(cast, login):
    client = login(cast.a.users["office"])
    response = client.post(
        reverse("consents:consent_settings"), {"renewal_day": "31", "renewal_month": "2", "leaver_retention_years": "3"}
    )
    assert response.status_code == 400
    assert "February has no day 31." in response.content.decode()
    response = client.post(
        reverse("consents:consent_settings"), {"renewal_day": "4", "renewal_month": "9", "leaver_retention_years": "5"}
    )
    assert response.status_code == 302
    settings = ConsentSettings.objects.get(school=cast.a.school)
    assert (settings.renewal_day, settings.leaver_retention_years) == (4, 5)
    assert settings.history.first().history_user == cast.a.users["office"]


def test_a_year_group_id_too_big_for_the_database_is_refused_like_any_unknown_one(cast, login):
    response = login(cast.a.users["office"]).post(
        reverse("consents:consent_type_create"),
        {
            "title": "Too big",
            "kind": Kind.OTHER,
            "answered_by": ConsentType.Answerer.PARENT,
            "duration": ConsentType.Duration.ACADEMIC_YEAR,
            "order": "1",
            "year_groups": ["99999999999999999999"],
            "text": "Wording",
        },
    )
    assert response.status_code == 400  # SQLite could not compare it, and gave a 500
    assert "“99999999999999999999” is not a valid value." in response.content.decode()
    assert not ConsentType.objects.filter(title="Too big").exists()


def test_a_renewal_day_past_31_is_refused_with_a_reason(cast, login):
    response = login(cast.a.users["office"]).post(
        reverse("consents:consent_settings"),
        {"renewal_day": "99999999999999999999", "renewal_month": "9", "leaver_retention_years": "3"},
    )
    assert response.status_code == 400  # it overflowed `date()` and gave a 500
    assert "Ensure this value is less than or equal to 31." in response.content.decode()
    assert ConsentSettings.objects.get(school=cast.a.school).renewal_day != 99999999999999999999


def test_the_types_list_filters_on_in_use_with_any_as_no_choice(cast, login):
    client = login(cast.a.users["office"])
    page = client.get(reverse("consents:consent_type_list")).content.decode()
    assert '<option value="" selected>Any</option>' in page and "Unknown" not in page

    def listed(is_active):
        response = client.get(reverse("consents:consent_type_list"), {"is_active": is_active})
        return {t.pk for t in response.context["page"].object_list}

    types = ConsentType.objects.filter(school=cast.a.school)
    assert listed("true") == {t.pk for t in types if t.is_active}
    assert listed("false") == {t.pk for t in types if not t.is_active} != set()
    assert listed("") == {t.pk for t in types}
