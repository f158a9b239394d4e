"""The bot and its composition root.

``run`` opens the database, builds the bot with everything injected, and starts it. ``setup_hook`` is
the one place start-up work happens: the Discord adapters (the ``cogs._discord`` extension, loaded by name
first: see its docstring for why), the services built with them, the first programme import, the
scheduler, the cogs, and a command sync only when the command set changed. Nothing in ``bot/`` imports a
cog module.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from discord.ext import commands

from bot.config import Settings, server_defaults
from bot.domain.clock import Clock, system_clock
from bot.domain.communities import owns_community, rate_share
from bot.domain.errors import UserFacingError
from bot.domain.parsers import parse_programme_file
from bot.services.answers import AnswerService
from bot.services.communities import CommunityService, WelcomePoster
from bot.services.deliberation import DeliberationService
from bot.services.exports import DisplayNames, ExportService
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders import SWEEP_INTERVAL, ReminderSender, ReminderService
from bot.services.report import ReportService
from bot.services.retention import RetentionNotifier, RetentionService
from bot.services.server_settings import ServerSettingsService
from bot.services.session_events import SYNC_INTERVAL_HOURS, ScheduledEventPort, SessionEventService
from bot.services.stats import StatsService
from bot.services.threads import ThreadGateway, ThreadService
from bot.storage.engine import Database, open_database
from bot.storage.state import StateRepository
from bot.storage.unit_of_work import unit_of_work_factory
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


@dataclass(frozen=True)
class DiscordAdapters:
    """How the services reach Discord: one adapter per service port, handed to the services' constructors."""

    threads: ThreadGateway
    reminders: ReminderSender
    names: DisplayNames
    retention: RetentionNotifier
    events: ScheduledEventPort
    welcome: WelcomePoster


@dataclass(frozen=True)
class Services:
    """Everything the cogs call. Built once in setup_hook."""

    programme: ProgrammeService
    settings: ServerSettingsService
    state: StateRepository
    answers: AnswerService
    threads: ThreadService
    reminders: ReminderService
    exports: ExportService
    stats: StatsService
    report: ReportService
    retention: RetentionService
    problems: RuntimeProblems
    events: SessionEventService
    communities: CommunityService
    deliberation: DeliberationService


def build_intents(settings: Settings) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # channels, threads and roles in the cache
    intents.guild_messages = True  # replies in prompt threads become answers
    intents.message_content = settings.message_content_intent  # privileged: off unless asked for
    intents.guild_scheduled_events = True  # Interested clicks on the sessions' events (not privileged)
    return intents


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


class GatewayUnreachableError(Exception):
    """The token was accepted over REST, but no websocket to the gateway opens."""

    def __init__(self, gateway: str) -> None:
        super().__init__(gateway)
        self.gateway = gateway


