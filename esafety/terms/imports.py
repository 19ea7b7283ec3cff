"""
Reading term dates from a file: a small CSV of our own, or an iCalendar (.ics) file such as many local
authorities publish. Either gives `ImportedTermDates`, which the term-dates screen shows filled in for
the school to check and save; nothing is saved here.

The CSV has a header line and one line per term, half-term break or closure (docs/term-dates.md):

    kind,starts_on,ends_on,description
    Autumn term,01/09/2026,18/12/2026,
    Autumn half-term,26/10/2026,30/10/2026,
    INSET,01/09/2026,02/09/2026,Staff training
    Closure,06/05/2027,,Polling station
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from esafety.models import SchoolClosure, SchoolTerm
from esafety.terms.calendar import ONE_DAY, ClosureDates, uk_date, year_label

CSV_COLUMNS = ("kind", "starts_on", "ends_on", "description")
MAX_FILE_BYTES = 512 * 1024
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
TERM_WORDS = {name: SchoolTerm.Name(name) for name in ("autumn", "spring", "summer")}
# Older names some calendars still use.
TERM_WORDS |= {"michaelmas": SchoolTerm.Name.AUTUMN, "christmas term": SchoolTerm.Name.AUTUMN}
TERM_WORDS |= {"lent": SchoolTerm.Name.SPRING, "trinity": SchoolTerm.Name.SUMMER}


class TermDatesFileError(ValueError):
    """A file that cannot be read at all."""


@dataclass
class ImportedTermDates:
    """
    What a file says about one academic year: term fields as the screen names them ("autumn_starts_on", …),
    closures, lines that could not be read (`errors`) and things deliberately left out (`ignored`).
    """

    start_year: int
    fields: dict[str, date] = field(default_factory=dict)
    closures: list[ClosureDates] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # Term dates worked out from a holiday ("Christmas holidays"): a stated date wins over them.
    _derived: dict[str, date] = field(default_factory=dict)

    def found_anything(self) -> bool:
        return bool(self.fields or self._derived or self.closures)

    def set_field(self, name: str, day: date, where: str, *, derived: bool = False) -> None:
        target = self._derived if derived else self.fields
        if name in target and target[name] != day:
            if not derived:
                self.errors.append(
                    f"{where}: {field_words(name)} is already {uk_date(target[name])}; {uk_date(day)} was left out."
                )
            return
        target[name] = day

    def finish(self) -> "ImportedTermDates":
        for name, day in self._derived.items():
            self.fields.setdefault(name, day)
        self._derived.clear()
        return self

    def in_year(self, day: date) -> bool:
        return date(self.start_year, 9, 1) <= day <= date(self.start_year + 1, 8, 31)


def field_words(name: str) -> str:
    term, _, rest = name.partition("_")
    words = {
        "starts_on": "the first day of the term",
        "ends_on": "the last day of the term",
        "half_term_starts_on": "the first day of half-term",
        "half_term_ends_on": "the last day of half-term",
    }[rest]
    return f"{SchoolTerm.Name(term).label}: {words}"


def read_term_dates_file(file_name: str, content: bytes, start_year: int) -> ImportedTermDates:
    """A CSV or iCalendar file, told apart by its name (.csv, .ics) or, failing that, by its first line."""
    if len(content) > MAX_FILE_BYTES:
        raise TermDatesFileError("The file is too large for a calendar: choose a file under 500 KB.")
    name = file_name.lower()
    if name.endswith((".ics", ".ical", ".ifb", ".icalendar")) or content.lstrip().startswith(b"BEGIN:VCALENDAR"):
        return read_term_dates_ics(content, start_year)
    if name.endswith((".csv", ".txt")):
        return read_term_dates_csv(_decode(content), start_year)
    raise TermDatesFileError("Choose a CSV file (.csv) or an iCalendar file (.ics).")


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A CSV saved by Excel on Windows.
        return content.decode("cp1252", errors="replace")


def _words(text: str) -> str:
    """Lower case, one space between words, punctuation gone: "Half-Term:" is "half term"."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _has(words: str, *phrases: str) -> bool:
    """Whether `words` holds one of the phrases as whole words."""
    return any(f" {phrase} " in f" {words} " for phrase in phrases)


def parse_uk_date(text: str) -> date | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# --- CSV ----------------------------------------------------------------------------


