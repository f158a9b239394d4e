"""Small writes of the organiser commands that belong to no other table's owner."""

from __future__ import annotations

from bot.storage.database import Database


class OrganiserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def set_week_meeting_link(self, guild_id: int, week: int, link: str | None) -> bool:
        """Set (or with None clear) one week's meeting link; False if the server has no such week.

        The revision goes up, as for any change to a session, so calendar apps pick up the new link.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET meeting_link = ?, revision = revision + 1 WHERE guild_id = ? AND week = ?",
                (link, guild_id, week),
            )
            return cursor.rowcount == 1
