"""Participation charts: bar charts of figures as people are shown them (small counts already suppressed).

Drawn with matplotlib's object API (a ``Figure`` of our own, never pyplot's global state or a GUI backend:
a Figure draws with Agg when saved), so charts can be drawn in worker threads side by side. Call these from
a thread: drawing takes tens of milliseconds. A figure that is suppressed ("<5", "hidden") has no bar: its
label is written where the bar would be.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Colour-blind-safe pair (Okabe-Ito) and a neutral for single series.
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
_SVG_START = re.compile(r"<svg\b")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[str, ...]  # as displayed: "12", "0", "<5", "hidden"


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: a title, a bar per week (stacked when there are several series), and its data as text."""

    title: str
    weeks: tuple[int, ...]
    series: tuple[Series, ...]
    unit: str  # what is counted, for the y axis: "answers", "members"

    @property
    def table(self) -> list[list[str]]:
        """The chart's data, a row per week: the text alternative to the drawing."""
        return [[f"Week {week}", *(s.values[i] for s in self.series)] for i, week in enumerate(self.weeks)]


def _number(shown: str) -> int | None:
    return int(shown) if shown.isdigit() else None


def _draw(chart: Chart, *, titled: bool, width: float = 7.5, height: float = 2.8) -> Figure:
    # Imported on first use: matplotlib takes most of a second to load, which the bot's start need not wait for.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(chart.weeks)))
    bottoms = [0] * len(positions)
    for index, series in enumerate(chart.series):
        heights = [_number(value) or 0 for value in series.values]
        axes.bar(positions, heights, bottom=bottoms, color=_COLOURS[index % len(_COLOURS)], label=series.name)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    tallest = max(bottoms, default=0) or 1
    for position in positions:
        hidden = {s.values[position] for s in chart.series if _number(s.values[position]) is None}
        if hidden:
            axes.text(position, tallest * 0.02, " / ".join(sorted(hidden)), ha="center", va="bottom", fontsize=8,
                      rotation=90, color="#444444")  # fmt: skip
    axes.set_xticks(positions, [f"W{week}" for week in chart.weeks])
    axes.set_ylabel(chart.unit)
    axes.set_ylim(0, tallest * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    if titled:  # in HTML the figure's caption is the title
        axes.set_title(chart.title, fontsize=11, loc="left")
    if len(chart.series) > 1:
        axes.legend(frameon=False, fontsize=8, loc="lower right", bbox_to_anchor=(1, 1), ncols=len(chart.series))
    return figure


def chart_svg(chart: Chart) -> str:
    """The chart as an ``<svg>`` element to put inline in HTML: no XML prologue, no external references,
    text as text (``svg.fonttype: none``) so it is readable, searchable and printed sharply."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart.title, "font.family": "sans-serif"}):
        _draw(chart, titled=False).savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    start = _SVG_START.search(svg)
    if start is None:  # pragma: no cover - matplotlib always writes one
        raise ValueError("matplotlib wrote no <svg> element")
    label = f'role="img" aria-label="{_attribute(chart.title)}" '
    return svg[start.start() : start.end()] + " " + label + svg[start.end() :].lstrip()


def chart_png(chart: Chart, *, dpi: int = 110) -> bytes:
    """The chart as a PNG image (for Discord, which shows images but not SVG)."""
    buffer = io.BytesIO()
    _draw(chart, titled=True, width=8, height=3.2).savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def weekly_chart(title: str, unit: str, weeks: Sequence[int], **series: Sequence[str]) -> Chart:
    """A ``Chart`` from displayed figures by week: ``weekly_chart("Answers", "answers", weeks, Answers=[...])``."""
    return Chart(title, tuple(weeks), tuple(Series(name, tuple(values)) for name, values in series.items()), unit)