def _csv_kind(kind: str) -> tuple[str, str | None]:
    """("term" | "half_term" | "closure", term name or closure kind) for a `kind` cell, or ("", None)."""
    words = _words(kind).replace("halfterm", "half term")
    if words in ("inset", "inset day", "inset days", "training day", "staff training"):
        return "closure", SchoolClosure.Kind.INSET
    if words in ("closure", "closed", "other closure", "school closed"):
        return "closure", SchoolClosure.Kind.CLOSED
    for word in ("autumn", "spring", "summer"):
        if words in (word, f"{word} term"):
            return "term", word
        if words in (f"{word} half term", f"{word} term half term", f"{word} half"):
            return "half_term", word
    return "", None


def read_term_dates_csv(text: str, start_year: int) -> ImportedTermDates:
    """The CSV described at the top of this module: UK dates (dd/mm/yyyy); `ends_on` may be left empty for a single day."""
    found = ImportedTermDates(start_year)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = [_words(cell).replace(" ", "_") for cell in header or []]
    if not header or any(column not in columns for column in CSV_COLUMNS[:3]):
        raise TermDatesFileError("The first line must name the columns: kind, starts_on, ends_on, description.")
    index = {column: columns.index(column) for column in CSV_COLUMNS if column in columns}
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {column: (row[i].strip() if i < len(row) else "") for column, i in index.items()}
        where = f"Line {line_number}"
        what, which = _csv_kind(cells["kind"])
        if not what:
            found.errors.append(
                f"{where}: “{cells['kind']}” is not a kind this file may use (e.g. Autumn term, Autumn half-term, INSET, Closure)."
            )
            continue
        starts_on = parse_uk_date(cells["starts_on"])
        ends_on = parse_uk_date(cells["ends_on"]) if cells["ends_on"] else starts_on
        bad = [cells[c] or "(empty)" for c, day in (("starts_on", starts_on), ("ends_on", ends_on)) if day is None]
        if bad:
            found.errors.append(f"{where}: {bad[0]} is not a date: write it as dd/mm/yyyy.")
            continue
        if not (found.in_year(starts_on) and found.in_year(ends_on)):
            found.errors.append(
                f"{where}: {uk_date(starts_on)} to {uk_date(ends_on)} is not in the {year_label(start_year)} school year."
            )
            continue
        if what == "closure":
            found.closures.append(ClosureDates(which, starts_on, ends_on, cells.get("description", "")[:200]))
        else:
            prefix = f"{which}_" if what == "term" else f"{which}_half_term_"
            found.set_field(prefix + "starts_on", starts_on, where)
            found.set_field(prefix + "ends_on", ends_on, where)
    return found.finish()


# --- iCalendar ----------------------------------------------------------------------


def _event_days(event) -> tuple[date, date] | None:
    """The first and last day of an event. An all-day event's DTEND is the day after it (RFC 5545)."""
    start = event.get("dtstart")
    if start is None:
        return None
    first = start.dt
    all_day = not isinstance(first, datetime)
    first = first if all_day else first.date()
    end = event.get("dtend")
    duration = event.get("duration")
    if end is not None:
        last = end.dt
        if isinstance(last, datetime):
            # Ending at midnight means ending the day before.
            last = last.date() - ONE_DAY if last.time() == datetime.min.time() and last.date() > first else last.date()
        else:
            last = last - ONE_DAY
    elif duration is not None:
        last = first + duration.dt - ONE_DAY if all_day else (start.dt + duration.dt).date()
    else:
        last = first
    return first, max(first, last)


def _named_term(words: str) -> str | None:
    for word, name in TERM_WORDS.items():
        if _has(words, word):
            return name
    return None


def _term_starting(day: date) -> str:
    """The term that starts (or runs) in this month: autumn from August, spring from December, summer from March."""
    return {8: "autumn", 9: "autumn", 10: "autumn", 11: "autumn", 12: "spring", 1: "spring", 2: "spring"}.get(day.month, "summer")


def _term_ending(day: date) -> str:
    """The term that ends in this month: autumn by December, spring by April, summer by August."""
    return {10: "autumn", 11: "autumn", 12: "autumn", 1: "spring", 2: "spring", 3: "spring", 4: "spring"}.get(day.month, "summer")


def _term_of_half_term(day: date) -> str:
    return "autumn" if day.month >= 9 else "spring" if day.month <= 3 else "summer"


def _weekday_before(day: date) -> date:
    day -= ONE_DAY
    while day.weekday() >= 5:
        day -= ONE_DAY
    return day


def _weekday_after(day: date) -> date:
    day += ONE_DAY
    while day.weekday() >= 5:
        day += ONE_DAY
    return day


