"""The devices section of the governors' report: phones not collected, confiscations and devices lost or stolen."""

from datetime import date, timedelta

import pytest

from devices.models import Confiscation, CustodyEntry, DeviceLoss, DeviceSettings, PhoneRecord, SchoolDevice
from reports.figures import devices
from reports.figures.base import Count, section_builders
from tests import factories as f
from tests.reports.figures_data_school import DURING_THE_YEAR, at, figure_school


@pytest.fixture
def school(cast, time_machine):
    yield from figure_school(time_machine)


HANDED_IN, NOT_HANDED_IN = PhoneRecord.Status.HANDED_IN, PhoneRecord.Status.NOT_HANDED_IN
HALF_TERMS = ["Autumn 1", "Autumn 2", "Spring 1", "Spring 2", "Summer 1", "Summer 2"]


class Devices:
    def __init__(self, school):
        self.school = school
        self.pupils = [f.make_pupil(school.school, f"D{n}", "Zebedee", year_group=school.year7, mis_id=f"D{n}") for n in range(4)]
        self.number = 0
        self.tags = 0

    def phone(self, pupil, day, collected=None, status=HANDED_IN):
        """`collected`: (days after, hour, minute) in the school's time zone, or None for a phone still held."""
        collected_at = None
        if collected is not None:
            later, hour, minute = collected
            collected_at = at(day + timedelta(days=later), hour, minute)
        return PhoneRecord.objects.create(
            school=self.school.school,
            pupil=self.pupils[pupil],
            day=day,
            status=status,
            recorded_by=self.school.user,
            recorded_at=at(day, 8, 45),
            collected_at=collected_at,
            collected_by=self.school.user if collected_at else None,
        )

    def confiscation(self, taken_on, status=Confiscation.Status.HELD, closed_on=None, moves=(), pupil=0):
        self.number += 1
        confiscation = Confiscation.objects.create(
            school=self.school.school,
            number=self.number,
            kind=Confiscation.Kind.PHONE,
            description="A phone",
            pupil=None if pupil is None else self.pupils[pupil],
            taken_by=self.school.user,
            taken_at=at(taken_on, 11),
            reason="In a lesson",
            stored_at="Office",
            status=status,
            closed_at=at(closed_on, 15) if closed_on else None,
        )
        for kind, day in [(CustodyEntry.Kind.TAKEN, taken_on), *moves]:
            returned_to = CustodyEntry.ReturnedTo.PUPIL if kind == CustodyEntry.Kind.RETURNED else ""
            CustodyEntry.objects.create(
                confiscation=confiscation, kind=kind, at=at(day, 12), recorded_by=self.school.user, returned_to=returned_to
            )
        return confiscation

    def loss(self, reported_on, kind, breach=False, ico=None):
        self.tags += 1
        device = SchoolDevice.objects.create(
            school=self.school.school, asset_tag=f"LAP-{self.tags}", kind=SchoolDevice.Kind.LAPTOP, status=kind
        )
        return DeviceLoss.objects.create(
            school=self.school.school,
            device=device,
            kind=kind,
            reported_by=self.school.user,
            reported_at=at(reported_on, 10),
            circumstances="Left on a train",
            possible_breach=breach,
            reported_to_ico=ico,
        )


def _phones(school) -> Devices:
    """
    2025/26: in Autumn 1, D1's phone collected at 16:10 and D2's never (D0's at 15:00 and D3 handed none in); in
    Spring 1, D0's collected the next morning; in Summer 1 (summer time), D1's collected at 15:45 and D2's at 15:15;
    in Summer 2, D0's collected at 15:30 on the dot. 2024/25: Autumn 2 one never collected, Summer 1 two. 2023/24:
    one never collected.
    """
    data = Devices(school)
    ctx = school.context()
    this, last = ctx.half_terms, ctx.previous_half_terms
    autumn = this[0].starts_on + timedelta(days=3)
    data.phone(0, autumn, (0, 15, 0))
    data.phone(1, autumn, (0, 16, 10))
    data.phone(2, autumn)
    data.phone(3, autumn, status=NOT_HANDED_IN)
    data.phone(0, this[2].starts_on + timedelta(days=1), (1, 8, 30))
    may = date(2026, 5, 12)
    assert may in this[4]
    data.phone(1, may, (0, 15, 45))
    data.phone(2, may, (0, 15, 15))
    data.phone(0, this[5].starts_on, (0, 15, 30))
    data.phone(0, last[1].starts_on + timedelta(days=2))
    data.phone(1, last[4].starts_on + timedelta(days=2))
    data.phone(2, last[4].ends_on, (3, 9, 0))
    data.phone(0, date(2024, 5, 1))
    return data


