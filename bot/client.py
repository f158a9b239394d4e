"""The Discord front end's client: the discord.py bot, attached to the process's core (``bot.core``).

``setup_hook`` is the one place its start-up work happens: the Discord adapters (the ``cogs._discord``
extension, loaded by name first: see its docstring for why), the core built with them (or, when the process
runs several front ends, by the runner's ``core_factory`` with every front end's adapters), the cogs, and a
command sync only when the command set changed. Nothing in ``bot/`` imports a cog module.

A bot built without a ``core_factory`` (the tests, ``check``) assembles a core of its own with Discord's
adapters alone and starts and closes it itself; ``bot.runner`` builds one core for every front end and starts
it once they have all attached.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.config import Settings
from bot.core import Core, PlatformAdapters, Ready, Services, build_core
from bot.domain.clock import Clock, system_clock
from bot.domain.communities import Shard, owns_community
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import DISCORD, platform_of
from bot.heap import release_free_heap_soon
from bot.services.reminders import SWEEP_INTERVAL
from bot.storage.engine import Database
from bot.tree import WorkshopTree

log = logging.getLogger(__name__)

# Loaded first, before the services are built: it hands over the Discord adapters (see cogs/_discord).
ADAPTERS_EXTENSION = "cogs._discord"
# Loaded in this order; one that fails is logged and the rest still load.
EXTENSIONS: tuple[str, ...] = (
    "cogs.programme",
    "cogs.answers",
    "cogs.threads",
    "cogs.reminders",
    "cogs.organiser",
    "cogs.session_events",
    "cogs.communities",
    "cogs.deliberation",
)


# bot_state keys recording, per scope ("global", or a development server's id), the last command sync.
COMMAND_SYNC = "command_sync:"
# The Discord adapters are the core's PlatformAdapters (the name the adapters extension hands them over by).
DiscordAdapters = PlatformAdapters
# Given Discord's adapters and what "ready" means for Discord, the process's core (see bot.runner).
CoreFactory = Callable[[PlatformAdapters, Ready], Core]


def build_intents(settings: Settings) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # channels, threads and roles in the cache
    intents.guild_messages = True  # replies in prompt threads become answers
    intents.message_content = settings.message_content_intent  # privileged: off unless asked for
    intents.guild_scheduled_events = True  # Interested clicks on the sessions' events (not privileged)
    # Off, and so neither sent nor cached: members and presences (privileged; names and membership are asked for
    # when needed), voice states, invites, reactions, typing and DMs' messages (the bot's DM features are buttons
    # and slash commands, which arrive as interactions whatever the intents); and emojis and stickers, which
    # discord.py caches from every GUILD_CREATE only with their intent on (often the bulk of a real server's).
    return intents


# What discord.py keeps of each server beyond what the intents bring, each cache the bot does not read left
# off: memory then grows with servers by the Guild, its channels, roles and scheduled events and the bot's own
# Member, which permissions and posting need (README, "Ten thousand servers").
CACHE_OPTIONS: dict[str, Any] = {
    # No message cache: thread replies are recorded from MESSAGE_CREATE and their edits and deletions from the
    # raw events (cogs/threads.py), which carry what the bot needs; the default cache would hold the last 1,000
    # messages, members' words among them, in memory for nothing.
    "max_messages": None,
    # No members beyond the bot's own (discord.py always keeps that one, for permissions): names for named
    # exports are asked for when needed and not kept (cogs/_discord/names.py), membership over REST
    # (cogs/_membership.py). Explicit, so that switching an intent on never starts a cache by itself.
    "member_cache_flags": discord.MemberCacheFlags.none(),
    # Never ask for every server's member list at start (it needs the privileged Members intent anyway).
    "chunk_guilds_at_startup": False,
}


TOKEN_REFUSED = "Discord refused the token: check DISCORD_TOKEN (Bot > Reset Token in the developer portal)"


def unreachable_discord_text(error: BaseException) -> str:
    """One line for a login that never reached Discord: no network, DNS, proxy, firewall or a timeout."""
    base = yarl.URL(discord.http.Route.BASE)
    where = f"{base.host}:{base.port}"
    cause = "the connection failed"
    if isinstance(error, aiohttp.ClientConnectorError):
        where = f"{error.host}:{error.port}"
        errno = error.os_error.errno
        cause = os.strerror(errno).lower() if errno else "the connection failed"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        cause = "its name does not resolve in DNS"
    elif isinstance(error, aiohttp.ClientProxyConnectionError):
        cause = "the proxy refused the connection"
    elif isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        cause = "the TLS certificate check failed"
    elif isinstance(error, TimeoutError):
        cause = "timed out"
    return (
        f"cannot reach Discord at {where} ({cause}): check this machine's internet connection, DNS, firewall "
        "and proxy (and DISCORD_API_BASE if set), then start the bot again"
    )


def point_discord_py_at(settings: Settings) -> None:
    """Send discord.py's REST calls and gateway connection elsewhere (tests, proxies)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


