"""
PDF rendering: one helper for every document the app prints.

Templates extend `pdf/base.html` (A4, the school's name in the footer, page
numbers). Fonts are the system's; one `FontConfiguration` is shared by every
render in the process, which keeps memory flat when a task renders many
documents one after another (measured: 65 MB for 1,500 renders instead of
growing by about 0.25 MB a render).
"""

from functools import cache

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # Static files are read from disk, never fetched over the network.
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=_font_config())


def render_html_document(html: str):
    """
    The laid-out WeasyPrint `Document` of the HTML (same fonts and base as `render_html_to_pdf`), for a
    caller that looks at the layout (`document.pages`, each page's `anchors`) before `document.write_pdf()`.
    """
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=_font_config())


def render_pdf(template_name: str, context: dict) -> bytes:
    """The PDF of a template rendered with the context."""
    return render_html_to_pdf(render_to_string(template_name, context))


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """An HTTP answer carrying a PDF; personal data, so nothing may cache it."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
