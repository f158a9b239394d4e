"""The fake follows Discord's documentation in what it does with members, mentions, nonces and event times.

Each test cites the page and section of ``../shared/discord-api-docs/developers/`` it follows.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord, Perm

MiB = 1024 * 1024


def plain_bot(*, members: bool = False) -> commands.Bot:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
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


# --- resources/message.mdx, "Allowed Mentions Object": who a message pings ------------------------------------


async def test_allowed_mentions_and_role_mentionability_decide_who_is_pinged(fake_discord: FakeDiscord) -> None:
    quiet = fake_discord.add_role("Quiet")  # not mentionable (a new role's default)
    loud = fake_discord.add_role("Loud")
    loud.mentionable = True
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    everything = f"@everyone <@{alice.id}> <@{bob.id}> <@&{quiet.id}> <@&{loud.id}>"
    async with fake_discord.run_bot(plain_bot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)

        def pinged(sent: discord.Message) -> tuple[list[int], list[int], bool]:
            msg = fake_discord.message(sent.id)
            return msg.mention_ids, msg.mention_role_ids, msg.mention_everyone

        # Without allowed_mentions every type is parsed; the bot may mention everyone (Mention Everyone), so
        # even the role that is not mentionable is pinged.
        assert pinged(await channel.send(everything)) == ([alice.id, bob.id], [quiet.id, loud.id], True)
        # "parse": [] suppresses them all; listed ids allow only those that are also in the content.
        none = discord.AllowedMentions.none()
        assert pinged(await channel.send(everything, allowed_mentions=none)) == ([], [], False)
        only = discord.AllowedMentions(everyone=False, users=[alice], roles=[quiet])
        assert pinged(await channel.send(everything, allowed_mentions=only)) == ([alice.id], [quiet.id], False)

        # Without Mention Everyone: "the role's mentionable field must be set to true", and no @everyone/@here.
        fake_discord.set_overwrite("general", fake_discord.world.bot_user, deny=Perm.MENTION_EVERYONE)
        await fake_discord.wait_for(
            lambda: not channel.permissions_for(channel.guild.me).mention_everyone, what="the overwrite"
        )
        assert pinged(await channel.send(everything)) == ([alice.id, bob.id], [loud.id], False)
        assert pinged(await channel.send(f"@here <@&{quiet.id}>")) == ([], [], False)

        # A member's own message: the same rules, with the member's permissions (none to mention everyone here).
        fake_discord.set_overwrite("general", "@everyone", deny=Perm.MENTION_EVERYONE)
        posted = await fake_discord.post_message("general", "carol", everything)
        assert (posted.mention_ids, posted.mention_role_ids, posted.mention_everyone) == (
            [alice.id, bob.id],
            [loud.id],
            False,
        )

        # "parse" and a list of the same type are mutually exclusive: a validation error.
        fake_discord.allow_unchecked("POST", r"^/channels/\d+/messages$")
        with pytest.raises(discord.HTTPException) as refused:
            await bot.http.send_message(
                channel.id, params=_params({"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}})
            )
        assert (refused.value.status, refused.value.code) == (400, 50035)
        assert "mutually exclusive" in refused.value.text


def _params(payload: dict[str, object]) -> discord.http.MultipartParameters:
    return discord.http.MultipartParameters(payload=payload, multipart=None, files=None)


# --- resources/message.mdx, Create Message: the nonce -----------------------------------------------------------


async def test_a_nonce_is_echoed_on_create_only_and_a_deleted_message_is_not_returned_again(
    fake_discord: FakeDiscord,
) -> None:
    async with fake_discord.run_bot(plain_bot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("once", nonce="reminder-1")  # discord.py sends enforce_nonce with it
        assert sent.nonce == "reminder-1"
        [created] = [e for e in fake_discord.core.gateway.events if e.name == "MESSAGE_CREATE"][-1:]
        assert created.data["nonce"] == "reminder-1"  # "Value will appear in the Message Create event"
        # Fetched later, a message carries no nonce.
        assert (await channel.fetch_message(sent.id)).nonce is None
        assert [m.nonce async for m in channel.history(limit=5)] == [None]

        # enforce_nonce: the same nonce again returns the same message...
        assert (await channel.send("once", nonce="reminder-1")).id == sent.id
        # ...but not once that message is deleted: the repeat is a new message.
        await sent.delete()
        again = await channel.send("once", nonce="reminder-1")
        assert again.id != sent.id and not fake_discord.message(again.id).deleted
        assert [m.content for m in fake_discord.messages_in("general")] == ["once"]


# --- resources/guild-scheduled-event.mdx: an event cannot be scheduled in the past -------------------------------


async def test_a_scheduled_event_starting_in_the_past_is_refused(fake_discord: FakeDiscord) -> None:
    now = datetime.now(UTC)
    async with fake_discord.run_bot(plain_bot()) as bot:

        async def create(start: datetime) -> dict[str, object]:
            return await bot.http.create_guild_scheduled_event(
                GUILD_ID,
                name="Week 1",
                privacy_level=2,
                entity_type=3,
                scheduled_start_time=start.isoformat(),
                scheduled_end_time=(start + timedelta(hours=2)).isoformat(),
                entity_metadata={"location": "Zoom"},
            )

        with pytest.raises(discord.HTTPException) as refused:
            await create(now - timedelta(minutes=5))
        assert (refused.value.status, refused.value.code) == (400, 50035)
        assert "scheduled_start_time" in refused.value.text
        created = await create(now + timedelta(days=1))
        # Moved into the past while still scheduled: refused too.
        with pytest.raises(discord.HTTPException):
            await bot.http.edit_scheduled_event(
                GUILD_ID, int(created["id"]), scheduled_start_time=(now - timedelta(hours=1)).isoformat()
            )
        assert [e.name for e in fake_discord.scheduled_events()] == ["Week 1"]
