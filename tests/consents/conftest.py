import io

import pytest
from pypdf import PdfReader


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Built slips are files: keep them out of the project's media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(content: bytes) -> str:
    """The text of a PDF, page after page, with runs of white space folded."""
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
