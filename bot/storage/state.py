"""Small bot-wide values in bot_state (the last command sync's hash, a generated export secret)."""

from __future__ import annotations

from bot.storage.engine import Database


class StateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        row = await self._db.fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def set(self, key: str, value: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def get_or_create(self, key: str, make: str) -> str:
        """The stored value, or ``make`` stored now; atomic, so two callers agree on one value."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, make)
            )
            row = await conn.fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        assert row is not None
        return str(row["value"])

    async def keys(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix``, in order."""
        rows = await self._db.fetchall(
            "SELECT key FROM bot_state WHERE substr(key, 1, ?) = ? ORDER BY key", (len(prefix), prefix)
        )
        return [str(row["key"]) for row in rows]

    async def delete(self, key: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM bot_state WHERE key = ?", (key,))
