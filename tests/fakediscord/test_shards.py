"""The fake with many guilds, several gateway sessions and shards, global commands, and the bot removed from and
added to guilds, driven with plain discord.py clients (no project code).

Docs: events/gateway.mdx ("Sharding", "Sharding Formula", "Get Gateway Bot", "Session Start Limit Object",
"Guild Availability"); events/gateway-events.mdx ("Identify" ``shard``, "Ready" ``guilds``/``shard``, "Guild
Create", "Guild Delete"); topics/opcodes-and-status-codes.mdx (close codes 4010 and 4011);
interactions/application-commands.mdx ("Registering a Command", the global and guild Bulk Overwrite routes).
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord, Guild
from tests.fakediscord.gateway import GatewaySession

TOKEN = "fake-bot-token"


def shard_of(guild_id: int, num_shards: int) -> int:
    """events/gateway.mdx, "Sharding Formula"."""
    return (guild_id >> 22) % num_shards


class Recorder:
    """What a client was told: messages, guilds joined and removed."""

    def __init__(self, bot: discord.Client) -> None:
        self.messages: list[discord.Message] = []
        self.joined: list[int] = []
        self.removed: list[int] = []

        async def on_message(message: discord.Message) -> None:
            self.messages.append(message)

        async def on_guild_join(guild: discord.Guild) -> None:
            self.joined.append(guild.id)

        async def on_guild_remove(guild: discord.Guild) -> None:
            self.removed.append(guild.id)

        bot.add_listener(on_message)
        bot.add_listener(on_guild_join)
        bot.add_listener(on_guild_remove)


class ShardedBot(commands.AutoShardedBot):
    """discord.py's AutoShardedBot without its 5 s pause before each shard's IDENTIFY after the first."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def sharded_bot(**kwargs: Any) -> ShardedBot:
    intents = discord.Intents.default()
    intents.message_content = True
    return ShardedBot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, **kwargs)


def one_shard_bot(shard_id: int, shard_count: int) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    return commands.Bot(
        command_prefix="!", intents=intents, guild_ready_timeout=0.01, shard_id=shard_id, shard_count=shard_count
    )


def ready_guild_ids(session: GatewaySession, fake: FakeDiscord) -> set[int]:
    ready = next(e for e in fake.events_named("READY") if e.session_id == session.id)
    assert all(g["unavailable"] is True for g in ready.data["guilds"])
    return {int(g["id"]) for g in ready.data["guilds"]}


def guild_create_ids(session: GatewaySession, fake: FakeDiscord) -> list[int]:
    return [int(e.data["id"]) for e in fake.events_named("GUILD_CREATE") if e.session_id == session.id]


@pytest.fixture
def guilds(fake_discord: FakeDiscord) -> list[Guild]:
    """The default guild and five more, on both shards of two."""
    made = [fake_discord.world.guild, *fake_discord.world.add_guilds(5, members=["alice"])]
    assert {shard_of(g.id, 2) for g in made} == {0, 1}
    return made


async def test_guilds_made_in_bulk_are_spread_over_shards_and_distinct(fake_discord: FakeDiscord) -> None:
    made = fake_discord.world.add_guilds(1000)
    assert len({g.id for g in made}) == 1000
    for shards in (2, 3, 4):
        counts = [sum(1 for g in made if shard_of(g.id, shards) == s) for s in range(shards)]
        assert max(counts) - min(counts) <= 1
    one = made[0]
    assert [c.name for c in (fake_discord.world.channels[c] for c in one.channel_ids)] == ["general"]
    assert fake_discord.world.bot_member(one.id).roles, "the bot has its managed role"
    assert fake_discord.world.channel("general").guild_id == GUILD_ID, "names still find the default guild first"


