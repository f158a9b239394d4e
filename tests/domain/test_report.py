"""The report's HTML, without a browser: any text a member writes comes out as that text, and only as text."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.programme import ProgrammeRecord, Prompt, SessionRecord
from bot.domain.report.charts import weekly_chart
from bot.domain.report.html import write_report
from bot.domain.report.model import PromptCounts, ReportModel, answer_sections

START = datetime(2020, 8, 3, 18, tzinfo=UTC)
STORED = "2020-08-03T20:30:00.000000Z"
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "code", "section", "table",
    "thead", "tbody", "tr", "th", "td", "ol", "li",
}  # fmt: skip


def programme(prompt: str) -> ProgrammeRecord:
    session = SessionRecord(1, 1, 1, "Week one", START, START, "Zoom", "", None, (Prompt(1, 1, 1, 1, prompt),))
    return ProgrammeRecord(1, "Programme", "Europe/London", "", (session,))


class Reader(HTMLParser):
    """The tags the page has, and the text of each answer paragraph."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.answers: list[str] = []
        self._in_answer = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "p" and ("class", "text") in attrs:
            self._in_answer = True
            self.answers.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_answer = False

    def handle_data(self, data: str) -> None:
        if self._in_answer:
            self.answers[-1] += data


def render(texts: list[str], prompt: str = "What now?") -> tuple[str, Reader]:
    record = programme(prompt)
    answers = [(1, "Week one", 1, prompt, 1000 + n, text, "modal", STORED, STORED, 0) for n, text in enumerate(texts)]
    model = ReportModel(
        title="Programme", generated="2020-08-04 10:00", timezone="Europe/London", scope="all weeks", threshold=5,
        totals=(), sessions=(), charts=(),
        weeks=answer_sections(record, answers, lambda user, source: f"member-{user}",
                              {(1, 1): PromptCounts(len(texts), len(texts))}, week=None, threshold=5),
    )  # fmt: skip
    out = io.BytesIO()
    assert write_report(model, out) == len(texts)
    page = out.getvalue().decode("utf-8")
    reader = Reader()
    reader.feed(page)
    reader.close()
    return page, reader


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=300), min_size=5, max_size=7), st.text(min_size=1, max_size=100))
def test_any_answer_is_shown_as_its_text_and_adds_no_markup(texts: list[str], prompt: str) -> None:
    texts = [text.replace("\r", "") for text in texts]  # answers are stored with LF line ends
    _, reader = render(texts, prompt)
    assert reader.answers == texts
    assert reader.tags <= TEMPLATE_TAGS, reader.tags - TEMPLATE_TAGS


def test_template_syntax_and_markup_in_answers_stay_literal() -> None:
    texts = ["{{ 7*7 }}", "{% raw %}", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a\nb\n\nc"]
    page, reader = render(texts)
    assert reader.answers == texts
    assert "49" not in page and "<script>" not in page.split("</style>", 1)[1]


def test_a_chart_is_inline_svg_with_a_title_and_no_outside_reference() -> None:
    from bot.domain.report.charts import chart_svg

    svg = chart_svg(weekly_chart("Answers per week", "answers", [1, 2, 3], Answers=["12", "<5", "hidden"]))
    assert svg.startswith('<svg role="img" aria-label="Answers per week" ')
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert 'href="http' not in svg and "url(http" not in svg and "<image" not in svg
    assert ">&lt;5<" in svg and ">hidden<" in svg  # suppressed figures are written where their bar would be
