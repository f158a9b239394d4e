"""The Discord side of the preflight check: facts read from a connected client's cache.

Two callers, one set of findings (``bot.domain.preflight.evaluate``):
- ``python -m bot check`` (``run_check``) connects with the token as a plain client, reads the application's
  flags and the server from the gateway's cache, and builds the bot's command tree without starting it;
- /setup's health section (``running_report``) reads the running bot's own cache and its run-time problems.

Effective permissions are discord.py's ``permissions_for``, which follows developers/topics/permissions.mdx
(base role permissions, then @everyone, role and member overwrites, Administrator, no access without View
Channel).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

import aiohttp
import discord

from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.domain.preflight import (
    ChannelFacts,
    ChannelKind,
    CommandFacts,
    Finding,
    IntentFacts,
    PreflightFacts,
    PreflightReport,
    RoleFacts,
    Status,
    TimeText,
    evaluate,
    message_content_allowed,
    runtime_finding,
)
from bot.services.health import StoredFacts, stored_facts

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 60.0  # seconds to wait for the gateway's READY and the server
T = TypeVar("T")


# ------------------------------------------------------------------------------------------------ the cache
def channel_facts(guild: discord.Guild, channel_id: int | None) -> ChannelFacts | None:
    if channel_id is None:
        return None
    channel = guild.get_channel(channel_id)
    if channel is None:
        return ChannelFacts(channel_id, None, ChannelKind.MISSING, 0)
    if isinstance(channel, discord.ForumChannel):
        kind = ChannelKind.FORUM
    elif isinstance(channel, discord.TextChannel):
        kind = ChannelKind.TEXT
    else:
        kind = ChannelKind.OTHER
    granted = channel.permissions_for(guild.me).value if guild.me is not None else 0
    return ChannelFacts(channel_id, channel.name, kind, granted)


def role_facts(guild: discord.Guild, role_id: int | None) -> RoleFacts | None:
    if role_id is None:
        return None
    role = guild.get_role(role_id)
    if role is None:
        return RoleFacts(role_id, None)
    return RoleFacts(role_id, role.name, role.mentionable)


async def registered_commands(client: discord.Client, guild_id: int) -> list[dict[str, Any]]:
    """The commands Discord has registered for this application in the server (GET .../guilds/{id}/commands)."""
    assert client.application_id is not None  # set at login
    return cast(list[dict[str, Any]], await client.http.get_guild_commands(client.application_id, guild_id))


def facts_from_guild(
    guild_id: int,
    guild: discord.Guild | None,
    stored: StoredFacts,
    *,
    intent: IntentFacts,
    commands: CommandFacts,
    extra: Sequence[Finding] = (),
) -> PreflightFacts:
    settings = stored.settings
    return PreflightFacts(
        guild_id=guild_id,
        guild_name=guild.name if guild is not None else None,
        message_content=intent,
        commands=commands,
        now=stored.now,
        reminder_channel_id=settings.reminder_channel_id,
        reminder_channel=channel_facts(guild, settings.reminder_channel_id) if guild else None,
        discussion_channel_id=settings.discussion_channel_id,
        discussion_channel=channel_facts(guild, settings.discussion_channel_id) if guild else None,
        ping_role_id=settings.ping_role_id,
        ping_role=role_facts(guild, settings.ping_role_id) if guild else None,
        programme=stored.programme,
        next_reminder=stored.next_reminder,
        extra=tuple(extra),
    )


# ------------------------------------------------------------------------------------------------ /setup
async def running_report(bot: WorkshopBot, guild: discord.Guild, *, time_text: TimeText) -> PreflightReport:
    """The health of the running bot in ``guild``: its cache, its intents, and the problems it met."""
    services = bot.services
    stored = await stored_facts(
        guild.id, settings=services.settings, programme=services.programme, reminders=services.reminders
    )
    refused = bot.message_content_refused
    intent = IntentFacts(
        requested=bot.settings.message_content_intent or refused,
        allowed=True if bot.message_content_enabled else None,  # connected with it: Discord allowed it
        refused=refused,
    )
    extra = [runtime_finding(problem.text, problem.fix) for problem in services.problems.current(guild.id)]
    try:
        registered = await registered_commands(bot, guild.id)
    except discord.HTTPException as error:
        log.warning("could not read the registered commands for the health section: %s", error)
        registered = None
    commands = CommandFacts(expected=bot.command_payload(), registered=registered)
    extra += _failed_extensions(bot.failed_extensions)
    facts = facts_from_guild(guild.id, guild, stored, intent=intent, commands=commands, extra=extra)
    return evaluate(facts, time_text=time_text)


def _failed_extensions(names: Sequence[str]) -> list[Finding]:
    return [
        Finding(
            Status.PROBLEM,
            f"part {name}",
            "failed to load: its commands do not work.",
            "see the bot's log for the error, fix it, and restart the bot.",
        )
        for name in names
    ]


# ------------------------------------------------------------------------------------------------ the CLI
async def application_id(settings: Settings, token: str) -> int:
    """The application's id, for the invite link: asked of Discord with the token (REST only, no gateway)."""
    from bot.client import point_discord_py_at

    point_discord_py_at(settings)
    async with _reaching_discord(), discord.Client(intents=discord.Intents.none()) as client:
        await _login(client, token)
        assert client.application_id is not None  # set at login
        return client.application_id


