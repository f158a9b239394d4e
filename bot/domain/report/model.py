"""What a report shows, as built by bot.services.report and rendered by bot.domain.report.html.

Every figure here is already text as people may see it (small counts suppressed). Answers come lazily:
``WeekAnswers.prompts`` and ``PromptAnswers.answers`` are iterators over one database query, consumed once,
in order, while the HTML is written, so a report of 100,000 answers holds one answer in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.deliberation.display import ShownResults
from bot.domain.exports import MemberLabel, StoredAnswer, utc_text
from bot.domain.programme import ProgrammeRecord
from bot.domain.report.charts import Chart
from bot.domain.stats import display_count


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One row of the programme overview."""

    week: int
    title: str
    when: str  # local date and time, with the zone
    prompts: int
    answers: str
    contributors: str


@dataclass(frozen=True, slots=True)
class AnswerItem:
    member: str  # the pseudonym
    text: str
    source: str  # "form" or "thread"
    created: str  # ISO-8601 UTC
    edited: str | None
    late: bool


@dataclass(frozen=True, slots=True)
class PromptCounts:
    """A prompt's raw figures (suppressed by ``PromptAnswers.shown``)."""

    answers: int = 0
    contributors: int = 0


@dataclass(slots=True)
class PromptAnswers:
    number: int
    text: str
    answers_shown: str  # "12", "0" or "hidden"
    contributors_shown: str  # "12", "0" or "<5"
    withheld: bool  # fewer than the threshold of members answered: the answers are not shown
    answers: Iterator[AnswerItem]


@dataclass(slots=True)
class WeekAnswers:
    week: int
    title: str
    prompts: Iterator[PromptAnswers]


@dataclass(frozen=True, slots=True)
class DeliberationReport:
    """One conversation in the report: its results as they may be shown, and its opinion map (our own SVG)."""

    name: str  # "conversation 2"
    week: int | None
    prompt: str
    state: str  # "open" or "closed"
    results: ShownResults
    map_svg: str | None  # None while there are no groups


@dataclass(frozen=True, slots=True)
class ReportModel:
    title: str
    generated: str  # ISO-8601 UTC
    timezone: str
    scope: str  # "All weeks" or "Week 3: Title"
    threshold: int
    totals: tuple[tuple[str, str], ...]  # (label, figure)
    sessions: tuple[SessionLine, ...]
    charts: tuple[Chart, ...]
    weeks: Iterator[WeekAnswers]
    deliberations: tuple[DeliberationReport, ...] = ()


def answer_sections(
    programme: ProgrammeRecord,
    answers: Iterable[StoredAnswer],
    labels: MemberLabel,
    counts: Mapping[tuple[int, int], PromptCounts],
    *,
    week: int | None,
    threshold: int,
) -> Iterator[WeekAnswers]:
    """Every week (or the one asked for) and every prompt, each with its answers from ``answers``.

    ``answers`` must come ordered by week, prompt and time (``ExportRepository.stored_answers``); prompts
    without answers are there too, with none. Answers to a prompt fewer than ``threshold`` members answered
    are skipped, not shown: with a handful of members, who wrote what can be worked out.
    """
    stream = _Peekable(iter(answers))
    for session in sorted(programme.sessions, key=lambda s: s.week):
        if week is not None and session.week != week:
            continue
        prompts = [(session.week, p.number, p.text) for p in session.prompts]
        yield WeekAnswers(session.week, session.title, _prompts(prompts, stream, labels, counts, threshold))


def _prompts(
    prompts: Sequence[tuple[int, int, str]],
    stream: _Peekable,
    labels: MemberLabel,
    counts: Mapping[tuple[int, int], PromptCounts],
    threshold: int,
) -> Iterator[PromptAnswers]:
    for week, number, text in prompts:
        figures = counts.get((week, number), PromptCounts())
        withheld = 0 < figures.contributors < threshold
        yield PromptAnswers(
            number=number,
            text=text,
            answers_shown="hidden" if withheld else display_count(figures.answers, threshold=threshold),
            contributors_shown=display_count(figures.contributors, threshold=threshold),
            withheld=withheld,
            answers=_answers(week, number, stream, labels, shown=not withheld),
        )


def _answers(week: int, number: int, stream: _Peekable, labels: MemberLabel, *, shown: bool) -> Iterator[AnswerItem]:
    stream.skip_before(week, number)
    while (answer := stream.take_if(week, number)) is not None:
        if not shown:
            continue
        _, _, _, _, user_id, text, source, created, updated, late = answer
        created_text = utc_text(created)
        edited = None if updated == created else utc_text(updated)
        yield AnswerItem(labels(user_id, source), text, "thread" if source == "thread" else "form", created_text,
                         edited, bool(late))  # fmt: skip


class _Peekable:
    """The ordered answer stream, taken from one prompt at a time (skipping any a prompt did not read)."""

    def __init__(self, answers: Iterator[StoredAnswer]) -> None:
        self._answers = answers
        self._next: StoredAnswer | None = next(answers, None)

    def skip_before(self, week: int, number: int) -> None:
        while self._next is not None and (self._next[0], self._next[2]) < (week, number):
            self._next = next(self._answers, None)

    def take_if(self, week: int, number: int) -> StoredAnswer | None:
        current = self._next
        if current is None or (current[0], current[2]) != (week, number):
            return None
        self._next = next(self._answers, None)
        return current


def local_time_text(moment: datetime, programme: ProgrammeRecord) -> str:
    local = moment.astimezone(programme.zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"
