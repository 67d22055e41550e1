"""Server-rendered SVG charts: the geometry is computed here, the markup lives in templates.

Coordinates are formatted here as plain strings ("12.5"), so that the templates never pass
them through the locale's number formatting ("12,5" would break the SVG). Numbers meant for
readers are formatted with the locale, like the rest of the page.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Colour, dash pattern and marker shape tell the series apart, so colour is never the only cue.
SERIES_STYLES = [
    {"colour": "#1f5f99", "dash": "", "marker": "circle"},
    {"colour": "#b34700", "dash": "7 4", "marker": "square"},
    {"colour": "#2a7a3b", "dash": "2 3", "marker": "diamond"},
    {"colour": "#6b3fa0", "dash": "10 3 2 3", "marker": "triangle"},
]


def coordinate(number):
    return f"{number:.1f}"


def format_number(value):
    """A value for readers: at most two decimals, grouped thousands, the locale's separators."""
    if value is None:
        return "—"
    rounded = Decimal(str(round(float(value), 2))).normalize()
    return number_format(Decimal(format(rounded, "f")), use_l10n=True, force_grouping=True)


def score_text(dimension, value):
    """A dimension's score for readers ("Gouvernance : 1,5"), in the page's language."""
    if value is None:
        return _("%(dimension)s: not applicable") % {"dimension": dimension}
    return _("%(dimension)s: %(score)s") % {"dimension": dimension, "score": format_number(value)}


def join_items(items):
    # Translators: the separator between the items of a list read in a chart's description.
    return pgettext("list separator", "; ").join(items)


