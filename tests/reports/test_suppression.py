"""
Small numbers in the governors' report (reports.suppression): a count from 1 to threshold-1 is hidden, and so is any
total that would let a reader work it out.
"""

import itertools
import random

from reports.figures.base import Count, Measure, Row, Table, Text, percent
from reports.suppression import suppress_section, suppress_table
from tests.reports.report_data import counts_table, hidden_at, section_of, texts


def test_counts_from_1_to_4_say_fewer_than_5_and_zero_and_5_are_shown():
    table = suppress_table(counts_table([[0], [1], [4], [5], [12]]), 5)

    assert texts(table) == [["0"], ["fewer than 5"], ["fewer than 5"], ["5"], ["12"]]
    assert hidden_at(table) == {(1, 0), (2, 0)}


def test_a_hidden_cell_keeps_no_number_and_a_shown_one_keeps_its_own_for_the_chart():
    table = suppress_table(counts_table([[3, 1200]]), 5)

    assert table["rows"][0]["cells"] == [
        {"text": "fewer than 5", "hidden": True, "value": None},
        {"text": "1,200", "hidden": False, "value": 1200},
    ]


def test_the_stored_table_has_the_contracts_fields():
    table = suppress_table(counts_table([[7, 2]], total_column=True), 5)

    assert table["key"] == "by_category"
    assert table["caption"] == "Incidents by category"
    assert table["row_header"] == "Category"
    assert table["columns"] == ["Column 1", "Column 2", "All"]
    assert table["note"] == ""
    assert table["total_column"] == 2
    assert table["rows"][0]["label"] == "Category A"
    assert table["rows"][0]["total"] is False


def test_a_measure_worked_out_from_fewer_than_5_events_is_not_shown_and_from_none_says_so():
    table = Table(
        key="response",
        caption="Time to first action",
        row_header="Kind",
        columns=["Median"],
        rows=[
            Row("Bullying", [Measure("2 days", base=3, number=2)]),
            Row("Filtering", [Measure("1 day", base=5, number=1)]),
            Row("Sexting", [Measure("", base=0, empty="no incidents")]),
        ],
    )

    stored = suppress_table(table, 5)

    assert texts(stored) == [["not shown (fewer than 5)"], ["1 day"], ["no incidents"]]
    assert stored["rows"][0]["cells"][0]["value"] is None
    assert stored["rows"][1]["cells"][0]["value"] == 1


def test_text_is_never_hidden():
    table = Table(
        key="dates", caption="Reviews", row_header="Policy", columns=["Reviewed"], rows=[Row("Online safety", [Text("3")])]
    )

    assert suppress_table(table, 5)["rows"][0]["cells"] == [{"text": "3", "hidden": False, "value": None}]


def test_a_total_with_exactly_one_hidden_part_is_hidden_too():
    table = suppress_table(counts_table([[3], [10], [12]], total_row=True), 5)

    # The total, 25, is not small: it says "not shown" rather than "fewer than 5".
    assert texts(table)[-1] == ["not shown"]
    assert hidden_at(table) == {(0, 0), (3, 0)}


def test_a_total_with_two_hidden_parts_that_could_share_it_many_ways_is_shown():
    table = suppress_table(counts_table([[3], [4], [10]], total_row=True), 5)

    assert texts(table) == [["fewer than 5"], ["fewer than 5"], ["10"], ["17"]]


def test_a_total_that_pins_its_hidden_parts_down_is_hidden():
    # 4 and 4 leave 8 for two hidden counts of at most 4: both must be 4. 1 and 1 leave 2: both must be 1.
    at_most = suppress_table(counts_table([[4], [4], [10]], total_row=True), 5)
    at_least = suppress_table(counts_table([[1], [1], [10]], total_row=True), 5)

    assert texts(at_most)[-1] == ["not shown"]
    assert texts(at_least)[-1] == ["not shown"]


def test_a_row_total_in_the_all_column_is_hidden_when_one_part_of_its_row_is():
    table = suppress_table(counts_table([[2, 8, 9], [6, 7, 8]], total_column=True), 5)

    assert texts(table) == [["fewer than 5", "8", "9", "not shown"], ["6", "7", "8", "21"]]


def test_hiding_a_total_hides_the_total_it_is_part_of_in_the_other_direction():
    # Row A's 2 hides A's "All" (12) and column 1's total (12); A's "All" is then the one hidden part of the
    # "All" column, so the grand total (32) goes too: else 32 - 20 gives A's 12, and 12 - 10 the 2.
    table = suppress_table(counts_table([[2, 10], [10, 10]], total_row=True, total_column=True), 5)

    assert texts(table) == [
        ["fewer than 5", "10", "not shown"],
        ["10", "10", "20"],
        ["not shown", "20", "not shown"],
    ]


def test_a_small_count_that_a_chain_of_totals_would_reveal_is_protected():
    # By the lone-part rule alone, A's "All" (12) and the grand total (26) are hidden but the column totals are
    # shown: 9 + 17 gives the grand total, 26 - 7 - 7 gives A's 12, and 12 - 10 the 2. A column total goes too.
    counts = [[2, 10], [3, 4], [4, 3]]
    table = suppress_table(counts_table(counts, total_row=True, total_column=True), 5)

    assert table["rows"][3]["cells"][0]["hidden"] or table["rows"][3]["cells"][1]["hidden"]
    assert _revealed(counts, 5, total_row=True, total_column=True) == []


