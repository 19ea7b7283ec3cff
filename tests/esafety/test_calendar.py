"""Academic years from September, year groups and key stages."""

from datetime import date

import time_machine

from esafety.calendar import KeyStage, academic_year_label, academic_year_start, key_stage_for_ncy, parse_year_group
from esafety.models import AcademicYear, YearGroup


def test_the_academic_year_turns_on_the_first_of_september():
    assert academic_year_start(date(2026, 8, 31)) == 2025
    assert academic_year_start(date(2026, 9, 1)) == 2026
    assert academic_year_label(date(2027, 1, 5)) == "2026/27"


def test_the_current_academic_year_follows_the_clock(db):
    with time_machine.travel(date(2026, 8, 31)):
        assert AcademicYear.objects.current().label == "2025/26"
    with time_machine.travel(date(2026, 9, 1)):
        year = AcademicYear.objects.current()
    assert (year.label, year.starts_on, year.ends_on) == ("2026/27", date(2026, 9, 1), date(2027, 8, 31))
    assert AcademicYear.objects.for_date(date(2027, 3, 1)) == year  # the same row, not a second one


def test_year_groups_map_to_key_stages():
    assert [key_stage_for_ncy(n) for n in (-1, 0, 1, 2, 3, 6, 7, 9, 10, 11, 12, 13)] == [
        "EYFS",
        "EYFS",
        "KS1",
        "KS1",
        "KS2",
        "KS2",
        "KS3",
        "KS3",
        "KS4",
        "KS4",
        "KS5",
        "KS5",
    ]
    assert KeyStage.KS2.label == "Key stage 2"


def test_year_groups_are_found_by_key_stage(cast):
    for ncy in (0, 3, 10):
        YearGroup.objects.create(school=cast.a.school, ncy=ncy)
    names = [str(y) for y in YearGroup.objects.for_school(cast.a.school).in_key_stage(KeyStage.KS3)]
    assert names == ["Year 7"]
    assert [str(y) for y in YearGroup.objects.for_school(cast.a.school).in_key_stage(KeyStage.EYFS)] == ["Reception"]


def test_mis_year_columns_are_understood():
    assert [parse_year_group(v) for v in ("7", "Year 7", "Y7", "yr 10", "R", "Reception", "N", "14", "Year")] == [
        7,
        7,
        7,
        10,
        0,
        0,
        -1,
        None,
        None,
    ]
