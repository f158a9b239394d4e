"""Reading answers for export, a batch at a time, and the export_audit table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.exports import ExportAuditEntry
from bot.storage.codec import from_db_time, to_db_time
from bot.storage.database import Database

# Rows fetched from SQLite per round trip while streaming an export.
FETCH_BATCH = 500


@dataclass(frozen=True, slots=True)
class AnswerForExport:
    """One stored answer with the session and prompt it belongs to (the member only by Discord id)."""

    answer_id: int
    week: int
    session_title: str
    prompt_number: int
    prompt_text: str
    user_id: int
    text: str
    source: str
    created_at: datetime
    updated_at: datetime
    late: bool


_SCOPE = (
    "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id WHERE a.guild_id = ?"
)


def _scope(guild_id: int, week: int | None) -> tuple[str, tuple[int, ...]]:
    if week is None:
        return _SCOPE, (guild_id,)
    return f"{_SCOPE} AND s.week = ?", (guild_id, week)


def _audit_entry(row: aiosqlite.Row) -> ExportAuditEntry:
    return ExportAuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        actor_id=row["actor_id"],
        created_at=from_db_time(row["created_at"]),
        week=row["week"],
        format=row["format"],
        identities=row["identities"],
        row_count=row["row_count"],
        cli_user=row["cli_user"],
    )


class ExportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def answers(self, guild_id: int, week: int | None = None) -> AsyncIterator[AnswerForExport]:
        """The server's answers (one week's, or all), by week, prompt and time, fetched in batches.

        One SELECT from start to end: it reads a single consistent snapshot even while answers are written.
        """
        scope, params = _scope(guild_id, week)
        sql = (
            "SELECT a.id, s.week, s.title AS session_title, p.position, p.text AS prompt_text, a.user_id, a.text, "
            f"a.source, a.created_at, a.updated_at, a.late {scope} "
            "ORDER BY s.week, p.position, a.created_at, a.id"
        )
        async for row in self._db.iterate(sql, params, batch=FETCH_BATCH):
            yield AnswerForExport(
                answer_id=row["id"],
                week=row["week"],
                session_title=row["session_title"],
                prompt_number=row["position"],
                prompt_text=row["prompt_text"],
                user_id=row["user_id"],
                text=row["text"],
                source=row["source"],
                created_at=from_db_time(row["created_at"]),
                updated_at=from_db_time(row["updated_at"]),
                late=bool(row["late"]),
            )

    async def count(self, guild_id: int, week: int | None = None) -> int:
        scope, params = _scope(guild_id, week)
        row = await self._db.fetchone(f"SELECT COUNT(*) {scope}", params)
        return int(row[0]) if row else 0

    async def member_ids(self, guild_id: int, week: int | None = None) -> list[int]:
        """The distinct members with answers in scope (as many as took part, not as many as answers)."""
        scope, params = _scope(guild_id, week)
        rows = await self._db.fetchall(f"SELECT DISTINCT a.user_id {scope} ORDER BY a.user_id", params)
        return [int(row[0]) for row in rows]

    async def record(
        self,
        *,
        guild_id: int,
        actor_id: int | None,
        created_at: datetime,
        week: int | None,
        format: str,
        identities: str,
        row_count: int,
        cli_user: str | None = None,
    ) -> ExportAuditEntry:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO export_audit "
                "(guild_id, actor_id, cli_user, created_at, week, format, identities, row_count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, actor_id, cli_user, to_db_time(created_at), week, format, identities, row_count),
            )
            audit_id = cursor.lastrowid
        assert audit_id is not None
        return ExportAuditEntry(
            audit_id, guild_id, actor_id, created_at, week, format, identities, row_count, cli_user=cli_user
        )

    async def audit(self, guild_id: int, *, limit: int) -> list[ExportAuditEntry]:
        """The newest ``limit`` entries, newest first."""
        rows = await self._db.fetchall(
            "SELECT id, guild_id, actor_id, cli_user, created_at, week, format, identities, row_count "
            "FROM export_audit "
            "WHERE guild_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_audit_entry(row) for row in rows]

    async def audit_count(self, guild_id: int) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM export_audit WHERE guild_id = ?", (guild_id,))
        return int(row[0]) if row else 0
