"""Participation figures as text, for ``stats`` on every front end: composed once here (Discord's markdown; the
Slack front end renders it), with small counts already suppressed by the stats service. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bot.domain.stats import HIDDEN

Escape = Callable[[str], str]


def _no_escape(text: str) -> str:
    return text


class WeekFiguresText(Protocol):
    """One week's figures, as text (the stats service's WeekFigures)."""

    @property
    def week(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def answers(self) -> str: ...
    @property
    def contributors(self) -> str: ...
    @property
    def threads_open(self) -> str: ...
    @property
    def threads_closed(self) -> str: ...
    @property
    def reminders_posted(self) -> str: ...
    @property
    def reminders_post_failed(self) -> str: ...
    @property
    def dm_reminders_sent(self) -> str: ...
    @property
    def dm_reminders_failed(self) -> str: ...
    @property
    def interested(self) -> str | None: ...


class StatsText(Protocol):
    """The whole programme's figures (the stats service's StatsReport)."""

    @property
    def weeks(self) -> Sequence[WeekFiguresText]: ...
    @property
    def answers(self) -> str: ...
    @property
    def contributors(self) -> str: ...
    @property
    def dm_subscribers(self) -> str: ...
    @property
    def threshold(self) -> int: ...


def _figure(value: str, noun: str) -> str:
    return f"{value} {noun}" if value != HIDDEN else f"{noun} hidden"


def week_stats_lines(week: WeekFiguresText, *, escape: Escape = _no_escape) -> list[str]:
    answers = "answers hidden" if week.answers == HIDDEN else f"{week.answers} answers"
    dms = (
        "DMs hidden"
        if week.dm_reminders_sent == HIDDEN
        else f"DMs {week.dm_reminders_sent} sent, {week.dm_reminders_failed} failed"
    )
    return [
        f"**Week {week.week} · {escape(week.title)}**",
        f"{answers} from {week.contributors} members · threads {week.threads_open} open, "
        f"{week.threads_closed} closed · reminders {week.reminders_posted} posted, {week.reminders_post_failed} failed"
        f" · {dms}" + ("" if week.interested is None else f" · Interested in the event: {week.interested}"),
    ]


def stats_lines(report: StatsText, *, escape: Escape = _no_escape) -> list[str]:
    lines = [
        f"**Whole programme:** {_figure(report.answers, 'answers')} from {report.contributors} members · "
        f"DM subscribers: {report.dm_subscribers}",
        "",
    ]
    for week in report.weeks:
        lines += week_stats_lines(week, escape=escape)
    return lines


def stats_footer(threshold: int) -> str:
    """What the suppression means, under the figures."""
    return (
        f"Counts of 1 to {threshold - 1} members show as <{threshold}; a week's answers (and DM counts) are hidden "
        f"when fewer than {threshold} members took part."
    )
