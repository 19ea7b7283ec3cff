"""
A whole round's slips rendered form by form in processes side by side (`PDF_PROCESSES`): the same slips in the
same order as in one process, progress form by form, and the same inside a Celery worker's daemonic process.
"""

import io
from datetime import date

import billiard
import pytest
import qrcode
from pypdf import PdfReader

from consents import printing, services
from consents.models import ConsentRound, ConsentType, SlipBatch
from consents.selectors import pupils_in_round
from esafety import pdf
from tests import factories as f
from tests.consents.conftest import pdf_text


@pytest.fixture
def three_forms(cast):
    """The round asks the whole school: 7A (Alice and Carys), 8B and 9C (three pupils each)."""
    school = cast.a.school
    f.make_pupil(school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    for number, name in ((8, "8B"), (9, "9C")):
        form = f.make_form(school, name, f.make_year_group(school, number))
        for first, last in (("Dev", "Dove"), ("Ezra", "Egret"), ("Fay", "Finch")):
            f.make_pupil(school, first, f"{last}-{name}", form=form, mis_id=f"{name}{first}", born=date(2012, 5, 1))
    cast.a.round.forms.clear()
    return ConsentRound.objects.select_related("school").get(pk=cast.a.round.pk)


@pytest.fixture
def in_processes(settings, monkeypatch):
    """Slips rendered in two processes, however few; records the number of processes each build asked for."""
    settings.PDF_PROCESSES = 2
    monkeypatch.setattr(printing, "SLIPS_WORTH_A_PROCESS", 1)
    asked = []
    renderers = pdf.pdf_renderers

    def counting(count):
        asked.append(count)
        return renderers(count)

    monkeypatch.setattr(printing, "pdf_renderers", counting)
    return asked


def _build(consent_round, office, *, per_page=1) -> list[str]:
    batch = SlipBatch.objects.create(round=consent_round, per_page=per_page, created_by=office)
    services.slip_batch_build(batch.pk)
    batch.refresh_from_db()
    assert batch.status == SlipBatch.Status.READY, batch.failure
    with batch.file.open("rb") as file:
        return _pages_text(file.read())


def _pages_text(content: bytes) -> list[str]:
    return pdf_text(content).split("\n")


@pytest.mark.parametrize("per_page", [1, 2])
def test_slips_built_side_by_side_are_those_of_one_process_in_the_same_order(cast, three_forms, settings, in_processes, per_page):
    office = cast.a.users["office"]
    side_by_side = _build(three_forms, office, per_page=per_page)
    settings.PDF_PROCESSES = 1
    one_process = _build(three_forms, office, per_page=per_page)

    assert in_processes == [2, 1]
    assert side_by_side == one_process
    pupils = [name for page in side_by_side for name in page.split("Pupil: ")[1:]]
    assert [name.split(" Form:")[0] for name in pupils] == [
        "Alice Aardvark",
        "Carys Crane",
        "Dev Dove-8B",
        "Ezra Egret-8B",
        "Fay Finch-8B",
        "Dev Dove-9C",
        "Ezra Egret-9C",
        "Fay Finch-9C",
    ]
    assert len(side_by_side) == (8 if per_page == 1 else 5)  # two a page, each form on its own pages


def test_progress_goes_form_by_form(cast, three_forms, in_processes):
    consent_round = three_forms
    pupils = pupils_in_round(consent_round)
    pages = services.round_slip_pages(consent_round=consent_round, pupils=pupils, only_missing=False)
    forms = [(name, [page for page in pages if page.form_name == name]) for name in ("7A", "8B", "9C")]
    progress = []

    count, file = printing.round_slips_file(
        consent_round, forms, per_page=1, progress=lambda *p: progress.append(p), name="s.pdf"
    )

    assert count == 8
    assert progress == [(0, 8), (2, 8), (5, 8), (8, 8)]
    assert len(PdfReader(file).pages) == 8


def test_each_slips_qr_code_is_its_own_code(cast, three_forms, in_processes):
    pages = _build(three_forms, cast.a.users["office"])
    batch = SlipBatch.objects.filter(round=three_forms).exclude(pk=cast.a.batch.pk).get()
    with batch.file.open("rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    for text, page in zip(pages, reader.pages, strict=True):
        code = text.split("Slip code ")[1][:9].replace("-", "")
        (image,) = page.images
        expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0)
        expected.add_data(code)
        dark = [[not image.image.getpixel((x, y)) for x in range(image.image.width)] for y in range(image.image.height)]
        assert dark == expected.get_matrix()


def _build_in_daemon(results, consent_round, forms, processes_asked):
    import multiprocessing

    count, file = printing.round_slips_file(consent_round, forms, per_page=1, progress=lambda *p: None, name="s.pdf")
    results.put((multiprocessing.current_process().daemon, processes_asked, count, file.read()))


def test_slips_are_rendered_side_by_side_inside_a_celery_workers_daemonic_process(cast, three_forms, in_processes):
    # A Celery worker (prefork) runs each task in a daemonic billiard process, to which multiprocessing refuses children.
    consent_round = three_forms
    pupils = pupils_in_round(consent_round)
    pages = services.round_slip_pages(consent_round=consent_round, pupils=pupils, only_missing=False)
    forms = [(name, [page for page in pages if page.form_name == name]) for name in ("7A", "8B", "9C")]
    context = billiard.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_build_in_daemon, args=(results, consent_round, forms, in_processes), daemon=True)
    worker.start()
    daemonic, processes_asked, count, content = results.get(timeout=120)
    worker.join(timeout=30)

    assert daemonic and processes_asked == [2]
    assert count == 8 and "Fay Finch-9C" in pdf_text(content)


def test_a_form_whose_items_do_not_fit_on_a_slip_is_printed_whole_among_the_others(
    cast, three_forms, settings, in_processes, caplog
):
    office = cast.a.users["office"]
    trip = services.consent_type_create(
        school=cast.a.school,
        title="Year 9 week at the coast",
        kind=ConsentType.Kind.OTHER,
        answered_by=ConsentType.Answerer.PARENT,
        duration=ConsentType.Duration.ACADEMIC_YEAR,
        text="We walk the cliffs, sail in the bay and sleep in the youth hostel. " * 60 + "Back on Friday by four.",
        year_groups=[f.make_year_group(cast.a.school, 9)],
        actor=office,
    )
    three_forms.consent_types.add(trip)

    side_by_side = _build(three_forms, office)
    settings.PDF_PROCESSES = 1
    one_process = _build(three_forms, office)

    assert "do not fit on its slip" in caplog.text
    assert side_by_side == one_process
    text = "\n".join(side_by_side)
    assert text.count("Back on Friday by four.") == 3 and "Form: 9C" in text
    assert [page.split(" Form:")[0].split("Pupil: ")[1] for page in side_by_side[:5]] == [
        "Alice Aardvark",
        "Carys Crane",
        "Dev Dove-8B",
        "Ezra Egret-8B",
        "Fay Finch-8B",
    ]
