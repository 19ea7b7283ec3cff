"""Collection rounds, recording returned slips by code or by grid, and the chasing list."""

import html
import re
from datetime import date

import time_machine
from django.urls import reverse
from django.utils import timezone

from consents import services
from consents.models import ConsentAnswer, ConsentRound, ConsentSlip, ConsentType
from esafety.models import AcademicYear
from tests import factories as f

Kind = ConsentType.Kind


def _today():
    return timezone.localdate().strftime("%d/%m/%Y")


def test_the_office_drafts_and_opens_a_round_and_every_pupil_gets_a_slip(cast, login):
    client = login(cast.a.users["office"])
    other = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    types = [cast.a.consent_types[Kind.PHOTO_IN_SCHOOL], cast.a.consent_types[Kind.WEBCAM]]
    response = client.post(
        reverse("consents:round_create"),
        {
            "title": "Webcam and displays",
            "academic_year": AcademicYear.objects.current().pk,
            "consent_types": [t.pk for t in types],
            "forms": [cast.a.form.pk],
        },
    )
    assert response.status_code == 302
    consent_round = ConsentRound.objects.get(title="Webcam and displays")
    assert consent_round.status == ConsentRound.Status.DRAFT
    assert not consent_round.slips.exists()

    response = client.post(reverse("consents:round_open", args=[consent_round.pk]), follow=True)
    assert "2 slips ready to print" in response.content.decode()
    consent_round.refresh_from_db()
    assert consent_round.status == ConsentRound.Status.OPEN
    # The pupils on roll, not the leaver; each code is its own.
    slips = list(consent_round.slips.select_related("pupil"))
    assert {s.pupil for s in slips} == {cast.a.pupil, other}
    assert len({s.code for s in slips}) == 2 and all(len(s.code) == 8 for s in slips)
    assert [h.history_change_reason for h in consent_round.history.order_by("history_date")] == ["Round drafted", "Round opened"]


def test_a_round_needs_at_least_one_consent_and_keeps_what_was_typed(cast, login):
    client = login(cast.a.users["office"])
    response = client.post(
        reverse("consents:round_create"), {"title": "Nothing asked", "academic_year": AcademicYear.objects.current().pk}
    )
    assert response.status_code == 400
    assert 'value="Nothing asked"' in response.content.decode()
    assert not ConsentRound.objects.filter(title="Nothing asked").exists()


def _record(client, slip, answers, **extra):
    data = {f"answer_{t.pk}": v for t, v in answers.items()}
    data.update({"method": "paper", "signed_on": _today(), **extra})
    return client.post(reverse("consents:slip_record", args=[slip.pk]), data)


def test_a_slip_is_found_by_its_code_however_it_is_typed_and_recorded(cast, login):
    client = login(cast.a.users["office"])
    slip = cast.a.slip
    typed = f" {slip.code[:4].lower()}-{slip.code[4:]} "
    page = client.get(reverse("consents:return_entry"), {"code": typed})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alice Aardvark" in text and "7A" in text and "14/03/2014" in text

    photo_print = cast.a.consent_types[Kind.PHOTO_PRINT]
    internet = cast.a.consent_types[Kind.INTERNET]
    response = _record(client, slip, {photo_print: "no", internet: "yes"}, given_by=cast.a.parent.pk)
    assert response.status_code == 302
    answers = {a.consent_type: a for a in ConsentAnswer.objects.current().filter(pupil=cast.a.pupil)}
    assert answers[photo_print].agreed is False and answers[internet].agreed is True
    assert answers[internet].given_by == cast.a.parent
    assert answers[internet].entered_by == cast.a.users["office"]
    assert answers[internet].method == ConsentAnswer.Method.PAPER
    assert answers[internet].slip == slip
    assert answers[internet].history.first().history_change_reason == "Answer recorded"
    message = client.get(reverse("consents:return_entry")).content.decode()
    assert "2 answers recorded" in message


