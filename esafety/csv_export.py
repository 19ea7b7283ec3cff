"""Writing personal data to CSV safely."""

# A cell starting with one of these is run as a formula by Excel and LibreOffice.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(values) -> list[str]:
    """The row with formula-like cells made inert, so an exported name cannot run as a formula."""
    cleaned = []
    for value in values:
        text = "" if value is None else str(value)
        cleaned.append("'" + text if text.startswith(_FORMULA_STARTS) else text)
    return cleaned


def csv_response(filename: str):
    """An HTTP answer to write a CSV export into (with `csv.writer(response)`), that Excel opens as UTF-8."""
    from django.http import HttpResponse

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # personal data
    response.write("\ufeff")  # so that Excel reads UTF-8 names correctly
    return response
