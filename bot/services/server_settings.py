"""Reading and changing a server's settings; listeners hear of changes (reminders re-plan at once).

The deployment's channel and role defaults belong to one server (bot/domain/server_settings.py). Without
GUILD_ID, the server holding each id is found through the platform (``CommunityPlaces``) the first time that
server's settings are read, and kept in bot_state, so every process and every later start agrees where each
default belongs.

Whatever stored a channel or role id (.env, /setup, a database copied from elsewhere), it is in force only where
the platform does not know it as another server's: ``get`` leaves a foreign id out, so no reminder, notice, ping
or permission ever uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bot.domain.clock import Clock, system_clock
from bot.domain.server_settings import (
    CHANNEL_SETTINGS,
    ROLE_SETTINGS,
    ServerDefaults,
    ServerSettings,
    StoredServerSettings,
    Withholding,
    effective_settings,
    withhold,
)
from bot.storage.engine import Database
from bot.storage.server_settings import ServerSettingsRepository
from bot.storage.state import StateRepository

log = logging.getLogger(__name__)

SettingsListener = Callable[[int, frozenset[str]], Awaitable[None]]


class CommunityPlaces(Protocol):
    """Whether a channel or role is a community's own, from what the platform told the bot (its cache).

    True: it is; False: it is not (another server's, or no longer there); None: cannot tell yet (the server is
    not known to this process yet).
    """

    def channel_is_own(self, community_id: int, channel_id: int) -> bool | None: ...

    def role_is_own(self, community_id: int, role_id: int) -> bool | None: ...


class ServerSettingsService:
    def __init__(
        self,
        db: Database,
        defaults: ServerDefaults,
        *,
        clock: Clock = system_clock,
        places: CommunityPlaces | None = None,
    ) -> None:
        self.repository = ServerSettingsRepository(db)
        self.defaults = defaults
        self._platform = places  # None (command line, tests): ids are taken as stored
        self._clock = clock
        self._listeners: list[SettingsListener] = []
        self._state = StateRepository(db)
        self._places: dict[str, int] = {}  # placed default -> the server holding its id (found ones only)
        self._places_loaded = False

    def on_change(self, listener: SettingsListener) -> None:
        """Call ``listener(community_id, changed_names)`` after settings change."""
        self._listeners.append(listener)

    async def stored(self, community_id: int) -> StoredServerSettings:
        """Only what the server set itself (to tell it apart from the defaults in /setup)."""
        return await self.repository.load(community_id)

    async def get(self, community_id: int) -> ServerSettings:
        places = await self._found_places(community_id)
        settings = effective_settings(community_id, await self.repository.load(community_id), self.defaults, places)
        return self._without_foreign(settings)

    def unplaced_defaults(self) -> dict[str, int]:
        """The channel and role defaults whose server is not known yet (none with GUILD_ID), with their ids."""
        if self.defaults.home_community_id is not None:
            return {}
        return {name: value for name, value in self.defaults.placed_ids().items() if name not in self._places}

    async def _found_places(self, community_id: int) -> dict[str, int]:
        unplaced = self.unplaced_defaults()
        if unplaced and not self._places_loaded:
            self._places_loaded = True
            for name, value in unplaced.items():
                found = await self._state.get(_place_key(name, value))
                if found is not None and found.isdigit():
                    self._places[name] = int(found)
            unplaced = self.unplaced_defaults()
        for name, value in unplaced.items():
            if self._is_own(name, community_id, value):
                # get_or_create: two processes that both find it agree (an id never moves between servers).
                found = await self._state.get_or_create(_place_key(name, value), str(community_id))
                self._places[name] = int(found)
                log.info("the default %s belongs to community %s", name, found)
        return self._places

    def _is_own(self, name: str, community_id: int, value: int) -> bool | None:
        if self._platform is None:
            return None
        if name in CHANNEL_SETTINGS:
            return self._platform.channel_is_own(community_id, value)
        return self._platform.role_is_own(community_id, value)

    def _without_foreign(self, settings: ServerSettings) -> ServerSettings:
        stored_names = set(CHANNEL_SETTINGS + ROLE_SETTINGS)
        for name in sorted(stored_names):
            value = getattr(settings, name)
            if value is not None and self._is_own(name, settings.community_id, value) is False:
                from_defaults = getattr(self.defaults, name, None) == value
                log.warning("community %s: its %s names another server's; it is not used", settings.community_id, name)
                settings = withhold(settings, name, Withholding.FOREIGN, from_defaults=from_defaults)
        return settings

    async def get_many(self, community_ids: Iterable[int]) -> dict[int, ServerSettings]:
        """The settings of many communities at once (one query a statement's worth of ids), by ``get``'s rules."""
        community_ids = list(community_ids)
        stored = await self.repository.load_many(community_ids)
        unset = StoredServerSettings()
        settings: dict[int, ServerSettings] = {}
        for community_id in community_ids:
            places = await self._found_places(community_id)
            own = effective_settings(community_id, stored.get(community_id, unset), self.defaults, places)
            settings[community_id] = self._without_foreign(own)
        return settings

    async def update(self, community_id: int, **changes: Any) -> ServerSettings:
        await self.repository.update(community_id, changes, self._clock())
        log.info("settings changed for community %s: %s", community_id, ", ".join(sorted(changes)))
        await self._tell(community_id, frozenset(changes))
        return await self.get(community_id)

    async def _tell(self, community_id: int, changes: frozenset[str]) -> None:
        for listener in self._listeners:
            try:
                await listener(community_id, changes)
            except Exception:
                log.exception("a settings listener failed for community %s", community_id)


def _place_key(name: str, value: int) -> str:
    # Keyed by the id too: a changed .env value is looked for afresh.
    return f"default_place:{name}:{value}"
