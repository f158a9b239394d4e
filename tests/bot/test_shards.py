"""Several instances of the bot, each running some of the application's shards over one database: each sees
and serves only its shards' servers, and a server's reminder is sent by the instance that owns it, once.

Docs: events/gateway.mdx ("Sharding", "Sharding Formula"). In production the instances are processes on one
PostgreSQL; SQLite refuses a second process, so here two instances share one process and its database.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.client import WorkshopBot
from bot.domain.communities import shard_of
from bot.services.reminders import OutgoingMessage
from bot.storage.database import Database
from tests.cogs.test_reminders import near_future_programme
from tests.fakediscord import FakeDiscord
from tests.harness import FakeClock, one_instance_per_shard

SHARDS = 2


def spy_on_channel_posts(bot: WorkshopBot, index: int, sent: list[tuple[int, int]], monkeypatch: Any) -> None:
    sender: Any = bot.discord_adapters.reminders
    original = sender.send_to_channel

    async def send_to_channel(channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        sent.append((index, channel_id))
        result: int = await original(channel_id, message, nonce=nonce)
        return result

    monkeypatch.setattr(sender, "send_to_channel", send_to_channel)


async def test_each_instance_serves_its_shards_servers_and_sends_their_reminders_once(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    guilds = [fake_discord.world.guild, *fake_discord.world.add_guilds(5, channels=["general", "reminders"])]
    by_shard = {n: {g.id for g in guilds if shard_of(g.id, SHARDS) == n} for n in range(SHARDS)}
    assert all(by_shard.values()), "the fake spreads its guilds over both shards"
    path = tmp_path / "bot.sqlite3"
    async with (
        Database.open(path, exclusive=True) as db,
        one_instance_per_shard(fake_discord, db, path, clock, shard_count=SHARDS) as bots,
    ):
        for n, bot in enumerate(bots):
            assert {g.id for g in bot.guilds} == by_shard[n]
            await fake_discord.wait_for(
                lambda bot=bot, n=n: bot.services.communities.served() == by_shard[n], what=f"shard {n} served"
            )
        sent: list[tuple[int, int]] = []
        for n, bot in enumerate(bots):
            spy_on_channel_posts(bot, n, sent, monkeypatch)
        # One server of each shard has a session a day away, set up through the *other* instance.
        chosen = {n: min(by_shard[n]) for n in range(SHARDS)}
        channels = {n: fake_discord.channel_in(chosen[n], "reminders").id for n in range(SHARDS)}
        start = clock() + timedelta(hours=24) - timedelta(minutes=1)
        for n in range(SHARDS):
            other = bots[1 - n].services
            await other.programme.import_programme(chosen[n], near_future_programme(start))
            await other.settings.update(chosen[n], reminder_channel_id=channels[n])
        for bot in bots:  # both are asked about both servers: only the owner acts
            for guild_id in chosen.values():
                bot.services.reminders.request(guild_id)
        for bot in bots:
            await bot.services.reminders.idle()
        assert sorted(sent) == [(0, channels[0]), (1, channels[1])]
        for n in range(SHARDS):
            posts = [m for m in fake_discord.bot_messages_in(channels[n]) if "**Reminder:" in m.content]
            assert len(posts) == 1
