"""The photo and publication check, the selector behind it, and withdrawal."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from consents import services
from consents.models import ConsentAnswer, ConsentType, PhotoCheckLookup
from consents.selectors import Answer, photo_consent_for
from esafety.models import Notification
from tests import factories as f

Kind = ConsentType.Kind


def _answer(cast, pupil, kind, agreed):
    return services.answer_record(
        pupil=pupil,
        consent_type=cast.a.consent_types[kind],
        agreed=agreed,
        given_by=None,
        method=ConsentAnswer.Method.PAPER,
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(row.split()) for row in body.split("<tr")[1:]]


def test_a_teacher_sees_yes_no_and_no_answer_for_a_form_with_no_consent_pupils_first(cast, login):
    client = login(cast.a.users["teacher"])
    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    zena = f.make_pupil(cast.a.school, "Zena", "Zander", form=cast.a.form, mis_id="a004")
    _answer(cast, carys, Kind.PHOTO_IN_SCHOOL, False)  # Carys: one no and nothing else: no image use at all
    _answer(cast, zena, Kind.PHOTO_IN_SCHOOL, True)
    response = client.get(reverse("consents:photo_check"), {"form": cast.a.form.pk})
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert [r.split("</th>")[0].split(">")[-1] for r in rows][0:1] == ["Crane, Carys"] or "Crane, Carys" in rows[0]
    # Alice (yes to the website) and Zena (yes to displays) follow; the leaver is not there.
    assert "Aardvark, Alice" in rows[1] and "Zander, Zena" in rows[2] and len(rows) == 3
    assert "No photos at all" in rows[0] and "No photos at all" not in rows[1]
    # Not by colour alone: words and icons.
    assert "<strong>NO</strong>" in rows[0] and "No answer" in rows[0] and "(counts as no)" in rows[0]
    assert "bi-check-circle-fill" in rows[1] and "Yes" in rows[1]
    # Each pupil shown is noted, so that a later withdrawal can warn this teacher.
    assert set(PhotoCheckLookup.objects.filter(user=cast.a.users["teacher"]).values_list("pupil", flat=True)) == {
        cast.a.pupil.pk,
        carys.pk,
        zena.pk,
    }
    # Once a day is enough for that: the page opened again the same day notes no one twice.
    client.get(reverse("consents:photo_check"), {"form": cast.a.form.pk})
    assert PhotoCheckLookup.objects.filter(user=cast.a.users["teacher"]).count() == 3


def test_the_check_finds_pupils_by_year_group_or_by_name(cast, login):
    client = login(cast.a.users["it"])
    other_form = f.make_form(cast.a.school, "7Z", cast.a.year7)
    f.make_pupil(cast.a.school, "Zak", "Zebra", form=other_form, mis_id="a010")
    by_year = client.get(reverse("consents:photo_check"), {"year_group": cast.a.year7.pk}).content.decode()
    assert "Aardvark, Alice" in by_year and "Zebra, Zak" in by_year and "Badger" not in by_year
    by_name = client.get(reverse("consents:photo_check"), {"q": "zebra, aardvark"}).content.decode()
    assert "Aardvark, Alice" in by_name and "Zebra, Zak" in by_name
    only_one = client.get(reverse("consents:photo_check"), {"q": "zebra"}).content.decode()
    assert "Aardvark" not in only_one
    # Another school's pupil cannot be asked for by id.
    other = client.get(reverse("consents:photo_check"), {"pupils": [cast.b.pupil.pk]}).content.decode()
    assert "Badger" not in other and "No pupils on roll match." in other


def test_the_selector_answers_yes_no_or_no_answer_for_each_use(cast):
    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    _answer(cast, carys, Kind.PHOTO_PRINT, False)
    result = photo_consent_for([cast.a.pupil, carys.pk])
    alice = result[cast.a.pupil.pk]
    assert alice.uses[Kind.PHOTO_WEB].status == Answer.YES and alice.may(Kind.PHOTO_WEB)
    assert alice.uses[Kind.PHOTO_IN_SCHOOL].status == Answer.NO_ANSWER and not alice.may(Kind.PHOTO_IN_SCHOOL)
    assert not alice.none_allowed
    assert result[carys.pk].uses[Kind.PHOTO_PRINT].status == Answer.NO
    assert result[carys.pk].none_allowed
    assert set(alice.uses) == set(Kind.image_uses())


def test_an_answer_until_a_date_is_no_answer_after_that_date(cast):
    web = cast.a.consent_types[Kind.PHOTO_WEB]
    web.duration, web.valid_until = ConsentType.Duration.UNTIL_DATE, timezone.localdate() + timedelta(days=10)
    web.save()
    services.answer_record(
        pupil=cast.a.pupil,
        consent_type=web,
        agreed=True,
        given_by=None,
        method="paper",
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )
    assert photo_consent_for([cast.a.pupil])[cast.a.pupil.pk].may(Kind.PHOTO_WEB)
    later = timezone.localdate() + timedelta(days=11)
    assert photo_consent_for([cast.a.pupil], later)[cast.a.pupil.pk].uses[Kind.PHOTO_WEB].status == Answer.NO_ANSWER


def test_a_withdrawal_makes_the_pupil_no_everywhere_and_warns_who_looked_them_up(cast, login, django_capture_on_commit_callbacks):
    teacher = login(cast.a.users["teacher"])
    teacher.get(reverse("consents:photo_check"), {"form": cast.a.form.pk})
    # Someone who looked weeks ago is not warned.
    PhotoCheckLookup.objects.create(
        school=cast.a.school, user=cast.a.users["head"], pupil=cast.a.pupil, at=timezone.now() - timedelta(days=60)
    )

    office = login(cast.a.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(
            reverse("consents:answer_withdraw", args=[cast.a.answer.pk]),
            {
                "withdrawn_on": timezone.localdate().strftime("%d/%m/%Y"),
                "withdrawn_by": cast.a.parent.pk,
                "note": "Phoned the office",
            },
        )
    assert response.status_code == 302
    answer = ConsentAnswer.objects.get(pk=cast.a.answer.pk)
    assert answer.withdrawn_on == timezone.localdate()
    assert answer.withdrawn_by == cast.a.parent
    assert answer.withdrawal_recorded_by == cast.a.users["office"]
    assert answer.history.first().history_change_reason == "Consent withdrawn"
    assert answer.history.first().history_user == cast.a.users["office"]

    status = photo_consent_for([cast.a.pupil])[cast.a.pupil.pk]
    assert status.uses[Kind.PHOTO_WEB].status == Answer.NO and status.none_allowed
    warned = Notification.objects.filter(title="Photo consent withdrawn: Alice Aardvark")
    assert list(warned.values_list("recipient", flat=True)) == [cast.a.users["teacher"].pk]

    page = login(cast.a.users["teacher"]).get(reverse("consents:photo_check"), {"form": cast.a.form.pk}).content.decode()
    assert f"(withdrawn {timezone.localdate():%d/%m/%Y})" in page and "No photos at all" in page
    detail = login(cast.a.users["office"]).get(reverse("consents:answer_detail", args=[answer.pk])).content.decode()
    assert "Phoned the office" in detail and "Withdraw this consent" not in detail
    # … and the pupil's chronology shows it.
    chronology = login(cast.a.users["teacher"]).get(reverse("pupil_chronology", args=[cast.a.pupil.pk])).content.decode()
    assert "Photos on the website and social media: withdrawn" in chronology


def test_a_withdrawal_in_the_future_or_of_a_no_is_refused(cast, login):
    office = login(cast.a.users["office"])
    future = (timezone.localdate() + timedelta(days=3)).strftime("%d/%m/%Y")
    response = office.post(
        reverse("consents:answer_withdraw", args=[cast.a.answer.pk]), {"withdrawn_on": future, "note": "typed"}
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode() and 'value="typed"' in response.content.decode()
    no = _answer(cast, cast.a.pupil, Kind.PHOTO_PRINT, False)
    response = office.post(
        reverse("consents:answer_withdraw", args=[no.pk]),
        {"withdrawn_on": timezone.localdate().strftime("%d/%m/%Y")},
        follow=True,
    )
    assert ConsentAnswer.objects.get(pk=no.pk).withdrawn_on is None
    assert "Only a yes that is still in force can be withdrawn." in response.content.decode()


def test_names_too_long_to_be_a_list_of_names_are_refused_with_a_reason(cast, login):
    response = login(cast.a.users["teacher"]).get(reverse("consents:photo_check"), {"q": "x" * 100_000})
    page = response.content.decode()
    assert response.status_code == 200  # SQLite refused the search, and gave a 500
    assert "Ensure this value has at most 2000 characters (it has 100000)." in page
    assert "Aardvark" not in page


def test_the_columns_are_named_as_the_school_names_its_consents(cast, login):
    web = ConsentType.objects.get(school=cast.a.school, kind=ConsentType.Kind.PHOTO_WEB)
    web.title = "Photos on our website and Facebook page"
    web.save()

    page = login(cast.a.users["teacher"]).get(reverse("consents:photo_check"), {"form": cast.a.form.pk}).content.decode()

    assert '<th scope="col">Photos on our website and Facebook page</th>' in page
    assert "Photos on the website and social media" not in page
