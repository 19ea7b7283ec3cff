"""
PDF rendering: one helper for every document the app prints.

Templates extend `pdf/base.html` (A4, the school's name in the footer, page
numbers). Fonts are the system's; one `FontConfiguration` is shared by every
render in the process, which keeps memory flat when a task renders many
documents one after another (measured: 65 MB for 1,500 renders instead of
growing by about 0.25 MB a render).

WeasyPrint lays a document out on one core: a long document rendered in
parts can have its parts rendered side by side in other processes
(`pdf_renderers`).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def pdf_warm_up() -> None:
    """
    Import WeasyPrint and make the shared fonts now (a web worker calls it at start-up: esafety/wsgi.py), so that
    the first PDF someone asks for does not wait half a second for them.
    """
    _font_config()


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


@contextmanager
def pdf_renderers(count: int) -> Iterator[Callable[[list[tuple[str, str]]], Iterator[list[dict]]]]:
    """
    For a long PDF rendered in parts: a `render(documents)` that renders each (HTML, path) of `documents` into a
    PDF file at that path, in `count` processes side by side (in this one when `count` is 1), and yields, in the
    documents' order as each is done, its pages' anchors (WeasyPrint's `Page.anchors`: an element's id -> its box),
    for the caller to check the layout.

    The processes start when the block opens, so that they get ready while the caller prepares the documents, and
    are stopped when it closes. They are started afresh ("spawn"), not forked from this process, which may hold
    database connections and threads; they only lay out HTML, without Django set up, which keeps them small; and
    they are billiard's, as multiprocessing refuses children to a daemonic process such as a Celery worker's. A
    document that fails raises its error here; one whose process died raises billiard's `WorkerLostError`.
    """
    base_url = str(settings.BASE_DIR)
    if count <= 1:
        yield lambda documents: (_render_to_file(html, path, base_url) for html, path in documents)
        return
    import billiard

    pool = billiard.get_context("spawn").Pool(count)

    def render(documents):
        results = [pool.apply_async(_render_to_file, (html, path, base_url)) for html, path in documents]
        return (result.get() for result in results)

    try:
        yield render
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


def _render_to_file(html: str, path: str, base_url: str) -> list[dict]:
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render(font_config=_font_config())
    document.write_pdf(path)
    return [page.anchors for page in document.pages]


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """An HTTP answer carrying a PDF; personal data, so nothing may cache it."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