async def _login(client: discord.Client, token: str) -> None:
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise UserFacingError(
            "Discord refused the token: check DISCORD_TOKEN (Bot > Reset Token in the developer portal)"
        ) from None


@contextlib.asynccontextmanager
async def _reaching_discord() -> AsyncIterator[None]:
    """Network failures and Discord's errors as one line for the terminal, not a traceback."""
    try:
        yield
    except discord.HTTPException as error:
        raise UserFacingError(
            f"Discord answered {error.status} ({error.text or 'no reason given'}); try again"
        ) from None
    except (TimeoutError, OSError, aiohttp.ClientError) as error:
        raise UserFacingError(f"could not reach Discord: {error or type(error).__name__}") from None


async def run_check(settings: Settings, *, token: str, database_path: Path, guild_id: int) -> PreflightReport:
    """Connect with the token, look at the server, and judge it; changes nothing in Discord."""
    from bot.client import WorkshopBot, point_discord_py_at  # imported here: discord start-up only when needed
    from bot.storage.database import Database

    point_discord_py_at(settings)
    settings = dataclasses.replace(settings, guild_id=guild_id)
    async with Database.open(database_path) as db:
        # The bot's command tree, built as at start but never started: no login, no scheduler, no sync.
        bot = WorkshopBot(settings=settings, db=db)
        bot.services = bot.build_services()
        await bot.load_extensions()
        expected = bot.command_payload()
        services = bot.services
        stored = await stored_facts(
            guild_id, settings=services.settings, programme=services.programme, reminders=services.reminders
        )
        failed = _failed_extensions(bot.failed_extensions)

    async def look(client: discord.Client, intent: IntentFacts) -> PreflightFacts:
        guild = client.get_guild(guild_id)
        if guild is not None and guild.unavailable:
            raise UserFacingError(f"Discord says server {guild_id} is unavailable (an outage); try again later")
        registered = await registered_commands(client, guild_id) if guild is not None else []
        commands = CommandFacts(expected=expected, registered=registered)
        return facts_from_guild(guild_id, guild, stored, intent=intent, commands=commands, extra=failed)

    async with _reaching_discord():
        facts = await connected(settings, token, look)
    return evaluate(facts, time_text=_local_and_utc(stored))


def _local_and_utc(stored: StoredFacts) -> TimeText:
    """Times for the terminal: in the programme's zone, with UTC in brackets (as ``schedule`` shows them)."""
    zone = ZoneInfo(stored.programme.timezone if stored.programme else "UTC")

    def text(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local:%a %d %b %Y %H:%M} {local.tzname()} ({moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"

    return text


async def connected(settings: Settings, token: str, look: Callable[[discord.Client, IntentFacts], Awaitable[T]]) -> T:
    """Log in, read the application's flags, connect to the gateway, wait for the servers, and ``look``.

    Asks for the intents the bot asks for. If Discord closes with 4014 (a privileged intent not allowed,
    developers/topics/opcodes-and-status-codes.mdx), that is recorded and the check connects again without it.
    """
    from bot.client import build_intents

    requested = settings.message_content_intent
    ask = requested
    while True:
        client = discord.Client(intents=build_intents(dataclasses.replace(settings, message_content_intent=ask)))
        connecting: asyncio.Task[None] | None = None
        try:
            async with client:
                await _login(client, token)
                allowed = message_content_allowed((await client.application_info()).flags.value)
                connecting = asyncio.create_task(client.connect(reconnect=False))
                try:
                    await _until_ready(client, connecting)
                except discord.PrivilegedIntentsRequired:
                    if not ask:
                        raise UserFacingError(
                            "Discord refused a privileged intent the bot does not ask for; please report this"
                        ) from None
                    log.info("Discord refused the Message Content intent (4014); looking again without it")
                    ask = False
                    continue
                intent = IntentFacts(requested=requested, allowed=allowed, refused=requested and not ask)
                return await look(client, intent)
        finally:
            if connecting is not None:  # closed with the client: collect its end
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(connecting, 10)


async def _until_ready(client: discord.Client, connecting: asyncio.Task[None]) -> None:
    ready = asyncio.ensure_future(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({connecting, ready}, timeout=CONNECT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if ready in done:
        return
    if connecting in done:
        error = connecting.exception()
        # Without reconnecting, discord.py passes the gateway's close on as it came: 4014 is the refused intent.
        if isinstance(error, discord.ConnectionClosed) and error.code == 4014:
            raise discord.PrivilegedIntentsRequired(error.shard_id) from error
        if isinstance(error, discord.PrivilegedIntentsRequired):
            raise error
        raise UserFacingError(f"the connection to Discord's gateway closed before it was ready ({error})")
    raise UserFacingError(f"Discord's gateway did not get ready within {CONNECT_TIMEOUT:.0f} seconds")
