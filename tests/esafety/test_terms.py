"""
The school's own term dates (esafety.terms): school days across half-terms, bank holidays and INSET days,
the default pattern for a year with nothing entered, the screen that keeps them (typed, or read from a
CSV or an .ics file), who may use it, and the history of every change.
"""

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from esafety.models import AcademicYear, SchoolClosure, SchoolTerm
from esafety.scoping import scope
from esafety.terms import (
    ClosureDates,
    TermDates,
    add_school_days,
    half_term_for,
    is_school_day,
    next_school_day,
    school_calendar,
    school_days_between,
    term_dates_save,
    term_for,
)
from esafety.terms.demo import seed_demo_term_dates
from esafety.terms.imports import read_term_dates_csv

LONDON = ZoneInfo("Europe/London")
Term, Kind = SchoolTerm.Name, SchoolClosure.Kind
PAGE = reverse("terms:term_dates", kwargs={"start_year": 2026})
IMPORT = reverse("terms:term_dates_import", kwargs={"start_year": 2026})

# 2026/27 as a school might set it: the summer half-term starts on the Tuesday after the late-May bank holiday.
TERMS_2026 = [
    TermDates(Term.AUTUMN, date(2026, 9, 1), date(2026, 12, 18), date(2026, 10, 26), date(2026, 10, 30)),
    TermDates(Term.SPRING, date(2027, 1, 4), date(2027, 3, 25), date(2027, 2, 15), date(2027, 2, 19)),
    TermDates(Term.SUMMER, date(2027, 4, 12), date(2027, 7, 21), date(2027, 6, 1), date(2027, 6, 4)),
]
CLOSURES_2026 = [
    ClosureDates(Kind.INSET, date(2026, 9, 1), date(2026, 9, 2), "Staff training"),
    ClosureDates(Kind.INSET, date(2026, 11, 2), date(2026, 11, 2), "Staff training"),
]


@pytest.fixture
def late_november_2026(time_machine):
    """Thursday 26 November 2026: Autumn 2 of 2026/27."""
    time_machine.move_to(datetime(2026, 11, 26, 10, 0, tzinfo=LONDON))


def save_2026(school, actor, terms=TERMS_2026, closures=CLOSURES_2026):
    return term_dates_save(
        school=school,
        academic_year=AcademicYear.objects.for_date(date(2026, 9, 1)),
        terms=terms,
        closures=closures,
        actor=actor,
    )


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def form_data(terms=TERMS_2026, closures=CLOSURES_2026, blank_rows=1) -> dict:
    """What the screen sends when its dates are typed in."""
    data = {
        f"{t.name}_{field}": uk(getattr(t, field))
        for t in terms
        for field in ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")
    }
    data |= {"closures-TOTAL_FORMS": len(closures) + blank_rows, "closures-INITIAL_FORMS": 0}
    for i, c in enumerate(closures):
        data |= {
            f"closures-{i}-kind": c.kind,
            f"closures-{i}-starts_on": uk(c.starts_on),
            f"closures-{i}-ends_on": uk(c.ends_on),
            f"closures-{i}-description": c.description,
        }
    for i in range(len(closures), len(closures) + blank_rows):
        data[f"closures-{i}-kind"] = Kind.INSET
    return data


# --- School days ------------------------------------------------------------------------------


def test_the_next_school_day_skips_the_late_may_bank_holiday_and_half_term(late_november_2026, cast):
    school = cast.a.school
    save_2026(school, cast.a.users["office"])

    # Friday 28 May 2027, then the bank holiday (31 May) and half-term (1 to 4 June): back on Monday 7 June.
    assert next_school_day(school, date(2027, 5, 28)) == date(2027, 6, 7)
    assert not is_school_day(school, date(2027, 5, 31))  # a bank holiday, though not in the school's half-term
    assert next_school_day(school, date(2027, 4, 30)) == date(2027, 5, 4)  # over May Day
    # Over Christmas into the spring term, and from the last day of the year into the next year's autumn.
    assert next_school_day(school, date(2026, 12, 18)) == date(2027, 1, 4)
    assert next_school_day(school, date(2027, 7, 21)) == date(2027, 9, 1)  # 2027/28: the default pattern's first day

    calendar = school_calendar(school, 2026)
    assert calendar.day_off_reason(date(2027, 5, 31)) == "Bank holiday: Spring Bank Holiday"
    assert calendar.day_off_reason(date(2027, 6, 2)) == "Half-term"
    assert calendar.day_off_reason(date(2027, 8, 2)) == "School holiday"
    assert calendar.day_off_reason(date(2026, 11, 28)) == "Weekend"
    assert calendar.bank_holidays_in_term(2026) == [(date(2027, 5, 3), "May Day"), (date(2027, 5, 31), "Spring Bank Holiday")]


