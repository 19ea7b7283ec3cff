"""
The paper side of consents: slips per form (one or two a page), reminder
letters for the answers still missing, and the whole round's slips built
form by form in the background.

This module only renders: it is handed the pupils, their slip codes and the consents, and returns
PDF bytes or files. Whatever a print needs written first (the slips of pupils who joined a round
after it opened, a batch's state) is written by `consents.services`, which calls it.

Every PDF goes through `esafety.pdf`, which shares one FontConfiguration, so
a whole school's slips are rendered form by form with flat memory and then
joined into one file.

Slips are printed in two layers, because laying out the wording of every item
again for every pupil was nearly all the time a form's slips took:

- the *body* (the items, their wording and yes/no boxes, the lines to sign) is
  laid out once for each set of items, and becomes a PDF form XObject;
- the *pupil's layer* (the school, the pupil's name, form and date of birth,
  the slip code with its QR code, the foot) is rendered for every slip, and
  each of its slips draws the matching body underneath.

Both layers give every slip the same fixed geometry (`SlipGeometry`), so they
line up. When a body is too tall for its slip, the slips are printed in one
layer instead (`layer="full"`), as the reminder letters always are.
"""

import base64
import io
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import qrcode
from django.core.files import File
from django.template.loader import render_to_string
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

from consents.models import ConsentRound, ConsentType
from consents.selectors import applies_to
from esafety.pdf import render_html_document, render_pdf
from esafety.progress import ProgressCallback

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
    """
    The QR code of `text` as a data: URI of a PNG with one pixel a module, which the slip scales up
    without smoothing (`image-rendering: pixelated`): WeasyPrint places a bitmap far faster than it
    draws an SVG of many squares. The mask is fixed (any mask is valid; trying all eight for the
    most readable one took most of the time), and the code stays small enough for a phone to read.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0)
    code.add_data(text)
    modules = code.get_matrix()  # rows of booleans, dark is True, with the quiet zone
    image = Image.new("1", (len(modules), len(modules)))
    image.putdata([0 if dark else 1 for row in modules for dark in row])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def slip_pages(
    pupils: Iterable,
    *,
    types: list[ConsentType],
    applicable: dict[int, set[int] | None],
    codes: dict[int, str],
    only_missing: bool,
) -> list[SlipPage]:
    """
    One page (or half page) per pupil of `pupils` (annotated by `pupils_with_answers_missing`, in the order
    to print) with anything to answer: the consents of `types` that apply to them (`applicable`, from
    `applicable_year_groups`), or, with `only_missing`, only those still unanswered. `codes` holds each
    pupil's slip code.
    """
    pages = []
    for pupil in pupils:
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
                # Nursery and Reception children are not asked to sign: their parents answer for them.
                pupil_signs=pupil.year_group.ncy >= 1 and any(i.pupil_signs for i in items),
            )
        )
    return pages


@dataclass(frozen=True)
class SlipGeometry:
    """A slip's size and type sizes, in mm and pt (whole numbers: they are written into the CSS)."""

    height_mm: int  # the whole slip, its cut line included
    head_mm: int  # the school, the title, the pupil and the QR code
    gap_mm: int  # below each slip, after its cut line (two a page)
    font_pt: int
    title_pt: int
    sign_gap_mm: int  # above each line to sign


# The A4 page's top margin in `templates/pdf/base.html` (its content is 263 mm high).
PAGE_TOP_MM = 16
FOOT_MM = 8  # room kept for the foot, at the bottom of a slip: two lines of 7.5pt
GEOMETRY = {
    1: SlipGeometry(height_mm=262, head_mm=26, gap_mm=0, font_pt=10, title_pt=14, sign_gap_mm=6),
    2: SlipGeometry(height_mm=126, head_mm=24, gap_mm=4, font_pt=8, title_pt=11, sign_gap_mm=3),
}
REMINDER_GEOMETRY = SlipGeometry(height_mm=0, head_mm=24, gap_mm=0, font_pt=8, title_pt=11, sign_gap_mm=3)

MM_TO_PT = 72 / 25.4
MM_TO_CSS_PX = 96 / 25.4


def render_slips(
    consent_round: ConsentRound, pages: list[SlipPage], *, per_page: int, title: str, bodies: dict | None = None
) -> bytes:
    """
    The slips, one or two a page: in two layers (see the module's docstring), or in one when a body is too
    tall. `bodies` keeps the bodies laid out so far, for a caller printing several forms of one round.
    """
    bodies = {} if bodies is None else bodies
    context = {
        "round": consent_round,
        "school": consent_round.school,
        "per_page": per_page,
        "title": title,
        "geometry": GEOMETRY[per_page],
        "compact": per_page == 2,
    }
    if not pages:
        return render_pdf("consents/pdf/slips.html", {**context, "pages": [], "layer": "full"})
    # One body for each set of items (usually one a form: the items depend on the year group).
    keys: dict[tuple, int] = {}
    body_of_page = [keys.setdefault(_body_key(page, per_page), len(keys)) for page in pages]
    representatives = {index: page for page, index in zip(pages, body_of_page, strict=True)}
    body_pdfs = []
    for key, index in keys.items():
        if key not in bodies:
            bodies[key] = _render_body(context, representatives[index])
        if bodies[key] is None:
            logger.info("A consent slip's items do not fit on its slip: printing the slips in one layer")
            return render_pdf("consents/pdf/slips.html", {**context, "pages": pages, "layer": "full"})
        body_pdfs.append(bodies[key])
    pupils_pdf = render_pdf("consents/pdf/slips.html", {**context, "pages": pages, "layer": "pupil", "layered": True})
    stamped = _stamp(pupils_pdf, body_pdfs, body_of_page, per_page=per_page)
    if stamped is None:
        logger.warning("The pupils' layer of the consent slips did not paginate as planned: printing them in one layer")
        return render_pdf("consents/pdf/slips.html", {**context, "pages": pages, "layer": "full"})
    return stamped