async def test_an_auto_sharded_bot_gets_each_shards_guilds_on_that_shard(
    fake_discord: FakeDiscord, guilds: list[Guild]
) -> None:
    bot = sharded_bot(shard_count=2, shard_ids=[0, 1])
    async with fake_discord.run_bot(bot, wait_on_ready=True):
        sessions = sorted(fake_discord.sessions, key=lambda s: s.shard_id)
        assert [s.shard for s in sessions] == [(0, 2), (1, 2)]
        for session in sessions:
            own = {g.id for g in guilds if shard_of(g.id, 2) == session.shard_id}
            assert ready_guild_ids(session, fake_discord) == own
            assert sorted(guild_create_ids(session, fake_discord)) == sorted(own)
            ready = next(e for e in fake_discord.events_named("READY") if e.session_id == session.id)
            assert ready.data["shard"] == [session.shard_id, 2]
        assert {g.id for g in bot.guilds} == {g.id for g in guilds}
        for guild in guilds:
            cached = bot.get_guild(guild.id)
            assert cached is not None and cached.shard_id == shard_of(guild.id, 2)


async def test_two_processes_each_with_one_shard_see_only_their_guilds_and_events(
    fake_discord: FakeDiscord, guilds: list[Guild]
) -> None:
    first, second = one_shard_bot(0, 2), one_shard_bot(1, 2)
    seen = {0: Recorder(first), 1: Recorder(second)}
    async with fake_discord.run_bot(first), fake_discord.run_bot(second):
        await fake_discord.wait_for_sessions(2)
        for shard, bot in ((0, first), (1, second)):
            assert {g.id for g in bot.guilds} == {g.id for g in guilds if shard_of(g.id, 2) == shard}
        on_one = next(g for g in guilds if shard_of(g.id, 2) == 1)
        await fake_discord.post_message(fake_discord.channel_in(on_one, "general"), "alice", "hello shard one")
        await fake_discord.wait_for(lambda: bool(seen[1].messages), what="shard 1 to get the message")
        # A DM has no guild: it goes to shard 0 only (events/gateway.mdx, "Sharding").
        await fake_discord.send_dm("alice", "a direct message")
        await fake_discord.wait_for(lambda: bool(seen[0].messages), what="shard 0 to get the DM")
        await asyncio.sleep(0.05)
        assert [m.content for m in seen[1].messages] == ["hello shard one"]
        assert [m.content for m in seen[0].messages] == ["a direct message"]
        delivered = fake_discord.events_about(on_one, "MESSAGE_CREATE")
        assert [e.shard for e in delivered] == [(1, 2)]
        # Guild changes too: a role, a channel, the bot's own member update.
        role = fake_discord.add_role("Helpers", guild=on_one)
        fake_discord.add_channel("news", guild=on_one)
        fake_discord.set_member_roles(
            fake_discord.world.bot_user, [role, *fake_discord.world.bot_member(on_one.id).roles], guild=on_one
        )
        await fake_discord.wait_for(
            lambda: (
                (g := second.get_guild(on_one.id)) is not None
                and g.get_role(role.id) is not None
                and any(c.name == "news" for c in g.channels)
            ),
            what="shard 1 to cache the role and the channel",
        )
        for name in ("GUILD_ROLE_CREATE", "CHANNEL_CREATE", "GUILD_MEMBER_UPDATE"):
            assert [e.shard for e in fake_discord.events_about(on_one, name)] == [(1, 2)], name
        assert first.get_guild(on_one.id) is None


async def test_get_gateway_bot_recommends_shards_and_an_auto_sharded_bot_follows(fake_discord: FakeDiscord) -> None:
    fake_discord.world.add_guilds(3)
    fake_discord.recommended_shards = 3
    bot = sharded_bot()
    async with fake_discord.run_bot(bot):
        await fake_discord.wait_for_sessions(3)
        assert sorted(s.shard for s in fake_discord.sessions if s.shard) == [(0, 3), (1, 3), (2, 3)]
        assert bot.shard_count == 3
        answer = (await fake_discord.wait_for_request("GET", r"^/gateway/bot$")).response
        assert answer["url"] == fake_discord.gateway_url and answer["shards"] == 3
        limit = answer["session_start_limit"]
        assert limit["total"] == 1000 and limit["max_concurrency"] == 1 and limit["remaining"] <= 1000
        limits = await bot.fetch_session_start_limits()
        assert limits.remaining == 1000 - 3, "each IDENTIFY that started a session counts"


