"""Figures the report adds to /stats': late answers and form against thread per week, counts per prompt."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database


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
            "SELECT s.week, SUM(a.late) AS late, SUM(a.source = 'modal') AS form, SUM(a.source = 'thread') AS thread "
            "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id "
            "WHERE a.community_id = ? GROUP BY s.week",
            (community_id,),
        )
        return {row["week"]: WeekAnswerKinds(row["late"], row["form"], row["thread"]) for row in rows}

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
        rows = await self._db.fetchall(sql + " GROUP BY s.week, p.position", params)
        return [PromptFigures(row["week"], row["position"], row["answers"], row["contributors"]) for row in rows]
