"""``run``: the front ends that have tokens over one core, in one event loop, started and stopped in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.runner as runner
from bot.config import Secret, Settings
from bot.core import Core, PlatformAdapters
from bot.domain.errors import SettingsError
from bot.domain.platform_ids import slack_id_to_int
from bot.heap import RELEASE_INTERVAL_MINUTES
from bot.storage.engine import open_database
from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.harness import settings_for_tests

WORKSPACE = slack_id_to_int("T0123ABCD")
SLACK_TOKENS = {"slack_bot_token": Secret("xoxb-1-2-abc"), "slack_app_token": Secret("xapp-1-A-2-def")}


class Nothing:
    """Every port, doing nothing."""

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return None

        return call

    def reads_message_content(self, thread_id: int) -> bool:
        return True


class FakeSlackFrontEnd:
    """A front end of the Slack front end's shape: it records the order of what happens to it."""

    def __init__(self, order: list[str]) -> None:
        port: Any = Nothing()
        self.adapters = PlatformAdapters(threads=port, reminders=port, names=port, retention=port, welcome=port)
        self.order = order
        self.core: Core | None = None

    async def start(self, core: Core) -> None:
        assert not core.started, "a front end attaches before the core starts its jobs"
        self.core = core
        await core.services.communities.present([WORKSPACE])
        self.order.append("slack started")

    async def close(self) -> None:
        assert self.core is not None and self.core._closed, "the core stops before the front ends close"
        self.order.append("slack closed")


@pytest.fixture
def slack_order(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    order: list[str] = []
    fake: Callable[..., FakeSlackFrontEnd] = lambda settings, clock: FakeSlackFrontEnd(order)  # noqa: E731
    monkeypatch.setattr(runner, "_slack_front_end", fake)
    return order


async def run_until(process: runner._Process, ready: Callable[[], bool]) -> None:
    task = asyncio.create_task(process.run_until_stopped())
    for _ in range(500):
        if task.done() or ready():
            break
        await asyncio.sleep(0.02)
    assert not task.done(), task.exception()
    process._stop("SIGTERM")
    await asyncio.wait_for(task, 10)


async def test_slack_alone_runs_over_a_core_of_its_own(slack_order: list[str], tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "bot.sqlite3", **SLACK_TOKENS)  # type: ignore[arg-type]
    async with open_database(settings.database_path, exclusive=True) as db:
        process = runner._Process(settings, db, sync=False, extensions=None, clock=lambda: _now(), intent_refused=False)
        assert process.bot is None
        await run_until(process, lambda: process.core is not None and process.core.started)
        core = process.core
        assert core is not None and core.platforms == {"slack"}
        assert core.services.communities.served() == {WORKSPACE}
    assert slack_order == ["slack started", "slack closed"]


async def test_discord_and_slack_share_one_core_one_loop_and_one_database(
    slack_order: list[str], fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    settings = settings_for_tests(fake_discord, tmp_path / "bot.sqlite3", **SLACK_TOKENS)
    restore = fake_discord.patch_discord()
    try:
        async with open_database(settings.database_path, exclusive=True) as db:
            process = runner._Process(
                settings, db, sync=False, extensions=None, clock=lambda: _now(), intent_refused=False
            )
            assert process.bot is not None

            def both_serving() -> bool:
                core = process.core
                return core is not None and core.started and GUILD_ID in core.services.communities.served()

            await run_until(process, both_serving)
            core = process.core
            assert core is not None and core.platforms == {"discord", "slack"}
            assert process.bot.services is core.services  # the Discord front end calls the same services
            assert core.services.communities.served() == {GUILD_ID, WORKSPACE}
            assert process.bot.is_closed()
    finally:
        restore()
    assert slack_order == ["slack started", "slack closed"]


async def test_without_any_front_end_run_says_both_ways_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        await runner.run(Settings(), database_path=tmp_path / "bot.sqlite3")
    text = str(refused.value)
    assert "\n" not in text and "DISCORD_TOKEN" in text and "SLACK_BOT_TOKEN" in text
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing was created


def _now() -> Any:
    from tests.harness import DEFAULT_NOW

    return DEFAULT_NOW


async def test_freed_heap_is_returned_every_few_minutes_whichever_front_ends_run(
    slack_order: list[str], tmp_path: Path
) -> None:
    settings = Settings(database_path=tmp_path / "bot.sqlite3", **SLACK_TOKENS)  # type: ignore[arg-type]
    async with open_database(settings.database_path, exclusive=True) as db:
        process = runner._Process(settings, db, sync=False, extensions=None, clock=lambda: _now(), intent_refused=False)
        jobs: list[Any] = []

        def scheduled() -> bool:
            core = process.core
            jobs[:] = [core.scheduler.get_job("release-free-heap")] if core is not None and core.started else []
            return bool(jobs) and jobs[0] is not None

        await run_until(process, scheduled)
        assert jobs[0].trigger.interval.total_seconds() == RELEASE_INTERVAL_MINUTES * 60
