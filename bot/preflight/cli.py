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
    TimeText,
    evaluate,
    message_content_allowed,
)
from bot.preflight.cache import facts_from_guild, failed_extensions, registered_commands
from bot.preflight.database import looked_at
from bot.services.preflight import StoredFacts, stored_facts
from bot.storage.engine import Database, open_database

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
    """Connect with the token, look at the server, and judge it; changes nothing in Discord nor in the database.

    The database is opened read-only and never migrated (``bot.preflight.database.looked_at``). Before the bot's
    first start there is none, and where its schema is not this bot's its tables are not read: the check then
    judges the settings from .env alone.
    """
    from bot.client import point_discord_py_at  # imported here: discord start-up only when needed

    point_discord_py_at(settings)
    command_scope = settings.guild_id  # the development server's commands, or (None) the global ones
    settings = dataclasses.replace(settings, guild_id=guild_id)
    # The bot as it runs: GUILD_ID (not --guild) says whose the channel and role defaults are.
    as_run = dataclasses.replace(settings, guild_id=command_scope)
    async with looked_at(database_path) as look:
        expected, stored, failed = await _stored_and_expected(as_run, look.db, guild_id)
    # Unknown where the database is there but unread; where there is none yet, .env's are the settings in force.
    stored = dataclasses.replace(stored, read=look.db is not None or not look.exists)
    failed = [*look.findings, *failed]

    async def look_at_server(client: discord.Client, intent: IntentFacts) -> PreflightFacts:
        guild = client.get_guild(guild_id)
        if guild is not None and guild.unavailable:
            raise UserFacingError(f"Discord says server {guild_id} is unavailable (an outage); try again later")
        registered = await registered_commands(client, command_scope) if guild is not None else []
        commands = CommandFacts(expected=expected, registered=registered)
        return facts_from_guild(guild_id, guild, stored, intent=intent, commands=commands, extra=failed)

    async with _reaching_discord():
        facts = await connected(settings, token, look_at_server)
    return evaluate(facts, time_text=_local_and_utc(stored))


async def _stored_and_expected(
    settings: Settings, db: Database | None, guild_id: int
) -> tuple[list[dict[str, Any]], StoredFacts, list[Finding]]:
    """The bot's command tree, built as at start but never started (no login, no scheduler, no sync), what
    the database holds for the server, and the parts that failed to load.

    Without a database to read (none yet, or a schema this bot does not read) the tree is built over an empty
    scratch one, which gives the settings of .env alone."""
    from bot.client import WorkshopBot

    async with contextlib.AsyncExitStack() as stack:
        if db is None:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            db = await stack.enter_async_context(open_database(scratch / "empty.sqlite3"))
        bot = WorkshopBot(settings=settings, db=db)
        await bot.prepare()
        services = bot.services
        stored = await stored_facts(
            guild_id, settings=services.settings, programme=services.programme, reminders=services.reminders
        )
        return bot.command_payload(), stored, failed_extensions(bot.failed_extensions)


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
