"""Everything stored about one member, across tables: to show it to them, and to erase it.

Tables holding a member's data: answers (with answer_versions), consents, dm_subscriptions, dm_opt_outs,
event_interest, and the reminder_deliveries rows of DMs sent to them (target_kind 'dm', target_id = their user
id). When a table gains a column that identifies a member, it belongs in ``erase`` too.

``erase`` leaves one row behind in ``erasures``: a keyed pseudonym of the member (not their id) and the time, so
that their thread messages, still on the platform, are not recorded again (storage/erasures.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.member_data import DataSection, ErasureReport, MemberData, ReminderDelivery
from bot.storage.answers import AnswerRepository, ConsentRepository
from bot.storage.codec import from_db_time, to_db_time
from bot.storage.engine import Connection, Database, in_chunks, placeholders
from bot.storage.erasures import ErasureRecords

log = logging.getLogger(__name__)


class MemberDataPart(Protocol):
    """A feature's own tables of member data (deliberation), joined to /mydata: shown, exported and erased with
    the rest, in the same transaction."""

    async def section(self, conn: Connection, community_id: int, user_id: int) -> DataSection | None: ...

    async def erase(self, conn: Connection, community_id: int, user_id: int) -> None: ...


def default_parts(db: Database) -> list[MemberDataPart]:
    from bot.storage.deliberation import DeliberationMemberData

    return [DeliberationMemberData(db)]


class MemberDataRepository:
    def __init__(self, db: Database, parts: Sequence[MemberDataPart] | None = None) -> None:
        self._db = db
        self._parts = list(parts) if parts is not None else default_parts(db)
        self._erasures = ErasureRecords(db)

    async def _sections(self, conn: Connection, community_id: int, user_id: int) -> tuple[DataSection, ...]:
        found = [await part.section(conn, community_id, user_id) for part in self._parts]
        return tuple(section for section in found if section is not None)

    async def load(self, community_id: int, user_id: int) -> MemberData:
        """All of it, read in one transaction so the parts agree with each other."""
        async with self._db.transaction() as conn:
            answers = await AnswerRepository(self._db, conn).member_answers(community_id, user_id)
            consented_at = await ConsentRepository(self._db, conn).consented_at(community_id, user_id)
            subscription = await conn.fetchall(
                "SELECT subscribed_at FROM dm_subscriptions WHERE community_id = ? AND user_id = ?",
                (community_id, user_id),
            )
            deliveries = await conn.fetchall(
                "SELECT s.week, d.due_at, d.state FROM reminder_deliveries d JOIN sessions s ON s.id = d.session_id "
                "WHERE d.community_id = ? AND d.target_kind = 'dm' AND d.target_id = ? ORDER BY d.due_at, d.id",
                (community_id, user_id),
            )
            opt_out = await conn.fetchall(
                "SELECT opted_out_at FROM dm_opt_outs WHERE community_id = ? AND user_id = ?", (community_id, user_id)
            )
            interest = await conn.fetchall(
                "SELECT e.week FROM event_interest i JOIN session_events e ON e.event_id = i.event_id "
                "WHERE i.community_id = ? AND i.user_id = ? ORDER BY e.week",
                (community_id, user_id),
            )
            sections = await self._sections(conn, community_id, user_id)
        return MemberData(
            community_id=community_id,
            user_id=user_id,
            consented_at=consented_at,
            answers=tuple(answers),
            dm_subscribed_at=from_db_time(subscription[0]["subscribed_at"]) if subscription else None,
            dm_reminders=tuple(ReminderDelivery(r["week"], from_db_time(r["due_at"]), r["state"]) for r in deliveries),
            interested_weeks=tuple(r["week"] for r in interest),
            dm_opted_out_at=from_db_time(opt_out[0]["opted_out_at"]) if opt_out else None,
            sections=sections,
        )

    async def erased_among(self, community_id: int, user_ids: Iterable[int]) -> frozenset[int]:
        """The members among ``user_ids`` whose data in the community was erased (all of them once retention deleted
        the community's data): what Discord still shows of them from before is never recorded again."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return frozenset()
        members = await self._erasures.member_keys(community_id, wanted)
        keys = sorted(members)
        async with self._db.transaction() as conn:
            if await conn.fetchone("SELECT 1 FROM retention_cutoffs WHERE community_id = ?", (community_id,)):
                return frozenset(wanted)
            found: set[int] = set()
            for batch in in_chunks(keys):
                rows = await conn.fetchall(
                    f"SELECT member_key FROM erasures WHERE community_id = ? AND member_key IN ({placeholders(batch)})",
                    (community_id, *batch),
                )
                found.update(members[str(row[0])] for row in rows)
        return frozenset(found)

    async def communities_of(self, user_id: int) -> list[int]:
        """Every community holding some of the member's data, the ones the bot (or the member) left included:
        they keep it until their grace period ends (or retention deletes it)."""
        rows = await self._db.fetchall(
            "SELECT community_id FROM answers WHERE user_id = ? "
            "UNION SELECT community_id FROM consents WHERE user_id = ? "
            "UNION SELECT community_id FROM dm_subscriptions WHERE user_id = ? "
            "UNION SELECT community_id FROM reminder_deliveries WHERE target_kind = 'dm' AND target_id = ? "
            "UNION SELECT community_id FROM event_interest WHERE user_id = ? "
            "UNION SELECT community_id FROM dm_opt_outs WHERE user_id = ? "
            "UNION SELECT c.community_id FROM deliberation_participants p "
            "JOIN conversations c ON c.id = p.conversation_id WHERE p.user_id = ? "
            "ORDER BY 1",
            (user_id,) * 7,
        )
        return [int(row[0]) for row in rows]

    async def summary(self, community_id: int, user_id: int) -> ErasureReport:
        """What ``erase`` would remove now."""
        async with self._db.transaction() as conn:
            return await self._count(conn, community_id, user_id)

    async def erase(self, community_id: int, user_id: int, *, at: datetime) -> ErasureReport:
        """Delete every row about the member in one transaction; returns what was deleted.

        Then ``Database.scrub`` makes the deleted text gone from the files and checks it worked: only then does
        this return. (SQLite: secure_delete overwrote the freed content; scrub waits for (or stops) exports and
        backups still reading an older snapshot, then checkpoints and truncates the write-ahead log, which still
        holds the old pages.)
        """
        member_key = await self._erasures.member_key(community_id, user_id)  # before the transaction: may write
        async with self._db.transaction() as conn:
            report = await self._count(conn, community_id, user_id)
            # answer_versions go with their answers (ON DELETE CASCADE).
            await conn.execute("DELETE FROM answers WHERE community_id = ? AND user_id = ?", (community_id, user_id))
            await conn.execute("DELETE FROM consents WHERE community_id = ? AND user_id = ?", (community_id, user_id))
            await conn.execute(
                "DELETE FROM dm_subscriptions WHERE community_id = ? AND user_id = ?", (community_id, user_id)
            )
            await conn.execute(
                "DELETE FROM reminder_deliveries WHERE community_id = ? AND target_kind = 'dm' AND target_id = ?",
                (community_id, user_id),
            )
            await conn.execute(
                "DELETE FROM event_interest WHERE community_id = ? AND user_id = ?", (community_id, user_id)
            )
            await conn.execute(
                "DELETE FROM dm_opt_outs WHERE community_id = ? AND user_id = ?", (community_id, user_id)
            )
            for part in self._parts:
                await part.erase(conn, community_id, user_id)
            # The tombstone: the member's pseudonym and a time only, the minimum that keeps the thread catch-up
            # (and edits) from recording the member's old messages, still on the platform, all over again.
            await conn.execute(
                "INSERT INTO erasures (community_id, member_key, erased_at) VALUES (?, ?, ?) "
                "ON CONFLICT (community_id, member_key) DO UPDATE SET erased_at = "
                f"{self._db.dialect.larger('erasures.erased_at', 'excluded.erased_at')}",
                (community_id, member_key, to_db_time(at)),
            )
        # Always, even with nothing left to delete: a retry after an incomplete scrub must finish the job.
        await self._db.scrub()
        return report

    async def _count(self, conn: Connection, community_id: int, user_id: int) -> ErasureReport:
        # Positional parameters only (both engines): the member's (server, user) pair once per count.
        row = await conn.fetchone(
            "SELECT "
            "(SELECT COUNT(*) FROM answers WHERE community_id = ? AND user_id = ?) AS answers, "
            "(SELECT COUNT(*) FROM answer_versions v JOIN answers a ON a.id = v.answer_id "
            " WHERE a.community_id = ? AND a.user_id = ?) AS versions, "
            "(SELECT COUNT(*) FROM consents WHERE community_id = ? AND user_id = ?) AS consents, "
            "(SELECT COUNT(*) FROM dm_subscriptions WHERE community_id = ? AND user_id = ?) AS subscriptions, "
            "(SELECT COUNT(*) FROM reminder_deliveries WHERE community_id = ? AND target_kind = 'dm' "
            " AND target_id = ?) AS deliveries, "
            "(SELECT COUNT(*) FROM event_interest WHERE community_id = ? AND user_id = ?) AS interest, "
            "(SELECT COUNT(*) FROM dm_opt_outs WHERE community_id = ? AND user_id = ?) AS opt_outs",
            (community_id, user_id) * 7,
        )
        assert row is not None  # a SELECT without FROM always has its one row
        sections = await self._sections(conn, community_id, user_id)
        return ErasureReport(
            answers=row["answers"],
            versions=row["versions"],
            consent=row["consents"] > 0,
            dm_subscription=row["subscriptions"] > 0,
            dm_reminders=row["deliveries"],
            interest=row["interest"],
            dm_opt_out=row["opt_outs"] > 0,
            other=tuple(item for section in sections for item in section.items),
        )


async def truncate_wal(db: Database) -> bool:
    """Wipe deleted rows from the files (SQLite: checkpoint and truncate the write-ahead log), so deleted text is
    not left in them.

    For deletions that no one waits on (retention): returns False if a reader kept it from completing; the log
    is then cleared at a later checkpoint. An erasure uses ``Database.scrub``, which waits for readers.
    """
    completed = await db.try_scrub()
    if not completed:
        log.warning("the write-ahead log could not be truncated after deleting data; a later checkpoint will")
    return completed
