"""The report as one self-contained HTML file, streamed: Jinja2 with autoescaping, charts as inline SVG.

Self-contained means: no script, no external stylesheet, font, image or link to fetch; a Content Security
Policy that forbids them anyway (so even a mistake in escaping could neither run nor fetch anything); and a
print stylesheet. Member text is only ever inserted escaped, as text, with ``white-space: pre-wrap`` keeping
its line breaks.
"""

from __future__ import annotations

from importlib import resources

import jinja2
from markupsafe import Markup

from bot.domain.exports import BinaryOutput
from bot.domain.report.charts import chart_svg
from bot.domain.report.model import ReportModel

_TEMPLATE = "report.html.j2"
_environment = jinja2.Environment(
    loader=jinja2.FunctionLoader(lambda name: resources.files(__package__).joinpath(name).read_text("utf-8")),
    autoescape=True,  # every {{ }} is escaped unless marked safe: only our own SVG is
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["svg"] = lambda chart: Markup(chart_svg(chart))
# The opinion map is drawn by bot.domain.deliberation.opinion_map: dots and group labels only, no member text.
_environment.filters["map_svg"] = lambda svg: Markup(svg)
_BUFFER = 1 << 16


def write_report(model: ReportModel, out: BinaryOutput) -> int:
    """Write the report to ``out`` as it is rendered; returns how many answers it shows. Blocking: call it
    from a worker thread (charts take a moment to draw)."""
    shown = _Counter()
    chunks: list[str] = []
    size = 0
    for chunk in _environment.get_template(_TEMPLATE).generate(report=model, shown=shown):
        chunks.append(chunk)
        size += len(chunk)
        if size >= _BUFFER:
            out.write("".join(chunks).encode("utf-8"))
            chunks.clear()
            size = 0
    out.write("".join(chunks).encode("utf-8"))
    return shown.count


class _Counter:
    """Counts the answers the template writes (``{{ shown.add() }}`` writes nothing)."""

    def __init__(self) -> None:
        self.count = 0

    def add(self) -> str:
        self.count += 1
        return ""
