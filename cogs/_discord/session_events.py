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

from bot.domain.errors import UserFacingError
from bot.domain.permissions import Permission, missing
from bot.domain.session_events import EventSpec, RemoteEvent, RemoteStatus
from bot.services.session_events import EventRejected, EventsRefused, EventsUnavailable

log = logging.getLogger(__name__)

EXTERNAL = 3  # "Guild Scheduled Event Entity Types"
GUILD_ONLY = 2  # "Guild Scheduled Event Privacy Level"
CANCELED = 4
USERS_PAGE = 100
MISSING_PERMISSIONS = 50013  # topics/opcodes-and-status-codes.mdx, JSON error codes
REFUSAL_TEXT_LIMIT = 300  # what of Discord's answer is shown to organisers (/setup's health section)
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
        except EventRejected as rejected:
            if rejected.status == 404:
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
        """The request's answer; Discord's refusals as the service's exceptions.

        Only a 403, or code 50013 (Missing Permissions), means the bot lacks a permission
        (topics/opcodes-and-status-codes.mdx, HTTP response codes and JSON error codes); any other refusal (an
        invalid field, an unknown event, the 100-event limit) is about this one request and said as it is.
        """
        try:
            return await request
        except discord.HTTPException as error:
            if error.status == 403 or error.code == MISSING_PERMISSIONS:
                raise EventsRefused(f"forbidden (code {error.code})") from error
            if error.status >= 500 or error.status == 429:
                raise EventsUnavailable(f"Discord answered {error.status}") from error
            raise EventRejected(error.status, error.code, _refusal_text(error)) from error
        except _ERRORS as error:
            raise EventsUnavailable(type(error).__name__) from error


def _refusal_text(error: discord.HTTPException) -> str:
    """Discord's message and, for an invalid form body, the fields it names (on one line)."""
    text = " ".join(error.text.split()) or "no details"
    return text if len(text) <= REFUSAL_TEXT_LIMIT else text[: REFUSAL_TEXT_LIMIT - 1] + "…"


INTEREST_PARSERS = (("GUILD_SCHEDULED_EVENT_USER_ADD", True), ("GUILD_SCHEDULED_EVENT_USER_REMOVE", False))


class DiscordInternalsMovedError(UserFacingError):
    """The discord.py internals the live Interested follow hooks into are not where this bot expects them."""


def _interest_parsers(bot: discord.Client) -> dict[str, Any]:
    """discord.py's gateway parsers by event name (``ConnectionState.parsers``, which its websocket reads each
    dispatch from), checked to hold the two the follow wraps; a clear error at start-up when they moved."""
    state = getattr(bot, "_connection", None)
    parsers = getattr(state, "parsers", None)
    names = [name for name, _ in INTEREST_PARSERS]
    if not isinstance(parsers, dict) or not all(callable(parsers.get(name)) for name in names):
        raise DiscordInternalsMovedError(
            f"this version of discord.py ({discord.__version__}) no longer has the gateway parsers the bot follows "
            f"Interested clicks through ({' and '.join(names)} in Client._connection.parsers): install the "
            "discord.py version the bot's pyproject.toml names"
        )
    return parsers


def follow_interest(bot: discord.Client) -> None:
    """Dispatch ``on_session_event_interest(guild_id, event_id, user_id, added)`` for every Interested click.

    discord.py dispatches its own ``on_scheduled_event_user_add`` only when the user is in its cache, which
    without the privileged members intent is rarely the case; the gateway's payload carries the three ids
    (developers/events/gateway-events.mdx, "Guild Scheduled Event User Add"), so the bot reads them there,
    before discord.py's own parser runs (which it still does). Those parsers are discord.py internals: when
    they have moved, the start fails with one clear line (``DiscordInternalsMovedError``) rather than the bot
    silently missing every click; the periodic sync catches up Interested from Discord's lists all the same.
    """
    parsers = _interest_parsers(bot)
    for name, added in INTEREST_PARSERS:
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
