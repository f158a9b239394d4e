"""Participation figures for organisers, with small counts suppressed before anything is shown.

What is suppressed, and why (threshold 5, bot.domain.stats):
- members who answered, and DM subscribers: 1 to 4 shows as "<5";
- a week's answer count is hidden when fewer than 5 members answered (it would tell how much each wrote),
  and thread counts follow bot.domain.stats' rule (a thread can belong to a single member);
- complementary suppression: the programme's answer total is the sum of the weeks', so a lone hidden week
  is joined by the smallest shown one (or the total is hidden): no hidden figure is total minus the rest;
- DM reminders: both counts are hidden when fewer than 5 members were DMed for that session (sent and
  failed DMs per member would give away who subscribed, or whose DMs are closed). Reminders posted in a
  channel concern no member and are shown as they are;
- members Interested in a week's Discord event: 1 to 4 shows as "<5" (who they are is never stored for
  an export: interest is only counted here).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.domain.stats import DEFAULT_THRESHOLD, HIDDEN, WeekStats, complementary_suppression, display_count
from bot.storage.engine import Database
from bot.storage.session_events import SessionEventRepository
from bot.storage.stats import StatsRepository, WeekCounts


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """One week as shown: every figure is text, already suppressed."""

    week: int
    title: str
    answers: str  # HIDDEN when fewer than the threshold of members answered
    contributors: str
    threads_open: str
    threads_closed: str
    reminders_posted: str
    reminders_post_failed: str
    dm_reminders_sent: str  # HIDDEN when fewer than the threshold of members were DMed
    dm_reminders_failed: str
    dm_recipients: str = "0"  # members DMed a reminder for the session ("<5" for 1 to 4)
    interested: str | None = None  # members Interested in the week's Discord event; None: it has none


@dataclass(frozen=True, slots=True)
class StatsReport:
    weeks: tuple[WeekFigures, ...]
    answers: str
    contributors: str
    dm_subscribers: str
    threshold: int


def week_figures(
    counts: WeekCounts, *, threshold: int = DEFAULT_THRESHOLD, interested: int | None = None
) -> WeekFigures:
    shown = WeekStats(
        week=counts.week,
        title=counts.title,
        answers=counts.answers,
        contributors=counts.contributors,
        threads_open=counts.threads_open,
        threads_closed=counts.threads_closed,
    ).displayed(threshold=threshold)
    few_dmed = 0 < counts.dm_recipients < threshold
    return WeekFigures(
        week=counts.week,
        title=counts.title,
        answers=shown.answers,
        contributors=shown.contributors,
        threads_open=shown.threads_open,
        threads_closed=shown.threads_closed,
        reminders_posted=str(counts.channel_reminders_sent),
        reminders_post_failed=str(counts.channel_reminders_failed),
        dm_reminders_sent=HIDDEN if few_dmed else str(counts.dm_reminders_sent),
        dm_reminders_failed=HIDDEN if few_dmed else str(counts.dm_reminders_failed),
        dm_recipients=display_count(counts.dm_recipients, threshold=threshold),
        interested=None if interested is None else display_count(interested, threshold=threshold),
    )


class StatsService:
    def __init__(self, db: Database, *, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.repository = StatsRepository(db)
        self.events = SessionEventRepository(db)
        self.threshold = threshold

    async def report(self, community_id: int) -> StatsReport:
        counts = await self.repository.counts(community_id)
        few = 0 < counts.contributors < self.threshold
        with_event = {row.week for row in await self.events.stored(community_id)}
        interested = await self.events.interested_by_week(community_id)
        weeks = [
            week_figures(
                week,
                threshold=self.threshold,
                interested=interested.get(week.week, 0) if week.week in with_event else None,
            )
            for week in counts.weeks
        ]
        # The programme-wide total is the sum of the weeks': a lone hidden week would be total minus the rest.
        hide_weeks, hide_total = complementary_suppression(
            [week.answers for week in counts.weeks], [figures.answers == HIDDEN for figures in weeks]
        )
        weeks = [
            dataclasses.replace(figures, answers=HIDDEN) if hide else figures
            for figures, hide in zip(weeks, hide_weeks, strict=True)
        ]
        return StatsReport(
            weeks=tuple(weeks),
            answers=HIDDEN if few or hide_total else display_count(counts.answers, threshold=self.threshold),
            contributors=display_count(counts.contributors, threshold=self.threshold),
            dm_subscribers=display_count(counts.dm_subscribers, threshold=self.threshold),
            threshold=self.threshold,
        )
