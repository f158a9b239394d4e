"""What retention needs: which servers set a period, when their programme ends, and deleting answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.codec import optional_time, to_db_time
from bot.storage.engine import Database
from bot.storage.members import truncate_wal


@dataclass(frozen=True, slots=True)
class RetentionRecord:
    community_id: int
    retention: timedelta
    last_session_end: datetime | None  # None: no programme (or no sessions) yet
    warned_at: datetime | None


@dataclass(frozen=True, slots=True)
class RetentionDeletion:
    """What retention deleted in one server."""

    answers: int
    consents: int
    dm_subscriptions: int


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def servers_with_retention(self) -> list[RetentionRecord]:
        rows = await self._db.fetchall(
            "SELECT g.community_id, g.retention_days, g.retention_warned_at, "
            "(SELECT MAX(s.ends_at) FROM sessions s WHERE s.community_id = g.community_id) AS last_end "
            "FROM community_settings g WHERE g.retention_days IS NOT NULL ORDER BY g.community_id"
        )
        return [
            RetentionRecord(
                community_id=row["community_id"],
                retention=timedelta(days=row["retention_days"]),
                last_session_end=optional_time(row["last_end"]),
                warned_at=optional_time(row["retention_warned_at"]),
            )
            for row in rows
        ]

    async def load(self, community_id: int) -> RetentionRecord | None:
        return next((r for r in await self.servers_with_retention() if r.community_id == community_id), None)

    async def mark_warned(self, community_id: int, when: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE community_settings SET retention_warned_at = ? WHERE community_id = ?",
                (to_db_time(when), community_id),
            )

    async def answer_count(self, community_id: int) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM answers WHERE community_id = ?", (community_id,))
        return int(row[0]) if row else 0

    async def delete_answers(self, community_id: int, *, created_before: datetime) -> RetentionDeletion:
        """Delete the server's answers created before ``created_before``, and what goes with them, in one
        transaction; then wipe them from the files (``Database.try_scrub``).

        With the answers go: their earlier versions (ON DELETE CASCADE); the consents of members left with no
        answer; the DM subscriptions and the history of DM reminders due before then (each row names a member
        who asked for DMs; retention only runs after the last session, so no reminder is left to send). The
        prompt threads stop collecting, and ``retention_cutoffs`` keeps any message posted until now from being
        recorded again, by the catch-up after a restart or in a thread a facilitator re-opens: it is still on
        Discord. The members' erasure tombstones that this covers are no longer needed and go too.
        """
        cutoff = to_db_time(created_before)
        async with self._db.transaction() as conn:
            answers = await conn.execute(
                "DELETE FROM answers WHERE community_id = ? AND created_at < ?", (community_id, cutoff)
            )
            consents = await conn.execute(
                "DELETE FROM consents WHERE community_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM answers a WHERE a.community_id = consents.community_id "
                "AND a.user_id = consents.user_id)",
                (community_id,),
            )
            subscriptions = await conn.execute("DELETE FROM dm_subscriptions WHERE community_id = ?", (community_id,))
            # Who was interested in the sessions' events names members too; the events are all over by now.
            await conn.execute("DELETE FROM event_interest WHERE community_id = ?", (community_id,))
            # Deliberations opened before then go whole: their statements, votes and participants (ON DELETE CASCADE).
            conversations = await conn.execute(
                "DELETE FROM conversations WHERE community_id = ? AND created_at < ?", (community_id, cutoff)
            )
            await conn.execute(
                "DELETE FROM reminder_deliveries WHERE community_id = ? AND target_kind = 'dm' AND due_at < ? "
                "AND state IN ('sent', 'undeliverable', 'skipped')",
                (community_id, cutoff),
            )
            await conn.execute("UPDATE prompt_threads SET collect_replies = 0 WHERE community_id = ?", (community_id,))
            await conn.execute(
                "INSERT INTO retention_cutoffs (community_id, deleted_at) VALUES (?, ?) "
                "ON CONFLICT (community_id) DO UPDATE SET deleted_at = "
                f"{self._db.dialect.larger('retention_cutoffs.deleted_at', 'excluded.deleted_at')}",
                (community_id, cutoff),
            )
            await conn.execute("DELETE FROM erasures WHERE community_id = ? AND erased_at <= ?", (community_id, cutoff))
            deletion = RetentionDeletion(answers=answers, consents=consents, dm_subscriptions=subscriptions)
        if deletion.answers or deletion.consents or deletion.dm_subscriptions or conversations:
            await truncate_wal(self._db)
        return deletion