def test_school_days_between_skips_half_term_and_an_inset_day(late_november_2026, cast):
    school = cast.a.school
    save_2026(school, cast.a.users["office"])

    # After Friday 23 October up to Friday 6 November: half-term, then the INSET day on Monday 2 November.
    assert school_days_between(school, date(2026, 10, 23), date(2026, 11, 6)) == 4
    # `start` is left out and `end` counted: Thursday to Friday is one school day.
    assert school_days_between(school, date(2026, 11, 26), date(2026, 11, 27)) == 1
    assert school_days_between(school, date(2026, 11, 27), date(2026, 11, 27)) == 0
    assert school_days_between(school, date(2026, 11, 27), date(2026, 11, 20)) == 0
    # The autumn term's school days: 79 weekdays, less half-term and three INSET days.
    assert school_days_between(school, date(2026, 8, 31), date(2026, 12, 18)) == 79 - 5 - 3
    # A notice of five school days given on Friday 23 October ends on Monday 9 November.
    assert add_school_days(school, date(2026, 10, 23), 5) == date(2026, 11, 9)


def test_an_inset_day_is_not_a_school_day(late_november_2026, cast):
    school = cast.a.school
    save_2026(
        school, cast.a.users["office"], closures=[*CLOSURES_2026, ClosureDates(Kind.INSET, date(2027, 1, 4), date(2027, 1, 4))]
    )

    assert not is_school_day(school, date(2026, 11, 2))
    assert not is_school_day(school, date(2026, 9, 2))
    assert is_school_day(school, date(2026, 9, 3))
    calendar = school_calendar(school, 2026)
    assert calendar.day_off_reason(date(2026, 11, 2)) == "INSET day (Staff training)"
    assert calendar.day_off_reason(date(2027, 1, 4)) == "INSET day"
    # Another school's dates are its own: school B has entered none, so 2 November is a school day there.
    with scope(school=cast.b.school):
        assert is_school_day(cast.b.school, date(2026, 11, 2))


def test_terms_and_half_terms_of_a_day(late_november_2026, cast):
    school = cast.a.school
    save_2026(school, cast.a.users["office"])

    term = term_for(school, date(2026, 11, 26))
    assert (term.academic_year, term.term, term.half, term.name) == ("2026/27", "Autumn", None, "Autumn term")
    assert (term.starts_on, term.ends_on, term.is_default) == (date(2026, 9, 1), date(2026, 12, 18), False)
    half = half_term_for(school, date(2026, 11, 26))
    assert (half.half, half.starts_on, half.ends_on) == ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18))
    assert half_term_for(school, date(2026, 10, 23)).half == "Autumn 1"
    assert half_term_for(school, date(2026, 10, 28)) is None  # the break itself
    assert term_for(school, date(2026, 10, 28)).term == "Autumn"  # … is still in the autumn term
    assert term_for(school, date(2026, 12, 25)) is None
    assert half_term_for(school, date(2027, 6, 7)).half == "Summer 2"