def _body_key(page: SlipPage, per_page: int) -> tuple:
    return (per_page, tuple((item.title, item.version, item.text) for item in page.items), page.pupil_signs)


def _render_body(context: dict, page: SlipPage) -> bytes | None:
    """The body of one slip, placed where the top slip of a page is; None when it runs into the slip's foot."""
    geometry = context["geometry"]
    html = render_to_string("consents/pdf/slips.html", {**context, "pages": [page], "layer": "body", "layered": True})
    document = render_html_document(html)
    end = document.pages[0].anchors.get("slip-body-end")
    limit_px = (PAGE_TOP_MM + geometry.height_mm - FOOT_MM) * MM_TO_CSS_PX
    if len(document.pages) != 1 or end is None or end[1] > limit_px:
        return None
    return document.write_pdf()


def _stamp(pupils_pdf: bytes, body_pdfs: list[bytes], body_of_page: list[int], *, per_page: int) -> bytes | None:
    """
    The pupils' layer with each slip's body drawn underneath: every body becomes one form XObject,
    stored once and drawn by each of its slips (moved down a slip's height for the lower slip of a page).
    None if the pupils' layer does not have the pages the slips should take.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pupils_pdf)))
    if len(writer.pages) != -(-len(body_of_page) // per_page):
        return None
    forms = [_form_xobject(writer, PdfReader(io.BytesIO(body)).pages[0]) for body in body_pdfs]
    geometry = GEOMETRY[per_page]
    pitch_pt = (geometry.height_mm + geometry.gap_mm) * MM_TO_PT
    draws = {}  # (body, place on the page) -> the content stream that draws it, shared by every such slip
    for number, page in enumerate(writer.pages):
        slips = body_of_page[number * per_page : (number + 1) * per_page]
        if not slips:
            continue
        resources = page["/Resources"].get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        xobjects = resources["/XObject"].get_object()
        streams = []
        for place, body in enumerate(slips):
            xobjects[NameObject(f"/SlipBody{body}")] = forms[body]
            if (body, place) not in draws:
                draw = DecodedStreamObject()
                draw.set_data(f"q 1 0 0 1 0 {-place * pitch_pt:.3f} cm /SlipBody{body} Do Q\n".encode())
                draws[body, place] = writer._add_object(draw)
            streams.append(draws[body, place])
        contents = page.raw_get("/Contents")  # the reference: a content stream must stay an indirect object
        own = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([*streams, *own])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _form_xobject(writer: PdfWriter, body_page):
    """A page of the body's PDF as a form XObject in `writer` (its fonts and images copied along)."""
    contents = body_page["/Contents"].get_object()
    if isinstance(contents, ArrayObject):
        data = b"\n".join(part.get_object().get_data() for part in contents)
    else:
        data = contents.get_data()
    form = DecodedStreamObject()
    form.set_data(data)
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(body_page.mediabox),
            NameObject("/Resources"): body_page["/Resources"].get_object().clone(writer),
        }
    )
    return writer._add_object(form.flate_encode())


def render_reminders(consent_round: ConsentRound, pages: list[SlipPage], *, today: date) -> bytes:
    return render_pdf(
        "consents/pdf/reminders.html",
        {
            "round": consent_round,
            "school": consent_round.school,
            "pages": pages,
            "today": today,
            "title": "Reminder",
            "geometry": REMINDER_GEOMETRY,
        },
    )


# --- Whole round, in the background ---------------------------------------------------------


def round_slips_file(
    consent_round: ConsentRound,
    forms: Iterable[tuple[str, list[SlipPage]]],
    *,
    per_page: int,
    total: int,
    progress: ProgressCallback,
    name: str,
) -> tuple[int, File]:
    """
    The round's slips as one PDF file named `name`, rendered form by form with flat memory: `forms` yields
    each form's name and slips as they are wanted. After each form, `progress(slips done, total)`.
    Returns the slip count and the file.
    """
    done = 0
    progress(0, total)
    writer = PdfWriter()
    parts = []
    bodies = {}  # the slips' bodies, laid out once for the whole round
    for form_name, pages in forms:
        if not pages:
            continue
        part = tempfile.TemporaryFile()
        part.write(render_slips(consent_round, pages, per_page=per_page, title=f"Consent slips: {form_name}", bodies=bodies))
        part.seek(0)
        parts.append(part)
        writer.append(part)
        done += len(pages)
        progress(done, total)
    output = tempfile.TemporaryFile()
    if parts:
        writer.write(output)
    else:
        output.write(render_slips(consent_round, [], per_page=per_page, title="Consent slips"))
    for part in parts:
        part.close()
    output.seek(0)
    return done, File(output, name=name)