def wrap(text, width=18, max_lines=3):
    """Split a label into short lines for SVG <tspan>s (SVG text does not wrap)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return lines


@dataclass
class RadarAxis:
    code: str
    name: str
    x: str
    y: str
    label_x: str
    label_y: str
    anchor: str
    lines: list


@dataclass
class RadarMarker:
    x: str
    y: str
    value: float
    label: str
    axis: str
    title: str  # what a reader hovering the vertex sees
    shape: str = ""  # polygon points, empty for a circle


def marker_shape(kind, x, y, size=4.5):
    corners = {
        "circle": [],
        "square": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
        "diamond": [(0, -1.4), (1.4, 0), (0, 1.4), (-1.4, 0)],
        "triangle": [(0, -1.5), (1.3, 0.9), (-1.3, 0.9)],
    }[kind]
    return " ".join(
        f"{coordinate(x + dx * size)},{coordinate(y + dy * size)}" for dx, dy in corners
    )


@dataclass
class RadarSeries:
    name: str
    values: list
    points: str
    markers: list
    colour: str
    dash: str
    marker: str
    fill_opacity: str
    legend_shape: str  # the marker, for a 36 × 12 legend swatch


@dataclass
class RadarRing:
    value: int
    label: str
    points: str
    label_x: str
    label_y: str


@dataclass
class RadarChart:
    chart_id: str
    title: str
    description: str
    view_box: str
    center_x: str
    center_y: str
    minimum: float
    maximum: float
    axes: list
    rings: list
    series: list = field(default_factory=list)


def radar_chart(chart_id, title, axes, series, levels):
    """A radar of dimension scores.

    axes: [(code, name)]; series: [(name, [score or None, one per axis])], or with a third
    item, the series' style number (so an initiative keeps its colour across charts); levels: the
    scale's [(value, label)], which set the rings and the range. A None score (every criterion
    not applicable, or not assessed) has no vertex: the polygon joins its neighbours.
    """
    width, height, radius = 520, 420, 140
    cx, cy = width / 2, height / 2
    minimum = min(value for value, _label in levels)
    maximum = max(value for value, _label in levels)
    span = (maximum - minimum) or 1

    def angle(index):
        return -math.pi / 2 + 2 * math.pi * index / len(axes)

    def point(index, value):
        r = radius * (value - minimum) / span
        return cx + r * math.cos(angle(index)), cy + r * math.sin(angle(index))

    # The view box hugs the drawing: from the highest label to the lowest.
    top, bottom = cy - radius - 6, cy + radius + 6
    chart_axes = []
    for index, (code, name) in enumerate(axes):
        a = angle(index)
        end_x, end_y = cx + radius * math.cos(a), cy + radius * math.sin(a)
        label_x, label_y = cx + (radius + 16) * math.cos(a), cy + (radius + 16) * math.sin(a)
        lines = wrap(name)
        if math.sin(a) < -0.3:  # above the centre: the label grows upwards
            label_y -= 14 * (len(lines) - 1)
        elif abs(math.sin(a)) <= 0.3:
            label_y -= 7 * (len(lines) - 1)
        else:
            label_y += 10
        top = min(top, label_y - 14)
        bottom = max(bottom, label_y + 14 * (len(lines) - 1) + 6)
        cos = math.cos(a)
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        chart_axes.append(
            RadarAxis(
                code=code,
                name=name,
                x=coordinate(end_x),
                y=coordinate(end_y),
                label_x=coordinate(label_x),
                label_y=coordinate(label_y),
                anchor=anchor,
                lines=lines,
            )
        )

    rings = []
    for value, label in levels:
        if value == minimum:
            continue
        corners = [point(index, value) for index in range(len(axes))]
        rings.append(
            RadarRing(
                value=value,
                label=label,
                points=" ".join(f"{coordinate(x)},{coordinate(y)}" for x, y in corners),
                label_x=coordinate(cx + 3),
                label_y=coordinate(cy - radius * (value - minimum) / span - 2),
            )
        )

    chart_series = []
    for index, (name, values, *style_number) in enumerate(series):
        style = SERIES_STYLES[(style_number[0] if style_number else index) % len(SERIES_STYLES)]
        markers = []
        for axis_index, value in enumerate(values):
            if value is None:
                continue
            x, y = point(axis_index, value)
            markers.append(
                RadarMarker(
                    x=coordinate(x),
                    y=coordinate(y),
                    value=value,
                    label=format_number(value),
                    axis=axes[axis_index][1],
                    title=f"{name} — {score_text(axes[axis_index][1], value)}",
                    shape=marker_shape(style["marker"], x, y),
                )
            )
        chart_series.append(
            RadarSeries(
                name=name,
                values=values,
                points=" ".join(f"{marker.x},{marker.y}" for marker in markers),
                markers=markers,
                colour=style["colour"],
                dash=style["dash"],
                marker=style["marker"],
                # Overlaid areas would darken into a grey blot: lighter fills when compared.
                fill_opacity="0.15" if len(series) == 1 else "0.05",
                legend_shape=marker_shape(style["marker"], 18, 6, size=3.5),
            )
        )

    return RadarChart(
        chart_id=chart_id,
        title=title,
        description=radar_description(axes, series, maximum),
        view_box=f"0 {coordinate(top)} {width} {coordinate(bottom - top)}",
        center_x=coordinate(cx),
        center_y=coordinate(cy),
        minimum=minimum,
        maximum=maximum,
        axes=chart_axes,
        rings=rings,
        series=chart_series,
    )


def radar_description(axes, series, maximum):
    parts = []
    for name, values, *_style in series:
        scores = join_items(
            score_text(axis_name, v) for (_code, axis_name), v in zip(axes, values, strict=True)
        )
        parts.append(f"{name} — {scores}" if len(series) > 1 else scores)
    return _("Scores out of %(maximum)s. %(scores)s.") % {
        "maximum": format_number(maximum),
        "scores": " / ".join(parts),
    }


@dataclass
class SeriesMark:
    x: str
    y: str
    bar_x: str
    bar_y: str
    bar_height: str
    value: Decimal
    label: str
    period: str
    title: str  # "2019: 262", in the page's language and typography


@dataclass
class SeriesChart:
    chart_id: str
    title: str
    description: str
    kind: str
    width: int
    height: int
    left: str
    right: str
    baseline: str
    bar_width: str
    points: str
    marks: list
    ticks: list


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above value (a readable axis maximum)."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def series_chart(chart_id, title, unit, periods, values):
    """A small line chart (three values or more) or bar chart of an indicator over time.

    periods: short labels, oldest first; values: numbers. The vertical axis starts at zero.
    """
    width, height = 320, 160
    left, right, top, bottom = 56, 12, 12, 28
    plot_width, plot_height = width - left - right, height - top - bottom
    numbers = [float(value) for value in values]
    minimum = min(0.0, *numbers)
    maximum = nice_ceiling(max(numbers)) if max(numbers) > 0 else 1
    span = maximum - minimum
    step = plot_width / len(numbers)
    baseline = top + plot_height * maximum / span
    bar_width = min(step * 0.6, 48)

    def y_of(number):
        return top + plot_height * (maximum - number) / span

    marks = []
    for index, (period, value, number) in enumerate(zip(periods, values, numbers, strict=True)):
        x, y = left + step * (index + 0.5), y_of(number)
        label = format_number(value)
        marks.append(
            SeriesMark(
                x=coordinate(x),
                y=coordinate(y),
                bar_x=coordinate(x - bar_width / 2),
                bar_y=coordinate(min(y, baseline)),
                bar_height=coordinate(abs(baseline - y)),
                value=value,
                label=label,
                period=period,
                title=_("%(period)s: %(value)s") % {"period": period, "value": label},
            )
        )
    ticks = [
        {"y": coordinate(y_of(tick)), "label": format_number(tick)}
        for tick in sorted({minimum, (minimum + maximum) / 2, maximum})
    ]
    description = _("%(title)s, in %(unit)s: %(values)s.") % {
        "title": title,
        "unit": unit,
        "values": join_items(mark.title for mark in marks),
    }
    return SeriesChart(
        chart_id=chart_id,
        title=title,
        description=description,
        kind="line" if len(marks) >= 3 else "bar",
        width=width,
        height=height,
        left=coordinate(left),
        right=coordinate(width - right),
        baseline=coordinate(baseline),
        bar_width=coordinate(bar_width),
        points=" ".join(f"{mark.x},{mark.y}" for mark in marks),
        marks=marks,
        ticks=ticks,
    )
