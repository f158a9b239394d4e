"""``python -m bot run``: the front ends that have tokens, one core for them all, one event loop, one database.

Discord starts when DISCORD_TOKEN is set, Slack when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are (both: both).
The order, so that the core is assembled once and started once every front end has attached:

1. each front end is built; Slack's adapters exist at once, Discord's when its bot logs in (its ``setup_hook``
   loads the ``cogs._discord`` extension and asks this module's factory for the core);
2. the core is built with every front end's adapters (``bot.core.build_core``);
3. Slack attaches (its listeners, Socket Mode), then the core starts its scheduler and jobs;
4. Discord connects to its gateway; everything runs until SIGTERM or SIGINT, or until a front end fails;
5. the core stops first (its jobs stop between two sends), then the front ends close.

Front ends are imported here only when their tokens are set, so a Slack-only deployment never starts
discord.py's machinery and a Discord-only one never imports slack-bolt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.core import Core, PlatformAdapters, Ready, build_core
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import Platform
from bot.heap import RELEASE_INTERVAL_MINUTES, release_free_heap_soon
from bot.storage.engine import Database, open_database

if TYPE_CHECKING:
    from bot.client import WorkshopBot
    from bot.slack_client import SlackFrontEnd

log = logging.getLogger(__name__)

DEFAULT_EXTENSIONS: Sequence[str] | None = None  # None: the Discord front end's own list (bot.client.EXTENSIONS)


class _RetryWithoutMessageContent(Exception):
    """Discord refused the privileged Message Content intent: start again without it."""


async def run(
    settings: Settings,
    *,
    database_path: Path | str,  # a SQLite file, or a postgresql:// URL
    sync: bool = False,
    extensions: Sequence[str] | None = DEFAULT_EXTENSIONS,
    clock: Clock = system_clock,
) -> int:
    """Start every configured front end over one core and run until stopped (SIGTERM, SIGINT or a fatal error)."""
    settings.require_for_run()
    if settings.runs_discord:
        from bot.client import point_discord_py_at, quiet_voice_warnings

        point_discord_py_at(settings)
        quiet_voice_warnings()
    async with open_database(database_path, exclusive=True) as db:
        intent_refused = False
        while True:
            process = _Process(
                settings, db, sync=sync, extensions=extensions, clock=clock, intent_refused=intent_refused
            )
            try:
                await process.run_until_stopped()
                break
            except _RetryWithoutMessageContent:
                from bot.client import without_message_content

                settings = without_message_content(settings)
                intent_refused = True
    log.info("stopped cleanly")
    return 0


class _Process:
    """One start of every front end over one core (started again whole if Discord refuses the intent)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        sync: bool,
        extensions: Sequence[str] | None,
        clock: Clock,
        intent_refused: bool,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.core: Core | None = None
        self.slack: SlackFrontEnd | None = None
        self.bot: WorkshopBot | None = None
        self.stopping = asyncio.Event()
        self._closed = False
        if settings.runs_slack:
            self.slack = _slack_front_end(settings, clock)
        if settings.runs_discord:
            from bot.client import EXTENSIONS, WorkshopBot

            self.bot = WorkshopBot(
                settings=settings,
                db=db,
                clock=clock,
                force_sync=sync,
                message_content_refused=intent_refused,
                extensions=EXTENSIONS if extensions is None else extensions,
                core_factory=self._core_with_discord,
            )

    def _adapters(self) -> dict[Platform, PlatformAdapters]:
        return {} if self.slack is None else {"slack": self.slack.adapters}

    def _core_with_discord(self, discord_adapters: PlatformAdapters, discord_ready: Ready) -> Core:
        """Called by the Discord bot's setup_hook, once its adapters are loaded."""
        self.core = build_core(
            self.settings,
            self.db,
            adapters={"discord": discord_adapters, **self._adapters()},
            clock=self.clock,
            ready={"discord": discord_ready},
        )
        return self.core

    async def run_until_stopped(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop, signum.name)
        try:
            await self._run()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            await self._close()

    def _stop(self, signame: str) -> None:
        log.info("%s received: stopping", signame)
        self.stopping.set()

    async def _run(self) -> None:
        bot = self.bot
        if bot is not None:
            # Logging in runs the bot's setup_hook: the Discord adapters, the core (through the factory above),
            # the cogs and the command sync.
            login = asyncio.create_task(bot.login(self.settings.require_token()), name="discord-login")
            if not await self._until_stopped(login):
                return
            self._raise_discord_failure(login)
        else:
            self.core = build_core(self.settings, self.db, adapters=self._adapters(), clock=self.clock)
        core = self.core
        assert core is not None
        if self.slack is not None:
            await self.slack.start(core)
        await core.start()
        core.scheduler.add_job(
            release_free_heap_soon,
            IntervalTrigger(minutes=RELEASE_INTERVAL_MINUTES),
            id="release-free-heap",
            replace_existing=True,
            coalesce=True,
        )
        if bot is None:
            await self.stopping.wait()
            return
        connected = asyncio.create_task(bot.connect(), name="discord")
        if await self._until_stopped(connected):
            self._raise_discord_failure(connected)  # it ended by itself: a failure, or closed
            return
        await self._close()  # the core stops first; closing the bot then ends its connection
        await asyncio.gather(connected, return_exceptions=True)

    async def _until_stopped(self, task: asyncio.Task[Any]) -> bool:
        """Wait for ``task`` or a stop signal: True when the task ended first."""
        stop = asyncio.create_task(self.stopping.wait(), name="stopping")
        try:
            await asyncio.wait([stop, task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if task.done():
            return True
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return False

    def _raise_discord_failure(self, task: asyncio.Task[Any]) -> None:
        """The Discord client's failure as one line with the next step (or as it is, if unforeseen)."""
        import discord

        from bot.client import GatewayUnreachableError, discord_failure

        error = task.exception()
        if error is None:
            return
        if isinstance(error, discord.PrivilegedIntentsRequired):
            raise _RetryWithoutMessageContent from None
        if isinstance(error, GatewayUnreachableError) and self.stopping.is_set():
            return
        failure = discord_failure(error)
        if failure is None:
            raise error
        raise failure from None

    async def _close(self) -> None:
        """The core first (its jobs stop between two sends), then the front ends. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.core is not None:
            await self.core.close()
        if self.slack is not None:
            await self.slack.close()
        if self.bot is not None:
            await self.bot.close()


def _slack_front_end(settings: Settings, clock: Clock) -> SlackFrontEnd:
    try:
        from bot.slack_client import SlackFrontEnd
    except ImportError as error:
        raise UserFacingError(
            f"the Slack front end cannot be loaded ({error}): install the bot with its Slack dependencies "
            "(pip install -e .), or unset SLACK_BOT_TOKEN and SLACK_APP_TOKEN to run Discord only"
        ) from None
    return SlackFrontEnd(settings, clock=clock)
