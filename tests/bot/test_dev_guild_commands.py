"""Removing GUILD_ID removes the commands once registered in that development server (issue 20, item 11):
otherwise its members see every command twice, the server's copy beside the global one."""

from __future__ import annotations

import logging

import pytest

from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.harness import BotRunner


def guild_puts(fake: FakeDiscord, guild_id: int) -> int:
    return fake.core.command_puts.get(guild_id, 0)


async def test_the_former_development_servers_commands_are_removed_once_and_come_back_with_it(
    bot_runner: BotRunner, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_runner.running():
        await fake_discord.wait_for_commands(guild_id=GUILD_ID)
    assert fake_discord.registered_commands(GUILD_ID)
    assert not fake_discord.core.global_commands()

    with caplog.at_level(logging.INFO, logger="bot.client"):
        async with bot_runner.running(guild_id=None):
            await fake_discord.wait_for_global_commands()
    assert fake_discord.registered_commands(GUILD_ID) == [], "the server's copy is gone"
    assert fake_discord.core.global_commands(), "the global commands serve every server, that one included"
    assert f"removed the slash commands once registered in development server {GUILD_ID}" in caplog.text

    puts = guild_puts(fake_discord, GUILD_ID)
    async with bot_runner.running(guild_id=None):
        pass
    assert guild_puts(fake_discord, GUILD_ID) == puts, "removed once: the record of it is gone"

    async with bot_runner.running():  # GUILD_ID again: its commands are registered afresh, not "unchanged"
        await fake_discord.wait_for_commands(guild_id=GUILD_ID)
    assert fake_discord.registered_commands(GUILD_ID)


async def test_moving_the_development_server_clears_the_old_one(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    other = fake_discord.world.add_guild("Second dev server", channels=["general"])
    async with bot_runner.running():
        await fake_discord.wait_for_commands(guild_id=GUILD_ID)
    async with bot_runner.running(guild_id=other.id):
        await fake_discord.wait_for_commands(guild_id=other.id)
    assert fake_discord.registered_commands(other.id)
    assert fake_discord.registered_commands(GUILD_ID) == []
    assert not fake_discord.core.global_commands()


async def test_a_former_development_server_discord_will_not_reach_is_forgotten_not_retried(
    bot_runner: BotRunner, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_runner.running() as bot:
        await fake_discord.wait_for_commands(guild_id=GUILD_ID)
        gone = 1234567890123456789
        await bot.services.state.set(f"command_sync:{gone}", "digest")  # a server the bot was since removed from
    with caplog.at_level(logging.WARNING, logger="bot.client"):
        async with bot_runner.running() as bot:
            assert await bot.services.state.keys("command_sync:") == [f"command_sync:{GUILD_ID}"]
    assert f"development server {gone} cannot be reached" in caplog.text
    assert fake_discord.registered_commands(GUILD_ID), "the current development server keeps its commands"
