"""The consents section of the governors' report: who had each consent in force at the end of the year, in counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consents.models import ConsentAnswer, ConsentType
from esafety.models import AcademicYear
from reports.figures import consents
from reports.figures.base import Count, Measure, Text, section_builders
from tests import factories as f
from tests.reports.figures_data_school import DURING_THE_YEAR, at, figure_school


@pytest.fixture
def school(cast, time_machine):
    yield from figure_school(time_machine)


Kind = ConsentType.Kind
USES = [
    "Internet access and e-safety rules",
    "Publication of work on the website",
    "Photos and names on displays and newsletters in school",
    "Photos in printed publicity and the press",
    "Photos on the website and social media",
    "Webcam and video calls",
    "Pupil acceptable-use agreement",
]


class Answers:
    """School R's pupils and their answers (see `_pupils_and_answers`)."""

    def __init__(self, school):
        self.school = school
        self.types = {t.kind: t for t in ConsentType.objects.for_school(school.school)}

    def pupil(self, name, year_group, **extra):
        return f.make_pupil(self.school.school, name, "Zebedee", year_group=year_group, mis_id=name, **extra)

    def answer(self, pupil, kind, agreed, entered, **extra):
        return ConsentAnswer.objects.create(
            school=self.school.school,
            pupil=pupil,
            consent_type=self.types[kind],
            wording_id=self.types[kind].current_wording_id,
            academic_year=AcademicYear.objects.for_date(entered),
            agreed=agreed,
            signed_on=entered,
            entered_by=self.school.user,
            entered_at=at(entered),
            **extra,
        )


def _pupils_and_answers(school) -> Answers:
    """
    Year 7: P1 to P6, admitted on 1 September 2025. Year 8: Q1 to Q4 and L1 (who left on 20 July 2026), admitted a
    year earlier; J1 joins Year 8 on 5 September 2026, after the year. Webcam calls are asked of Year 8 only, photos
    in print of Year 8 only.

    Photos on the website at 31 August 2026: yes P1, P2, P5 (withdrawn after the year), Q1, Q3 (expired by the
    renewal after the year); no P3, P4 (withdrawn in March), Q2 (a yes replaced by a no in May); none P6, Q4.
    At 31 August 2025 (on roll: Q1 to Q4, L1): yes Q1 and L1, no Q4, none Q2 and Q3.
    """
    data = Answers(school)
    data.types[Kind.WEBCAM].year_groups.set([school.year8])
    data.types[Kind.PHOTO_PRINT].year_groups.set([school.year8])
    new, old = {"admission_date": date(2025, 9, 1)}, {"admission_date": date(2024, 9, 1)}
    p = {n: data.pupil(f"P{n}", school.year7, **new) for n in range(1, 7)}
    q = {n: data.pupil(f"Q{n}", school.year8, **old) for n in range(1, 5)}
    leaver = data.pupil("L1", school.year8, leaving_date=date(2026, 7, 20), **old)
    joiner = data.pupil("J1", school.year8, admission_date=date(2026, 9, 5))
    renewal_2025, renewal_2026 = at(date(2025, 9, 1), 6), at(date(2026, 9, 1), 6)

    web, this_year, last_year = Kind.PHOTO_WEB, date(2025, 9, 20), date(2024, 9, 20)
    # Last year's answers, expired by the renewal of 1 September 2025.
    data.answer(q[1], web, True, last_year, expired_at=renewal_2025)
    data.answer(q[4], web, False, last_year, expired_at=renewal_2025)
    data.answer(leaver, web, True, date(2024, 10, 1), expired_at=renewal_2025)
    # This year's.
    for pupil in (p[1], p[2], q[1], leaver):
        data.answer(pupil, web, True, this_year)
    data.answer(p[3], web, False, this_year)
    data.answer(p[4], web, True, this_year, withdrawn_on=date(2026, 3, 1))
    data.answer(p[5], web, True, this_year, withdrawn_on=date(2026, 9, 10))
    data.answer(q[2], web, True, this_year, superseded_at=at(date(2026, 5, 1), 10))
    data.answer(q[2], web, False, date(2026, 5, 1))
    data.answer(q[3], web, True, this_year, expired_at=renewal_2026)
    data.answer(joiner, web, True, date(2026, 9, 20))

    # Internet access lasts until the pupil leaves: Q1's answer of last year is still in force.
    data.answer(p[1], Kind.INTERNET, True, date(2025, 9, 10))
    data.answer(q[1], Kind.INTERNET, True, date(2024, 9, 10))
    # Webcam calls: Year 8 only, so P1's yes is not counted.
    data.answer(q[1], Kind.WEBCAM, False, this_year)
    data.answer(p[1], Kind.WEBCAM, True, this_year)
    # Publication of work: P2's answer lasted until 30 June 2026, P3's until December.
    data.answer(p[2], Kind.WORK_PUBLICATION, True, this_year, expires_on=date(2026, 6, 30))
    data.answer(p[3], Kind.WORK_PUBLICATION, True, this_year, expires_on=date(2026, 12, 31))
    return data


def _tables(section):
    return {table.key: table for table in section.tables}


def _rows(table):
    return {row.label: row.cells for row in table.rows}


def _counts(*values):
    return [Count(v) for v in values]


def _share(text, base, number, empty="none"):
    # `part`, the pupils counted, follows from the share of the base.
    return Measure(text, base, empty, pytest.approx(number) if base else None, round(number * base / 100) if base else None)


def _asked(text, base, number):
    return _share(text, base, number, empty="not asked")


def test_the_section_is_registered_after_filtering_and_before_devices():
    assert consents.build in section_builders()


