"""The community_settings table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.domain.reminders import format_offsets, parse_offsets
from bot.domain.server_settings import SETTING_NAMES, StoredServerSettings
from bot.storage.codec import to_db_time
from bot.storage.engine import Database, community_filters

_COLUMNS = {
    "reminder_channel_id": "reminder_channel_id",
    "reminder_offsets": "reminder_offsets",
    "ping_role_id": "ping_role_id",
    "facilitator_role_id": "facilitator_role_id",
    "organiser_role_id": "organiser_role_id",
    "discussion_channel_id": "discussion_channel_id",
    "meeting_link": "meeting_link",
    "answer_window": "answer_window_minutes",
    "retention": "retention_days",
    "events_enabled": "events_enabled",
    "remind_interested": "remind_interested",
}


def _to_column(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "reminder_offsets":
        return format_offsets(value)
    if name == "answer_window":
        return int(value.total_seconds() // 60)
    if name == "retention":
        return value.days
    if name in ("events_enabled", "remind_interested"):
        return int(bool(value))
    return value


def _from_row(row: Any) -> StoredServerSettings:
    offsets = row["reminder_offsets"]
    window = row["answer_window_minutes"]
    retention = row["retention_days"]
    return StoredServerSettings(
        reminder_channel_id=row["reminder_channel_id"],
        reminder_offsets=parse_offsets(offsets) if offsets else None,
        ping_role_id=row["ping_role_id"],
        facilitator_role_id=row["facilitator_role_id"],
        organiser_role_id=row["organiser_role_id"],
        discussion_channel_id=row["discussion_channel_id"],
        meeting_link=row["meeting_link"],
        answer_window=timedelta(minutes=window) if window is not None else None,
        retention=timedelta(days=retention) if retention is not None else None,
        events_enabled=None if row["events_enabled"] is None else bool(row["events_enabled"]),
        remind_interested=None if row["remind_interested"] is None else bool(row["remind_interested"]),
    )


class ServerSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, community_id: int) -> StoredServerSettings:
        row = await self._db.fetchone("SELECT * FROM community_settings WHERE community_id = ?", (community_id,))
        return _from_row(row) if row else StoredServerSettings()

    async def load_many(self, community_ids: Iterable[int] | None = None) -> dict[int, StoredServerSettings]:
        """Every community's own settings (or the named ones'), in one query or one per 500 named; communities
        with none set are not in it."""
        stored: dict[int, StoredServerSettings] = {}
        for where, params in community_filters(community_ids):
            for row in await self._db.fetchall("SELECT * FROM community_settings" + where, params):
                stored[row["community_id"]] = _from_row(row)
        return stored

    async def update(self, community_id: int, changes: dict[str, Any], now: datetime) -> StoredServerSettings:
        """Set the named settings (a value of None clears one) and return the result."""
        unknown = set(changes) - set(SETTING_NAMES)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}")
        columns = [_COLUMNS[name] for name in changes]
        values = [_to_column(name, value) for name, value in changes.items()]
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO community_settings (community_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT (community_id) DO NOTHING",
                (community_id, to_db_time(now)),
            )
            if columns:
                assignments = ", ".join(f"{column} = ?" for column in columns)
                await conn.execute(
                    f"UPDATE community_settings SET {assignments}, updated_at = ? WHERE community_id = ?",
                    (*values, to_db_time(now), community_id),
                )
        return await self.load(community_id)

    async def mark_retention_warned(self, community_id: int, when: datetime | None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE community_settings SET retention_warned_at = ? WHERE community_id = ?",
                (to_db_time(when) if when else None, community_id),
            )

    async def retention_warned_at(self, community_id: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT retention_warned_at FROM community_settings WHERE community_id = ?", (community_id,)
        )
        return row["retention_warned_at"] if row else None