def test_a_slip_entered_twice_does_not_make_two_answers(cast, login):
    client = login(cast.a.users["office"])
    photo_print = cast.a.consent_types[Kind.PHOTO_PRINT]
    _record(client, cast.a.slip, {photo_print: "yes"})
    _record(client, cast.a.slip, {photo_print: "yes"})
    assert ConsentAnswer.objects.filter(pupil=cast.a.pupil, consent_type=photo_print).count() == 1
    assert "already recorded with these answers: nothing changed" in client.get(reverse("consents:return_entry")).content.decode()

    # Entered again with a different tick: the same answer is corrected, with history; still one row.
    _record(client, cast.a.slip, {photo_print: "no"})
    answers = ConsentAnswer.objects.filter(pupil=cast.a.pupil, consent_type=photo_print)
    assert answers.count() == 1
    assert answers.get().agreed is False
    assert answers.get().history.first().history_change_reason == "Corrected from the same slip"


def test_a_code_from_another_school_is_refused_with_a_clear_message(cast, login):
    client = login(cast.a.users["office"])
    response = client.get(reverse("consents:return_entry"), {"code": cast.b.slip.code})
    assert response.status_code == 400
    text = response.content.decode()
    assert f"None of School A&#x27;s slips has the code {cast.b.slip.code}" in text
    assert "A slip printed by another school cannot be recorded here." in text
    assert "Bob" not in text and "Badger" not in text
    # Posting it directly is a 404: the slip does not exist at this school.
    before = ConsentAnswer.objects.count()
    assert _record(client, cast.b.slip, {cast.b.consent_types[Kind.PHOTO_PRINT]: "yes"}).status_code == 404
    assert ConsentAnswer.objects.count() == before


def test_a_code_from_a_closed_or_last_years_round_is_refused(cast, login):
    client = login(cast.a.users["office"])
    services.round_close(consent_round=cast.a.round, actor=cast.a.users["office"])
    response = client.get(reverse("consents:return_entry"), {"code": cast.a.slip.code})
    assert response.status_code == 400
    assert "which is closed" in response.content.decode()
    assert "print a new slip from the current round" in response.content.decode()

    # A round of last school year, still open: its slips are old too.
    last_year = AcademicYear.objects.for_date(date(timezone.localdate().year - 2, 10, 1))
    old_round = services.round_create(
        school=cast.a.school,
        academic_year=last_year,
        title="Old round",
        consent_types=[cast.a.consent_types[Kind.WEBCAM]],
        forms=[cast.a.form],
        year_groups=[],
        actor=cast.a.users["office"],
    )
    services.round_open(consent_round=old_round, actor=cast.a.users["office"])
    old_slip = ConsentSlip.objects.get(round=old_round, pupil=cast.a.pupil)
    response = client.get(reverse("consents:return_entry"), {"code": old_slip.code})
    assert response.status_code == 400
    assert f"({last_year.label})" in response.content.decode()
    response = _record(client, old_slip, {cast.a.consent_types[Kind.WEBCAM]: "yes"})
    assert response.status_code == 302
    assert not ConsentAnswer.objects.filter(slip=old_slip).exists()