def test_a_year_with_nothing_entered_follows_the_default_pattern(late_november_2026, cast, django_assert_num_queries):
    school = cast.a.school
    with django_assert_num_queries(2):  # the terms, then the closures
        calendar = school_calendar(school, 2026)
    with django_assert_num_queries(1):  # terms alone, for grouping by term
        school_calendar(school, 2025, 2026, closures=False)

    year = calendar.year(2026)
    assert year.is_default
    autumn, spring, summer = year.terms
    assert (autumn.starts_on, autumn.ends_on) == (date(2026, 9, 1), date(2026, 12, 18))
    assert (autumn.half_term_starts_on, autumn.half_term_ends_on) == (date(2026, 10, 26), date(2026, 10, 30))
    # Easter Sunday 2027 is 28 March: spring ends nine days before, summer starts the Monday after Easter Monday.
    assert (spring.starts_on, spring.ends_on) == (date(2027, 1, 4), date(2027, 3, 19))
    assert (spring.half_term_starts_on, spring.half_term_ends_on) == (date(2027, 2, 15), date(2027, 2, 19))
    assert (summer.starts_on, summer.ends_on) == (date(2027, 4, 5), date(2027, 7, 21))
    # The half-term of the late-May bank holiday.
    assert (summer.half_term_starts_on, summer.half_term_ends_on) == (date(2027, 5, 31), date(2027, 6, 4))
    assert year.closures == ()
    assert term_for(school, date(2026, 11, 26)).is_default
    assert next_school_day(school, date(2027, 5, 28)) == date(2027, 6, 7)


def test_the_demo_schools_have_last_years_and_this_years_dates(late_november_2026, cast):
    seed_demo_term_dates(cast.a.school)

    calendar = school_calendar(cast.a.school, 2025, 2026)
    assert [year.is_default for year in calendar.years] == [False, False]
    assert calendar.year(2026).term(Term.SPRING).starts_on == date(2027, 1, 4)
    assert not calendar.is_school_day(date(2026, 11, 2))  # an INSET day after half-term


# --- The service ------------------------------------------------------------------------------


def test_saving_records_history_and_saving_the_same_again_changes_nothing(late_november_2026, cast):
    office = cast.a.users["office"]
    saved = save_2026(cast.a.school, office)
    assert (saved.terms_changed, saved.closures_added, saved.closures_removed) == (3, 2, 0)
    autumn = SchoolTerm.objects.get(school=cast.a.school, name=Term.AUTUMN)
    assert autumn.history.count() == 1 and autumn.history.first().history_user == office

    assert not save_2026(cast.a.school, office).changed
    assert autumn.history.count() == 1

    moved = [replace(TERMS_2026[0], starts_on=date(2026, 9, 3)), *TERMS_2026[1:]]
    saved = save_2026(cast.a.school, cast.a.users["head"], terms=moved, closures=CLOSURES_2026[1:])
    assert (saved.terms_changed, saved.closures_added, saved.closures_removed) == (1, 0, 1)
    latest = autumn.history.first()
    assert latest.history_user == cast.a.users["head"] and latest.starts_on == date(2026, 9, 3)
    removed = SchoolClosure.history.filter(school=cast.a.school, history_type="-").get()
    assert removed.history_user == cast.a.users["head"] and removed.starts_on == date(2026, 9, 1)


def test_the_service_refuses_dates_that_do_not_fit(late_november_2026, cast):
    overlapping = [
        TERMS_2026[0],
        replace(TERMS_2026[1], starts_on=date(2026, 12, 14)),
        TERMS_2026[2],
    ]
    with pytest.raises(ValidationError, match="The spring term must start after the autumn term ends"):
        save_2026(cast.a.school, cast.a.users["office"], terms=overlapping)
    with pytest.raises(ValidationError, match="autumn, spring and summer"):
        save_2026(cast.a.school, cast.a.users["office"], terms=TERMS_2026[:2])
    assert not SchoolTerm.objects.exists()


# --- The screen -------------------------------------------------------------------------------


def test_the_screen_says_when_the_default_pattern_is_in_use(late_november_2026, cast, login):
    client = login(cast.a.users["office"])
    response = client.get(reverse("terms:term_dates_current"))
    assert response.status_code == 302 and response["Location"] == PAGE

    html = client.get(PAGE).content.decode()
    assert "The default pattern is in use" in html
    assert 'value="01/09/2026"' in html  # the pattern's dates, filled in to check and save
    assert "Monday 03/05/2027: May Day" in html  # a bank holiday in term time
    assert "Spring Bank Holiday" not in html  # in the default half-term


