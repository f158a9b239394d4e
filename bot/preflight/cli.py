"""``python -m bot check`` and ``invite``: connect with the token as a plain client, look, and leave.

The check reads the application's flags, the server from the gateway's cache and the registered commands,
and builds the bot's command tree without starting it. It changes nothing in Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
import discord

from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.domain.preflight import (
    CommandFacts,
    Finding,
    IntentFacts,
    PreflightFacts,
    PreflightReport,
    Status,
    TimeText,
    evaluate,
    message_content_allowed,
)
from bot.preflight.cache import facts_from_guild, failed_extensions, registered_commands
from bot.preflight.database import erasure_key_finding
from bot.services.preflight import StoredFacts, stored_facts

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 60.0  # seconds to wait for the gateway's READY and the server
T = TypeVar("T")


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
            f"Discord answered {error.status} ({error.text or 'no reason given'}); try again later"
        ) from None
    except (TimeoutError, OSError, aiohttp.ClientError) as error:
        raise UserFacingError(f"could not reach Discord: {error or type(error).__name__}") from None


async def run_check(settings: Settings, *, token: str, database_path: Path | str, guild_id: int) -> PreflightReport:
    """Connect with the token, look at the server, and judge it; changes nothing in Discord.

    Before the bot's first start there is no database: the check then creates none, and judges the settings
    from .env alone.
    """
    from bot.client import point_discord_py_at  # imported here: discord start-up only when needed

    point_discord_py_at(settings)
    command_scope = settings.guild_id  # the development server's commands, or (None) the global ones
    settings = dataclasses.replace(settings, guild_id=guild_id)
    # A postgresql:// URL: the server is there or the open says why (the bot creates its tables on first start).
    found = isinstance(database_path, str) or await asyncio.to_thread(database_path.is_file)
    with tempfile.TemporaryDirectory() as scratch:
        path = database_path if found else Path(scratch) / "empty.sqlite3"
        # The bot as it runs: GUILD_ID (not --guild) says whose the channel and role defaults are.
        as_run = dataclasses.replace(settings, guild_id=command_scope)
        expected, stored, failed = await _stored_and_expected(as_run, path, guild_id)
    if not found and isinstance(database_path, Path):
        failed.insert(0, _no_database(database_path))

    async def look(client: discord.Client, intent: IntentFacts) -> PreflightFacts:
        guild = client.get_guild(guild_id)
        if guild is not None and guild.unavailable:
            raise UserFacingError(f"Discord says server {guild_id} is unavailable (an outage); try again later")
        registered = await registered_commands(client, command_scope) if guild is not None else []
        commands = CommandFacts(expected=expected, registered=registered)
        return facts_from_guild(guild_id, guild, stored, intent=intent, commands=commands, extra=failed)

    async with _reaching_discord():
        facts = await connected(settings, token, look)
    return evaluate(facts, time_text=_local_and_utc(stored))


async def _stored_and_expected(
    settings: Settings, database_path: Path | str, guild_id: int
) -> tuple[list[dict[str, Any]], StoredFacts, list[Finding]]:
    """The bot's command tree, built as at start but never started (no login, no scheduler, no sync), what
    the database holds for the server, and the findings of the database itself (the erasure key)."""
    from bot.client import WorkshopBot
    from bot.storage.engine import open_database

    async with open_database(database_path) as db:
        bot = WorkshopBot(settings=settings, db=db)
        await bot.prepare()
        services = bot.services
        stored = await stored_facts(
            guild_id, settings=services.settings, programme=services.programme, reminders=services.reminders
        )
        findings = [*failed_extensions(bot.failed_extensions), await erasure_key_finding(db)]
        return bot.command_payload(), stored, findings


def _no_database(path: Path) -> Finding:
    return Finding(
        Status.WARNING,
        "database",
        f"none at {path} yet, so only the settings in .env were checked.",
        "start the bot once (it creates the database); if it has run before, check DATABASE_PATH or --db.",
    )


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
