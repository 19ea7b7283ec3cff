"""Slips and reminder letters, read back from the PDFs; the whole round's slips built in the background."""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from consents import services
from consents.models import ConsentSlip, ConsentType, SlipBatch
from esafety.models import AccessLogEntry
from tests import factories as f
from tests.consents.conftest import pdf_text

Kind = ConsentType.Kind


def _second_form(cast):
    form_b = f.make_form(cast.a.school, "7Z", cast.a.year7)
    other = f.make_pupil(cast.a.school, "Zak", "Zebra", form=form_b, mis_id="a010")
    return form_b, other


def _answer_everything(cast, pupil):
    slip = ConsentSlip.objects.get(round=cast.a.round, pupil=pupil)
    services.slip_record(
        slip=slip,
        answers={t: True for t in cast.a.round.consent_types.all()},
        given_by=None,
        method="paper",
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )
    return slip


def test_a_forms_slips_show_its_pupils_their_codes_and_no_one_else(cast, login):
    client = login(cast.a.users["office"])
    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    _second_form(cast)
    response = client.get(reverse("consents:round_form_slips", args=[cast.a.round.pk, cast.a.form.pk]), {"only": "all"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    carys_slip = ConsentSlip.objects.get(round=cast.a.round, pupil=carys)
    for expected in (
        "Alice Aardvark",
        "Carys Crane",
        "7A",
        "14/03/2014",
        cast.a.slip.display_code,
        carys_slip.display_code,
        "School A",
    ):
        assert expected in text
    for absent in ("Zebra", "Leaver", "Badger", cast.b.slip.display_code):
        assert absent not in text
    # Every item of the round, with yes and no boxes, and the lines to sign.
    for title in ("Photos on the website and social media", "Internet access and e-safety rules"):
        assert title in text
    assert "Signature" in text and "Printed name" in text and "Relationship to the pupil" in text and "Date" in text
    # Parents read the round's title, in the school's words, not the office's name for the print run.
    assert text.count(cast.a.round.title) == 2 and "Consent slips: 7A" not in text
    assert AccessLogEntry.objects.filter(kind=AccessLogEntry.Kind.EXPORT, summary__contains="2 consent slips for 7A").exists()


def test_only_the_slips_still_missing_are_printed_two_a_page(cast, login):
    client = login(cast.a.users["office"])
    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    _answer_everything(cast, cast.a.pupil)
    services.round_slips_ensure(consent_round=cast.a.round)
    response = client.get(reverse("consents:round_form_slips", args=[cast.a.round.pk, cast.a.form.pk]), {"per_page": "2"})
    text = pdf_text(response.content)
    assert "Carys Crane" in text and "Aardvark" not in text
    assert ConsentSlip.objects.get(round=cast.a.round, pupil=carys).display_code in text


def test_a_consent_for_one_year_group_is_only_on_that_year_groups_slips(cast, login):
    client = login(cast.a.users["office"])
    year8 = f.make_year_group(cast.a.school, 8)
    form8 = f.make_form(cast.a.school, "8A", year8)
    eight = f.make_pupil(cast.a.school, "Eve", "Eagle", form=form8, mis_id="a020")
    trip = services.consent_type_create(
        school=cast.a.school,
        title="Year 8 residential photos",
        kind=Kind.OTHER,
        answered_by=ConsentType.Answerer.PARENT,
        duration=ConsentType.Duration.ACADEMIC_YEAR,
        text="Photos on the residential.",
        year_groups=[year8],
        actor=cast.a.users["office"],
    )
    consent_round = services.round_create(
        school=cast.a.school,
        academic_year=cast.a.round.academic_year,
        title="Trips",
        consent_types=[trip, cast.a.consent_types[Kind.WEBCAM]],
        forms=[cast.a.form, form8],
        year_groups=[],
        actor=cast.a.users["office"],
    )
    services.round_open(consent_round=consent_round, actor=cast.a.users["office"])
    seven_text = pdf_text(client.get(reverse("consents:round_form_slips", args=[consent_round.pk, cast.a.form.pk])).content)
    eight_text = pdf_text(client.get(reverse("consents:round_form_slips", args=[consent_round.pk, form8.pk])).content)
    assert "Webcam" in seven_text and "residential" not in seven_text
    assert "Eve Eagle" in eight_text and "Year 8 residential photos" in eight_text

    # Only the Year 8 pupil still owes that answer.
    chasing = client.get(reverse("consents:round_chasing", args=[consent_round.pk])).content.decode()
    assert chasing.count("Year 8 residential photos") == 1
    services.slip_record(
        slip=ConsentSlip.objects.get(round=consent_round, pupil=eight),
        answers={cast.a.consent_types[Kind.WEBCAM]: True},
        given_by=None,
        method="paper",
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )
    chasing = client.get(reverse("consents:round_chasing", args=[consent_round.pk])).content.decode()
    assert "Eagle, Eve" in chasing and "Year 8 residential photos" in chasing


def test_reminder_letters_are_for_the_pupils_still_missing_answers(cast, login):
    client = login(cast.a.users["office"])
    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    services.round_slips_ensure(consent_round=cast.a.round)
    _answer_everything(cast, carys)
    response = client.get(reverse("consents:round_form_reminders", args=[cast.a.round.pk, cast.a.form.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Dear parent or carer of Alice Aardvark (7A)" in text
    assert cast.a.slip.display_code in text
    assert "Crane" not in text
    # Alice already said yes to photos on the website: the letter asks only for what is missing.
    assert "Photos on the website and social media" not in text
    assert "Photos in printed publicity and the press" in text


def test_the_whole_rounds_slips_are_built_in_the_background_and_downloaded(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    _, zak = _second_form(cast)
    cast.a.round.forms.clear()  # the cast's round asks 7A only: now the whole school
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consents:slip_batch_start", args=[cast.a.round.pk]), {"only_missing": "0", "per_page": "1"}
        )
    batch = SlipBatch.objects.filter(round=cast.a.round).exclude(pk=cast.a.batch.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("consents:slip_batch_detail", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == SlipBatch.Status.READY
    assert batch.pupil_count == 2
    page = client.get(reverse("consents:slip_batch_detail", args=[batch.pk])).content.decode()
    assert "Ready:" in page and "2 slips" in page
    assert "100%" in client.get(reverse("consents:slip_batch_progress", args=[batch.pk])).content.decode()

    download = client.get(reverse("consents:slip_batch_download", args=[batch.pk]))
    assert download.status_code == 200
    text = pdf_text(b"".join(download.streaming_content))
    assert "Alice Aardvark" in text and "Zak Zebra" in text and "7Z" in text
    assert ConsentSlip.objects.get(round=cast.a.round, pupil=zak).display_code in text
    assert "Badger" not in text and "Leaver" not in text
    assert AccessLogEntry.objects.filter(summary__startswith="Downloaded 2 consent slips").exists()
    assert [h.history_change_reason for h in batch.history.order_by("history_date")] == ["Slips asked for", "Building", "Ready"]
    assert cast.a.users["office"].notifications.filter(title__startswith="Slips ready").exists()


def test_a_batch_that_is_still_building_shows_its_progress_and_cannot_be_downloaded(cast, login):
    client = login(cast.a.users["office"])
    page = client.get(reverse("consents:slip_batch_detail", args=[cast.a.batch.pk])).content.decode()
    assert 'role="progressbar"' in page and "hx-get" in page
    response = client.get(reverse("consents:slip_batch_download", args=[cast.a.batch.pk]))
    assert response.status_code == 302


def test_reception_children_are_not_asked_to_sign_and_older_pupils_are(cast, login):
    office = cast.a.users["office"]
    client = login(office)
    reception = f.make_form(cast.a.school, "RA", f.make_year_group(cast.a.school, 0))
    f.make_pupil(cast.a.school, "Rosa", "Robin", form=reception, mis_id="a030", born=date(2021, 1, 5))
    agreement = services.consent_type_create(
        school=cast.a.school,
        title="Using the class tablets",
        kind=Kind.OTHER,
        answered_by=ConsentType.Answerer.PARENT_AND_PUPIL,
        duration=ConsentType.Duration.ACADEMIC_YEAR,
        text="I will use the tablets kindly and tell an adult if something upsets me.",
        year_groups=[],
        actor=office,
    )
    consent_round = services.round_create(
        school=cast.a.school,
        academic_year=cast.a.round.academic_year,
        title="Tablets",
        consent_types=[agreement],
        forms=[cast.a.form, reception],
        year_groups=[],
        actor=office,
    )
    services.round_open(consent_round=consent_round, actor=office)

    def slips(form):
        return pdf_text(client.get(reverse("consents:round_form_slips", args=[consent_round.pk, form.pk])).content)

    assert "Rosa Robin" in slips(reception) and "Pupil's signature" not in slips(reception)
    assert "Alice Aardvark" in slips(cast.a.form) and "Pupil's signature" in slips(cast.a.form)


def test_a_form_with_nothing_missing_offers_no_missing_slips_and_prints_no_empty_pdf(cast, login):
    client = login(cast.a.users["office"])
    slips_url = reverse("consents:round_form_slips", args=[cast.a.round.pk, cast.a.form.pk])
    assert f'href="{slips_url}"' in client.get(reverse("consents:round_detail", args=[cast.a.round.pk])).content.decode()
    _answer_everything(cast, cast.a.pupil)

    page = client.get(reverse("consents:round_detail", args=[cast.a.round.pk])).content.decode()
    response = client.get(slips_url, follow=True)

    assert f'href="{slips_url}"' not in page and f'href="{slips_url}?only=all"' in page
    assert response.redirect_chain[-1][0] == reverse("consents:round_detail", args=[cast.a.round.pk])
    assert "Every pupil in 7A has answered everything this round asks: there are no slips to print." in response.content.decode()