@pytest.mark.parametrize(("shard_id", "shard_count"), [(2, 2), (0, 0)])
async def test_an_invalid_shard_is_closed_with_4010(fake_discord: FakeDiscord, shard_id: int, shard_count: int) -> None:
    bot = one_shard_bot(shard_id, shard_count)
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(bot.start(TOKEN), 10)
    await bot.close()
    assert closed.value.code == 4010
    assert fake_discord.sessions == []


async def test_too_many_guilds_for_one_session_is_closed_with_4011(fake_discord: FakeDiscord) -> None:
    fake_discord.max_guilds_per_session = 3
    fake_discord.world.add_guilds(3)
    unsharded = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(unsharded.start(TOKEN), 10)
    await unsharded.close()
    assert closed.value.code == 4011
    # Two shards of two guilds each are within the limit.
    bot = sharded_bot(shard_count=2)
    async with fake_discord.run_bot(bot):
        assert len(bot.guilds) == 4


def command_bot(**kwargs: Any) -> ShardedBot:
    bot = sharded_bot(**kwargs)

    @bot.tree.command(name="ping", description="Everywhere")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"pong from {interaction.guild_id}")

    @bot.tree.command(name="local", description="Only in the default guild")
    @app_commands.guilds(discord.Object(GUILD_ID))
    async def local(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("local")

    return bot


async def test_global_commands_registered_once_work_in_every_guild_guild_commands_in_theirs(
    fake_discord: FakeDiscord, guilds: list[Guild]
) -> None:
    bot = command_bot(shard_count=2)
    async with fake_discord.run_bot(bot):
        await bot.tree.sync()
        await bot.tree.sync(guild=discord.Object(GUILD_ID))
        assert [c["name"] for c in await fake_discord.wait_for_global_commands()] == ["ping"]
        assert [c["name"] for c in fake_discord.registered_commands(GUILD_ID)] == ["local"]
        assert fake_discord.global_command_puts == 1
        assert fake_discord.guild_command_puts(GUILD_ID) == 1
        assert all(fake_discord.guild_command_puts(g.id) == 0 for g in guilds[1:])
        listed = await bot.tree.fetch_commands()
        assert [c.name for c in listed] == ["ping"]
        for guild in (guilds[0], guilds[-1]):
            reply = await (
                await fake_discord.slash("alice", "ping", in_channel=fake_discord.channel_in(guild, "general"))
            ).final()
            assert reply.content == f"pong from {guild.id}"
            assert [e.shard for e in fake_discord.events_about(guild, "INTERACTION_CREATE")][-1] == (
                shard_of(guild.id, 2),
                2,
            )
        assert (await (await fake_discord.slash("alice", "local")).final()).content == "local"
        with pytest.raises(AssertionError, match="no registered command 'local'"):
            await fake_discord.slash("alice", "local", in_channel=fake_discord.channel_in(guilds[-1], "general"))


async def test_the_bot_removed_from_a_guild_and_added_back(fake_discord: FakeDiscord, guilds: list[Guild]) -> None:
    bot = sharded_bot(shard_count=2)
    seen = Recorder(bot)
    target = next(g for g in guilds[1:] if shard_of(g.id, 2) == 1)
    channel = fake_discord.channel_in(target, "general")
    async with fake_discord.run_bot(bot, wait_on_ready=True):
        fake_discord.remove_bot_from_guild(target)
        await fake_discord.wait_for(lambda: bool(seen.removed), what="on_guild_remove")
        assert seen.removed == [target.id] and bot.get_guild(target.id) is None
        deleted = fake_discord.events_about(target, "GUILD_DELETE")
        assert [e.data for e in deleted] == [{"id": str(target.id)}], "no `unavailable`: the bot was removed"
        assert [e.shard for e in deleted] == [(1, 2)]
        # Its routes refuse: 403 code 50001 Missing Access.
        with pytest.raises(discord.Forbidden) as refused:
            await bot.http.send_message(channel.id, params=discord.http.handle_message_parameters(content="hi"))
        assert refused.value.code == 50001
        with pytest.raises(discord.Forbidden):
            await bot.http.get_member(target.id, fake_discord.world.bot_user.id)
        # Members still talk there; the bot is told nothing.
        await fake_discord.post_message(channel, "alice", "you are gone")
        assert fake_discord.events_about(target, "MESSAGE_CREATE") == []

        fake_discord.add_bot_to_guild(target)
        await fake_discord.wait_for(lambda: bool(seen.joined), what="on_guild_join")
        assert seen.joined == [target.id] and bot.get_guild(target.id) is not None
        recreated = fake_discord.events_about(target, "GUILD_CREATE")[-1]
        assert recreated.shard == (1, 2)
        await bot.http.send_message(channel.id, params=discord.http.handle_message_parameters(content="back"))
        assert fake_discord.bot_messages_in(channel)[-1].content == "back"


async def test_the_bot_added_to_a_new_guild_at_run_time(fake_discord: FakeDiscord) -> None:
    bot = sharded_bot(shard_count=2)
    seen = Recorder(bot)
    # After on_ready: during READY's backfill discord.py takes every GUILD_CREATE as part of the start.
    async with fake_discord.run_bot(bot, wait_on_ready=True):
        new = fake_discord.add_guild("Brand new", channels=["general", "reminders"], members=["alice"])
        await fake_discord.wait_for(lambda: bool(seen.joined), what="on_guild_join")
        cached = bot.get_guild(new.id)
        assert cached is not None and sorted(c.name for c in cached.text_channels) == ["general", "reminders"]
        assert [e.shard for e in fake_discord.events_about(new, "GUILD_CREATE")] == [(shard_of(new.id, 2), 2)]
        await fake_discord.post_message(fake_discord.channel_in(new, "general"), "alice", "welcome")
        await fake_discord.wait_for(lambda: bool(seen.messages), what="the message in the new guild")


async def test_a_thousand_guilds_over_two_shards(fake_discord: FakeDiscord) -> None:
    made = fake_discord.world.add_guilds(999)
    bot = sharded_bot(shard_count=2, member_cache_flags=discord.MemberCacheFlags.none())
    async with fake_discord.run_bot(bot, timeout=60):
        assert len(bot.guilds) == 1000
        per_shard = [
            len(guild_create_ids(s, fake_discord)) for s in sorted(fake_discord.sessions, key=lambda s: s.shard_id)
        ]
        assert per_shard == [
            sum(1 for g in [fake_discord.world.guild, *made] if shard_of(g.id, 2) == s) for s in (0, 1)
        ]


async def test_two_sessions_of_one_shard_both_get_its_events(fake_discord: FakeDiscord) -> None:
    # events/gateway.mdx, "Sharding": "You can establish multiple sessions with the same [shard_id, num_shards]".
    first, second = one_shard_bot(0, 1), one_shard_bot(0, 1)
    seen = [Recorder(first), Recorder(second)]
    async with fake_discord.run_bot(first), fake_discord.run_bot(second):
        await fake_discord.wait_for_sessions(2)
        await fake_discord.post_message("general", "alice", "to everyone listening")
        await fake_discord.wait_for(lambda: all(r.messages for r in seen), what="both sessions to get the message")
        assert [e.shard for e in fake_discord.events_named("MESSAGE_CREATE")] == [(0, 1), (0, 1)]
        assert len({e.session_id for e in fake_discord.events_named("MESSAGE_CREATE")}) == 2


async def test_one_shard_dropped_resumes_and_gets_what_it_missed(
    fake_discord: FakeDiscord, guilds: list[Guild]
) -> None:
    bot = sharded_bot(shard_count=2)
    seen = Recorder(bot)
    on_one = next(g for g in guilds if shard_of(g.id, 2) == 1)
    async with fake_discord.run_bot(bot):
        await fake_discord.wait_for_sessions(2)
        await fake_discord.drop_gateway(shard=1, wait_resumed=False)
        await fake_discord.post_message(fake_discord.channel_in(on_one, "general"), "alice", "while you were away")
        await fake_discord.wait_for(lambda: fake_discord.gateway.session_of_shard(1).resumes == 1, what="a RESUME")
        await fake_discord.wait_for(lambda: bool(seen.messages), what="the missed message")
        assert fake_discord.gateway.session_of_shard(0).resumes == 0
