"""Figures the report adds to /stats': late answers and form against thread per week, counts per prompt."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.engine import Database


@dataclass(frozen=True, slots=True)
class WeekAnswerKinds:
    """One week's raw answer counts by kind. Show them only after suppression (bot.services.report)."""

    late: int = 0
    form: int = 0
    thread: int = 0


@dataclass(frozen=True, slots=True)
class PromptFigures:
    week: int
    number: int
    answers: int
    contributors: int


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def answer_kinds(self, community_id: int) -> dict[int, WeekAnswerKinds]:
        """By week number."""
        rows = await self._db.fetchall(
            # CASE, not SUM(a.source = 'modal'): PostgreSQL does not add up booleans.
            "SELECT s.week, SUM(a.late) AS late, SUM(CASE WHEN a.source = 'modal' THEN 1 ELSE 0 END) AS form, "
            "SUM(CASE WHEN a.source = 'thread' THEN 1 ELSE 0 END) AS thread "
            "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id "
            "WHERE a.community_id = ? GROUP BY s.week",
            (community_id,),
        )
        # int(): PostgreSQL's SUM is a bigint or numeric, SQLite's an int.
        return {row["week"]: WeekAnswerKinds(int(row["late"]), int(row["form"]), int(row["thread"])) for row in rows}

    async def prompt_figures(self, community_id: int, week: int | None = None) -> list[PromptFigures]:
        sql = (
            "SELECT s.week, p.position, COUNT(*) AS answers, COUNT(DISTINCT a.user_id) AS contributors "
            "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id "
            "WHERE a.community_id = ?"
        )
        params: tuple[int, ...] = (community_id,)
        if week is not None:
            sql += " AND s.week = ?"
            params += (week,)
        # In order: PostgreSQL's grouping does not sort as SQLite's does.
        rows = await self._db.fetchall(sql + " GROUP BY s.week, p.position ORDER BY s.week, p.position", params)
        return [PromptFigures(row["week"], row["position"], row["answers"], row["contributors"]) for row in rows]
