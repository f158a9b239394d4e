"""The scheduled-event adapter: the session-event service's ``ScheduledEventPort`` over discord.py's HTTP
client, and the hook that reports Interested clicks.

Raw routes rather than ``discord.ScheduledEvent`` objects: the sync must work from ids alone, before or
without the gateway cache, and the users list is read page by page (developers/resources/
guild-scheduled-event.mdx, "Get Guild Scheduled Event Users": at most 100 a page, ascending by user id).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import aiohttp
import discord

from bot.domain.permissions import Permission, missing
from bot.domain.session_events import EventSpec, RemoteEvent, RemoteStatus
from bot.services.session_events import EventsRefused, EventsUnavailable

log = logging.getLogger(__name__)

EXTERNAL = 3  # "Guild Scheduled Event Entity Types"
GUILD_ONLY = 2  # "Guild Scheduled Event Privacy Level"
CANCELED = 4
USERS_PAGE = 100
INTEREST_EVENT = "session_event_interest"  # dispatched as on_session_event_interest(guild, event, user, added)
_ERRORS = (discord.DiscordException, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def _payload(spec: EventSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": spec.description,
        "scheduled_start_time": spec.start.isoformat(),
        "scheduled_end_time": spec.end.isoformat(),
        "entity_metadata": {"location": spec.location},
        "privacy_level": GUILD_ONLY,
    }


def _time(raw: Any) -> datetime | None:
    return None if raw is None else datetime.fromisoformat(str(raw))


class DiscordScheduledEvents:
    """Creates, updates, cancels and lists the server's scheduled events for the session-event service."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    def missing_permissions(self, guild_id: int, needed: Permission) -> Permission | None:
        # developers/resources/guild-scheduled-event.mdx: events need guild-level permissions.
        guild = self._bot.get_guild(guild_id)
        if guild is None or guild.me is None:
            return None
        return missing(needed, int(guild.me.guild_permissions.value))

    async def list_events(self, guild_id: int) -> list[RemoteEvent]:
        me = self._bot.user.id if self._bot.user else None
        data = await self._call(self._bot.http.get_scheduled_events(guild_id, False))
        events = []
        for raw in data:
            start = _time(raw["scheduled_start_time"])
            if start is None:
                continue
            metadata = raw.get("entity_metadata") or {}
            events.append(
                RemoteEvent(
                    id=int(raw["id"]),
                    name=str(raw["name"]),
                    description=str(raw.get("description") or ""),
                    start=start,
                    end=_time(raw.get("scheduled_end_time")),
                    location=metadata.get("location"),
                    status=RemoteStatus(int(raw["status"])),
                    created_by_bot=raw.get("creator_id") is not None and int(raw["creator_id"]) == me,
                )
            )
        return events

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        created = await self._call(
            self._bot.http.create_guild_scheduled_event(guild_id, entity_type=EXTERNAL, **_payload(spec))
        )
        return int(created["id"])

    async def update(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        await self._call(self._bot.http.edit_scheduled_event(guild_id, event_id, **_payload(spec)))

    async def cancel(self, guild_id: int, event_id: int) -> None:
        try:
            await self._call(self._bot.http.edit_scheduled_event(guild_id, event_id, status=CANCELED))
        except EventsRefused as refused:
            if refused.reason.startswith("not found"):
                return  # deleted in the meantime: nothing left to cancel
            raise

    async def interested(self, guild_id: int, event_id: int) -> list[int]:
        found: list[int] = []
        after: int | None = None
        while True:
            page = await self._call(
                self._bot.http.get_scheduled_event_users(guild_id, event_id, USERS_PAGE, False, after=after)
            )
            found.extend(int(entry["user"]["id"]) for entry in page)
            if len(page) < USERS_PAGE:
                return found
            after = found[-1]

    @staticmethod
    async def _call(request: Any) -> Any:
        try:
            return await request
        except discord.Forbidden as error:
            raise EventsRefused(f"forbidden (code {error.code})") from error
        except discord.NotFound as error:
            raise EventsRefused(f"not found (code {error.code})") from error
        except discord.HTTPException as error:
            if error.status >= 500 or error.status == 429:
                raise EventsUnavailable(f"Discord answered {error.status}") from error
            raise EventsRefused(f"rejected ({error.status}, code {error.code}: {error.text})") from error
        except _ERRORS as error:
            raise EventsUnavailable(type(error).__name__) from error


def follow_interest(bot: discord.Client) -> None:
    """Dispatch ``on_session_event_interest(guild_id, event_id, user_id, added)`` for every Interested click.

    discord.py dispatches its own ``on_scheduled_event_user_add`` only when the user is in its cache, which
    without the privileged members intent is rarely the case; the gateway's payload carries the three ids
    (developers/events/gateway-events.mdx, "Guild Scheduled Event User Add"), so the bot reads them there,
    before discord.py's own parser runs (which it still does).
    """
    parsers: dict[str, Any] = bot._connection.parsers
    for name, added in (("GUILD_SCHEDULED_EVENT_USER_ADD", True), ("GUILD_SCHEDULED_EVENT_USER_REMOVE", False)):
        original = parsers[name]
        if getattr(original, "follows_interest", False):
            continue

        def parse(data: Any, original: Any = original, added: bool = added) -> None:
            try:
                ids = int(data["guild_id"]), int(data["guild_scheduled_event_id"]), int(data["user_id"])
            except (KeyError, TypeError, ValueError):
                log.warning("a scheduled-event user payload without its ids was ignored")
            else:
                bot.dispatch(INTEREST_EVENT, *ids, added)
            original(data)

        parse.follows_interest = True  # type: ignore[attr-defined]
        parsers[name] = parse