def _confiscations(data: Devices) -> None:
    """
    2025/26: returned (two, one of them found), disposed of (one), still held at 31 August (one with the police after
    a search, one held, one returned only in September and handed to the police in September).
    2024/25: one returned after going to the police twice, one still held.
    """
    Status, Kind = Confiscation.Status, CustodyEntry.Kind
    data.confiscation(date(2025, 10, 1), Status.RETURNED, date(2025, 10, 2), [(Kind.RETURNED, date(2025, 10, 2))])
    data.confiscation(date(2025, 11, 1), Status.DISPOSED, date(2026, 1, 10), [(Kind.DISPOSED, date(2026, 1, 10))])
    data.confiscation(
        date(2026, 2, 1), Status.WITH_POLICE, moves=[(Kind.SEARCHED, date(2026, 2, 1)), (Kind.TO_POLICE, date(2026, 2, 2))]
    )
    data.confiscation(date(2026, 6, 1))
    data.confiscation(
        date(2026, 7, 1),
        Status.RETURNED,
        date(2026, 9, 5),
        [(Kind.TO_POLICE, date(2026, 9, 1)), (Kind.RETURNED, date(2026, 9, 5))],
    )
    data.confiscation(date(2026, 3, 1), Status.RETURNED, date(2026, 3, 5), [(Kind.RETURNED, date(2026, 3, 5))], pupil=None)
    data.confiscation(
        date(2025, 3, 1),
        Status.RETURNED,
        date(2025, 3, 20),
        [
            (Kind.TO_POLICE, date(2025, 3, 2)),
            (Kind.BACK_FROM_POLICE, date(2025, 3, 10)),
            (Kind.TO_POLICE, date(2025, 3, 11)),
            (Kind.RETURNED, date(2025, 3, 20)),
        ],
    )
    data.confiscation(date(2025, 6, 1))
    data.confiscation(date(2024, 6, 1))


def _losses(data: Devices) -> None:
    lost, stolen = DeviceLoss.Kind.LOST, DeviceLoss.Kind.STOLEN
    data.loss(date(2025, 10, 10), lost, breach=True, ico=True)
    data.loss(date(2026, 1, 10), stolen, breach=True, ico=False)
    data.loss(date(2026, 8, 31), lost, breach=True)
    data.loss(date(2026, 2, 10), stolen)
    data.loss(date(2025, 5, 1), lost)
    data.loss(date(2026, 9, 10), stolen, breach=True)


def _tables(section):
    return {table.key: table for table in section.tables}


def _rows(table):
    return {row.label: row.cells for row in table.rows}


def _counts(*values):
    return [Count(v) for v in values]


def test_the_section_is_registered():
    assert devices.build in section_builders()


def test_phones_not_collected_by_the_end_of_the_day_by_half_term(school):
    _phones(school)
    section = devices.build(school.context())
    assert (section.key, section.title) == ("devices", "Phones and devices")
    table = _tables(section)["phones_not_collected"]
    assert (table.columns, table.chart, table.row_header) == (["2025/26", "2024/25"], "line", "Half-term")
    assert [(row.label, row.total) for row in table.rows] == [(name, False) for name in HALF_TERMS] + [("Whole year", True)]
    assert [row.cells for row in table.rows] == [
        _counts(2, 0),
        _counts(0, 1),
        _counts(1, 0),
        _counts(0, 0),
        _counts(1, 2),
        _counts(0, 0),
        _counts(4, 3),
    ]
    assert "15:30" in table.note