def read_term_dates_ics(content: bytes, start_year: int) -> ImportedTermDates:
    """
    Events of an iCalendar file, by their names (SUMMARY), for the academic year beginning in `start_year`:

    - "… half term …": the half-term break of the term it falls in;
    - "Autumn term starts" / "… term ends" (or begins, finishes, first/last day): that day of the term;
      "Spring term" over several days: the whole term. Which term: named (autumn, spring, summer), or by date;
    - "Christmas holidays", "Easter holiday", "Summer holiday": the term before ends on the last weekday
      before it, the term after starts on the first weekday after it (a term date stated outright wins);
    - "INSET", "training day", "staff development": an INSET day; "closed", "closure": another closure;
    - bank holidays are left out (they come from the England and Wales list), and so is everything else.
    """
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError, TypeError):
        raise TermDatesFileError("This is not an iCalendar file that can be read: export it again as .ics.") from None
    found = ImportedTermDates(start_year)
    label = year_label(start_year)
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("summary", "")).strip()
        words = _words(summary).replace("halfterm", "half term")
        try:
            days = _event_days(event)
        except (AttributeError, TypeError, ValueError):
            days = None
        if days is None:
            found.errors.append(f"“{summary}”: the event has no date.")
            continue
        first, last = days
        where = f"“{summary}” ({uk_date(first)})"
        if not (found.in_year(first) or found.in_year(last)):
            continue  # another school year: local authorities publish several in one file
        if _has(words, "bank holiday"):
            found.ignored.append(f"{where}: bank holidays come from the England and Wales list.")
            continue
        if _has(words, "inset", "training day", "staff development", "professional development", "teacher day"):
            found.closures.append(ClosureDates(SchoolClosure.Kind.INSET, first, last, summary[:200]))
            continue
        if _has(words, "half term"):
            term = _named_term(words) or _term_of_half_term(first)
            found.set_field(f"{term}_half_term_starts_on", first, where)
            found.set_field(f"{term}_half_term_ends_on", last, where)
            continue
        if _has(words, "term"):
            _read_term_event(found, words, first, last, where)
            continue
        if _has(words, "holiday", "holidays", "vacation", "break"):
            _read_holiday(found, words, first, last, where)
            continue
        if _has(words, "closed", "closure"):
            found.closures.append(ClosureDates(SchoolClosure.Kind.CLOSED, first, last, summary[:200]))
            continue
        found.ignored.append(f"{where}: not a term, half-term, holiday, INSET day or closure.")
    if not found.found_anything() and not found.errors:
        found.errors.append(f"No term dates, half-terms or closures for {label} were found in the file.")
    return found.finish()


def _read_term_event(found: ImportedTermDates, words: str, first: date, last: date, where: str) -> None:
    starting = _has(words, "start", "starts", "begin", "begins", "open", "opens", "first day")
    ending = _has(words, "end", "ends", "finish", "finishes", "close", "closes", "last day")
    if starting and not ending:
        found.set_field(f"{_named_term(words) or _term_starting(first)}_starts_on", first, where)
    elif ending and not starting:
        found.set_field(f"{_named_term(words) or _term_ending(last)}_ends_on", last, where)
    elif first != last:
        term = _named_term(words) or _term_starting(first)
        found.set_field(f"{term}_starts_on", first, where)
        found.set_field(f"{term}_ends_on", last, where)
    else:
        found.ignored.append(f"{where}: a one-day event about a term that does not say whether it starts or ends.")


def _read_holiday(found: ImportedTermDates, words: str, first: date, last: date, where: str) -> None:
    """A holiday between terms: the term before ends on the last weekday before it, the next starts after it."""
    if _has(words, "christmas") or first.month in (12, 1):
        before, after = "autumn", "spring"
    elif _has(words, "easter") or first.month in (3, 4):
        before, after = "spring", "summer"
    elif _has(words, "summer") or first.month in (7, 8):
        # The summer holiday before this school year starts its autumn term; the one after ends its summer term.
        before, after = ("summer", None) if first.year == found.start_year + 1 else (None, "autumn")
    else:
        found.ignored.append(f"{where}: a holiday that is not Christmas, Easter or the summer.")
        return
    if before and found.in_year(first - ONE_DAY):
        found.set_field(f"{before}_ends_on", _weekday_before(first), where, derived=True)
    if after and found.in_year(last + ONE_DAY):
        found.set_field(f"{after}_starts_on", _weekday_after(last), where, derived=True)


def imported_dates(found: ImportedTermDates) -> list[tuple[str, date]]:
    """The term dates found, in the order of the screen: (what, day), for the message after an import."""
    order = [
        f"{t}_{f}"
        for t in ("autumn", "spring", "summer")
        for f in ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")
    ]
    return [(field_words(name), found.fields[name]) for name in order if name in found.fields]
