"""Participation counts for /stats: raw figures, read in a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.engine import Database


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """One session's raw figures. Show them only after suppression (bot.services.stats)."""

    week: int
    title: str
    answers: int = 0
    contributors: int = 0  # distinct members who answered
    threads_open: int = 0
    threads_closed: int = 0
    channel_reminders_sent: int = 0
    channel_reminders_failed: int = 0
    dm_reminders_sent: int = 0
    dm_reminders_failed: int = 0
    dm_recipients: int = 0  # distinct members DMed a reminder for this session, sent or failed


@dataclass(frozen=True, slots=True)
class ServerCounts:
    weeks: tuple[WeekCounts, ...]  # by week number
    answers: int
    contributors: int  # distinct members over the whole programme
    dm_subscribers: int


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def counts(self, community_id: int) -> ServerCounts:
        sessions = await self._db.fetchall(
            "SELECT id, week, title FROM sessions WHERE community_id = ? ORDER BY week", (community_id,)
        )
        figures: dict[int, dict[str, int]] = {row["id"]: {} for row in sessions}

        answers = await self._db.fetchall(
            "SELECT p.session_id, COUNT(*) AS answers, COUNT(DISTINCT a.user_id) AS contributors "
            "FROM answers a JOIN prompts p ON p.id = a.prompt_id WHERE a.community_id = ? GROUP BY p.session_id",
            (community_id,),
        )
        for row in answers:
            figures[row["session_id"]] |= {"answers": row["answers"], "contributors": row["contributors"]}

        threads = await self._db.fetchall(
            "SELECT p.session_id, t.state, COUNT(*) AS n FROM prompt_threads t JOIN prompts p ON p.id = t.prompt_id "
            "WHERE t.community_id = ? GROUP BY p.session_id, t.state",
            (community_id,),
        )
        for row in threads:
            figures[row["session_id"]][f"threads_{row['state']}"] = row["n"]

        reminders = await self._db.fetchall(
            "SELECT session_id, target_kind, state, COUNT(*) AS n "
            "FROM reminder_deliveries WHERE community_id = ? AND state IN ('sent', 'undeliverable') "
            "GROUP BY session_id, target_kind, state",
            (community_id,),
        )
        for row in reminders:
            outcome = "sent" if row["state"] == "sent" else "failed"
            if row["session_id"] in figures:
                figures[row["session_id"]][f"{row['target_kind']}_reminders_{outcome}"] = row["n"]
        recipients = await self._db.fetchall(
            "SELECT session_id, COUNT(DISTINCT target_id) AS n FROM reminder_deliveries "
            "WHERE community_id = ? AND target_kind = 'dm' AND state IN ('sent', 'undeliverable') GROUP BY session_id",
            (community_id,),
        )
        for row in recipients:
            if row["session_id"] in figures:
                figures[row["session_id"]]["dm_recipients"] = row["n"]

        totals = await self._db.fetchone(
            "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM answers WHERE community_id = ?", (community_id,)
        )
        subscribers = await self._db.fetchone(
            "SELECT COUNT(*) FROM dm_subscriptions WHERE community_id = ?", (community_id,)
        )
        return ServerCounts(
            weeks=tuple(WeekCounts(week=row["week"], title=row["title"], **figures[row["id"]]) for row in sessions),
            answers=int(totals[0]) if totals else 0,
            contributors=int(totals[1]) if totals else 0,
            dm_subscribers=int(subscribers[0]) if subscribers else 0,
        )