def test_a_later_end_of_the_day_counts_fewer_phones(school):
    _phones(school)
    DeviceSettings.objects.filter(school=school.school).update(collection_time="16:30")
    table = _tables(devices.build(school.context()))["phones_not_collected"]
    # D1's phone collected at 16:10 and the one at 15:45 were in time.
    assert table.rows[-1].cells == _counts(2, 3)


def test_todays_phones_count_only_once_the_day_is_over(school, time_machine):
    data = Devices(school)
    time_machine.move_to(DURING_THE_YEAR, tick=False)
    data.phone(0, date(2026, 3, 9))
    data.phone(1, date(2026, 3, 10))
    table = _tables(devices.build(school.context()))["phones_not_collected"]
    assert table.rows[-1].cells == _counts(1, 0)
    time_machine.move_to(at(date(2026, 3, 10), 15, 31), tick=False)
    table = _tables(devices.build(school.context()))["phones_not_collected"]
    assert table.rows[-1].cells == _counts(2, 0)


def test_confiscations_by_where_they_were_at_the_end_of_the_year(school):
    data = Devices(school)
    _confiscations(data)
    tables = _tables(devices.build(school.context()))
    table = tables["confiscations"]
    assert [(row.label, row.total) for row in table.rows] == [
        ("Returned to the pupil or a parent or carer", False),
        ("Disposed of", False),
        ("Still held at the end of the year (by the school or the police)", False),
        ("Confiscated or found in the year", True),
    ]
    assert [row.cells for row in table.rows] == [_counts(2, 1), _counts(1, 0), _counts(3, 1), _counts(6, 2)]
    assert _rows(tables["searches_and_police"]) == {"Searched": _counts(1, 0), "Handed to the police": _counts(1, 1)}


def test_devices_lost_or_stolen_and_possible_breaches(school):
    data = Devices(school)
    _losses(data)
    tables = _tables(devices.build(school.context()))
    assert _rows(tables["losses"]) == {"Lost": _counts(2, 1), "Stolen": _counts(2, 0), "Lost or stolen": _counts(4, 1)}
    assert tables["losses"].rows[-1].total
    assert _rows(tables["breaches"]) == {
        "Reported to the Information Commissioner's Office (ICO)": _counts(1, 0),
        "Assessed and not reported to the ICO": _counts(1, 0),
        "Not yet assessed": _counts(1, 0),
        "Possible breaches": _counts(3, 0),
    }


def test_a_school_with_nothing_recorded_counts_nothing(school):
    section = devices.build(school.context())
    for table in section.tables:
        assert all(cell == Count(0) for row in table.rows for cell in row.cells), table.key


def test_no_cell_holds_a_name_or_a_description(school):
    data = _phones(school)
    _confiscations(data)
    _losses(data)
    section = devices.build(school.context())
    words = " ".join(
        [section.intro]
        + [t.caption + t.note + " ".join(t.columns) for t in section.tables]
        + [row.label for t in section.tables for row in t.rows]
    )
    assert not any(secret in words for secret in ("Zebedee", "A phone", "In a lesson", "train", "LAP-"))
    assert all(isinstance(cell, Count) for t in section.tables for row in t.rows for cell in row.cells)


def _years_of_records(school, years: int) -> None:
    data = Devices(school)
    for n in range(years):
        start = 2025 - n
        data.phone(n % 4, date(start, 10, 1))
        data.confiscation(date(start, 10, 2), moves=[(CustodyEntry.Kind.SEARCHED, date(start, 10, 2))])
        data.loss(date(start, 10, 3), DeviceLoss.Kind.LOST, breach=True)


@pytest.mark.parametrize("years", [1, 3])
def test_the_section_costs_the_same_queries_however_many_years_of_records(school, years, django_assert_num_queries):
    _years_of_records(school, years)
    ctx = school.context()
    # The device settings, then one grouped query each: phones, confiscations with their custody, losses.
    with django_assert_num_queries(4):
        devices.build(ctx)