def test_the_office_saves_the_terms_and_closures(late_november_2026, cast, login):
    office = cast.a.users["office"]
    client = login(office)

    response = client.post(PAGE, form_data())

    assert response.status_code == 302 and response["Location"] == PAGE
    calendar = school_calendar(cast.a.school, 2026)
    assert list(calendar.year(2026).terms) == TERMS_2026
    assert list(calendar.year(2026).closures) == CLOSURES_2026
    autumn = SchoolTerm.objects.get(school=cast.a.school, name=Term.AUTUMN)
    assert autumn.history.get().history_user == office
    page = client.get(PAGE)
    html = page.content.decode()
    assert "The term dates for 2026/27 have been saved." in html
    assert "The default pattern is in use" not in html
    assert "Spring Bank Holiday" in html  # 31 May 2027 is in term: the school's half-term starts the day after
    history = html[html.index('id="history-heading"') :]
    assert "Autumn term entered" in history and office.full_name in history and "INSET day added" in history


def test_wrong_dates_are_refused_saying_why_and_keeping_what_was_typed(late_november_2026, cast, login):
    client = login(cast.a.users["head"])
    data = form_data() | {
        "autumn_half_term_starts_on": "26/12/2026",  # after the term ends
        "spring_starts_on": "14/12/2026",  # before the autumn term ends
        "summer_ends_on": "02/09/2027",  # in the next school year
        "summer_half_term_ends_on": "31/02/2027",  # no such day
        "closures-1-ends_on": "01/11/2026",  # before its first day
    }

    response = client.post(PAGE, data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "The dates were not saved" in html
    assert "The half-term break must fall inside the autumn term, after 01/09/2026 and before 18/12/2026." in html
    assert "The spring term must start after the autumn term ends (18/12/2026)." in html
    assert "Give a date in the 2026/27 school year, between 01/09/2026 and 31/08/2027." in html
    assert "Enter a valid date." in html
    assert "The last day closed must be on or after the first (02/11/2026)." in html
    for typed in ("26/12/2026", "14/12/2026", "02/09/2027", "31/02/2027", "01/11/2026", "Staff training"):
        assert f'value="{typed}"' in html
    assert not SchoolTerm.objects.exists() and not SchoolClosure.objects.exists()


def test_a_closure_is_removed_by_ticking_remove_or_emptying_its_row(late_november_2026, cast, login):
    save_2026(cast.a.school, cast.a.users["office"])
    client = login(cast.a.users["office"])
    data = form_data(closures=[*CLOSURES_2026, ClosureDates(Kind.CLOSED, date(2027, 5, 6), date(2027, 5, 6), "Polling station")])
    data |= {"closures-0-DELETE": "on", "closures-1-starts_on": "", "closures-1-ends_on": "", "closures-1-description": ""}

    assert client.post(PAGE, data).status_code == 302

    assert [(c.kind, c.description) for c in SchoolClosure.objects.all()] == [(Kind.CLOSED, "Polling station")]


# --- Imports ----------------------------------------------------------------------------------

TERMS_CSV = """kind,starts_on,ends_on,description
Autumn term,01/09/2026,18/12/2026,
Autumn half-term,26/10/2026,30/10/2026,
Spring term,04/01/2027,25/03/2027,
Spring half term,15/02/2027,19/02/2027,
Summer term,12/04/2027,21/07/2027,
Summer_half_term,01/06/2027,04/06/2027,
INSET,01/09/2026,02/09/2026,Staff training
inset day,02/11/2026,,Staff training
Closure,06/05/2027,,Polling station
Holiday,01/08/2027,,
INSET,31/02/2027,,
INSET,01/09/2027,,Next year
"""


def test_a_csv_file_fills_in_the_screen_and_is_saved_with_save(late_november_2026, cast, login):
    client = login(cast.a.users["office"])

    response = client.post(IMPORT, {"file": SimpleUploadedFile("term-dates.csv", TERMS_CSV.encode(), "text/csv")})

    assert response.status_code == 200
    html = response.content.decode()
    assert "nothing is saved yet" in html
    assert "Line 11: “Holiday” is not a kind this file may use" in html
    assert "Line 12: 31/02/2027 is not a date: write it as dd/mm/yyyy." in html
    assert "Line 13: 01/09/2027 to 01/09/2027 is not in the 2026/27 school year." in html
    assert 'value="06/05/2027"' in html and 'value="Polling station"' in html
    assert not SchoolTerm.objects.exists()  # not until Save
    form, closures = response.context["form"], response.context["closures"]
    assert form.is_valid() and closures.is_valid()

    response = client.post(PAGE, form.data)  # the screen as filled in, saved

    assert response.status_code == 302
    calendar = school_calendar(cast.a.school, 2026)
    assert list(calendar.year(2026).terms) == TERMS_2026
    assert list(calendar.year(2026).closures) == [
        *CLOSURES_2026,
        ClosureDates(Kind.CLOSED, date(2027, 5, 6), date(2027, 5, 6), "Polling station"),
    ]


def test_a_file_that_cannot_be_read_is_refused_saying_why(late_november_2026, cast, login):
    client = login(cast.a.users["office"])
    bad_header = SimpleUploadedFile("dates.csv", b"Term,From,To\nAutumn,01/09/2026,18/12/2026\n", "text/csv")
    response = client.post(IMPORT, {"file": bad_header})
    assert response.status_code == 400
    assert "The first line must name the columns: kind, starts_on, ends_on, description." in response.content.decode()

    response = client.post(IMPORT, {"file": SimpleUploadedFile("dates.pdf", b"%PDF-1.4", "application/pdf")})
    assert response.status_code == 400
    assert "Choose a CSV file (.csv) or an iCalendar file (.ics)." in response.content.decode()

    response = client.post(IMPORT, {"file": SimpleUploadedFile("dates.ics", b"BEGIN:VCALENDAR\nnonsense", "text/calendar")})
    assert response.status_code == 400
    assert not SchoolTerm.objects.exists()


def _event(uid, summary, start, end=None):
    lines = ["BEGIN:VEVENT", f"UID:{uid}@example.gov.uk", "DTSTAMP:20260301T090000Z", f"SUMMARY:{summary}"]
    if "T" in start:
        lines += [f"DTSTART:{start}", f"DTEND:{end}"]
    else:
        lines.append(f"DTSTART;VALUE=DATE:{start}")
        if end:
            lines.append(f"DTEND;VALUE=DATE:{end}")
    return lines + ["END:VEVENT"]


# A county council's calendar: all-day events end the day after their last day (RFC 5545).
COUNTY_ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example County Council//School term dates//EN",
        *_event(1, "Autumn Term starts", "20260902"),
        *_event(2, "October Half Term", "20261026", "20261031"),
        *_event(3, "Christmas Holidays", "20261221", "20270104"),
        *_event(4, "February half-term", "20270215", "20270220"),
        *_event(5, "Easter Holidays", "20270329", "20270410"),
        *_event(6, "May Half Term", "20270601", "20270605"),
        *_event(7, "Summer term ends", "20270721"),
        *_event(8, "Summer Holidays", "20270722", "20270901"),
        *_event(9, "INSET day", "20260901"),
        *_event(10, "Staff training day - school closed to pupils", "20261102"),
        *_event(11, "Polling day: school closed", "20270506T080000", "20270506T170000"),
        *_event(12, "Spring Bank Holiday", "20270531", "20270601"),
        *_event(13, "Sports day", "20270709"),
        *_event(14, "Autumn Term starts", "20270902"),  # the next school year: not this one's
        "END:VCALENDAR",
        "",
    ]
)