GATEWAY_PROBE_TIMEOUT = 30.0  # seconds to open a first websocket to the gateway
# After READY, how often and how many times to look whether every server listed is served yet (a minute in all).
STARTUP_SERVED_POLL_SECONDS = 0.5
STARTUP_SERVED_POLLS = 120


class GatewayUnreachableError(Exception):
    """The token was accepted over REST, but no websocket to the gateway opens."""

    def __init__(self, gateway: str) -> None:
        super().__init__(gateway)
        self.gateway = gateway


class WorkshopBot(commands.AutoShardedBot):
    """The bot. Sharded: one process runs SHARD_IDS of SHARD_COUNT shards (both unset: every shard of the
    count Discord recommends), and serves the servers of those shards only (``owns_community``)."""

    services: Services
    core: Core

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        clock: Clock = system_clock,
        extensions: Sequence[str] = EXTENSIONS,
        adapters_extension: str = ADAPTERS_EXTENSION,
        force_sync: bool = False,
        message_content_refused: bool = False,
        reminder_sweep_interval: float = SWEEP_INTERVAL,
        core_factory: CoreFactory | None = None,
    ) -> None:
        super().__init__(
            # No prefix commands: the bot has slash commands only, and what members type is never parsed (with
            # when_mentioned, "@bot anything" logged an ERROR holding the member's words). See on_message.
            command_prefix=(),
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=WorkshopTree,
            help_command=None,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,  # type: ignore[arg-type]
            **CACHE_OPTIONS,
        )
        self.settings = settings
        # A development server (GUILD_ID): its commands are synced to it alone, at once, and it gets the
        # programme file at first start. Without one the commands are global and every server starts empty.
        self.dev_guild_id: int | None = settings.guild_id
        self.db = db
        self.clock = clock
        self.extensions_to_load = tuple(extensions)
        self.adapters_extension = adapters_extension
        self._adapters: PlatformAdapters | None = None  # handed over by the adapters extension
        self.force_sync = force_sync
        # Without a factory the bot assembles, starts and closes a core of its own (tests, `check`).
        self._core_factory = core_factory
        self.owns_core = core_factory is None
        self.failed_extensions: list[str] = []
        # Thread replies are collected only with the privileged Message Content intent granted.
        self.message_content_enabled = settings.message_content_intent
        self.message_content_refused = message_content_refused
        self.reminder_sweep_interval = reminder_sweep_interval  # seconds between reminder safety-net passes
        self.gateway_reached = False  # set once a websocket to the gateway opened

    @property
    def scheduler(self) -> AsyncIOScheduler:
        return self.core.scheduler

    async def launch_shards(self) -> None:
        if self.shard_count is None and self.settings.discord_gateway_url:
            # The recommended count from GET /gateway/bot, but the gateway DISCORD_GATEWAY_URL names (discord.py
            # would take the URL from that answer too).
            self.shard_count, _url, _limits = await self.http.get_bot_gateway()
        await super().launch_shards()

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        if initial and not self.gateway_reached:
            # discord.py retries a shard whose first connection fails every 5 s, for ever, with a traceback each
            # time: a gateway out of reach at start is a set-up problem (a proxy or firewall), said once. The
            # probe only opens the websocket and closes it (no IDENTIFY: no session start is used up).
            try:
                probe = await asyncio.wait_for(self.http.ws_connect(str(gateway)), timeout=GATEWAY_PROBE_TIMEOUT)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                log.warning("the gateway at %s cannot be reached: %s: %s", gateway, type(error).__name__, error)
                raise GatewayUnreachableError(str(gateway)) from error
            await probe.close()
            self.gateway_reached = True
        await super().launch_shard(gateway, shard_id, initial=initial)

    def use_discord_adapters(self, adapters: PlatformAdapters) -> None:
        """Called once by the adapters extension's ``setup``, before the core is built."""
        if hasattr(self, "core"):
            raise RuntimeError("the Discord adapters are handed over before the core is built, not after")
        self._adapters = adapters

    @property
    def discord_adapters(self) -> PlatformAdapters:
        if self._adapters is None:
            raise RuntimeError("the Discord adapters are not loaded yet")
        return self._adapters

    def on_shard(self, community_id: int, shard_id: int | None = None) -> bool:
        """Whether a community is a Discord server of shard ``shard_id`` (None: of any shard this bot runs)."""
        if platform_of(community_id) != DISCORD:
            return False
        if shard_id is None:
            return self.owns_community(community_id)
        return Shard(shard_id, self.shard_count or 1).covers(community_id)

    def owns_community(self, community_id: int) -> bool:
        """Whether this process runs the shard of the community (SHARD_COUNT and SHARD_IDS; all if unset)."""
        return owns_community(community_id, self.settings.shard_count, self.settings.shard_ids)

    async def setup_hook(self) -> None:
        await self.prepare()
        await self.sync_commands(force=self.force_sync)
        await self.unregister_former_dev_guilds()
        if self.owns_core:
            await self.core.start()

    async def prepare(self) -> None:
        """The Discord adapters, the core and the cogs, so the command tree is complete: nothing started,
        nothing sent to Discord.

        ``setup_hook`` goes on from here; the preflight check (``python -m bot check``) stops here.
        """
        try:  # not caught: without adapters the bot cannot work
            await self.load_extension(self.adapters_extension)
        except commands.ExtensionFailed as error:
            if isinstance(error.original, UserFacingError):  # one clear line (e.g. discord.py internals moved)
                raise error.original from None
            raise
        if self._adapters is None:
            raise RuntimeError(f"the extension {self.adapters_extension} did not hand over the Discord adapters")
        self.core = self._build_core(self._adapters)
        self.services = self.core.services
        for extension in self.extensions_to_load:
            try:
                await self.load_extension(extension)
            except Exception:
                self.failed_extensions.append(extension)
                log.exception("extension %s failed to load; the others go on", extension)

    def _build_core(self, adapters: PlatformAdapters) -> Core:
        if self._core_factory is not None:
            return self._core_factory(adapters, self.wait_until_ready)
        return build_core(
            self.settings,
            self.db,
            adapters={"discord": adapters},
            clock=self.clock,
            ready={"discord": self.wait_until_ready},
            reminder_sweep_interval=self.reminder_sweep_interval,
        )

    def command_payload(self) -> list[dict[str, Any]]:
        if self.dev_guild_id is None:
            return [command.to_dict(self.tree) for command in self.tree.get_commands()]
        guild = discord.Object(id=self.dev_guild_id)
        self.tree.copy_global_to(guild=guild)
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Register the commands when they changed since the last sync of their scope (or when forced).

        With GUILD_ID, in that server only: guild commands update at once, for development. Without it,
        globally, for every server. Never on every start: Discord limits command creation per day.
        """
        payload = self.command_payload()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        scope = "global" if self.dev_guild_id is None else str(self.dev_guild_id)
        # Also the record that commands were registered in this server (see unregister_former_dev_guilds).
        key = f"{COMMAND_SYNC}{scope}"
        if not force and await self.services.state.get(key) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return False
        try:
            if self.dev_guild_id is None:
                await self.tree.sync()
            else:
                await self.tree.sync(guild=discord.Object(id=self.dev_guild_id))
        except discord.Forbidden as error:  # 50001 Missing Access: not in that server, or without the scope
            raise UserFacingError(
                f"Discord refused to register the slash commands in server {self.dev_guild_id} ({error.text}): "
                "check GUILD_ID, and invite the bot to that server with the scopes bot and applications.commands "
                "(see the README, Run the bot)"
            ) from None
        await self.services.state.set(key, digest)
        if self.dev_guild_id is None:
            log.info("synced %d slash commands globally", len(payload))
        else:
            log.info("synced %d slash commands to guild %s", len(payload), self.dev_guild_id)
        return True

    async def unregister_former_dev_guilds(self) -> list[int]:
        """Remove the commands an earlier start registered in a development server that GUILD_ID no longer
        names (unset, or another server): left there, members would see every command twice, the server's copy
        beside the global one. Each server's sync record says where commands were registered; its commands are
        overwritten with none (PUT, as a sync does), and the record goes, so naming the server again re-registers
        them. A server Discord no longer lets the bot reach is forgotten; any other failure is tried again at the
        next start."""
        state = self.services.state
        current = None if self.dev_guild_id is None else str(self.dev_guild_id)
        removed: list[int] = []
        for key in await state.keys(COMMAND_SYNC):
            scope = key.removeprefix(COMMAND_SYNC)
            if scope == current or not (scope.isascii() and scope.isdigit()):
                continue
            guild_id = int(scope)
            application_id = self.application_id
            if application_id is None:
                return removed
            try:
                await self.http.bulk_upsert_guild_commands(application_id, guild_id, [])
            except (discord.Forbidden, discord.NotFound) as error:
                # Without applications.commands there (or without the server) the commands are gone with it.
                log.warning(
                    "the commands once registered in development server %s cannot be reached (%s); forgetting it",
                    guild_id,
                    error.text or error.status,
                )
            except discord.HTTPException as error:
                log.warning(
                    "could not remove the commands once registered in development server %s (%s); trying again "
                    "at the next start",
                    guild_id,
                    error.status,
                )
                continue
            else:
                log.info("removed the slash commands once registered in development server %s", guild_id)
                removed.append(guild_id)
            await state.delete(key)
        return removed

    async def on_ready(self) -> None:
        log.info("ready as %s (id %s) in %d server(s)", self.user, self.user.id if self.user else "?", len(self.guilds))
        if not self.message_content_enabled:
            log.warning(
                "the Message Content intent is off: replies in prompt threads are not collected as answers "
                "(set MESSAGE_CONTENT_INTENT=true and switch it on in the developer portal)"
            )
        await self._release_heap_after_start()

    async def _release_heap_after_start(self) -> None:
        """What the start-up took and freed goes back to the system (bot/heap.py) once its work is done: every
        shard's GUILD_CREATEs parsed, every server READY listed served (its arrival recorded and its plan
        requested) and the reminders' planning idle. Waits a minute at most for the servers."""
        communities = self.core.services.communities
        for _ in range(STARTUP_SERVED_POLLS):
            if all(communities.serves(guild.id) for guild in self.guilds if self.owns_community(guild.id)):
                break
            await asyncio.sleep(STARTUP_SERVED_POLL_SECONDS)
        await self.core.services.reminders.idle()
        await release_free_heap_soon()

    async def on_message(self, message: discord.Message, /) -> None:
        """Deliberately nothing: commands.Bot would parse every message for prefix commands."""

    async def close(self) -> None:
        if self.owns_core and hasattr(self, "core"):
            await self.core.close()  # stops between two sends
        await super().close()


