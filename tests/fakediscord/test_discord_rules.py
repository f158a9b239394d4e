"""The fake follows Discord's documentation in what it does with members, mentions, nonces and event times.

Each test cites the page and section of ``../shared/discord-api-docs/developers/`` it follows.
"""

from __future__ import annotations

import io

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord

MiB = 1024 * 1024


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


# --- resources/message.mdx, Create Message, "Limitations": at most 25 MiB a request -----------------------


async def test_a_request_over_25_mib_is_refused_whatever_the_upload_limit(fake_discord: FakeDiscord) -> None:
    fake_discord.attachment_size_limit = 100 * MiB  # a boosted server's limit is per file, not per request
    fake_discord.allow_unchecked("POST", r"^/channels/\d+/messages$")  # the refused body is never read
    async with fake_discord.run_bot(plain_bot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send(file=discord.File(io.BytesIO(b"x" * (25 * MiB + 1)), filename="big.bin"))
        assert (refused.value.status, refused.value.code) == (413, 40005)
        sent = await channel.send(file=discord.File(io.BytesIO(b"x" * (25 * MiB - 64 * 1024)), filename="ok.bin"))
        assert sent.attachments[0].size == 25 * MiB - 64 * 1024
