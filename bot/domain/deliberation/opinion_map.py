"""The opinion map: one anonymous dot per placed participant, coloured by group (groups too small to show apart
in grey). Drawn with matplotlib's object API, in a worker thread (see bot.domain.report.charts)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.domain.deliberation.analysis import Analysis
from bot.domain.deliberation.display import ShownResults

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Okabe-Ito: told apart by colour-blind readers too.
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00")
_HIDDEN = "#AAAAAA"


def _draw(analysis: Analysis, shown: ShownResults) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 5), layout="constrained")
    axes = figure.add_subplot()
    labels = sorted({label for label in shown.shown_group_of.values() if label})
    for name in [*labels, None]:
        points = [
            position
            for participant, position in zip(analysis.placed, analysis.positions, strict=True)
            if shown.shown_group_of.get(participant) == name
        ]
        if not points:
            continue
        colour = _COLOURS[labels.index(name) % len(_COLOURS)] if name else _HIDDEN
        xs, ys = zip(*points, strict=True)
        axes.scatter(xs, ys, s=18, color=colour, alpha=0.8, label=name or "other", linewidths=0)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_aspect("equal", adjustable="datalim")
    axes.legend(frameon=False, fontsize=8, loc="lower right")
    axes.set_title("Opinion map: each dot is one member", fontsize=10, loc="left")
    return figure


def map_png(analysis: Analysis, shown: ShownResults, *, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    _draw(analysis, shown).savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def map_svg(analysis: Analysis, shown: ShownResults) -> str:
    """The map as an inline ``<svg>`` element (no prologue), text as text."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "opinion-map", "font.family": "sans-serif"}):
        _draw(analysis, shown).savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
