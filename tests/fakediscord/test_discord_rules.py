"""The fake follows Discord's documentation in what it does with members, mentions, nonces and event times.

Each test cites the page and section of ``../shared/discord-api-docs/developers/`` it follows.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord


def plain_bot(*, members: bool = False) -> commands.Bot:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = members
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, help_command=None)


def member_requests(fake: FakeDiscord) -> list[dict[str, object]]:
    return [data for _, op, data in fake.core.gateway.received if op == 8]


# --- events/gateway-events.mdx, "Request Guild Members" and "Guild Members Chunk" ---------------------------


async def test_members_by_user_ids_come_in_a_chunk_at_most_100_without_the_members_intent(
    fake_discord: FakeDiscord,
) -> None:
    people = [fake_discord.world.add_member(f"person{n:03}") for n in range(150)]
    async with fake_discord.run_bot(plain_bot()) as bot:
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        first = await guild.query_members(user_ids=[p.id for p in people[:100]], limit=100, cache=False)
        assert sorted(m.id for m in first) == sorted(p.id for p in people[:100])
        assert first[0].display_name == people[0].user.display_name
        # "Requesting user_ids will continue to be limited to returning 100 members".
        gone = 999999999999999999
        second = await guild.query_members(user_ids=[people[120].id, gone], limit=2, cache=False)
        assert [m.id for m in second] == [people[120].id]
        [chunk] = [e for e in fake_discord.core.gateway.events if e.name == "GUILD_MEMBERS_CHUNK"][-1:]
        assert chunk.data["not_found"] == [str(gone)] and chunk.data["chunk_count"] == 1
        assert len(member_requests(fake_discord)) == 2
        assert guild.get_member(people[0].id) is None  # cache=False: nothing kept


async def test_a_query_prefix_returns_at_most_its_limit_and_the_whole_list_needs_the_members_intent(
    fake_discord: FakeDiscord,
) -> None:
    for n in range(120):
        fake_discord.world.add_member(f"zed{n:03}")
    async with fake_discord.run_bot(plain_bot()) as bot:
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        found = await guild.query_members("zed", limit=100, cache=False)
        assert len(found) == 100 and all(m.name.startswith("zed") for m in found)
        # "GUILD_MEMBERS intent is required to request the entire member list": without it, nothing.
        await bot.ws.request_chunks(GUILD_ID, query="", limit=0, nonce="everyone")
        chunk = await fake_discord.wait_for(
            lambda: next(
                (e for e in fake_discord.core.gateway.events if (e.data or {}).get("nonce") == "everyone"), None
            ),
            what="the chunk",
        )
        assert chunk.data["members"] == []
