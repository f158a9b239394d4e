"""A sharded bot's life on Discord (issue 20, items 3 and 7): each shard's fresh connection catches up what it
missed, and servers that removed the bot while it was away are recorded as left.

Docs: events/gateway.mdx ("Resuming": after Invalid Session with ``d: false`` the app identifies afresh),
events/gateway-events.mdx ("Invalid Session", "Ready": the guilds the user is in).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.client import WorkshopBot
from bot.domain.communities import shard_of
from bot.domain.programme import SessionRecord
from bot.storage.database import Database
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.harness import BotRunner, FakeClock, settings_for_tests

SHARDS = 2


async def eventually(check: object, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"{what} never happened")
        await asyncio.sleep(0.01)


async def thread_replies(bot: WorkshopBot, session: SessionRecord) -> list[str]:
    return [r.text for r in await bot.services.threads.contributions.for_prompt(session.prompts[0].id)]


async def test_a_shard_that_must_identify_afresh_catches_up_the_replies_of_the_gap(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    others = fake_discord.world.add_guilds(3, channels=["general"])
    shards_used = {shard_of(g.id, SHARDS) for g in [fake_discord.world.guild, *others]}
    assert shards_used == {0, 1}, "the fake spreads its guilds over both shards"
    target = shard_of(GUILD_ID, SHARDS)
    path = tmp_path / "bot.sqlite3"
    settings = settings_for_tests(fake_discord, path, shard_count=SHARDS, shard_ids=(0, 1), message_content_intent=True)
    async with Database.open(path, exclusive=True) as db:
        bot = WorkshopBot(settings=settings, db=db, clock=clock)
        readies: list[str] = []
        shard_readies: list[int] = []

        async def on_ready() -> None:
            readies.append("ready")

        async def on_shard_ready(shard_id: int) -> None:
            shard_readies.append(shard_id)

        bot.add_listener(on_ready)
        bot.add_listener(on_shard_ready)
        # The client's fresh IDENTIFY of the invalidated shard waits here, so the test controls the gap
        # (discord.py's own hook would sleep 5 s).
        in_the_gap = asyncio.Event()
        end_the_gap = asyncio.Event()

        async def before_identify_hook(shard_id: int | None, *, initial: bool = False) -> None:
            if not initial and shard_id == target:
                in_the_gap.set()
                await end_the_gap.wait()

        bot.before_identify_hook = before_identify_hook  # type: ignore[method-assign]
        async with fake_discord.run_bot(bot, wait_on_ready=True):
            opened = await fake_discord.slash("owner", "threads open", week=3)
            await opened.final()
            session = (await bot.services.programme.require(GUILD_ID)).session_for_week(3)
            assert session is not None
            first = fake_discord.threads_in("general")[0]
            await fake_discord.post_message(first, "alice", "Said while the shard listened")

            async def first_recorded() -> bool:
                return await thread_replies(bot, session) == ["Said while the shard listened"]

            await eventually(first_recorded, "the live reply to be recorded")
            other_shard_session = fake_discord.gateway.session_of_shard(1 - target)

            fake_discord.gateway.invalidate_shard_session(target)
            await asyncio.wait_for(in_the_gap.wait(), 10)
            # Nothing reaches the bot about this server now: its shard has no session.
            await fake_discord.post_message(first, "bob", "Posted in the gap")
            end_the_gap.set()

            async def caught_up() -> bool:
                return await thread_replies(bot, session) == ["Said while the shard listened", "Posted in the gap"]

            await eventually(caught_up, "the shard's fresh connection to catch the gap's reply up")
            assert readies == ["ready"], "discord.py fires on_ready once: the catch-up cannot hang off it"
            assert shard_readies.count(target) == 2 and shard_readies.count(1 - target) == 1
            assert not other_shard_session.ended, "the other shard's session went on"


async def test_a_server_that_removed_the_bot_while_it_was_down_is_recorded_as_left_and_purged_later(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    removed, kept = fake_discord.world.add_guilds(2, channels=["general"])
    async with bot_runner.running(guild_id=None) as bot:
        communities = bot.services.communities
        await fake_discord.wait_for(lambda: {removed.id, kept.id} <= communities.served(), what="both servers served")
        programme = PROGRAMME_TOML.read_bytes()
        from bot.domain.parsers import parse_programme_file

        parsed = parse_programme_file(programme, filename=PROGRAMME_TOML.name, default_timezone="Europe/London")
        await bot.services.programme.import_programme(removed.id, parsed)

    fake_discord.remove_bot_from_guild(removed)  # no session is connected: the bot hears nothing of it
    clock.advance(timedelta(days=1))

    async with bot_runner.running(guild_id=None) as bot:
        communities = bot.services.communities

        async def recorded_left() -> bool:
            record = await communities.repository.get(removed.id)
            return record is not None and record.left_at is not None

        await eventually(recorded_left, "the removal to be recorded at start")
        assert removed.id not in communities.served() and kept.id in communities.served()
        assert await bot.services.programme.get(removed.id) is not None, "kept for the grace period"
        assert await communities.purge_departed() == []
        clock.advance(bot.settings.leave_grace + timedelta(seconds=1))
        assert await communities.purge_departed() == [removed.id]
        assert await bot.services.programme.get(removed.id) is None
        kept_record = await communities.repository.get(kept.id)
        assert kept_record is not None and kept_record.left_at is None


@pytest.mark.parametrize("shard_ids", [(0,), (1,)])
async def test_a_process_records_as_left_only_servers_of_its_own_shards(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock, shard_ids: tuple[int, ...]
) -> None:
    guilds = fake_discord.world.add_guilds(4, channels=["general"])
    path = tmp_path / "bot.sqlite3"
    async with Database.open(path, exclusive=True) as db:
        # The database knows every server as present (another process, or an earlier run, recorded them).
        from bot.storage.communities import CommunityRepository

        repository = CommunityRepository(db)
        for guild in guilds:
            await repository.record_present(guild.id, clock(), joined=True)
        gone = guilds[0]
        fake_discord.remove_bot_from_guild(gone)
        settings = settings_for_tests(fake_discord, path, guild_id=None, shard_count=SHARDS, shard_ids=shard_ids)
        bot = WorkshopBot(settings=settings, db=db, clock=clock)
        async with fake_discord.run_bot(bot, wait_on_ready=True):
            mine = {g.id for g in guilds if shard_of(g.id, SHARDS) in shard_ids}
            await fake_discord.wait_for(
                lambda: bot.services.communities.served() == mine - {gone.id}, what="this process's servers served"
            )
            record = await repository.get(gone.id)
            assert record is not None
            assert (record.left_at is not None) == (gone.id in mine)
            for guild in guilds[1:]:
                kept = await repository.get(guild.id)
                assert kept is not None and kept.left_at is None, "another shard's server is not this process's call"
