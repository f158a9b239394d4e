"""The client's start-up and the error tree, through the local Discord."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.client import EXTENSIONS, WorkshopBot
from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.harness import BotRunner

GUILDS = 1 << 0
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16  # Interested clicks on the sessions' events (topics/gateway.mdx; not privileged)


async def test_minimal_intents_and_no_pings_by_default(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    assert fake_discord.intents == GUILDS | GUILD_MESSAGES | GUILD_SCHEDULED_EVENTS
    await (await fake_discord.slash("alice", "next")).final()
    [callback] = fake_discord.requests_matching("POST", r"/interactions/\d+/[^/]+/callback")
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}


async def test_message_content_intent_only_when_asked(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        assert fake_discord.intents == GUILDS | GUILD_MESSAGES | GUILD_SCHEDULED_EVENTS | MESSAGE_CONTENT
        assert bot.message_content_enabled


async def test_an_unexpected_error_gets_an_apology_with_an_id_and_is_logged(
    bot: WorkshopBot, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(guild_id: int) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.services.programme, "require", broken)
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        interaction = await fake_discord.slash("alice", "session", week=3)
        reply = await interaction.final()
    assert reply.ephemeral
    assert reply.content.startswith("Sorry, something went wrong on our side. (error id `")
    error_id = reply.content.split("`")[1]
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert "in session (options {'week': 3})" in record.getMessage()
    assert record.exc_info is not None
    assert interaction.callback_count == 1


async def test_errors_after_a_defer_come_as_the_follow_up(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running(extensions=(*EXTENSIONS, "tests.bot.failing_cog")):
        crash = await fake_discord.slash("alice", "crash-after-defer", note="hello")
        final = await crash.final()
        assert final.content.startswith("Sorry, something went wrong on our side.")
        assert final.ephemeral and crash.callback_count == 1
        refusal = await fake_discord.slash("alice", "refuse-after-defer")
        assert (await refusal.final()).content == "That cannot be done right now."
        assert refusal.callback_count == 1


async def test_an_expired_interaction_is_logged_not_fatal(
    bot_runner: BotRunner, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_runner.running(extensions=(*EXTENSIONS, "tests.bot.failing_cog")) as bot:
        cog: Any = bot.get_cog("FailingCog")  # not isinstance: the extension is a fresh module object
        assert cog is not None
        interaction = await fake_discord.slash("alice", "slow-refusal")
        fake_discord.interaction_ack_deadline = None  # this test lets it expire on purpose
        fake_discord.expire_interaction(interaction)
        with caplog.at_level(logging.WARNING, logger="bot.tree"):
            cog.release.set()
            await fake_discord.wait_for(
                lambda: any("could not tell the member" in r.getMessage() for r in caplog.records), what="the warning"
            )
        # The bot is still there for the next member.
        reply = await (await fake_discord.slash("bob", "next")).final()
        assert reply.ephemeral


async def test_a_cog_that_fails_to_load_is_logged_and_the_rest_still_load(
    bot_runner: BotRunner, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        async with bot_runner.running(extensions=("tests.bot.broken_cog", *EXTENSIONS)) as bot:
            assert bot.failed_extensions == ["tests.bot.broken_cog"]
            assert (await (await fake_discord.slash("alice", "next")).final()).ephemeral
    assert any("tests.bot.broken_cog failed to load" in r.getMessage() for r in caplog.records)


async def test_no_message_cache_and_no_members_but_its_own_yet_replies_edits_and_permissions_work(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    """What discord.py keeps per server is what the bot reads (bot.client.CACHE_OPTIONS): the features that
    need the rest (thread replies and their edits, permissions from roles and the bot's Member) still work."""
    async with bot_runner.running(message_content_intent=True) as bot:
        opened = await fake_discord.slash("owner", "threads open", week=3)  # permissions: roles, the bot's Member
        await opened.final()
        thread = fake_discord.threads_in("general")[0]
        reply = await fake_discord.post_message(thread, "alice", "Door-knocking")
        await fake_discord.edit_message(reply, "Door-knocking that listens")

        async def revised() -> bool:
            stored = await bot.services.threads.contributions.get(reply.id)
            return stored is not None and stored.text == "Door-knocking that listens"

        deadline = asyncio.get_running_loop().time() + 5
        while not await revised():
            assert asyncio.get_running_loop().time() < deadline, "the reply and its edit were never recorded"
            await asyncio.sleep(0.01)
        assert len(bot.cached_messages) == 0  # members' words are not kept in memory
        guild = bot.get_guild(bot.dev_guild_id or 0)
        assert guild is not None and guild.me is not None
        assert [member.id for member in guild.members] == [guild.me.id]


async def test_the_start_ups_freed_heap_is_returned_once_every_server_is_served_and_planned(
    bot_runner: BotRunner, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    released: list[tuple[bool, bool]] = []
    released_once = asyncio.Event()

    async def release() -> None:
        reminders = bot.services.reminders
        idle = reminders._worker is None or reminders._worker.done()
        released.append((bot.services.communities.serves(GUILD_ID), idle))
        released_once.set()

    monkeypatch.setattr("bot.client.release_free_heap_soon", release)
    async with bot_runner.running() as bot:
        await asyncio.wait_for(released_once.wait(), 10)
    assert released == [(True, True)]
