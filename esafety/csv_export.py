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


def export_refused(form):
    """
    The answer to an export whose filters were refused (a date out of range, a search too long): a 400 with the
    reasons in plain text, and no file. The list leaves a refused filter out and shows why on its form; a file
    made without it would hold more personal data than was asked for.
    """
    from django.http import HttpResponseBadRequest

    reasons = [
        (f"{form.fields[name].label}: " if name in form.fields else "") + " ".join(errors) for name, errors in form.errors.items()
    ]
    return HttpResponseBadRequest("No file was made. " + " ".join(reasons), content_type="text/plain; charset=utf-8")


def export_filters(filterset):
    """
    The request's parameters that are the export's filters, for its access-log entry: never anything else the
    URL carries, which could be any text at all (PostgreSQL refuses a NUL in the entry; nobody should be able
    to write what they like into the log).
    """
    query = filterset.data.copy()
    for key in list(query):
        if key not in filterset.filters:
            del query[key]
    return query
