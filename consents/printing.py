"""
The paper side of consents: slips per form (one or two a page), reminder
letters for the answers still missing, and the whole round's slips built
form by form in the background.

Every PDF goes through `esafety.pdf`, which shares one FontConfiguration, so
a whole school's slips are rendered form by form with flat memory and then
joined into one file.
"""

import base64
import io
import logging
import tempfile
from dataclasses import dataclass
from datetime import date

import qrcode
from django.core.cache import cache
from django.core.files import File
from pypdf import PdfWriter

from consents.models import ConsentRound, ConsentSlip, ConsentType, SlipBatch
from consents.selectors import applicable_year_groups, applies_to, pupils_with_answers_missing, round_types
from consents.services import round_slips_ensure
from esafety.models import FormGroup
from esafety.pdf import render_pdf

logger = logging.getLogger(__name__)


@dataclass
class SlipItem:
    title: str
    text: str
    version: int
    pupil_signs: bool


@dataclass
class SlipPage:
    pupil: object
    form_name: str
    code: str
    display_code: str
    qr: str  # a data: URI of the code's QR image (PNG)
    items: list[SlipItem]
    pupil_signs: bool


def qr_data_uri(text: str) -> str:
    # A small PNG: WeasyPrint places a bitmap far faster than it draws an SVG of many squares.
    buffer = io.BytesIO()
    qrcode.make(text, box_size=4, border=1).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def slip_pages(
    consent_round: ConsentRound, pupils, *, only_missing: bool, types: list[ConsentType] | None = None
) -> list[SlipPage]:
    """
    One page (or half page) per pupil of `pupils` (a queryset of the round's pupils): the round's consents
    that apply to them, or, with `only_missing`, only those still unanswered (and only pupils missing any).
    """
    types = round_types(consent_round) if types is None else types
    applicable = applicable_year_groups(types, consent_round.school)
    annotated = (
        pupils_with_answers_missing(consent_round, types)
        .filter(pk__in=pupils.values("pk"))
        .order_by("form__name", "last_name", "first_name")
    )
    if only_missing:
        annotated = annotated.filter(missing_count__gt=0)
    annotated = list(annotated)
    round_slips_ensure(consent_round=consent_round, pupil_ids=[p.pk for p in annotated])
    codes = dict(
        ConsentSlip.objects.filter(round=consent_round, pupil__in=[p.pk for p in annotated]).values_list("pupil_id", "code")
    )
    pages = []
    for pupil in annotated:
        items = []
        for consent_type in types:
            wanted = (
                getattr(pupil, f"missing_{consent_type.pk}") if only_missing else applies_to(applicable[consent_type.pk], pupil)
            )
            if wanted:
                items.append(
                    SlipItem(
                        consent_type.title,
                        consent_type.current_wording.text,
                        consent_type.current_wording.version,
                        consent_type.answered_by == ConsentType.Answerer.PARENT_AND_PUPIL,
                    )
                )
        if not items:
            continue
        code = codes[pupil.pk]
        pages.append(
            SlipPage(
                pupil=pupil,
                form_name=pupil.form.name if pupil.form else "",
                code=code,
                display_code=f"{code[:4]}-{code[4:]}",
                qr=qr_data_uri(code),
                items=items,
                pupil_signs=any(i.pupil_signs for i in items),
            )
        )
    return pages


def render_slips(consent_round: ConsentRound, pages: list[SlipPage], *, per_page: int, title: str) -> bytes:
    return render_pdf(
        "consents/pdf/slips.html",
        {"round": consent_round, "school": consent_round.school, "pages": pages, "per_page": per_page, "title": title},
    )


def render_reminders(consent_round: ConsentRound, pages: list[SlipPage], *, today: date) -> bytes:
    return render_pdf(
        "consents/pdf/reminders.html",
        {"round": consent_round, "school": consent_round.school, "pages": pages, "today": today, "title": "Reminder"},
    )


def form_slips_pdf(consent_round: ConsentRound, form: FormGroup, *, only_missing: bool, per_page: int) -> tuple[bytes, int]:
    pupils = pupils_with_answers_missing(consent_round).filter(form=form)
    pages = slip_pages(consent_round, pupils, only_missing=only_missing)
    return render_slips(consent_round, pages, per_page=per_page, title=f"Consent slips: {form.name}"), len(pages)


# --- Whole round, in the background ---------------------------------------------------------


def _progress_key(batch) -> str:
    return f"slip-batch-progress:{batch.pk}"


def set_progress(batch: SlipBatch, done: int, total: int) -> None:
    # The cache, so that the page polling for progress sees it while the task runs.
    try:
        cache.set(_progress_key(batch), (done, total), timeout=3600)
    except Exception:  # noqa: BLE001 - a progress bar is not worth failing the slips for
        logger.warning("Could not record the progress of slip batch %s", batch.pk)


def batch_progress(batch: SlipBatch) -> int:
    """How far the batch has got, in per cent (0 when the cache cannot say)."""
    if batch.status == SlipBatch.Status.READY:
        return 100
    try:
        done, total = cache.get(_progress_key(batch), (0, 1))
    except Exception:  # noqa: BLE001 - the page must still show when the cache is down
        return 0
    return int(100 * done / max(total, 1))


def build_round_slips(batch: SlipBatch, progress) -> tuple[int, File]:
    """Render the round's slips form by form and join them into one PDF file. Returns the slip count and the file."""
    consent_round = batch.round
    types = round_types(consent_round)
    pupils = pupils_with_answers_missing(consent_round, types)
    if batch.only_missing:
        pupils = pupils.filter(missing_count__gt=0)
    form_ids = list(pupils.order_by().values_list("form_id", flat=True).distinct())
    forms = sorted(
        FormGroup.objects.filter(pk__in=[f for f in form_ids if f]).select_related("year_group"),
        key=lambda f: (f.year_group.ncy, f.name),
    )
    total = pupils.count()
    done = 0
    progress(0, total)
    writer = PdfWriter()
    parts = []
    for form in forms:
        pages = slip_pages(consent_round, pupils.filter(form=form), only_missing=batch.only_missing, types=types)
        if not pages:
            continue
        part = tempfile.TemporaryFile()
        part.write(render_slips(consent_round, pages, per_page=batch.per_page, title=f"Consent slips: {form.name}"))
        part.seek(0)
        parts.append(part)
        writer.append(part)
        done += len(pages)
        progress(done, total)
    output = tempfile.TemporaryFile()
    if parts:
        writer.write(output)
    else:
        output.write(render_slips(consent_round, [], per_page=batch.per_page, title="Consent slips"))
    for part in parts:
        part.close()
    output.seek(0)
    return done, File(output, name=f"slips-{batch.pk}.pdf")