class WorkshopBot(commands.AutoShardedBot):
    """The bot. Sharded: one process runs SHARD_IDS of SHARD_COUNT shards (both unset: every shard of the
    count Discord recommends), and serves the servers of those shards only (``owns_community``)."""

    services: Services

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
        )
        self.settings = settings
        # A development server (GUILD_ID): its commands are synced to it alone, at once, and it gets the
        # programme file at first start. Without one the commands are global and every server starts empty.
        self.dev_guild_id: int | None = settings.guild_id
        self.db = db
        self.clock = clock
        self.extensions_to_load = tuple(extensions)
        self.adapters_extension = adapters_extension
        self._adapters: DiscordAdapters | None = None  # handed over by the adapters extension
        self.force_sync = force_sync
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.failed_extensions: list[str] = []
        # Thread replies are collected only with the privileged Message Content intent granted.
        self.message_content_enabled = settings.message_content_intent
        self.message_content_refused = message_content_refused
        self.reminder_sweep_interval = reminder_sweep_interval  # seconds between reminder safety-net passes
        self.gateway_reached = False  # set once a websocket to the gateway opened

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

    def use_discord_adapters(self, adapters: DiscordAdapters) -> None:
        """Called once by the adapters extension's ``setup``, before the services are built."""
        if hasattr(self, "services"):
            raise RuntimeError("the Discord adapters are handed over before the services are built, not after")
        self._adapters = adapters

    @property
    def discord_adapters(self) -> DiscordAdapters:
        if self._adapters is None:
            raise RuntimeError("the Discord adapters are not loaded yet")
        return self._adapters

    def owns_community(self, community_id: int) -> bool:
        """Whether this process runs the shard of the community (SHARD_COUNT and SHARD_IDS; all if unset)."""
        return owns_community(community_id, self.settings.shard_count, self.settings.shard_ids)

    async def setup_hook(self) -> None:
        await self.prepare()
        communities = self.services.communities
        await communities.load(also=() if self.dev_guild_id is None else (self.dev_guild_id,))
        await self._import_first_programme()
        self.scheduler.start()
        # Reminders re-plan when the programme or settings change, and start (catch-up included) once
        # everything is loaded.
        self.services.programme.on_change(self.services.reminders.on_programme_change)
        self.services.settings.on_change(self.services.reminders.on_settings_change)
        self.services.programme.on_change(self.services.events.on_programme_change)
        self.services.settings.on_change(self.services.events.on_settings_change)
        communities.on_arrival(self._community_arrived)
        await self.services.reminders.start()
        # Sessions as Discord events (when switched on): reconciled once the gateway cache is ready, then
        # every few hours, as earlier events complete and make room under Discord's limit.
        for community_id in sorted(communities.served()):
            self.services.events.request_start(community_id, ready=self.wait_until_ready)
        self.scheduler.add_job(
            self._sync_events_everywhere,
            IntervalTrigger(hours=SYNC_INTERVAL_HOURS),
            id="session-events",
            replace_existing=True,
            coalesce=True,
        )
        await self.sync_commands(force=self.force_sync)
        # Retention (answers deleted a set time after the programme, organisers warned a week before): checked
        # now, and then daily.
        self.scheduler.add_job(
            self.services.retention.run_due,
            IntervalTrigger(days=1),
            id="retention",
            replace_existing=True,
            misfire_grace_time=None,  # a busy moment must not skip a day
            coalesce=True,
        )
        await self.services.retention.run_due()
        # Servers the bot was removed from: their data is deleted once the grace period is over.
        self.scheduler.add_job(
            communities.purge_departed,
            IntervalTrigger(days=1),
            id="departed-servers",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        await communities.purge_departed()

    async def _community_arrived(self, community_id: int) -> None:
        """A server this process starts serving while running (joined, or found at ready): its jobs start."""
        self.services.reminders.request(community_id)
        self.services.events.request_start(community_id, ready=self.wait_until_ready)

    async def _sync_events_everywhere(self) -> None:
        for community_id in sorted(self.services.communities.served()):
            self.services.events.request_sync(community_id)

    async def prepare(self) -> None:
        """The Discord adapters, the services and the cogs, so the command tree is complete: nothing started,
        nothing sent to Discord.

        ``setup_hook`` goes on from here; the preflight check (``python -m bot check``) stops here.
        """
        await self.load_extension(self.adapters_extension)  # not caught: without adapters the bot cannot work
        if self._adapters is None:
            raise RuntimeError(f"the extension {self.adapters_extension} did not hand over the Discord adapters")
        self.services = self._build_services(self.discord_adapters)
        for extension in self.extensions_to_load:
            try:
                await self.load_extension(extension)
            except Exception:
                self.failed_extensions.append(extension)
                log.exception("extension %s failed to load; the others go on", extension)

    def _build_services(self, adapters: DiscordAdapters) -> Services:
        defaults = server_defaults(self.settings)
        server_settings = ServerSettingsService(self.db, defaults, clock=self.clock)
        uow = unit_of_work_factory(self.db)
        programme = ProgrammeService(self.db, uow=uow, clock=self.clock)
        problems = RuntimeProblems(self.clock)
        events = SessionEventService(
            self.db, programme, server_settings, port=adapters.events, problems=problems, clock=self.clock
        )
        exports = ExportService(
            self.db, export_secret=self.settings.export_secret, names=adapters.names, clock=self.clock
        )
        stats = StatsService(self.db)
        communities = CommunityService(
            self.db,
            owns=self.owns_community,
            welcome=adapters.welcome,
            leave_grace=self.settings.leave_grace,
            clock=self.clock,
        )
        deliberation = DeliberationService(self.db, clock=self.clock)
        return Services(
            communities=communities,
            events=events,
            programme=programme,
            settings=server_settings,
            state=StateRepository(self.db),
            exports=exports,
            stats=stats,
            report=ReportService(self.db, exports, stats, clock=self.clock, deliberation=deliberation),
            retention=RetentionService(
                self.db,
                server_settings,
                notifier=adapters.retention,
                problems=problems,
                clock=self.clock,
                community_ids=communities.served,
            ),
            problems=problems,
            deliberation=deliberation,
            answers=AnswerService(self.db, server_settings, uow=uow, clock=self.clock),
            threads=ThreadService(
                self.db, server_settings, gateway=adapters.threads, problems=problems, clock=self.clock
            ),
            reminders=ReminderService(
                self.db,
                programme,
                server_settings,
                community_ids=communities.served,
                sender=adapters.reminders,
                problems=problems,
                clock=self.clock,
                # DM_RATE_PER_SECOND is the application's: this process paces at its shards' share of it
                dm_rate_per_second=self.settings.dm_rate_per_second
                * rate_share(self.settings.shard_count, self.settings.shard_ids),
                scheduler=self.scheduler,
                sweep_interval=self.reminder_sweep_interval,
            ),
        )

    async def _import_first_programme(self) -> None:
        """PROGRAMME_FILE into the development server (GUILD_ID) when it has no programme yet.

        Only there: a server that adds a hosted bot starts with no programme, and its organisers /import
        their own (the file is the host's, and may be another group's programme).
        """
        guild_id = self.dev_guild_id
        if guild_id is None:
            return
        try:
            if await self.services.programme.get(guild_id) is not None:
                return
        except Exception:
            # A stored value this version cannot read must not keep the bot from starting: organisers can
            # still re-import, and the commands that need the programme say what is wrong.
            log.exception("the stored programme of guild %s cannot be read; re-import it with /import", guild_id)
            return
        path = self.settings.programme_file
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            log.warning("no programme yet and %s cannot be read; an organiser can /import one", path)
            return
        try:
            programme = parse_programme_file(data, filename=path.name, default_timezone=self.settings.timezone)
            await self.services.programme.import_programme(guild_id, programme)
        except UserFacingError as error:
            log.error("the programme in %s was not imported: %s", path, error)
            return
        log.info("imported %s for guild %s on first start", path, guild_id)

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
        key = f"command_sync:{scope}"
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

    async def on_ready(self) -> None:
        log.info("ready as %s (id %s) in %d server(s)", self.user, self.user.id if self.user else "?", len(self.guilds))
        if not self.message_content_enabled:
            log.warning(
                "the Message Content intent is off: replies in prompt threads are not collected as answers "
                "(set MESSAGE_CONTENT_INTENT=true and switch it on in the developer portal)"
            )

    async def on_message(self, message: discord.Message, /) -> None:
        """Deliberately nothing: commands.Bot would parse every message for prefix commands."""

    async def close(self) -> None:
        if hasattr(self, "services"):
            await self.services.reminders.close()  # stops between two sends
            await self.services.events.close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await super().close()


async def run(
    settings: Settings,
    *,
    token: str,
    database_path: Path | str,  # a SQLite file, or a postgresql:// URL
    sync: bool = False,
    extensions: Sequence[str] = EXTENSIONS,
) -> int:
    """Start the bot and run until it is stopped (SIGTERM, SIGINT or a fatal error)."""
    point_discord_py_at(settings)
    # The bot never joins voice: discord.py's warnings that voice libraries are missing are noise at every start.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    async with open_database(database_path, exclusive=True) as db:
        intent_refused = False
        while True:
            bot = WorkshopBot(
                settings=settings,
                db=db,
                force_sync=sync,
                message_content_refused=intent_refused,
                extensions=extensions,
            )
            try:
                await _run_until_stopped(bot, token)
                break
            except discord.PrivilegedIntentsRequired:
                if not settings.message_content_intent:
                    raise UserFacingError(
                        "Discord refused a privileged intent the bot did not ask for; please report this"
                    ) from None
                log.warning(
                    "Discord refused the Message Content intent (switch it on in the developer portal under "
                    "Bot > Privileged Gateway Intents). Carrying on without it: replies in prompt threads are not "
                    "collected; /answer and the Answer buttons still work."
                )
                settings = dataclasses.replace(settings, message_content_intent=False)
                intent_refused = True
    log.info("stopped cleanly")
    return 0


async def _run_until_stopped(bot: WorkshopBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop(signame: str) -> None:
        log.info("%s received: stopping", signame)
        if not stopping:
            stopping.append(loop.create_task(bot.close()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum.name)
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        raise UserFacingError(TOKEN_REFUSED) from None
    except discord.ConnectionClosed as error:
        if error.code == 4004:  # the gateway's own "authentication failed"
            raise UserFacingError(TOKEN_REFUSED) from None
        raise UserFacingError(
            f"Discord closed the gateway connection with code {error.code} ({error.reason or 'no reason given'}) "
            "and the bot cannot resume: start it again; if this repeats, look the code up at "
            "https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes"
        ) from None
    except (aiohttp.ClientConnectionError, TimeoutError) as error:
        raise UserFacingError(unreachable_discord_text(error)) from None
    except GatewayUnreachableError as error:
        if stopping:
            return
        raise UserFacingError(
            f"Discord accepted the token but its gateway at {error.gateway} "
            "cannot be reached: check that a firewall or proxy lets websockets (wss://) through (and "
            "DISCORD_GATEWAY_URL if set), then start the bot again"
        ) from None
    except discord.DiscordServerError as error:
        raise UserFacingError(
            f"Discord answered with a server error ({error.status}) while the bot logged in: it is probably "
            "having trouble (see https://discordstatus.com); start the bot again in a few minutes"
        ) from None
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if stopping:
            await asyncio.gather(*stopping, return_exceptions=True)