def test_each_use_counts_the_pupils_on_roll_at_the_end_of_the_year(school):
    _pupils_and_answers(school)
    section = consents.build(school.context())
    assert (section.key, section.title) == ("consents", "Consents")
    assert [table.key for table in section.tables] == ["by_use", "images_by_year_group", "given_compared"]

    by_use = _tables(section)["by_use"]
    assert by_use.columns == ["Consent given", "Refused or withdrawn", "No answer", "Pupils asked"]
    assert (by_use.total_column, by_use.part_columns, by_use.chart) == (3, [0, 1, 2], "hbar")
    assert [row.label for row in by_use.rows] == USES
    assert not any(row.total for row in by_use.rows)
    assert _rows(by_use) == {
        "Internet access and e-safety rules": _counts(2, 0, 8, 10),
        "Publication of work on the website": _counts(1, 0, 9, 10),
        "Photos and names on displays and newsletters in school": _counts(0, 0, 10, 10),
        "Photos in printed publicity and the press": _counts(0, 0, 4, 4),
        "Photos on the website and social media": _counts(5, 3, 2, 10),
        "Webcam and video calls": _counts(0, 1, 3, 4),
        "Pupil acceptable-use agreement": _counts(0, 0, 10, 10),
    }


def test_photos_and_publication_by_year_group_are_shares_of_each_year_group(school):
    _pupils_and_answers(school)
    table = _tables(consents.build(school.context()))["images_by_year_group"]
    assert table.columns == [
        "Pupils on roll",
        "Photos in school",
        "Photos in print and the press",
        "Photos online",
        "Work on the website",
    ]
    assert [(row.label, row.total) for row in table.rows] == [("Year 7", False), ("Year 8", False), ("All year groups", True)]
    assert _rows(table) == {
        "Year 7": [Count(6), _asked("0%", 6, 0), _asked("not asked", 0, None), _asked("50%", 6, 50), _asked("17%", 6, 100 / 6)],
        "Year 8": [Count(4), _asked("0%", 4, 0), _asked("0%", 4, 0), _asked("50%", 4, 50), _asked("0%", 4, 0)],
        "All year groups": [Count(10), _asked("0%", 10, 0), _asked("0%", 4, 0), _asked("50%", 10, 50), _asked("10%", 10, 10)],
    }
    assert table.chart is None


def test_the_share_given_is_compared_with_the_year_before(school):
    _pupils_and_answers(school)
    table = _tables(consents.build(school.context()))["given_compared"]
    assert table.columns == ["2025/26", "2024/25"]
    assert table.chart == "hbar"
    rows = _rows(table)
    assert rows["Photos on the website and social media"] == [_share("50%", 10, 50), _share("40%", 5, 40)]
    assert rows["Internet access and e-safety rules"] == [_share("20%", 10, 20), _share("20%", 5, 20)]
    assert rows["Webcam and video calls"] == [_share("0%", 4, 0), _share("0%", 5, 0)]
    assert rows["Photos in printed publicity and the press"] == [_share("0%", 4, 0), _share("0%", 5, 0)]


def test_a_year_not_yet_over_is_counted_today(school, time_machine):
    _pupils_and_answers(school)
    time_machine.move_to(DURING_THE_YEAR, tick=False)
    by_use = _rows(_tables(consents.build(school.context()))["by_use"])
    # On 10 March 2026 the leaver is still on roll and says yes; P4 withdrew on 1 March; Q2 had not yet changed to no.
    assert by_use["Photos on the website and social media"] == _counts(7, 2, 2, 11)
    # P2's publication answer is still in force.
    assert by_use["Publication of work on the website"] == _counts(2, 0, 9, 11)


def test_a_school_with_no_pupils_has_empty_shares(school):
    section = consents.build(school.context())
    tables = _tables(section)
    assert _rows(tables["by_use"])["Photos on the website and social media"] == _counts(0, 0, 0, 0)
    assert tables["images_by_year_group"].rows[-1].cells[0] == Count(0)
    assert tables["given_compared"].rows[0].cells == [_share("none", 0, None), _share("none", 0, None)]


def test_no_cell_holds_a_name(school):
    _pupils_and_answers(school)
    section = consents.build(school.context())
    words = " ".join(
        [section.intro]
        + [t.caption + t.note + " ".join(t.columns) for t in section.tables]
        + [row.label for t in section.tables for row in t.rows]
        + [cell.text for t in section.tables for row in t.rows for cell in row.cells if isinstance(cell, Text | Measure)]
    )
    assert "Zebedee" not in words and "P1" not in words


def _years_of_answers(school, years: int) -> None:
    data = Answers(school)
    for n in range(years):
        start = 2025 - n
        pupil = data.pupil(f"Y{n}", school.year7 if n % 2 else school.year8, admission_date=date(start, 9, 1))
        for kind in (Kind.PHOTO_WEB, Kind.INTERNET, Kind.WEBCAM):
            data.answer(pupil, kind, bool(n % 2), date(start, 9, 20))


@pytest.mark.parametrize("years", [1, 3])
def test_the_section_costs_the_same_queries_however_many_years_of_answers(school, years, django_assert_num_queries):
    _years_of_answers(school, years)
    ctx = school.context()
    # The consents in use, their year groups, the school's year groups, and one grouped query for each year.
    with django_assert_num_queries(5):
        consents.build(ctx)


def test_the_query_count_does_not_grow_with_the_key_stages_chosen(school):
    _years_of_answers(school, 2)
    ctx = school.context()
    with CaptureQueriesContext(connection) as before:
        consents.build(ctx)
    ConsentType.objects.filter(school=school.school, kind=Kind.WEBCAM).update(key_stages=["KS3"])
    with CaptureQueriesContext(connection) as after:
        consents.build(ctx)
    # Types limited by key stage need the school's year groups: one query more, whatever the data.
    assert len(after) == len(before) + 1
