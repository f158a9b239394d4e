"""Reading answers for export (as plain tuples, in the export's worker thread), and the export_audit table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from bot.domain.exports import ExportAuditEntry, StoredAnswer
from bot.storage.codec import from_db_time, to_db_time
from bot.storage.engine import Database, Row

_SCOPE = (
    "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id "
    "WHERE a.community_id = ?"
)


def _scope(community_id: int, week: int | None) -> tuple[str, tuple[int, ...]]:
    if week is None:
        return _SCOPE, (community_id,)
    return f"{_SCOPE} AND s.week = ?", (community_id, week)


def _audit_entry(row: Row) -> ExportAuditEntry:
    return ExportAuditEntry(
        id=row["id"],
        community_id=row["community_id"],
        actor_id=row["actor_id"],
        created_at=from_db_time(row["created_at"]),
        week=row["week"],
        format=row["format"],
        identities=row["identities"],
        row_count=row["row_count"],
        cli_user=row["cli_user"],
        kind=row["kind"],
    )


class ExportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    @contextlib.contextmanager
    def stored_answers(self, community_id: int, week: int | None = None) -> Iterator[Iterator[StoredAnswer]]:
        """The server's answers (one week's, or all) by week, prompt and time, as ``StoredAnswer`` tuples.

        Worker threads only: the export's thread steps the query itself (``Database.rows_in_thread``), one row
        at a time, with nothing crossing to the event loop per batch. One SELECT, so one consistent snapshot.
        """
        scope, params = _scope(community_id, week)
        sql = (
            "SELECT s.week, s.title, p.position, p.text, a.user_id, a.text, a.source, a.created_at, a.updated_at, "
            f"a.late {scope} ORDER BY s.week, p.position, a.created_at, a.id"
        )
        with self._db.rows_in_thread(sql, params) as rows:
            yield rows  # the SELECT's columns are StoredAnswer's fields, in order

    async def count(self, community_id: int, week: int | None = None) -> int:
        scope, params = _scope(community_id, week)
        row = await self._db.fetchone(f"SELECT COUNT(*) {scope}", params)
        return int(row[0]) if row else 0

    async def member_ids(self, community_id: int, week: int | None = None) -> list[int]:
        """The distinct members with answers in scope (as many as took part, not as many as answers)."""
        scope, params = _scope(community_id, week)
        rows = await self._db.fetchall(f"SELECT DISTINCT a.user_id {scope} ORDER BY a.user_id", params)
        return [int(row[0]) for row in rows]

    async def record(
        self,
        *,
        community_id: int,
        actor_id: int | None,
        created_at: datetime,
        week: int | None,
        format: str,
        identities: str,
        row_count: int,
        cli_user: str | None = None,
        kind: str = "answers",
    ) -> ExportAuditEntry:
        async with self._db.transaction() as conn:
            audit_id = await conn.fetchval(
                "INSERT INTO export_audit "
                "(community_id, actor_id, cli_user, created_at, week, format, identities, row_count, kind) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (community_id, actor_id, cli_user, to_db_time(created_at), week, format, identities, row_count, kind),
            )
        return ExportAuditEntry(
            int(audit_id),
            community_id,
            actor_id,
            created_at,
            week,
            format,
            identities,
            row_count,
            cli_user=cli_user,
            kind=kind,
        )

    async def audit(self, community_id: int, *, limit: int) -> list[ExportAuditEntry]:
        """The newest ``limit`` entries, newest first."""
        rows = await self._db.fetchall(
            "SELECT id, community_id, actor_id, cli_user, created_at, week, format, identities, row_count, kind "
            "FROM export_audit "
            "WHERE community_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (community_id, limit),
        )
        return [_audit_entry(row) for row in rows]

    async def audit_count(self, community_id: int) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM export_audit WHERE community_id = ?", (community_id,))
        return int(row[0]) if row else 0