def test_an_unknown_code_and_bad_answers_say_what_is_wrong_and_keep_what_was_typed(cast, login):
    client = login(cast.a.users["office"])
    response = client.get(reverse("consents:return_entry"), {"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 400
    assert "None of School A&#x27;s slips has the code ZZZZ-ZZZZ" in response.content.decode()
    assert 'value="ZZZZ-ZZZZ"' in response.content.decode()

    photo_print = cast.a.consent_types[Kind.PHOTO_PRINT]
    response = _record(client, cast.a.slip, {photo_print: "no"}, signed_on="31/12/2999")
    assert response.status_code == 400
    text = response.content.decode()
    assert "The date signed cannot be in the future." in text
    assert 'value="31/12/2999"' in text
    assert f'value="no" class="form-check-input" id="id_answer_{photo_print.pk}_2" checked' in text or "checked" in text
    assert not ConsentAnswer.objects.filter(consent_type=photo_print).exists()

    response = _record(client, cast.a.slip, {})
    assert response.status_code == 400
    assert "Tick yes or no for at least one consent on the slip." in response.content.decode()


def test_the_chasing_list_shrinks_as_slips_come_back(cast, login):
    client = login(cast.a.users["office"])
    second = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    services.round_slips_ensure(consent_round=cast.a.round)
    url = reverse("consents:round_chasing", args=[cast.a.round.pk])
    page = client.get(url).content.decode()
    assert "Aardvark, Alice" in page and "Crane, Carys" in page and "Leaver" not in page
    assert "2 pupils with answers missing" in page
    home = client.get(reverse("home")).content.decode()
    assert "2 pupils still have answers missing" in home

    slip = ConsentSlip.objects.get(round=cast.a.round, pupil=second)
    _record(client, slip, {t: "yes" for t in cast.a.round.consent_types.all()})
    page = client.get(url).content.decode()
    assert "Crane, Carys" not in page and "Aardvark, Alice" in page
    assert "1 pupil with answers missing" in page
    assert "1 pupil still has answers missing" in client.get(reverse("home")).content.decode()

    # Searching and sorting the list.
    assert "Aardvark" not in client.get(url, {"q": "crane"}).content.decode()


def test_the_chasing_list_puts_those_missing_most_first_when_asked(cast, login):
    client = login(cast.a.users["office"])
    f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    url = reverse("consents:round_chasing", args=[cast.a.round.pk])
    # Alice has answered one of the round's five consents (photos on the website); Carys none.
    page = client.get(url, {"sort": "-missing"}).content.decode()
    assert page.index("Crane, Carys") < page.index("Aardvark, Alice")
    rows = re.findall(r"<td>7A</td><td>(\d)</td>", page)
    assert rows == ["5", "4"]
    page = client.get(url, {"sort": "missing"}).content.decode()
    assert page.index("Aardvark, Alice") < page.index("Crane, Carys")
    assert "Photos on the website" not in page.split("Aardvark, Alice")[1].split("</tr>")[0]


def _record_grid(client, cast, second):
    """Form 7A's grid: Alice yes to internet access, signed by her parent; the `second` pupil no to photos in print."""
    internet, photo_print = cast.a.consent_types[Kind.INTERNET], cast.a.consent_types[Kind.PHOTO_PRINT]
    return client.post(
        reverse("consents:round_form_grid", args=[cast.a.round.pk, cast.a.form.pk]),
        {
            "method": "paper",
            "signed_on": _today(),
            f"p{cast.a.pupil.pk}_t{internet.pk}": "yes",
            f"p{cast.a.pupil.pk}_by": str(cast.a.parent.pk),
            f"p{second.pk}_t{photo_print.pk}": "no",
        },
    )


def test_a_form_is_recorded_from_its_grid(cast, login):
    client = login(cast.a.users["office"])
    second = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    internet = cast.a.consent_types[Kind.INTERNET]
    photo_print = cast.a.consent_types[Kind.PHOTO_PRINT]
    assert client.get(reverse("consents:round_form_grid", args=[cast.a.round.pk, cast.a.form.pk])).status_code == 200
    response = _record_grid(client, cast, second)
    assert response.status_code == 302
    alices = ConsentAnswer.objects.current().get(pupil=cast.a.pupil, consent_type=internet)
    assert alices.given_by == cast.a.parent and alices.slip == cast.a.slip
    assert alices.history.get().history_change_reason == "Answer recorded"
    assert alices.history.get().history_user == cast.a.users["office"]
    assert ConsentAnswer.objects.current().get(pupil=second, consent_type=photo_print).agreed is False
    slip = ConsentSlip.objects.get(round=cast.a.round, pupil=second)
    assert slip.returned_at is not None and slip.history.first().history_change_reason == "Slip returned"
    assert "7A: 2 answers recorded." in client.get(response["Location"]).content.decode()
    # The same grid again changes nothing.
    _record_grid(client, cast, second)
    assert ConsentAnswer.objects.filter(pupil__in=[cast.a.pupil, second], consent_type__in=[internet, photo_print]).count() == 2
    assert "7A: 2 already recorded and unchanged." in client.get(response["Location"]).content.decode()


def test_a_grid_with_a_problem_on_a_later_row_saves_nothing_and_keeps_what_was_typed(cast, login):
    client = login(cast.a.users["office"])
    second = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    internet = cast.a.consent_types[Kind.INTERNET]
    photo_print = cast.a.consent_types[Kind.PHOTO_PRINT]
    # The consent lost its wording after the page was opened: Carys's row, the second, cannot be recorded.
    ConsentType.objects.filter(pk=photo_print.pk).update(current_wording=None)
    answers_before, history_before = ConsentAnswer.objects.count(), ConsentAnswer.history.count()
    response = _record_grid(client, cast, second)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Carys Crane: “{html.escape(photo_print.title)}” has no wording yet." in page
    # Alice's row, the first, was not saved either, and everything typed is there to send again.
    assert ConsentAnswer.objects.count() == answers_before and ConsentAnswer.history.count() == history_before
    assert not ConsentSlip.objects.filter(round=cast.a.round, returned_at__isnull=False).exclude(pk=cast.a.slip.pk).exists()
    assert _chosen(page, f"id_p{cast.a.pupil.pk}_t{internet.pk}") == "yes"
    assert _chosen(page, f"id_p{cast.a.pupil.pk}_by") == str(cast.a.parent.pk)
    assert _chosen(page, f"id_p{second.pk}_t{photo_print.pk}") == "no"
    assert f'value="{_today()}"' in page


def _chosen(page: str, select_id: str) -> str:
    """The value of the option selected in a <select> of the page."""
    select = page.split(f'id="{select_id}"')[1].split("</select>")[0]
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def test_an_answer_by_phone_replaces_the_one_before(cast, login):
    client = login(cast.a.users["office"])
    photo_web = cast.a.consent_types[Kind.PHOTO_WEB]
    response = client.post(
        reverse("consents:pupil_consents", args=[cast.a.pupil.pk]),
        {"consent_type": photo_web.pk, "agreed": "no", "method": "phone", "signed_on": _today(), "given_by": cast.a.parent.pk},
    )
    assert response.status_code == 302
    answers = ConsentAnswer.objects.filter(pupil=cast.a.pupil, consent_type=photo_web).order_by("entered_at")
    assert [a.agreed for a in answers] == [True, False]
    assert answers[0].superseded_at is not None and answers[1].superseded_at is None
    page = client.get(reverse("consents:pupil_consents", args=[cast.a.pupil.pk])).content.decode()
    assert "Replaced" in page and "In force" in page


def test_a_parent_of_another_pupil_cannot_be_recorded_as_the_signer(cast, login):
    client = login(cast.a.users["office"])
    stranger = f.make_parent(
        f.make_pupil(cast.a.school, "Dan", "Dove", form=cast.a.form, mis_id="a004"), "Dora", "Dove", mis_id="CD1"
    )
    response = _record(client, cast.a.slip, {cast.a.consent_types[Kind.INTERNET]: "yes"}, given_by=stranger.pk)
    assert response.status_code == 400
    assert not ConsentAnswer.objects.filter(consent_type=cast.a.consent_types[Kind.INTERNET]).exists()


def test_a_round_of_next_year_can_be_drafted_in_the_summer(cast, login):
    with time_machine.travel(date(2031, 7, 10), tick=False):
        client = login(cast.a.users["office"])
        next_year = AcademicYear.objects.for_date(date(2031, 9, 1))
        page = client.get(reverse("consents:round_create")).content.decode()
        assert "2031/32" in page and "2030/31" in page
        assert next_year.label == "2031/32"


def test_a_form_id_too_big_for_the_database_is_refused_like_any_unknown_one(cast, login):
    response = login(cast.a.users["office"]).post(
        reverse("consents:round_create"),
        {
            "title": "Too big",
            "academic_year": AcademicYear.objects.current().pk,
            "consent_types": [cast.a.consent_types[Kind.WEBCAM].pk],
            "forms": ["99999999999999999999"],
        },
    )
    assert response.status_code == 400  # SQLite could not compare it, and gave a 500
    assert "“99999999999999999999” is not a valid value." in response.content.decode()
    assert not ConsentRound.objects.filter(title="Too big").exists()
