"""An erasure is final on every path (issue 20, item 5), through the local Discord.

The catch-ups and syncs that read what Discord still shows: the thread catch-up (tests/cogs/test_threads.py,
test_an_erased_members_thread_messages_are_not_recorded_again_when_the_bot_catches_up; here on each engine, with
the erasure record holding a pseudonym, not the id: migration 0014), the Interested catch-up
at start (and in the periodic sync), and what hangs off Interested (reminder DMs to the Interested). Each is
run here or there against a member who erased their data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.client import WorkshopBot
from bot.storage.engine import open_database
from tests.cogs.test_session_events import WEEK8_START, eventually, live_events, switch_on
from tests.cogs.test_threads import recorded_count_is, replies_of, run, week
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock, settings_for_tests

H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def fake_follows_the_bots_clock(fake_discord: FakeDiscord, clock: FakeClock) -> None:
    fake_discord.core.event_clock = clock


async def interested_ids(bot: WorkshopBot, event_id: int) -> set[int]:
    found = await bot.db.fetchall("SELECT user_id FROM event_interest WHERE event_id = ?", (event_id,))
    return {int(row[0]) for row in found}


async def erase_through_mydata(fake: FakeDiscord, user: str) -> None:
    question = await (await fake.slash(user, "mydata delete")).final()
    confirm = next(c for c in question.custom_ids if c.endswith(":yes"))
    done = await (await fake.click(user, question, confirm)).final()
    assert "deleted" in done.content.lower()


async def test_erased_interested_clicks_never_come_back_at_the_next_start_or_sync(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    carol, bob = fake_discord.user("carol").id, fake_discord.user("bob").id
    async with bot_runner.running() as bot:
        await switch_on(fake_discord, bot, reminder_dms_to="opted_in_and_interested")
        [week8] = live_events(fake_discord)
        fake_discord.mark_interested("carol", week8)
        fake_discord.mark_interested("bob", week8)

        async def both() -> bool:
            return await interested_ids(bot, week8.id) == {carol, bob}

        await eventually(both, "the Interested clicks")
        await erase_through_mydata(fake_discord, "carol")
        assert await interested_ids(bot, week8.id) == {bob}
        # The periodic sync's catch-up, while running.
        await bot.services.events.catch_up_interest(bot.dev_guild_id)
        assert await interested_ids(bot, week8.id) == {bob}
    # Carol's click is still on Discord: the catch-up at the next start does not write it back.
    async with bot_runner.running() as bot:
        await bot.services.events.settled(bot.dev_guild_id)
        await bot.services.events.catch_up_interest(bot.dev_guild_id)
        assert await interested_ids(bot, week8.id) == {bob}
        mydata = await (await fake_discord.slash("carol", "mydata show")).final()
        assert "Interested" not in str(mydata.embeds) + mydata.content
        # Nor does the reminder DM to the Interested reach her.
        clock.now = WEEK8_START - H
        bot.services.reminders.request(bot.dev_guild_id)
        await bot.services.reminders.idle()
        assert fake_discord.dms_to("carol") == []
        assert len(fake_discord.dms_to("bob")) == 1
        # A click made after the erasure is a new choice, freely made: it counts, and stays through catch-ups.
        fake_discord.unmark_interested("carol", week8)
        fake_discord.mark_interested("carol", week8)

        async def carol_again() -> bool:
            return carol in await interested_ids(bot, week8.id)

        await eventually(carol_again, "Carol's new click")
        await bot.services.events.catch_up_interest(bot.dev_guild_id)
        assert await interested_ids(bot, week8.id) == {bob, carol}


@asynccontextmanager
async def running_on(database: str, fake: FakeDiscord, clock: FakeClock) -> AsyncIterator[WorkshopBot]:
    """The bot over ``database`` (a SQLite file, or PostgreSQL's URL); leaving the block and entering again is a
    restart, as after a deploy."""
    settings = settings_for_tests(fake, Path(database), message_content_intent=True)
    async with open_database(database) as db:
        bot = WorkshopBot(settings=settings, db=db, clock=clock)
        async with fake.run_bot(bot) as running:
            yield running


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_the_thread_catch_up_after_a_restart_finds_the_erasure_by_the_members_pseudonym(
    engine: str, fake_discord: FakeDiscord, clock: FakeClock, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database = str(tmp_path / "bot.sqlite3") if engine == "sqlite" else request.getfixturevalue("postgres_dsn")
    alice = fake_discord.user("alice").id
    clock.now = datetime.now(
        UTC
    )  # the erasure is weighed against Discord's posting times: the bot's clock is Discord's
    async with running_on(database, fake_discord, clock) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1 = fake_discord.threads_in("general")[0]
        await fake_discord.post_message(q1, "alice", "My view")
        await eventually(lambda: recorded_count_is(bot, 1), "alice's reply to be recorded")
        clock.now = datetime.now(UTC)
        await erase_through_mydata(fake_discord, "alice")
        [(member_key,)] = [tuple(r) for r in await bot.db.fetchall("SELECT member_key FROM erasures")]
        assert str(alice) not in member_key and len(member_key) == 64  # her pseudonym, not her id

    await fake_discord.post_message(q1, "alice", "Posted after the erasure, while the bot was down")
    await fake_discord.post_message(q1, "bob", "Posted while the bot was down")
    async with running_on(database, fake_discord, clock) as bot:
        await eventually(lambda: recorded_count_is(bot, 2), "the replies posted while it was down to be caught up")
        prompt_id = (await week(bot)).prompts[0].id
        # "My view" is still in the thread, and still not recorded: the catch-up found alice's erasure record.
        assert sorted(await replies_of(bot, fake_discord, prompt_id)) == [
            ("alice", "Posted after the erasure, while the bot was down"),
            ("bob", "Posted while the bot was down"),
        ]
