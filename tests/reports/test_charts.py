"""The report's charts (reports.charts): SVG drawn from the cells a reader sees, never from a hidden one."""

import xml.etree.ElementTree as ET

import pytest

from reports.charts import chart_alt, chart_svg
from reports.figures.base import Measure, Row, Table, Text
from reports.suppression import suppress_table
from tests.reports.report_data import counts_table

SVG = "{http://www.w3.org/2000/svg}"


def _words_in(svg: str) -> set[str]:
    """Every piece of text the SVG draws or carries (labels, titles, anything a tooltip could show)."""
    root = ET.fromstring(svg)
    return {
        text.strip()
        for element in root.iter()
        if element.tag != f"{SVG}style"
        for text in (element.text, element.tail)
        if text and text.strip()
    }


def _incidents(chart="bar"):
    # "Unwanted contact" had 3 incidents this year: hidden, so its total is too. No axis step is 3.
    table = counts_table(
        [[3, 40], [60, 22], [50, 35]],
        labels=["Unwanted contact", "Filter alerts", "Cyberbullying"],
        columns=["2025/26", "2024/25"],
        total_row=True,
        total_column=False,
        chart=chart,
    )
    return suppress_table(table, 5)


@pytest.mark.parametrize("kind", ["bar", "hbar", "line"])
def test_the_chart_is_svg_with_every_row_label_and_its_caption(kind):
    svg = chart_svg(_incidents(kind), kind)

    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    words = _words_in(svg)
    assert {"Unwanted contact", "Filter alerts", "Cyberbullying", "Incidents by category", "2025/26", "2024/25"} <= words


@pytest.mark.parametrize("kind", ["bar", "hbar", "line"])
def test_a_hidden_count_is_a_gap_never_its_true_number(kind):
    svg = chart_svg(_incidents(kind), kind)

    words = _words_in(svg)
    assert "3" not in words
    assert not any(word.endswith(": 3") or word.startswith("3 ") for word in words)
    # The totals row is not drawn, so its figures (113 this year, 97 last) appear nowhere.
    assert "97" not in words
    assert "Total" not in words


@pytest.mark.parametrize("kind", ["bar", "hbar", "line"])
def test_the_svg_has_no_script_and_no_tooltips(kind):
    root = ET.fromstring(chart_svg(_incidents(kind), kind))

    tags = {element.tag for element in root.iter()}
    assert f"{SVG}script" not in tags
    assert f"{SVG}desc" not in tags


def test_the_chart_reads_in_dejavu_sans_in_colours_told_apart_by_colour_blind_readers():
    svg = chart_svg(_incidents(), "bar")

    assert 'font-family:"DejaVu Sans"' in svg
    assert "#0072B2" in svg and "#E69F00" in svg


def test_the_same_table_draws_the_same_svg():
    assert chart_svg(_incidents(), "bar") == chart_svg(_incidents(), "bar")


def test_the_total_column_is_not_drawn():
    table = suppress_table(
        counts_table([[6, 7], [8, 9]], columns=["Boys", "Girls"], total_column=True, labels=["Year 7", "Year 8"]), 5
    )

    words = _words_in(chart_svg(table, "bar"))

    assert {"Boys", "Girls"} <= words
    assert "All" not in words


def test_measures_are_drawn_by_their_number_and_text_columns_are_left_out():
    table = Table(
        key="agreements",
        caption="Staff who agreed the policy",
        row_header="Policy",
        columns=["Agreed", "Reviewed"],
        rows=[
            Row("Acceptable use", [Measure("87.5%", base=40, number=87.5), Text("12/03/2026")]),
            Row("Online safety", [Measure("not shown", base=3, number=66.7), Text("01/09/2025")]),
        ],
        chart="hbar",
    )

    svg = chart_svg(suppress_table(table, 5), "hbar")

    words = _words_in(svg)
    assert "Reviewed" not in words
    assert "66.7" not in svg


def test_nothing_to_draw_gives_no_chart():
    every_count_hidden = suppress_table(counts_table([[2], [3]]), 5)
    only_text = suppress_table(
        Table(
            key="t", caption="Reviews", row_header="Policy", columns=["Reviewed"], rows=[Row("Online safety", [Text("1 May")])]
        ),
        5,
    )

    assert chart_svg(every_count_hidden, "bar") is None
    assert chart_svg(only_text, "bar") is None


def test_a_kind_of_chart_it_does_not_know_is_an_error():
    with pytest.raises(ValueError):
        chart_svg(_incidents(), "pie")


def test_the_alternative_text_points_at_the_table_and_says_what_is_drawn():
    assert chart_alt(_incidents()) == "Chart of the table beside it: Incidents by category (2025/26 and 2024/25), by category."