def quiet_voice_warnings() -> None:
    """The bot never joins voice: discord.py's warnings that voice libraries are missing are noise at every start."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def discord_failure(error: BaseException) -> UserFacingError | None:
    """One line with the next step for a way the Discord front end fails to start or stay connected; None for
    anything else (``GatewayUnreachableError`` included: the runner says it, unless it was stopping anyway)."""
    if isinstance(error, discord.LoginFailure):
        return UserFacingError(TOKEN_REFUSED)
    if isinstance(error, discord.ConnectionClosed):
        if error.code == 4004:  # the gateway's own "authentication failed"
            return UserFacingError(TOKEN_REFUSED)
        return UserFacingError(
            f"Discord closed the gateway connection with code {error.code} ({error.reason or 'no reason given'}) "
            "and the bot cannot resume: start it again; if this repeats, look the code up at "
            "https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes"
        )
    if isinstance(error, aiohttp.ClientConnectionError | TimeoutError):
        return UserFacingError(unreachable_discord_text(error))
    if isinstance(error, GatewayUnreachableError):
        return UserFacingError(
            f"Discord accepted the token but its gateway at {error.gateway} "
            "cannot be reached: check that a firewall or proxy lets websockets (wss://) through (and "
            "DISCORD_GATEWAY_URL if set), then start the bot again"
        )
    if isinstance(error, discord.DiscordServerError):
        return UserFacingError(
            f"Discord answered with a server error ({error.status}) while the bot logged in: it is probably "
            "having trouble (see https://discordstatus.com); start the bot again in a few minutes"
        )
    return None


def without_message_content(settings: Settings) -> Settings:
    """Discord refused the privileged Message Content intent: the settings to start again with, said once."""
    if not settings.message_content_intent:
        raise UserFacingError("Discord refused a privileged intent the bot did not ask for; please report this")
    log.warning(
        "Discord refused the Message Content intent (switch it on in the developer portal under "
        "Bot > Privileged Gateway Intents). Carrying on without it: replies in prompt threads are not "
        "collected; /answer and the Answer buttons still work."
    )
    return dataclasses.replace(settings, message_content_intent=False)
