"""
The charts of the governors' report: SVG drawn on the server (pygal), from a table's stored, suppressed cells.

A chart only ever sees what the table beside it shows: a hidden cell is a gap (its true value was never stored,
`reports.suppression`), and total rows and total columns are left out. The SVG carries no script and no
tooltips, and is the same in the page (an <img> of a data: URI, allowed by the Content-Security-Policy) and in
the PDF, where WeasyPrint draws it: so the fonts, colours and sizes are fixed here to read at A4 width.
"""

import math

import pygal
from pygal.etree import etree
from pygal.style import Style

# Okabe and Ito's palette, told apart by people with any common colour blindness; the yellow, faint on white,
# comes last.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")

# At A4 width (180 mm of text) the chart is about 680 CSS px wide: these sizes print at about 10pt.
WIDTH = 720
LABEL_PX = 15
TITLE_PX = 18

STYLE = Style(
    font_family='"DejaVu Sans", sans-serif',
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#222222",
    foreground_strong="#000000",
    foreground_subtle="#767676",
    colors=COLOURS,
    opacity="1",
    opacity_hover="1",
    stroke_opacity="1",
    stroke_opacity_hover="1",
    transition="0ms",
    stroke_width="3",
    guide_stroke_color="#c8c8c8",
    major_guide_stroke_color="#c8c8c8",
    guide_stroke_dasharray="3,3",
    major_guide_stroke_dasharray="3,3",
    label_font_size=LABEL_PX,
    major_label_font_size=LABEL_PX,
    value_font_size=LABEL_PX,
    value_label_font_size=LABEL_PX,
    legend_font_size=LABEL_PX,
    title_font_size=TITLE_PX,
    tooltip_font_size=LABEL_PX,
    no_data_font_size=LABEL_PX,
)

KINDS = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "line": pygal.Line}


def chart_svg(table_dict: dict, chart: str) -> str | None:
    """
    The SVG of a stored table (`reports.suppression.suppress_table`) drawn as `chart` ("bar", "hbar", "line"):
    one point per row that is not a total, one series per column that is not a total and has a number shown.
    None when there is nothing to draw.
    """
    if chart not in KINDS:
        raise ValueError(f"Not a kind of chart: {chart!r}")
    labels, series = _chart_data(table_dict)
    values = [value for _, points in series for value in points if value is not None]
    if not values:
        return None
    kind = KINDS[chart]
    if chart == "hbar":
        # pygal draws the first row at the bottom: the chart reads top down, as the table does.
        labels, series = labels[::-1], [(name, points[::-1]) for name, points in series]
    longest = max((len(label) for label in labels), default=0)
    rotate = chart != "hbar" and (len(labels) > 6 or longest * len(labels) > 60)
    config = {
        "style": STYLE,
        "title": table_dict["caption"],
        "width": WIDTH,
        "height": _height(chart, len(labels), len(series)),
        "js": [],
        "disable_xml_declaration": True,
        "print_values": False,
        "show_legend": len(series) > 1,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": min(len(series), 4),
        "truncate_label": -1,
        "truncate_legend": -1,
        "x_label_rotation": 35 if rotate else 0,
        "allow_interruptions": True,
        "show_x_guides": False,
        "show_y_guides": True,
        "include_x_axis": True,
        "margin": 12,
        "legend_box_size": 14,
        "dots_size": 4,
        "spacing": 10,
    }
    ticks = _ticks(max(values), whole=all(float(value).is_integer() for value in values))
    config["y_labels"] = ticks
    config["range"] = (0, ticks[-1])
    if chart == "line":
        # The first and last points sit on the chart's edges: room for half their labels.
        config["margin_left"] = config["margin_right"] = min(12 + 4 * longest, 90)
    drawing = kind(**config)
    drawing.uuid = "report"  # the SVG's id, which its CSS names: fixed, so that the same table draws the same SVG
    drawing.add_xml_filter(_without_scripts_or_tooltips)
    drawing.x_labels = labels
    for name, points in series:
        drawing.add(name, points)
    return drawing.render(is_unicode=True)


def chart_alt(table_dict: dict) -> str:
    """What the chart shows, for a reader who cannot see it: the table beside it has the figures."""
    _, series = _chart_data(table_dict)
    names = [name for name, _ in series]
    which = f" ({_words(names)})" if len(names) > 1 else ""
    return f"Chart of the table beside it: {table_dict['caption']}{which}, by {table_dict['row_header'].lower()}."


def _chart_data(table_dict: dict) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """The rows' labels and, for each column that has a number shown, its values (None for a gap)."""
    rows = [row for row in table_dict["rows"] if not row["total"]]
    labels = [row["label"] for row in rows]
    series = []
    for c, name in enumerate(table_dict["columns"]):
        if c == table_dict.get("total_column"):
            continue
        points = [_shown_number(row["cells"][c]) if c < len(row["cells"]) else None for row in rows]
        if any(point is not None for point in points):
            series.append((name, points))
    return labels, series


def _shown_number(cell: dict) -> float | None:
    # A hidden cell stores no number; the check on `hidden` keeps it a gap whatever a caller stored.
    if cell.get("hidden"):
        return None
    return cell.get("value")


def _height(chart: str, points: int, series: int) -> int:
    legend = 40 * math.ceil(series / 4) if series > 1 else 0
    if chart == "hbar":
        return 110 + legend + max(points, 1) * max(series, 1) * 20 + points * 12
    return 380 + legend


def _ticks(top: float, *, whole: bool) -> list[float]:
    """From 0 past `top` in a few round steps (1, 2 or 5 times a power of ten; whole numbers for counts)."""
    if top <= 0:
        return [0, 1]
    rough = top / 5
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if whole:
        step = max(1, round(step))
    return [round(step * i, 10) for i in range(math.ceil(top / step) + 1)]


def _without_scripts_or_tooltips(root):
    """Drop pygal's script (its config), tooltips' text and comments: the SVG is a picture, nothing more."""
    for parent in root.iter():
        for child in list(parent):
            if child.tag in ("script", "desc") or child.tag is etree.Comment or not isinstance(child.tag, str):
                parent.remove(child)
    return root


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
