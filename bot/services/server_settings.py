"""Reading and changing a server's settings; listeners hear of changes (reminders re-plan at once)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bot.domain.clock import Clock, system_clock
from bot.domain.server_settings import ServerDefaults, ServerSettings, StoredServerSettings, effective_settings
from bot.storage.engine import Database
from bot.storage.server_settings import ServerSettingsRepository

log = logging.getLogger(__name__)

SettingsListener = Callable[[int, frozenset[str]], Awaitable[None]]


class ServerSettingsService:
    def __init__(self, db: Database, defaults: ServerDefaults, *, clock: Clock = system_clock) -> None:
        self.repository = ServerSettingsRepository(db)
        self.defaults = defaults
        self._clock = clock
        self._listeners: list[SettingsListener] = []

    def on_change(self, listener: SettingsListener) -> None:
        """Call ``listener(community_id, changed_names)`` after settings change."""
        self._listeners.append(listener)

    async def stored(self, community_id: int) -> StoredServerSettings:
        """Only what the server set itself (to tell it apart from the defaults in /setup)."""
        return await self.repository.load(community_id)

    async def get(self, community_id: int) -> ServerSettings:
        return effective_settings(community_id, await self.repository.load(community_id), self.defaults)

    async def get_many(self, community_ids: Iterable[int]) -> dict[int, ServerSettings]:
        """The settings of many communities at once (one query, whatever their number)."""
        stored = await self.repository.load_all()
        unset = StoredServerSettings()
        return {
            community_id: effective_settings(community_id, stored.get(community_id, unset), self.defaults)
            for community_id in community_ids
        }

    async def update(self, community_id: int, **changes: Any) -> ServerSettings:
        await self.repository.update(community_id, changes, self._clock())
        log.info("settings changed for community %s: %s", community_id, ", ".join(sorted(changes)))
        for listener in self._listeners:
            try:
                await listener(community_id, frozenset(changes))
            except Exception:
                log.exception("a settings listener failed for community %s", community_id)
        return await self.get(community_id)
