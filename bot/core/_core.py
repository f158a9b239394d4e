"""The core, assembled once per process: settings, database, clock, scheduler and the services, with the
jobs that run whichever front ends are attached (reminders, retention, departed communities, event sync).

``build_core`` takes every front end's adapters at once (``PlatformAdapters`` by platform) and gives the
services routers over them; ``Core.start`` loads the served communities and starts the scheduler and the
jobs, once every front end has attached; ``Core.close`` stops them. Nothing here knows discord.py or
slack-bolt: the front ends (``bot.client`` for Discord, ``bot.slack_client`` for Slack) build their adapters,
and this module only sees the ports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings, server_defaults
from bot.core._routing import PlatformAdapters, routers_for
from bot.domain.clock import Clock, system_clock
from bot.domain.communities import owns_community, rate_share
from bot.domain.errors import UserFacingError
from bot.domain.parsers import parse_programme_file
from bot.domain.platform_ids import DISCORD, SLACK, Platform, platform_of
from bot.services.answers import AnswerService
from bot.services.communities import CommunityService
from bot.services.deliberation import DeliberationService
from bot.services.exports import ExportService
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders import SWEEP_INTERVAL, ReminderService
from bot.services.report import ReportService
from bot.services.retention import RetentionService
from bot.services.server_settings import ServerSettingsService
from bot.services.session_events import SYNC_INTERVAL_HOURS, SessionEventService
from bot.services.stats import StatsService
from bot.services.threads import ThreadService
from bot.storage.engine import Database
from bot.storage.erasures import ErasureRecords
from bot.storage.state import StateRepository
from bot.storage.unit_of_work import unit_of_work_factory

log = logging.getLogger(__name__)

Ready = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Services:
    """Everything the front ends call. Built once per process, by ``build_core``."""

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


async def _at_once() -> None:
    return None


def process_owns(settings: Settings, platforms: frozenset[Platform]) -> Callable[[int], bool]:
    """A community is this process's when its platform is attached here and, for a Discord server, when it
    belongs to one of this process's shards (SHARD_COUNT and SHARD_IDS; all if unset). A Slack workspace
    this process serves is its own: each deployment serves its workspace from one process."""

    def owns(community_id: int) -> bool:
        platform = platform_of(community_id)
        if platform not in platforms:
            return False
        if platform == DISCORD:
            return owns_community(community_id, settings.shard_count, settings.shard_ids)
        return True

    return owns


class Core:
    """The process's core: what every front end attaches to. Built by ``build_core``."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        clock: Clock,
        scheduler: AsyncIOScheduler,
        services: Services,
        platforms: frozenset[Platform],
        ready: Mapping[Platform, Ready],
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.services = services
        self.platforms = platforms
        self._ready = dict(ready)
        self.started = False
        self._closed = False

    def has_scheduled_events(self, community_id: int) -> bool:
        """Whether the community's platform has scheduled events (Discord does; Slack does not)."""
        return platform_of(community_id) == DISCORD and DISCORD in self.platforms

    async def start(self) -> None:
        """The served communities, the first programme, the scheduler and every job; once, after every front
        end has attached (their adapters given to ``build_core``; their listeners registered)."""
        if self.started:
            return
        self.started = True
        # First: a damaged erasure key stops the bot before it reads any thread (and converts, once, the erasure
        # records an upgrade carried over).
        await ErasureRecords(self.db).prepare()
        services = self.services
        communities = services.communities
        dev_guild = self.settings.guild_id if DISCORD in self.platforms else None
        await communities.load(also=() if dev_guild is None else (dev_guild,))
        await self.import_first_programme()
        self.scheduler.start()
        # Reminders re-plan when the programme or settings change, and start (catch-up included) once
        # everything is loaded.
        services.programme.on_change(services.reminders.on_programme_change)
        services.settings.on_change(services.reminders.on_settings_change)
        services.programme.on_change(services.events.on_programme_change)
        services.settings.on_change(services.events.on_settings_change)
        communities.on_arrival(self._communities_arrived)
        await services.reminders.start()
        # Sessions as scheduled events (when switched on): reconciled once the front end is ready, then every
        # few hours, as earlier events complete and make room under Discord's limit.
        for community_id in sorted(communities.served()):
            self._start_events(community_id)
        self.scheduler.add_job(
            self._sync_events_everywhere,
            IntervalTrigger(hours=SYNC_INTERVAL_HOURS),
            id="session-events",
            replace_existing=True,
            coalesce=True,
        )
        # Retention (answers deleted a set time after the programme, organisers warned a week before): checked
        # now, and then daily.
        self.scheduler.add_job(
            services.retention.run_due,
            IntervalTrigger(days=1),
            id="retention",
            replace_existing=True,
            misfire_grace_time=None,  # a busy moment must not skip a day
            coalesce=True,
        )
        await services.retention.run_due()
        # Communities the bot was removed from: their data is deleted once the grace period is over.
        self.scheduler.add_job(
            communities.purge_departed,
            IntervalTrigger(days=1),
            id="departed-servers",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        await communities.purge_departed()

    def _start_events(self, community_id: int) -> None:
        if self.has_scheduled_events(community_id):
            ready = self._ready.get(platform_of(community_id), _at_once)
            self.services.events.request_start(community_id, ready=ready)

    async def _communities_arrived(self, community_ids: list[int]) -> None:
        """Communities this process starts serving while running (joined, or found at ready): their jobs start."""
        self.services.reminders.arrived(community_ids)
        for community_id in community_ids:
            self._start_events(community_id)

    async def _sync_events_everywhere(self) -> None:
        for community_id in sorted(self.services.communities.served()):
            if self.has_scheduled_events(community_id):
                self.services.events.request_sync(community_id)

    async def import_first_programme(self) -> None:
        """PROGRAMME_FILE into the development server (GUILD_ID) when it has no programme yet.

        Only there: a server that adds a hosted bot starts with no programme, and its organisers /import
        their own (the file is the host's, and may be another group's programme).
        """
        guild_id = self.settings.guild_id
        if guild_id is None or DISCORD not in self.platforms:
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

    async def close(self) -> None:
        """Stop the jobs (between two sends) and the scheduler. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        await self.services.reminders.close()
        await self.services.events.close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def build_core(
    settings: Settings,
    db: Database,
    *,
    adapters: Mapping[Platform, PlatformAdapters],
    owns: Callable[[int], bool] | None = None,
    clock: Clock = system_clock,
    ready: Mapping[Platform, Ready] | None = None,
    reminder_sweep_interval: float = SWEEP_INTERVAL,
) -> Core:
    """The core with every front end's adapters behind the services' ports.

    ``owns``: whether a community is this process's (default: ``process_owns``). ``ready``: per platform, what
    to wait for before a community's scheduled events are reconciled (Discord: its gateway cache).
    """
    if not adapters:
        raise ValueError("the core needs the adapters of at least one front end")
    unknown = set(adapters) - {DISCORD, SLACK}
    if unknown:
        raise ValueError(f"unknown platform(s): {', '.join(sorted(unknown))}")
    platforms = frozenset(adapters)
    owns = owns or process_owns(settings, platforms)
    ports = routers_for(adapters)
    scheduler = AsyncIOScheduler(timezone=UTC)
    defaults = server_defaults(settings)
    server_settings = ServerSettingsService(db, defaults, clock=clock, places=ports.places)
    uow = unit_of_work_factory(db)
    programme = ProgrammeService(db, uow=uow, clock=clock)
    problems = RuntimeProblems(clock)
    events = SessionEventService(db, programme, server_settings, port=ports.events, problems=problems, clock=clock)
    exports = ExportService(db, export_secret=settings.export_secret, names=ports.names, clock=clock)
    stats = StatsService(db)
    deliberation = DeliberationService(db, clock=clock)
    communities = CommunityService(db, owns=owns, welcome=ports.welcome, leave_grace=settings.leave_grace, clock=clock)
    services = Services(
        communities=communities,
        events=events,
        programme=programme,
        settings=server_settings,
        state=StateRepository(db),
        exports=exports,
        stats=stats,
        report=ReportService(db, exports, stats, clock=clock, deliberation=deliberation),
        deliberation=deliberation,
        retention=RetentionService(
            db,
            server_settings,
            notifier=ports.retention,
            problems=problems,
            clock=clock,
            community_ids=communities.served,
        ),
        problems=problems,
        answers=AnswerService(db, server_settings, uow=uow, clock=clock),
        threads=ThreadService(db, server_settings, gateway=ports.threads, problems=problems, clock=clock),
        reminders=ReminderService(
            db,
            programme,
            server_settings,
            community_ids=communities.served,
            sender=ports.reminders,
            problems=problems,
            clock=clock,
            # DM_RATE_PER_SECOND is the application's: this process paces at its shards' share of it
            dm_rate_per_second=settings.dm_rate_per_second * rate_share(settings.shard_count, settings.shard_ids),
            scheduler=scheduler,
            sweep_interval=reminder_sweep_interval,
        ),
    )
    return Core(
        settings=settings,
        db=db,
        clock=clock,
        scheduler=scheduler,
        services=services,
        platforms=platforms,
        ready=ready or {},
    )