def test_an_ics_file_from_the_local_authority_fills_in_the_screen(late_november_2026, cast, login):
    client = login(cast.a.users["head"])

    response = client.post(IMPORT, {"file": SimpleUploadedFile("term-dates.ics", COUNTY_ICS.encode(), "text/calendar")})

    assert response.status_code == 200
    form, closures = response.context["form"], response.context["closures"]
    assert form.is_valid(), form.errors
    assert closures.is_valid(), closures.errors
    assert form.terms() == [
        # The first day from "Autumn Term starts"; the last from the Christmas holidays, the Friday before them.
        TermDates(Term.AUTUMN, date(2026, 9, 2), date(2026, 12, 18), date(2026, 10, 26), date(2026, 10, 30)),
        TermDates(Term.SPRING, date(2027, 1, 4), date(2027, 3, 26), date(2027, 2, 15), date(2027, 2, 19)),
        TermDates(Term.SUMMER, date(2027, 4, 12), date(2027, 7, 21), date(2027, 6, 1), date(2027, 6, 4)),
    ]
    assert closures.closures() == [
        ClosureDates(Kind.INSET, date(2026, 9, 1), date(2026, 9, 1), "INSET day"),
        ClosureDates(Kind.INSET, date(2026, 11, 2), date(2026, 11, 2), "Staff training day - school closed to pupils"),
        ClosureDates(Kind.CLOSED, date(2027, 5, 6), date(2027, 5, 6), "Polling day: school closed"),
    ]
    html = response.content.decode()
    assert "“Spring Bank Holiday” (31/05/2027): bank holidays come from the England and Wales list." in html
    assert "“Sports day” (09/07/2027): not a term, half-term, holiday, INSET day or closure." in html
    assert not SchoolTerm.objects.exists()

    assert client.post(PAGE, form.data).status_code == 302
    assert school_calendar(cast.a.school, 2026).year(2026).term(Term.SPRING).ends_on == date(2027, 3, 26)


