"""Tokens, invalidated sessions, archived threads and thread system messages in the fake."""

from __future__ import annotations

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fakediscord import FakeDiscord, Perm


class QuickBot(commands.Bot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before identifying again; not needed against the fake."""


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    return QuickBot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, help_command=None)


def text_channel(bot: commands.Bot, fake: FakeDiscord, name: str) -> discord.TextChannel:
    channel = bot.get_channel(fake.channel(name).id)
    assert isinstance(channel, discord.TextChannel)
    return channel


# ----------------------------------------------------------------------------------- tokens and sessions
async def test_a_bad_token_is_refused_on_rest_and_on_the_gateway(fake_discord: FakeDiscord) -> None:
    """topics/opcodes-and-status-codes.mdx: HTTP 401 "The Authorization header was missing or invalid"
    (discord.py raises LoginFailure) and gateway close code 4004 "Authentication failed"."""
    fake_discord.valid_token = "the-right-token"
    with pytest.raises(AssertionError, match="LoginFailure"):
        async with fake_discord.run_bot(make_bot(), token="a-revoked-token"):
            pass
    assert fake_discord.requests_matching("GET", r"^/users/@me$")[-1].status == 401
    async with aiohttp.ClientSession() as http, http.ws_connect(fake_discord.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "a-revoked-token", "intents": 1, "properties": {}}})
        closed = await ws.receive()
        assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4004
    async with fake_discord.run_bot(make_bot(), token="the-right-token"):
        assert fake_discord.stats.identifies == 2


async def test_invalid_session_makes_the_client_identify_afresh(fake_discord: FakeDiscord) -> None:
    """events/gateway-events.mdx, Invalid Session (``d``: may the session be resumed) and events/gateway.mdx
    ("Resuming"): not resumable, the client identifies again and gets READY and GUILD_CREATE; resumable, it
    resumes."""
    async with fake_discord.run_bot(make_bot()) as bot:
        first = fake_discord.gateway.current
        await fake_discord.invalidate_session()
        assert fake_discord.stats.identifies == 2 and fake_discord.gateway.current is not first
        assert [e.name for e in fake_discord.events].count("READY") == 2
        assert [e.name for e in fake_discord.events].count("GUILD_CREATE") == 2
        await fake_discord.post_message("general", "alice", "still heard")
        await fake_discord.wait_for(lambda: bot.cached_messages and bot.cached_messages[-1].content, 2, "the bot")
        await fake_discord.invalidate_session(resumable=True)
        assert fake_discord.stats.identifies == 2 and fake_discord.stats.resumes == 1


# ----------------------------------------------------------------------------------- archived threads
async def test_posting_in_an_archived_thread_unarchives_it(fake_discord: FakeDiscord) -> None:
    """topics/threads.mdx, "Active & Archived Threads": "Sending a message will automatically unarchive the
    thread, unless the thread has been locked by a moderator"; "Unarchiving a Thread": THREAD_UPDATE, then
    THREAD_MEMBER_UPDATE."""
    async with fake_discord.run_bot(make_bot()) as bot:
        general = text_channel(bot, fake_discord, "general")
        thread = await (await general.send("Q1")).create_thread(name="Q1")
        fake_discord.archive_thread(thread.id)
        before = len(fake_discord.events)
        await thread.send("a late summary")
        assert not fake_discord.channel(thread.id).archived
        names = [e.name for e in fake_discord.events[before:]]
        assert names.index("THREAD_UPDATE") < names.index("THREAD_MEMBER_UPDATE") < names.index("MESSAGE_CREATE")
        fake_discord.archive_thread(thread.id, locked=True)
        fake_discord.set_role_permissions("WorkshopBot", Perm.BOT_DEFAULT | Perm.MANAGE_THREADS)
        with pytest.raises(discord.HTTPException) as locked:
            await thread.send("locked by a moderator")
        assert locked.value.code == 50083 and fake_discord.channel(thread.id).archived


async def test_the_strict_switch_refuses_posts_in_archived_threads(fake_discord: FakeDiscord) -> None:
    """The stricter behaviour some bots report (400 code 50083 "Thread is archived",
    topics/opcodes-and-status-codes.mdx), behind ``strict_archived_threads``."""
    fake_discord.strict_archived_threads = True
    async with fake_discord.run_bot(make_bot()) as bot:
        general = text_channel(bot, fake_discord, "general")
        thread = await (await general.send("Q1")).create_thread(name="Q1")
        fake_discord.archive_thread(thread.id)
        with pytest.raises(discord.HTTPException) as refused:
            await thread.send("late")
        assert refused.value.code == 50083 and fake_discord.channel(thread.id).archived
        await thread.edit(archived=False)
        await thread.send("after unarchiving")


# ----------------------------------------------------------------------------------- thread system messages
async def test_threads_come_with_the_system_messages_discord_adds(fake_discord: FakeDiscord) -> None:
    """resources/message.mdx, "Thread starter messages" (type 21, first in a thread started from a message,
    pointing back at it, no content) and "Thread Created messages" (type 18 in the parent of a public thread
    started without a message, content the thread's name, pointing at the thread); topics/threads.mdx,
    "New Message Types"."""
    async with fake_discord.run_bot(make_bot()) as bot:
        general = text_channel(bot, fake_discord, "general")
        starter = await general.send("Q1: what went well?")
        thread = await starter.create_thread(name="Q1")
        first = fake_discord.messages_in(thread.id)[0]
        assert (first.type, first.content) == (21, "")
        assert first.message_reference is not None and first.message_reference["message_id"] == str(starter.id)
        assert fake_discord.channel(thread.id).message_count == 0
        fetched = [m async for m in thread.history(limit=5)]
        assert fetched[0].type == discord.MessageType.thread_starter_message
        assert fetched[0].reference is not None and fetched[0].reference.message_id == starter.id

        bare = await general.create_thread(name="Open chat", type=discord.ChannelType.public_thread)
        created = fake_discord.messages_in("general")[-1]
        assert (created.type, created.content) == (18, "Open chat")
        assert created.message_reference is not None and created.message_reference["channel_id"] == str(bare.id)
        await fake_discord.wait_for(
            lambda: bot.cached_messages and bot.cached_messages[-1].type == discord.MessageType.thread_created,
            2,
            "the THREAD_CREATED message to reach the bot",
        )
        by_member = await fake_discord.create_thread("general", "alice", "Alice's question")
        assert fake_discord.messages_in("general")[-1].message_reference == {
            "type": 0,
            "channel_id": str(by_member.id),
            "guild_id": str(by_member.guild_id),
        }