def test_subtotals_each_add_up_the_rows_above_them_back_to_the_one_before():
    table = Table(
        key="by_year_group",
        caption="Incidents by key stage",
        row_header="Year group",
        columns=["2025/26"],
        rows=[
            Row("Year 7", [Count(2)]),
            Row("Year 8", [Count(10)]),
            Row("Key stage 3", [Count(12)], total=True),
            Row("Year 10", [Count(10)]),
            Row("Year 11", [Count(10)]),
            Row("Key stage 4", [Count(20)], total=True),
        ],
    )

    assert texts(suppress_table(table, 5)) == [["fewer than 5"], ["10"], ["not shown"], ["10"], ["10"], ["20"]]


def test_a_threshold_of_10_hides_counts_up_to_9():
    table = suppress_table(counts_table([[9], [10], [30]], total_row=True), 10)

    assert texts(table) == [["fewer than 10"], ["10"], ["30"], ["not shown"]]


def test_a_table_without_totals_hides_only_its_small_counts():
    table = suppress_table(counts_table([[2, 0], [10, 7]]), 5)

    assert texts(table) == [["fewer than 5", "0"], ["10", "7"]]


def test_zero_parts_do_not_count_as_hidden():
    table = suppress_table(counts_table([[0, 0], [8, 9]], total_row=True, total_column=True), 5)

    assert hidden_at(table) == set()


def test_a_section_keeps_its_words_and_suppresses_every_table():
    section = suppress_section(section_of(counts_table([[3], [10]], total_row=True), counts_table([[7]], key="other")), 5)

    assert section["key"] == "incidents"
    assert section["title"] == "Incidents"
    assert section["intro"] == "What was recorded."
    assert [table["key"] for table in section["tables"]] == ["by_category", "other"]
    assert texts(section["tables"][0]) == [["fewer than 5"], ["10"], ["not shown"]]


def test_no_small_count_can_be_worked_out_from_what_any_table_shows():
    # Every way of filling the hidden cells that agrees with what is shown: each small count must have at least
    # two possible values. Many random tables, with every kind of totals.
    shapes = [(2, 2), (3, 2), (2, 3), (3, 3)]
    totals = [(True, True), (True, False), (False, True)]
    rng = random.Random(20250901)
    checked = 0
    while checked < 150:
        rows, columns = rng.choice(shapes)
        threshold = rng.choice([3, 5, 10])
        counts = [[rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 12, 20]) for _ in range(columns)] for _ in range(rows)]
        if sum(0 < value < threshold for row in counts for value in row) > 4:
            continue  # keeps the search below small enough to be quick
        total_row, total_column = rng.choice(totals)
        assert _revealed(counts, threshold, total_row=total_row, total_column=total_column) == [], (counts, threshold)
        checked += 1


def _revealed(counts: list[list[int]], threshold: int, *, total_row: bool, total_column: bool) -> list:
    """
    The small counts of `counts` that a reader could work out from the suppressed table, by trying every value of
    the hidden cells (a hidden small count is from 1 to threshold-1) against every figure shown.
    """
    stored = suppress_table(counts_table(counts, total_row=total_row, total_column=total_column), threshold)
    hidden = hidden_at(stored)
    shown = {
        (r, c): cell["value"] for r, row in enumerate(stored["rows"]) for c, cell in enumerate(row["cells"]) if not cell["hidden"]
    }
    inner_hidden = [(r, c) for r in range(len(counts)) for c in range(len(counts[0])) if (r, c) in hidden]
    ranges = [range(1, threshold) if 0 < counts[r][c] < threshold else range(0, 40) for r, c in inner_hidden]
    possible = {place: set() for place in inner_hidden}
    for values in itertools.product(*ranges):
        trial = [list(row) for row in counts]
        for (r, c), value in zip(inner_hidden, values, strict=True):
            trial[r][c] = value
        filled = counts_table(trial, total_row=total_row, total_column=total_column)
        cells = {(r, c): cell.value for r, row in enumerate(filled.rows) for c, cell in enumerate(row.cells)}
        if all(cells[place] == value for place, value in shown.items()):
            for place, value in zip(inner_hidden, values, strict=True):
                possible[place].add(value)
    return [place for place in inner_hidden if 0 < counts[place[0]][place[1]] < threshold and len(possible[place]) < 2]


def test_a_share_of_a_group_with_few_in_or_out_of_it_is_hidden():
    # 48 of 50 is 96%: it would tell that 2 pupils have no consent. 25 of 50 tells nothing of a few.
    table = Table(
        key="shares",
        caption="Consent given",
        row_header="Year group",
        columns=["Photos"],
        rows=[Row("Year 7", [percent(48, 50)]), Row("Year 8", [percent(25, 50)]), Row("Year 9", [percent(3, 50)])],
    )

    assert texts(suppress_table(table, 5)) == [["not shown (fewer than 5)"], ["50%"], ["not shown (fewer than 5)"]]