def test_the_csv_reader_keeps_the_first_of_two_different_dates_for_one_field():
    found = read_term_dates_csv("kind,starts_on,ends_on\nAutumn term,01/09/2026,18/12/2026\nautumn,02/09/2026,18/12/2026\n", 2026)
    assert found.fields["autumn_starts_on"] == date(2026, 9, 1)
    assert found.errors == ["Line 3: Autumn: the first day of the term is already 01/09/2026; 02/09/2026 was left out."]


def test_the_dates_download_as_the_csv_the_import_reads(late_november_2026, cast, login):
    save_2026(cast.a.school, cast.a.users["office"])
    response = login(cast.a.users["office"]).get(reverse("terms:term_dates_csv", kwargs={"start_year": 2026}))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[:2] == ["kind,starts_on,ends_on,description", "Autumn term,01/09/2026,18/12/2026,"]
    found = read_term_dates_csv(text, 2026)
    assert found.errors == [] and len(found.fields) == 12 and found.closures == CLOSURES_2026


# --- Who may -----------------------------------------------------------------------------------


def test_another_schools_users_cannot_see_or_change_them(late_november_2026, cast, client):
    save_2026(cast.a.school, cast.a.users["office"])

    client.force_login(cast.b.users["office"])
    html = client.get(PAGE).content.decode()
    assert "The default pattern is in use" in html  # school B's page: B has entered nothing
    assert cast.a.users["office"].full_name not in html  # nor does A's history show
    response = client.post(PAGE, form_data(closures=[ClosureDates(Kind.CLOSED, date(2027, 3, 1), date(2027, 3, 1), "B's own")]))
    assert response.status_code == 302

    # B's save is B's alone: A's closures are as they were.
    assert list(school_calendar(cast.a.school, 2026).year(2026).closures) == CLOSURES_2026
    with scope(school=cast.b.school):
        assert [c.description for c in school_calendar(cast.b.school, 2026).year(2026).closures] == ["B's own"]

    for who in ("teacher", "dsl", "it", "governor", "lead"):
        client.force_login(cast.a.users[who])
        assert client.get(PAGE).status_code == 403, who
        assert client.post(PAGE, form_data()).status_code == 403, who
    client.force_login(cast.b.users["teacher"])
    assert client.post(IMPORT, {}).status_code == 403
    client.force_login(cast.a.users["head"])
    assert client.get(reverse("terms:term_dates", kwargs={"start_year": 2035})).status_code == 404
