"""The session_events, event_interest and dm_opt_outs tables (migration 0009).

Interest rows name members (who clicked Interested on a session's event): personal data, shown by /mydata,
deleted by erasure (storage/members.py) and by retention (storage/retention.py), never in an export.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.session_events import StoredEvent
from bot.storage.codec import to_db_time
from bot.storage.engine import Database


class SessionEventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- the event of each session ---------------------------------------------------------------------

    async def stored(self, community_id: int) -> list[StoredEvent]:
        found = await self._db.fetchall(
            "SELECT week, event_id, fingerprint FROM session_events WHERE community_id = ? ORDER BY week",
            (community_id,),
        )
        return [StoredEvent(r["week"], r["event_id"], r["fingerprint"]) for r in found]

    async def save(self, community_id: int, week: int, event_id: int, fingerprint: str, now: datetime) -> None:
        async with self._db.transaction() as conn:
            # A new event for the week (the old one was deleted by hand): who was interested in the old one goes.
            await conn.execute(
                "DELETE FROM event_interest WHERE event_id IN "
                "(SELECT event_id FROM session_events WHERE community_id = ? AND week = ? AND event_id != ?)",
                (community_id, week, event_id),
            )
            await conn.execute(
                "INSERT INTO session_events (community_id, week, event_id, fingerprint, updated_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (community_id, week) DO UPDATE SET event_id = excluded.event_id, "
                "fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
                (community_id, week, event_id, fingerprint, to_db_time(now)),
            )

    async def forget(self, community_id: int, week: int) -> None:
        """The week's event is gone: its id, and who was interested in it, go too."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM event_interest WHERE event_id IN "
                "(SELECT event_id FROM session_events WHERE community_id = ? AND week = ?)",
                (community_id, week),
            )
            await conn.execute("DELETE FROM session_events WHERE community_id = ? AND week = ?", (community_id, week))

    async def event_of_week(self, community_id: int, week: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT event_id FROM session_events WHERE community_id = ? AND week = ?", (community_id, week)
        )
        return int(row["event_id"]) if row else None

    async def is_known(self, community_id: int, event_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM session_events WHERE community_id = ? AND event_id = ?", (community_id, event_id)
        )
        return row is not None

    # --- interest --------------------------------------------------------------------------------------

    async def mark(self, community_id: int, event_id: int, user_id: int, now: datetime) -> bool:
        """Record that a member is interested in one of the bot's events (others are not recorded)."""
        async with self._db.transaction() as conn:
            inserted = await conn.execute(
                # CAST: PostgreSQL cannot tell the type of a bare parameter in a SELECT list.
                "INSERT INTO event_interest (community_id, event_id, user_id, marked_at) "
                "SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT) "
                "WHERE EXISTS (SELECT 1 FROM session_events WHERE community_id = ? AND event_id = ?) "
                "ON CONFLICT (event_id, user_id) DO NOTHING",
                (community_id, event_id, user_id, to_db_time(now), community_id, event_id),
            )
            return inserted > 0

    async def unmark(self, community_id: int, event_id: int, user_id: int) -> bool:
        async with self._db.transaction() as conn:
            return (
                await conn.execute(
                    "DELETE FROM event_interest WHERE community_id = ? AND event_id = ? AND user_id = ?",
                    (community_id, event_id, user_id),
                )
                > 0
            )

    async def replace_interest(
        self,
        community_id: int,
        event_id: int,
        user_ids: Iterable[int],
        now: datetime,
        *,
        never_add: Iterable[int] = (),
    ) -> int:
        """The event's users as Discord lists them now (the catch-up); returns how many changed.

        ``never_add``: members whose interest is not written back (they erased their data); a row they made by a
        click since then stays while Discord still lists them.
        """
        wanted = set(user_ids)
        async with self._db.transaction() as conn:
            found = await conn.fetchall(
                "SELECT user_id FROM event_interest WHERE community_id = ? AND event_id = ?", (community_id, event_id)
            )
            have = {row[0] for row in found}
            wanted -= set(never_add) - have
            await conn.executemany(
                "DELETE FROM event_interest WHERE event_id = ? AND user_id = ?",
                [(event_id, u) for u in have - wanted],
            )
            await conn.executemany(
                "INSERT INTO event_interest (community_id, event_id, user_id, marked_at) VALUES (?, ?, ?, ?)",
                [(community_id, event_id, u, to_db_time(now)) for u in sorted(wanted - have)],
            )
        return len(have ^ wanted)

    async def interested_count(self, community_id: int, week: int) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM event_interest i JOIN session_events e ON e.event_id = i.event_id "
            "WHERE e.community_id = ? AND e.week = ?",
            (community_id, week),
        )
        return int(row[0]) if row else 0

    async def interested_by_week(self, community_id: int) -> dict[int, int]:
        found = await self._db.fetchall(
            "SELECT e.week, COUNT(i.user_id) AS n FROM session_events e "
            "JOIN event_interest i ON i.event_id = e.event_id WHERE e.community_id = ? GROUP BY e.week",
            (community_id,),
        )
        return {r["week"]: r["n"] for r in found}

    async def delete_community_interest(self, community_id: int) -> int:
        async with self._db.transaction() as conn:
            return await conn.execute("DELETE FROM event_interest WHERE community_id = ?", (community_id,))

    # --- DMs turned off --------------------------------------------------------------------------------

    async def set_opted_out(self, community_id: int, user_id: int, opted_out: bool, now: datetime) -> None:
        async with self._db.transaction() as conn:
            if opted_out:
                await conn.execute(
                    "INSERT INTO dm_opt_outs (community_id, user_id, opted_out_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (community_id, user_id) DO NOTHING",
                    (community_id, user_id, to_db_time(now)),
                )
            else:
                await conn.execute(
                    "DELETE FROM dm_opt_outs WHERE community_id = ? AND user_id = ?", (community_id, user_id)
                )
