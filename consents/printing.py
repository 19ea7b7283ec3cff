"""
The paper side of consents: slips per form (one or two a page), reminder
letters for the answers still missing, and the whole round's slips built
form by form in the background.

This module only renders: it is handed the pupils, their slip codes and the consents, and returns
PDF bytes or files. Whatever a print needs written first (the slips of pupils who joined a round
after it opened, a batch's state) is written by `consents.services`, which calls it.

Every PDF goes through `esafety.pdf`, which shares one FontConfiguration.

Slips are printed in two layers, because laying out the wording of every item
again for every pupil was nearly all the time a form's slips took:

- the *body* (the school, the round's title, the items, their wording and
  yes/no boxes, the lines to sign) is laid out once for each set of items, and
  becomes a PDF form XObject;
- the *pupil's layer* (the pupil's name, form and date of birth, the slip code,
  the foot) is rendered for every slip, keeping a place for the QR code; each
  of its slips draws the matching body underneath, and its QR code, a bitmap of
  one bit a module, into that place (WeasyPrint is spared an image a slip).

Both layers give every slip the same fixed geometry (`SlipGeometry`), so they
line up. When a body is too tall for its slip, the slips are printed in one
layer instead (`layer="full"`), as the reminder letters always are.

A whole round's slips are built form by form: the bodies once, each form's
pupils' layer in one of several processes side by side (`esafety.pdf.pdf_renderers`),
then put together in order into one file (`SlipsWriter`).
"""

import base64
import io
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import qrcode
from django.conf import settings
from django.core.files import File
from django.template.loader import render_to_string
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, BooleanObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

from consents.models import ConsentRound, ConsentType
from consents.selectors import applies_to
from esafety.pdf import pdf_renderers, render_html_document, render_html_to_pdf, render_pdf
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
    """One pupil's slip: plain values, so that a slip can be sent to another process to be rendered."""

    pupil_name: str
    date_of_birth: date | None
    form_name: str
    code: str
    items: list[SlipItem]
    pupil_signs: bool

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"

    @property
    def qr(self) -> str:
        """The code's QR code as a data: URI, for a slip printed in one layer."""
        return qr_data_uri(self.code)


def _qr_image(text: str) -> Image.Image:
    """
    The QR code of `text`, one pixel a module, black on white, with its quiet zone. The mask is fixed (any mask
    is valid; trying all eight for the most readable one took most of the time), and the code stays small enough
    for a phone to read.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0)
    code.add_data(text)
    modules = code.get_matrix()  # rows of booleans, dark is True
    image = Image.new("1", (len(modules), len(modules)))
    image.putdata([0 if dark else 1 for row in modules for dark in row])
    return image


def qr_data_uri(text: str) -> str:
    """
    The QR code of `text` as a data: URI of a PNG with one pixel a module, which the slip scales up without
    smoothing (`image-rendering: pixelated`): WeasyPrint places a bitmap far faster than it draws an SVG of many
    squares.
    """
    buffer = io.BytesIO()
    _qr_image(text).save(buffer, format="PNG")
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
        pages.append(
            SlipPage(
                pupil_name=pupil.full_name,
                date_of_birth=pupil.date_of_birth,
                form_name=pupil.form.name if pupil.form else "",
                code=codes[pupil.pk],
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

    @property
    def who_top(self) -> str:
        """
        For the CSS: where the pupil's line starts in the head of a pupil's layer, which has neither the school's
        line nor the title's above it: below both (each `line-height` high), 1 mm above the title and 2 mm below.
        """
        return f"{LINE_HEIGHT * (self.font_pt + self.title_pt) + 3 * MM_TO_PT:.3f}pt"


# The A4 page's top margin in `templates/pdf/base.html` (its content is 263 mm high).
PAGE_TOP_MM = 16
FOOT_MM = 8  # room kept for the foot, at the bottom of a slip: two lines of 7.5pt
LINE_HEIGHT = 1.3  # of a slip's text, in `_slip_style.html`
GEOMETRY = {
    1: SlipGeometry(height_mm=262, head_mm=26, gap_mm=0, font_pt=10, title_pt=14, sign_gap_mm=6),
    2: SlipGeometry(height_mm=126, head_mm=24, gap_mm=4, font_pt=8, title_pt=11, sign_gap_mm=3),
}
REMINDER_GEOMETRY = SlipGeometry(height_mm=0, head_mm=24, gap_mm=0, font_pt=8, title_pt=11, sign_gap_mm=3)

MM_TO_PT = 72 / 25.4
MM_TO_CSS_PX = 96 / 25.4
CSS_PX_TO_PT = 72 / 96


def render_slips(
    consent_round: ConsentRound, pages: list[SlipPage], *, per_page: int, title: str, bodies: dict | None = None
) -> bytes:
    """
    The slips, one or two a page: in two layers (see the module's docstring), or in one when a body is too
    tall. `bodies` keeps the bodies laid out so far, for a caller printing several forms of one round.
    """
    context = _slips_context(consent_round, per_page=per_page, title=title)
    if not pages:
        return render_pdf("consents/pdf/slips.html", {**context, "pages": [], "layer": "full"})
    bodies = {} if bodies is None else bodies
    keys = layout_bodies(consent_round, pages, per_page=per_page, bodies=bodies)
    if all(bodies[key] for key in keys):
        document = render_html_document(_slips_html(context, pages, layer="pupil"))
        qr_boxes = _qr_boxes([page.anchors for page in document.pages], len(pages), per_page=per_page)
        if qr_boxes is not None:
            writer = SlipsWriter(per_page=per_page, bodies=bodies)
            writer.add_layer(io.BytesIO(document.write_pdf()), pages, keys, qr_boxes)
            writer.pdf.add_metadata({"/Title": title})
            output = io.BytesIO()
            writer.pdf.write(output)
            return output.getvalue()
    return render_html_to_pdf(_slips_html(context, pages, layer="full"))


def layout_bodies(consent_round: ConsentRound, pages: list[SlipPage], *, per_page: int, bodies: dict) -> list[tuple]:
    """
    Lays out into `bodies` the body of each set of items among `pages` not laid out yet: its PDF, or None when
    it does not fit on a slip. Returns the key in `bodies` of each page's body.
    """
    context = _slips_context(consent_round, per_page=per_page, title="Consent slips")
    keys = [_body_key(page, per_page) for page in pages]
    for key, page in zip(keys, pages, strict=True):
        if key not in bodies:
            bodies[key] = _render_body(context, page)
            if bodies[key] is None:
                logger.info("A consent slip's items do not fit on its slip: printing its slips in one layer")
    return keys


def _slips_context(consent_round: ConsentRound, *, per_page: int, title: str) -> dict:
    return {
        "round": consent_round,
        "school": consent_round.school,
        "per_page": per_page,
        "title": title,
        "geometry": GEOMETRY[per_page],
        "compact": per_page == 2,
    }


def _slips_html(context: dict, pages: list[SlipPage], *, layer: str) -> str:
    """The slips of `pages`: whole (`layer="full"`), or their "body" or "pupil" layer (see `_slip.html`)."""
    return render_to_string("consents/pdf/slips.html", {**context, "pages": pages, "layer": layer, "layered": layer != "full"})


def _body_key(page: SlipPage, per_page: int) -> tuple:
    return (per_page, tuple((item.title, item.version, item.text) for item in page.items), page.pupil_signs)


def _render_body(context: dict, page: SlipPage) -> bytes | None:
    """The body of one slip, placed where the top slip of a page is; None when it runs into the slip's foot."""
    geometry = context["geometry"]
    document = render_html_document(_slips_html(context, [page], layer="body"))
    end = document.pages[0].anchors.get("slip-body-end")
    limit_px = (PAGE_TOP_MM + geometry.height_mm - FOOT_MM) * MM_TO_CSS_PX
    if len(document.pages) != 1 or end is None or end[1] > limit_px:
        return None
    return document.write_pdf()


def _qr_boxes(anchors: list[dict], count: int, *, per_page: int) -> list[tuple[float, float, float, float]] | None:
    """
    The box of each slip's QR code (left, top, right, bottom, in CSS px from the page's top left) in the pupils'
    layer of `count` slips whose pages have `anchors` (WeasyPrint's `Page.anchors`). None, with a warning, if the
    layer does not have the pages the slips should take: they are then printed in one layer.
    """
    boxes = []
    if len(anchors) == -(-count // per_page):
        for number, page_anchors in enumerate(anchors):
            for index in range(number * per_page, min((number + 1) * per_page, count)):
                if f"qr-{index + 1}" in page_anchors:
                    boxes.append(page_anchors[f"qr-{index + 1}"])
    if len(boxes) != count:
        logger.warning("The pupils' layer of the consent slips did not paginate as planned: printing them in one layer")
        return None
    return boxes


class SlipsWriter:
    """
    A PDF of slips put together from pupils' layers: each page of a layer is copied in with the bodies of its slips
    drawn underneath (every body a form XObject, stored once and drawn by each of its slips, moved down a slip's
    height for the lower slip of a page), and each slip's QR code, a bitmap of one bit a module, drawn unsmoothed
    into the place the layer keeps for it. Slips printed in one layer are copied in as they are.
    """

    def __init__(self, *, per_page: int, bodies: dict):
        self.pdf = PdfWriter()
        self.per_page = per_page
        self.bodies = bodies  # a body's key -> its PDF, from `layout_bodies`
        self._forms = {}  # a body's key -> its name on the pages and its form XObject
        self._draws = {}  # what a content stream draws -> the stream, shared by every page that draws the same
        self._resources = {}  # a layer's resources (shared by its pages) -> a copy with its entries made indirect
        geometry = GEOMETRY[per_page]
        self._pitch_pt = (geometry.height_mm + geometry.gap_mm) * MM_TO_PT

    def add_layer(self, pupils_pdf, pages: list[SlipPage], keys: list[tuple], qr_boxes: list) -> None:
        """Adds the pages of a pupils' layer (a file or its path) with the slips of `pages`, whose bodies have `keys`."""
        for number, layer_page in enumerate(PdfReader(pupils_pdf).pages):
            page = self.pdf.add_page(layer_page)
            page_height = float(page.mediabox.height)
            xobjects = DictionaryObject()
            streams = []
            for place, index in enumerate(range(number * self.per_page, min((number + 1) * self.per_page, len(pages)))):
                name, form = self._body(keys[index])
                xobjects[name] = form
                xobjects[NameObject(f"/SlipQR{place}")] = _qr_xobject(self.pdf, pages[index].code)
                left, top, right, bottom = (value * CSS_PX_TO_PT for value in qr_boxes[index])
                operators = (
                    f"q 1 0 0 1 0 {-place * self._pitch_pt:.3f} cm {name} Do Q\n"
                    f"q {right - left:.3f} 0 0 {bottom - top:.3f} {left:.3f} {page_height - bottom:.3f} cm /SlipQR{place} Do Q\n"
                ).encode()
                streams.append(self._draw(operators))
            # Each page gets its own resources, to name its own QR code: the layer's, shared by reference, and its XObjects.
            resources = DictionaryObject(self._indirect_resources(page["/Resources"].get_object()))
            if "/XObject" in resources:
                xobjects.update(resources["/XObject"].get_object())
            resources[NameObject("/XObject")] = xobjects
            page[NameObject("/Resources")] = resources
            contents = page.raw_get("/Contents")  # the reference: a content stream must stay an indirect object
            own = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
            page[NameObject("/Contents")] = ArrayObject([*streams, *own])

    def add_pages(self, pdf) -> None:
        """Adds the pages of slips printed in one layer (a file or its path)."""
        self.pdf.append(pdf)

    def _body(self, key: tuple) -> tuple[NameObject, object]:
        if key not in self._forms:
            form = _form_xobject(self.pdf, PdfReader(io.BytesIO(self.bodies[key])).pages[0])
            self._forms[key] = (NameObject(f"/SlipBody{len(self._forms)}"), form)
        return self._forms[key]

    def _draw(self, operators: bytes):
        if operators not in self._draws:
            draw = DecodedStreamObject()
            draw.set_data(operators)
            self._draws[operators] = self.pdf._add_object(draw)
        return self._draws[operators]

    def _indirect_resources(self, resources: DictionaryObject) -> DictionaryObject:
        if id(resources) not in self._resources:
            self._resources[id(resources)] = _indirect_entries(self.pdf, resources)
        return self._resources[id(resources)]


def _indirect_entries(writer: PdfWriter, dictionary: DictionaryObject) -> DictionaryObject:
    """A copy of `dictionary` whose dictionaries and arrays are stored once in `writer`, for copies of it to refer to."""
    return DictionaryObject(
        {
            key: writer._add_object(value) if isinstance(value, DictionaryObject | ArrayObject) else value
            for key, value in dictionary.items()
        }
    )


def _qr_xobject(writer: PdfWriter, code: str):
    """The QR code of `code` as an image XObject in `writer`: one bit a module, drawn without smoothing."""
    image = _qr_image(code)
    stream = DecodedStreamObject()
    stream.set_data(image.tobytes())  # rows of one bit a pixel, 0 black, each row filling whole bytes
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(image.width),
            NameObject("/Height"): NumberObject(image.height),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(1),
            NameObject("/Interpolate"): BooleanObject(False),
        }
    )
    return writer._add_object(stream)


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
    forms: list[tuple[str, list[SlipPage]]],
    *,
    per_page: int,
    progress: ProgressCallback,
    name: str,
) -> tuple[int, File]:
    """
    The round's slips as one PDF file named `name`: `forms` holds each form's name and slips, in the order to print.
    The bodies are laid out once for the round; each form's pupils' layer is rendered on its own, in up to
    `settings.PDF_PROCESSES` processes side by side (WeasyPrint uses one core), into a temporary file, and put
    together with its bodies here, in order. After each form, `progress(slips done, total)`.
    Returns the slip count and the file.
    """
    forms = [(form_name, pages) for form_name, pages in forms if pages]
    total = sum(len(pages) for _, pages in forms)
    progress(0, total)
    output = tempfile.TemporaryFile()
    if not forms:
        output.write(render_slips(consent_round, [], per_page=per_page, title="Consent slips"))
        output.seek(0)
        return 0, File(output, name=name)
    # Starting a process costs about as much as rendering this many slips: a short batch stays in this one.
    processes = max(1, min(settings.PDF_PROCESSES, len(forms), total // SLIPS_WORTH_A_PROCESS))
    context = _slips_context(consent_round, per_page=per_page, title="Consent slips")
    writer = SlipsWriter(per_page=per_page, bodies={})
    done = 0
    with tempfile.TemporaryDirectory(prefix="consent-slips-") as folder, pdf_renderers(processes) as render:
        # Laid out here while the processes start.
        keys = [layout_bodies(consent_round, pages, per_page=per_page, bodies=writer.bodies) for _, pages in forms]
        layered = [all(writer.bodies[key] for key in form_keys) for form_keys in keys]
        documents = [
            (_slips_html(context, pages, layer="pupil" if form_layered else "full"), os.path.join(folder, f"{number}.pdf"))
            for number, ((_, pages), form_layered) in enumerate(zip(forms, layered, strict=True))
        ]
        for (_, pages), form_keys, form_layered, (_, part), anchors in zip(
            forms, keys, layered, documents, render(documents), strict=True
        ):
            qr_boxes = _qr_boxes(anchors, len(pages), per_page=per_page) if form_layered else None
            if qr_boxes is not None:
                writer.add_layer(part, pages, form_keys, qr_boxes)
            elif form_layered:  # the pupils' layer did not paginate as planned: the whole slips, here
                writer.add_pages(io.BytesIO(render_html_to_pdf(_slips_html(context, pages, layer="full"))))
            else:
                writer.add_pages(part)
            os.remove(part)
            done += len(pages)
            progress(done, total)
        writer.pdf.add_metadata({"/Title": f"Consent slips: {consent_round.title}"})
        writer.pdf.write(output)
    output.seek(0)
    return done, File(output, name=name)


# Rendering a slip takes about 8 ms, and starting a process that renders them about half a second.
SLIPS_WORTH_A_PROCESS = 100
