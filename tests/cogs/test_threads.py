"""Question threads through the local Discord: /threads open|close|status and replies collected as answers."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.client import WorkshopBot
from bot.domain.exports import ExportFormat
from bot.domain.parsers import parse_programme_toml
from bot.domain.programme import SessionRecord
from bot.domain.thread_text import thread_name
from bot.services.exports import ExportRequest
from bot.services.threads import ThreadsRefusal
from bot.storage.threads import PromptThread
from cogs._discord.threads import threads_refusal
from cogs._thread_text import COLLECTING_NOTICE, NOT_COLLECTING_NOTICE
from cogs.threads import chunk_lines
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import CallbackType, Channel, FakeDiscord, Interaction, Perm
from tests.fakediscord.ratelimits import TYPICAL_ROUTE_LIMITS
from tests.harness import BotRunner


@pytest.fixture(params=[False, True], ids=["archived-thread-unarchives", "archived-thread-refuses"])
def strict_archived_threads(request: pytest.FixtureRequest) -> bool:
    """Every test here runs against both behaviours of a post in an archived thread: Discord's documented one
    (the post unarchives it) and the stricter one some bots report (400 code 50083)."""
    return bool(request.param)


WEEK3_START = int(datetime(2020, 8, 17, 18, tzinfo=UTC).timestamp())
WEEK3_HEADING = "**Week 3 · Outward-facing local parties**"
REFUSAL = "Only facilitators can {action}: you need the facilitator role or the Manage Threads permission."
INTENT_OFF = "⚠️ The bot cannot read messages (the Message Content intent is off)"
NO_PINGS = {"parse": []}


# --- helpers -------------------------------------------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:
    """Wait until an async condition holds (the bot handles gateway events in its own time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} never happened")
        await asyncio.sleep(0.01)


async def week(bot: WorkshopBot, number: int = 3) -> SessionRecord:
    session = (await bot.services.programme.require(bot.dev_guild_id)).session_for_week(number)
    assert session is not None
    return session


async def stored_threads(bot: WorkshopBot, number: int = 3) -> list[PromptThread]:
    return await bot.services.threads.threads_for_week(bot.dev_guild_id, number)


async def run(fake: FakeDiscord, user: str, command: str, **options: Any) -> Interaction:
    interaction = await fake.slash(user, command, **options)
    await interaction.final()
    return interaction


def private_text(interaction: Interaction) -> str:
    """Every message the member got in answer, all of which must be private."""
    assert interaction.callback_count == 1
    assert all(m.ephemeral for m in interaction.all_messages)
    return "\n".join(m.content for m in interaction.all_messages)


async def replies_of(bot: WorkshopBot, fake: FakeDiscord, prompt_id: int) -> list[tuple[str, str]]:
    """(member's username, text) of the thread replies recorded for a prompt (the bot stores only ids)."""
    found = await bot.services.threads.contributions.for_prompt(prompt_id)
    return [(fake.world.users[r.user_id].username, r.text) for r in found]


async def recorded_count(bot: WorkshopBot) -> int:
    row = await bot.db.fetchone("SELECT COUNT(*) FROM answers WHERE source = 'thread'")
    assert row is not None
    return int(row[0])


def give_bot_manage_threads(fake: FakeDiscord) -> None:
    fake.world.role(fake.world.bot_user.username).permissions |= Perm.MANAGE_THREADS


def delete_thread_by_hand(fake: FakeDiscord, thread: Channel, *, tell_the_bot: bool) -> None:
    """A moderator deletes the thread; Discord tells the bot (THREAD_DELETE) unless it was offline."""
    del fake.world.channels[thread.id]
    if tell_the_bot:
        fake.gateway.dispatch(
            "THREAD_DELETE",
            {"id": str(thread.id), "guild_id": str(thread.guild_id), "parent_id": str(thread.parent_id), "type": 11},
        )


# --- /threads open ---------------------------------------------------------------------------------------------


async def test_open_in_a_text_channel_makes_one_public_thread_per_prompt(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        session = await week(bot)
        interaction = await fake_discord.slash("owner", "threads open", week=3)
        assert (await interaction.response()).type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        await interaction.final()
        reply = private_text(interaction)

        threads = fake_discord.threads_in("general")
        starters = fake_discord.bot_messages_in("general")
        assert [t.name for t in threads] == [thread_name(3, p.number, p.text) for p in session.prompts]
        assert all(len(t.name or "") <= 100 and not t.archived for t in threads)
        assert len(starters) == 4  # nothing else public: the facilitator's reply is private
        for prompt, thread, starter in zip(session.prompts, threads, starters, strict=True):
            assert thread.id == starter.id  # the thread hangs off its starter message
            assert starter.content.startswith(f"{WEEK3_HEADING} · question {prompt.number} of 4\n")
            assert f"Session: <t:{WEEK3_START}:F>" in starter.content
            assert f"> {prompt.text}" in starter.content  # the whole prompt
            assert starter.content.endswith(COLLECTING_NOTICE)
            assert starter.custom_ids == [f"answer:prompt:{prompt.id}"]
            assert f"**Q{prompt.number}** <#{thread.id}> · created" in reply
        assert reply.startswith(f"{WEEK3_HEADING}: one thread per question in <#{fake_discord.channel('general').id}>.")
        assert INTENT_OFF not in reply

        assert [t.thread_id for t in await stored_threads(bot)] == [t.id for t in threads]
        posts = fake_discord.requests_matching("POST", r"/channels/\d+/messages$")
        assert posts and all(r.json["allowed_mentions"] == NO_PINGS for r in posts)
        made = fake_discord.requests_matching("POST", r"/channels/\d+/messages/\d+/threads$")
        assert [r.json["auto_archive_duration"] for r in made] == [10080] * 4


async def test_open_in_the_forum_set_as_discussion_channel_makes_one_post_per_prompt(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    forum = fake_discord.channel("discussion")
    async with bot_runner.running(message_content_intent=True) as bot:
        await bot.services.settings.update(bot.dev_guild_id, discussion_channel_id=forum.id)
        session = await week(bot)
        interaction = await run(fake_discord, "owner", "threads open", week=3)
        reply = private_text(interaction)
        assert f"one thread per question in <#{forum.id}>" in reply

        posts = fake_discord.threads_in(forum)
        assert [p.name for p in posts] == [thread_name(3, p.number, p.text) for p in session.prompts]
        assert fake_discord.messages_in("general") == []
        for prompt, post in zip(session.prompts, posts, strict=True):
            [starter] = fake_discord.messages_in(post)  # the post's first message is the starter message
            assert starter.author is fake_discord.world.bot_user
            assert f"> {prompt.text}" in starter.content and starter.content.endswith(COLLECTING_NOTICE)
            assert starter.custom_ids == [f"answer:prompt:{prompt.id}"]
        forum_posts = fake_discord.requests_matching("POST", rf"/channels/{forum.id}/threads$")
        assert all(r.json["message"]["allowed_mentions"] == NO_PINGS for r in forum_posts)

        # Replies in a forum post are collected like any thread's.
        await fake_discord.post_message(posts[0], "alice", "Forums work too")
        await eventually(lambda: recorded_count_is(bot, 1), "the forum reply to be recorded")


async def recorded_count_is(bot: WorkshopBot, expected: int) -> bool:
    return await recorded_count(bot) == expected


async def test_running_open_again_creates_nothing_and_reopens_archived_threads(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    await run(fake_discord, "owner", "threads open", week=3)
    threads = fake_discord.threads_in("general")
    fake_discord.archive_thread(threads[1])  # Discord archives a quiet thread on its own
    creations = len(fake_discord.requests_matching("POST", r"/threads$"))

    again = await run(fake_discord, "owner", "threads open", week=3)
    reply = private_text(again)
    assert fake_discord.threads_in("general") == threads
    assert len(fake_discord.bot_messages_in("general")) == 4
    assert len(fake_discord.requests_matching("POST", r"/threads$")) == creations
    assert f"**Q1** <#{threads[0].id}> · already open" in reply
    assert f"**Q2** <#{threads[1].id}> · reopened" in reply
    assert not threads[1].archived


async def test_two_facilitators_opening_the_same_week_at_once_get_one_set_of_threads(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    first = await fake_discord.slash("owner", "threads open", week=3)
    second = await fake_discord.slash("owner", "threads open", week=3)
    await asyncio.gather(first.final(), second.final())
    assert len(fake_discord.threads_in("general")) == 4
    assert private_text(first).count("· created") + private_text(second).count("· created") == 4


# --- collecting replies ----------------------------------------------------------------------------------------


async def test_replies_edits_and_deletions_in_prompt_threads_are_collected(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        session = await week(bot)
        q1, q2 = fake_discord.threads_in("general")[:2]
        q1_prompt = session.prompts[0].id

        first = await fake_discord.post_message(q1, "alice", "  Door-knocking\u202e that listens  ")
        await fake_discord.post_message(q1, "bob", "Community *organising*")
        second = await fake_discord.post_message(q1, "alice", "And a second thought")
        # Not answers: an image alone, a message outside the prompt threads.
        await fake_discord.post_message(q1, "carol", attachments=[("photo.png", b"\x89PNG")])
        await fake_discord.post_message("general", "carol", "Chat in the channel")
        await fake_discord.post_message(q2, "carol", "On the second question")
        await eventually(lambda: recorded_count_is(bot, 4), "four replies to be recorded")
        assert await replies_of(bot, fake_discord, q1_prompt) == [
            ("alice", "Door-knocking that listens"),
            ("bob", "Community *organising*"),
            ("alice", "And a second thought"),
        ]
        stored = await bot.services.threads.contributions.get(first.id)
        assert stored is not None and stored.user_id == fake_discord.user("alice").id and not stored.late
        consents = await bot.db.fetchall("SELECT user_id FROM consents ORDER BY user_id")
        assert {row["user_id"] for row in consents} == {fake_discord.user(n).id for n in ("alice", "bob", "carol")}

        await fake_discord.edit_message(first, "Door-knocking that really listens")
        await fake_discord.delete_message(second)

        async def edited_and_deleted() -> bool:
            return await replies_of(bot, fake_discord, q1_prompt) == [
                ("alice", "Door-knocking that really listens"),
                ("bob", "Community *organising*"),
            ]

        await eventually(edited_and_deleted, "the edit and the deletion to be applied")
        versions = await bot.services.threads.contributions.versions(stored.id)
        assert [v.text for v in versions] == ["Door-knocking that listens"]


async def test_edits_and_deletions_of_messages_the_bot_never_cached_still_count(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1 = fake_discord.threads_in("general")[0]
        kept = await fake_discord.post_message(q1, "alice", "Before the restart")
        gone = await fake_discord.post_message(q1, "bob", "Also before")
        await eventually(lambda: recorded_count_is(bot, 2), "the replies to be recorded")
    async with bot_runner.running(message_content_intent=True) as bot:  # a new process: empty message cache
        await fake_discord.edit_message(kept, "After the restart")
        await fake_discord.delete_message(gone)
        prompt_id = (await week(bot)).prompts[0].id

        async def applied() -> bool:
            return await replies_of(bot, fake_discord, prompt_id) == [("alice", "After the restart")]

        await eventually(applied, "the edit and deletion of uncached messages to be applied")


async def test_what_happened_while_the_bot_was_down_is_caught_up_when_it_is_back(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1 = fake_discord.threads_in("general")[0]
        await fake_discord.post_message(q1, "alice", "Said while the bot listened")
        edited = await fake_discord.post_message(q1, "carol", "Before")
        deleted = await fake_discord.post_message(q1, "bob", "Deleted while the bot was down")
        await eventually(lambda: recorded_count_is(bot, 3), "the replies to be recorded")
        prompt_id = (await week(bot)).prompts[0].id

    await fake_discord.post_message(q1, "alice", "Posted while the bot was down")
    await fake_discord.edit_message(edited, "Edited while the bot was down")
    await fake_discord.delete_message(deleted)

    async with bot_runner.running(message_content_intent=True) as bot:

        async def caught_up() -> bool:
            return await replies_of(bot, fake_discord, prompt_id) == [
                ("alice", "Said while the bot listened"),
                ("carol", "Edited while the bot was down"),
                ("alice", "Posted while the bot was down"),
            ]

        await eventually(caught_up, "the bot to catch up with the thread", timeout=10)


async def test_an_erased_members_thread_messages_are_not_recorded_again_when_the_bot_catches_up(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    alice = fake_discord.user("alice").id
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1 = fake_discord.threads_in("general")[0]
        prompt_id = (await week(bot)).prompts[0].id
        await fake_discord.post_message(q1, "alice", "My view")
        await fake_discord.post_message(q1, "alice", "Another view")
        await eventually(lambda: recorded_count_is(bot, 2), "alice's replies to be recorded")
        # The erasure is weighed against when messages were posted on Discord: the bot's clock is Discord's here.
        bot_runner.clock.now = datetime.now(UTC)
        question = await (await fake_discord.slash("alice", "mydata delete")).final()
        confirm = f"mydata:erase:{alice}:{bot.dev_guild_id}:yes"
        done = await (await fake_discord.click("alice", question, confirm)).final()
        assert done.content.startswith(f"Deleted in Workshop (server {bot.dev_guild_id}):\n- 2 answers\n")
        assert "a code made from your Discord id with a secret key (not the id itself)" in done.content

    await fake_discord.post_message(q1, "bob", "Posted while the bot was down")
    async with bot_runner.running(message_content_intent=True) as bot:
        # The catch-up reads the thread oldest first: alice's messages, still there, come before bob's.
        await eventually(lambda: recorded_count_is(bot, 1), "bob's reply to be caught up", timeout=10)
        assert await replies_of(bot, fake_discord, prompt_id) == [("bob", "Posted while the bot was down")]
        assert await bot.db.fetchall("SELECT * FROM consents WHERE user_id = ?", (alice,)) == []

        await fake_discord.post_message(q1, "alice", "A new view, after the deletion")
        await eventually(lambda: recorded_count_is(bot, 2), "alice's new reply to be recorded")
        assert await replies_of(bot, fake_discord, prompt_id) == [
            ("bob", "Posted while the bot was down"),
            ("alice", "A new view, after the deletion"),
        ]
        assert len(await bot.db.fetchall("SELECT * FROM consents WHERE user_id = ?", (alice,))) == 1


async def test_without_the_message_content_intent_replies_are_not_collected_but_answering_works(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running() as bot:  # MESSAGE_CONTENT_INTENT is off by default
        assert not bot.message_content_enabled
        reply = private_text(await run(fake_discord, "owner", "threads open", week=3))
        assert INTENT_OFF in reply and "set MESSAGE_CONTENT_INTENT=true" in reply
        assert "Members can still answer with the Answer buttons or /answer." in reply
        starter = fake_discord.bot_messages_in("general")[0]
        assert starter.content.endswith(NOT_COLLECTING_NOTICE)

        q1 = fake_discord.threads_in("general")[0]
        await fake_discord.post_message(q1, "alice", "Discord sends the bot this without its text")
        status = private_text(await run(fake_discord, "owner", "threads status", week=3))
        assert f"**Q1** <#{q1.id}> · open · 0 replies from 0 members" in status
        assert INTENT_OFF in status
        assert await recorded_count(bot) == 0

        # The Answer button on the starter message opens the answer form as ever.
        click = await fake_discord.click("alice", starter, starter.custom_ids[0])
        form = await click.wait_modal()
        submission = await fake_discord.submit_modal(click, {form.text_inputs[-1].custom_id: "Via the button"})
        await submission.final()
        modal_answers = await bot.db.fetchall("SELECT text FROM answers WHERE source = 'modal'")
        assert [row["text"] for row in modal_answers] == ["Via the button"]

    # Once the intent is on, opening again tells members that replies are now kept, then keeps them.
    async with bot_runner.running(message_content_intent=True) as bot:
        again = private_text(await run(fake_discord, "owner", "threads open", week=3))
        assert f"**Q1** <#{q1.id}> · already open · starter message updated" in again
        assert INTENT_OFF not in again
        assert fake_discord.message(starter.id).content.endswith(COLLECTING_NOTICE)
        await fake_discord.post_message(q1, "alice", "Now it is kept")
        await eventually(lambda: recorded_count_is(bot, 1), "the reply to be recorded")


async def test_a_reply_in_a_thread_opened_without_the_intent_is_not_kept_until_members_are_told(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running():
        await run(fake_discord, "owner", "threads open", week=3)
    async with bot_runner.running(message_content_intent=True) as bot:
        q1 = fake_discord.threads_in("general")[0]
        await fake_discord.post_message(q1, "alice", "The starter says replies are not kept")
        status = private_text(await run(fake_discord, "owner", "threads status", week=3))
        assert "0 replies from 0 members" in status
        assert await recorded_count(bot) == 0


# --- permissions and bad input ---------------------------------------------------------------------------------


async def test_a_member_is_refused_even_when_discord_lets_the_command_through(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    command = fake_discord.command("threads")
    assert str(command["default_member_permissions"]) == str(Perm.MANAGE_THREADS)
    assert command.get("contexts") == [0] or command.get("dm_permission") is False

    for sub, action in (("open", "open threads"), ("close", "close threads"), ("status", "see the question threads")):
        interaction = await fake_discord.slash("alice", f"threads {sub}", week=3, check_permissions=False)
        assert (await interaction.final()).content == REFUSAL.format(action=action)
        assert interaction.ephemeral and interaction.callback_count == 1
    assert fake_discord.threads_in("general") == []
    assert fake_discord.messages_in("general") == []
    assert await stored_threads(bot) == []


async def test_facilitators_by_role_and_organisers_may_open_threads(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    await bot.services.settings.update(bot.dev_guild_id, facilitator_role_id=fake_discord.world.role("Facilitator").id)
    # A server admin let these roles see the command (Server Settings > Integrations).
    by_role = await fake_discord.slash("fay", "threads open", week=3, check_permissions=False)
    assert "· created" in (await by_role.final()).content
    by_organiser = await fake_discord.slash("olga", "threads status", week=3, check_permissions=False)
    assert "open · 0 replies" in (await by_organiser.final()).content


async def test_unknown_weeks_and_weeks_without_prompts_are_clear_errors(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    for sub in ("open", "close", "status"):
        reply = private_text(await run(fake_discord, "owner", f"threads {sub}", week=13))
        assert reply == "There is no week 13 in this programme. Valid weeks: 1 to 12."

    base = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    no_prompts = dataclasses.replace(
        base, sessions=tuple(dataclasses.replace(s, prompts=()) if s.week == 3 else s for s in base.sessions)
    )
    await bot.services.programme.import_programme(bot.dev_guild_id, no_prompts)
    reply = private_text(await run(fake_discord, "owner", "threads open", week=3))
    assert reply == "Week 3 has no prompts, so there are no threads to open."
    reply = private_text(await run(fake_discord, "owner", "threads close", week=3))
    assert reply == "Week 3 has no threads to close. Open them with /threads open week:3."
    reply = private_text(await run(fake_discord, "owner", "threads status", week=3))
    assert reply == f"{WEEK3_HEADING} has no question threads yet. Open them with /threads open week:3."
    assert fake_discord.threads_in("general") == []


async def test_the_command_in_a_direct_message_is_refused(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    interaction = await fake_discord.slash(
        "owner", "threads open", week=3, in_channel=fake_discord.dm_channel("owner"), check_permissions=False
    )
    assert (await interaction.final()).content == "This works inside the workshop's server only."
    assert interaction.ephemeral
    assert await stored_threads(bot) == []


async def test_a_discussion_channel_that_no_longer_exists_is_a_clear_error(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    old = fake_discord.add_channel("old-discussion")
    await bot.services.settings.update(bot.dev_guild_id, discussion_channel_id=old.id)
    del fake_discord.world.channels[old.id]
    fake_discord.world.guild.channel_ids.remove(old.id)
    fake_discord.gateway.dispatch("CHANNEL_DELETE", old.to_dict(fake_discord.world))

    reply = private_text(await run(fake_discord, "owner", "threads open", week=3))
    assert reply == (
        f"The discussion channel set with /setup (<#{old.id}>) no longer exists, or the bot cannot see it. "
        "Nothing was created. An organiser can choose another channel with /setup."
    )
    assert fake_discord.threads_in("general") == [] and fake_discord.messages_in("general") == []
    assert await stored_threads(bot) == []


async def test_open_inside_a_thread_explains_where_to_run_it(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    chat = await fake_discord.create_thread("general", "alice", "chat")
    reply = private_text(await run(fake_discord, "owner", "threads open", week=3, in_channel=chat))
    assert reply == (
        "Threads cannot be opened inside a thread. Run /threads open in a text channel, or ask an organiser to set "
        "a discussion channel (text or forum) with /setup."
    )
    assert fake_discord.threads_in("general") == [chat]


def test_discords_refusals_name_its_text_and_forum_channels_and_its_commands() -> None:
    """Worded by Discord's gateway since Slack words its own (tests/slack/test_thread_refusals.py): unchanged."""
    setup = "The discussion channel set with /setup (<#42>)"
    elsewhere = (
        "Run /threads open in a text channel, or ask an organiser to set a discussion channel (text or forum) with "
        "/setup."
    )
    another = "Nothing was created. An organiser can choose another channel with /setup."
    said = {refusal: threads_refusal(refusal, week=3, channel_id=42) for refusal in ThreadsRefusal}
    assert said == {
        ThreadsRefusal.DISCUSSION_GONE: f"{setup} no longer exists, or the bot cannot see it. {another}",
        ThreadsRefusal.DISCUSSION_UNUSABLE: f"{setup} is not a text or forum channel. {another}",
        ThreadsRefusal.IN_A_THREAD: f"Threads cannot be opened inside a thread. {elsewhere}",
        ThreadsRefusal.NOT_HERE: f"Threads cannot be opened in this channel. {elsewhere}",
        ThreadsRefusal.NOTHING_TO_CLOSE: "Week 3 has no threads to close. Open them with /threads open week:3.",
    }


async def test_a_bot_without_thread_permissions_says_what_it_needs(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    for role in (fake_discord.world.guild.everyone, fake_discord.world.role(fake_discord.world.bot_user.username)):
        role.permissions &= ~Perm.CREATE_PUBLIC_THREADS
    reply = private_text(await run(fake_discord, "owner", "threads open", week=3))
    general = fake_discord.channel("general").id
    assert f"The bot is not allowed to open threads in <#{general}>: it needs" in reply
    assert "Run /threads open week:3 again once that is fixed." in reply
    assert reply.count("· not created") == 4
    assert fake_discord.messages_in("general") == []  # the orphaned starter message was taken back
    assert await stored_threads(bot) == []


# --- /threads close and status -------------------------------------------------------------------------------


async def test_close_posts_a_summary_without_names_then_locks_and_archives(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    give_bot_manage_threads(fake_discord)
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        threads = fake_discord.threads_in("general")
        for author, text in (("alice", "One"), ("alice", "Two"), ("bob", "Three")):
            await fake_discord.post_message(threads[0], author, text)
        await fake_discord.post_message(threads[1], "carol", "Only one")
        await eventually(lambda: recorded_count_is(bot, 4), "the replies to be recorded")

        status = private_text(await run(fake_discord, "owner", "threads status", week=3))
        assert f"**Q1** <#{threads[0].id}> · open · 3 replies from 2 members" in status
        assert f"**Q2** <#{threads[1].id}> · open · 1 reply from 1 member" in status

        reply = private_text(await run(fake_discord, "owner", "threads close", week=3))
        assert f"**Q1** <#{threads[0].id}> · closed and locked · 3 replies from 2 members" in reply
        summaries = [fake_discord.bot_messages_in(t)[-1].content for t in threads]
        assert summaries[0] == (
            "🔒 **This question is now closed.** 3 replies from 2 members were recorded as answers. "
            "Replies posted from now on are not kept. Thank you for taking part!"
        )
        assert summaries[1].startswith("🔒 **This question is now closed.** 1 reply from 1 member was recorded")
        assert summaries[2].startswith("🔒 **This question is now closed.** No replies were recorded")
        for summary in summaries:
            assert not any(name in summary.lower() for name in ("alice", "bob", "carol", "<@"))
        assert all(t.archived and t.locked for t in fake_discord.threads_in("general"))
        assert {t.state for t in await stored_threads(bot)} == {"closed"}

        status = private_text(await run(fake_discord, "owner", "threads status", week=3))
        assert f"**Q1** <#{threads[0].id}> · closed · 3 replies from 2 members" in status
        again = private_text(await run(fake_discord, "owner", "threads close", week=3))
        assert again.count("already closed") == 4


async def test_close_without_manage_threads_archives_and_later_replies_are_not_kept(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1 = fake_discord.threads_in("general")[0]
        reply = private_text(await run(fake_discord, "owner", "threads close", week=3))
        assert reply.count("· closed (archived, not locked)") == 4
        assert "The bot lacks the Manage Threads permission" in reply
        assert q1.archived and not q1.locked

        await fake_discord.post_message(q1, "alice", "Replying reopens the thread, but the question is closed")
        status = private_text(await run(fake_discord, "owner", "threads status", week=3))
        assert f"**Q1** <#{q1.id}> · closed · 0 replies from 0 members" in status
        assert await recorded_count(bot) == 0


async def test_a_thread_discord_archived_on_its_own_is_unarchived_before_the_summary(
    bot: WorkshopBot, fake_discord: FakeDiscord, strict_archived_threads: bool
) -> None:
    await run(fake_discord, "owner", "threads open", week=3)
    q1 = fake_discord.threads_in("general")[0]
    fake_discord.archive_thread(q1)

    reply = private_text(await run(fake_discord, "owner", "threads close", week=3))
    assert f"**Q1** <#{q1.id}> · closed (archived, not locked)" in reply
    assert fake_discord.bot_messages_in(q1)[-1].content.startswith("🔒 **This question is now closed.**")
    # Posting unarchives the thread (or, strictly, fails with 50083: the bot unarchives it and posts again);
    # then the bot archives it again.
    calls = [
        (r.method, r.status, r.json.get("content") or r.json)
        for r in fake_discord.requests
        if r.method != "GET" and r.path.endswith((f"/channels/{q1.id}/messages", f"/channels/{q1.id}"))
    ]
    summary = fake_discord.bot_messages_in(q1)[-1].content
    reopening = [("POST", 400, summary), ("PATCH", 200, {"archived": False})] if strict_archived_threads else []
    assert calls == [
        *reopening,
        ("POST", 200, summary),
        ("PATCH", 403, {"archived": True, "locked": True}),
        ("PATCH", 200, {"archived": True}),
    ]
    assert q1.archived


async def test_threads_deleted_by_hand_are_handled(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running() as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1, q2, q3 = fake_discord.threads_in("general")[:3]
        delete_thread_by_hand(fake_discord, q1, tell_the_bot=True)

        async def forgotten() -> bool:
            return len(await stored_threads(bot)) == 3

        await eventually(forgotten, "the deleted thread to be forgotten")
        status = private_text(await run(fake_discord, "owner", "threads status", week=3))
        assert "**Q1** no thread" in status

        delete_thread_by_hand(fake_discord, q2, tell_the_bot=False)  # missed: the close finds out
        reply = private_text(await run(fake_discord, "owner", "threads close", week=3))
        assert "**Q1** — · no thread" in reply
        assert f"**Q2** <#{q2.id}> · deleted by hand" in reply
        assert "the replies recorded from it are kept as answers" in reply
        assert f"**Q3** <#{q3.id}> · closed (archived, not locked)" in reply

    delete_thread_by_hand(fake_discord, q3, tell_the_bot=False)  # deleted while the bot was down
    async with bot_runner.running():
        reply = private_text(await run(fake_discord, "owner", "threads open", week=3))
        assert "**Q1** <#" in reply and "**Q1** — " not in reply
        assert reply.count("· created") == 2  # Q1 and Q2 had no thread any more
        assert "**Q3** <#" in reply and "· made anew (the old thread was deleted)" in reply
        assert "**Q4**" in reply and "· reopened" in reply
        assert len(fake_discord.threads_in("general")) == 4
        assert all(not t.archived for t in fake_discord.threads_in("general"))


def test_long_private_replies_are_split_within_discords_message_limit() -> None:
    lines = [f"**Q{n}** <#{10**18 + n}> · made anew (the old thread was deleted) · 100 replies" for n in range(25)]
    lines.append("⚠️ " + "x" * 2500)
    chunks = chunk_lines(lines)
    assert all(len(chunk) <= 2000 for chunk in chunks)
    assert "\n".join(chunks).splitlines()[:25] == lines[:25]


# --- the catch-up removes nothing on evidence it cannot trust ----------------------------------------------------


async def exported_texts(bot: WorkshopBot, tmp_path: Path) -> list[str]:
    out = tmp_path / f"export-{len(list(tmp_path.iterdir()))}.csv"
    await bot.services.exports.export_to_file(ExportRequest(bot.dev_guild_id, ExportFormat.CSV), out)
    with out.open(encoding="utf-8", newline="") as file:
        return sorted(row["answer"] for row in csv.DictReader(file))


async def problems_shown(bot: WorkshopBot) -> bool:
    return bool(bot.services.problems.current(bot.dev_guild_id))


@pytest.mark.parametrize("where", ["text", "forum"])
async def test_answers_survive_a_restart_without_read_message_history_and_organisers_are_told(
    bot_runner: BotRunner, fake_discord: FakeDiscord, tmp_path: Path, where: str
) -> None:
    """On Discord, Get Channel Messages without Read Message History is 200 with no messages
    (developers/resources/message.mdx, "Get Channel Messages"): that is no evidence of deletion."""
    channel = fake_discord.channel("general" if where == "text" else "discussion")
    async with bot_runner.running(message_content_intent=True) as bot:
        await bot.services.settings.update(bot.dev_guild_id, discussion_channel_id=channel.id)
        await run(fake_discord, "owner", "threads open", week=3)
        q1, q2 = fake_discord.threads_in(channel)[:2]
        await fake_discord.post_message(q1, "alice", "Alice's view")
        await fake_discord.post_message(q2, "bob", "Bob's view")
        await eventually(lambda: recorded_count_is(bot, 2), "the replies to be recorded")

    bot_role = fake_discord.world.bot_user.username
    fake_discord.set_overwrite(channel, bot_role, deny=Perm.READ_MESSAGE_HISTORY)  # while the bot is offline
    async with bot_runner.running(message_content_intent=True) as bot:
        await eventually(lambda: problems_shown(bot), "the catch-up to report what it could not read", timeout=10)
        assert await exported_texts(bot, tmp_path) == ["Alice's view", "Bob's view"]
        [problem] = bot.services.problems.current(bot.dev_guild_id)
        assert f"<#{channel.id}>" in problem.text and "lacks Read Message History" in problem.text
        assert "No answer was removed" in problem.text
        assert f"Give the bot Read Message History in <#{channel.id}>" in problem.fix
        # No history was even asked for: Discord's empty answer would have meant nothing.
        assert not fake_discord.requests_matching("GET", rf"^/channels/({q1.id}|{q2.id})/messages$")

        # An organiser gives the permission back: the bot catches up at once, no restart needed.
        fake_discord.remove_overwrite(channel, bot_role)
        await eventually(lambda: no_problems(bot), "the catch-up to run again", timeout=10)
        # The problem is cleared just before the history is asked for: wait for the request, not only the clear.
        await fake_discord.wait_for(
            lambda: fake_discord.requests_matching("GET", rf"^/channels/{q1.id}/messages$"), what="q1's history"
        )
        assert await exported_texts(bot, tmp_path) == ["Alice's view", "Bob's view"]


async def no_problems(bot: WorkshopBot) -> bool:
    return not bot.services.problems.current(bot.dev_guild_id)


async def test_an_archived_thread_is_caught_up_and_only_deletions_discord_confirms_remove_answers(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(message_content_intent=True) as bot:
        await run(fake_discord, "owner", "threads open", week=3)
        q1 = fake_discord.threads_in("general")[0]
        prompt_id = (await week(bot)).prompts[0].id
        await fake_discord.post_message(q1, "alice", "Kept")
        gone = await fake_discord.post_message(q1, "bob", "Deleted while the bot was down")
        await fake_discord.post_message(q1, "carol", "Said before leaving the server")
        await eventually(lambda: recorded_count_is(bot, 3), "the replies to be recorded")

    await fake_discord.delete_message(gone)
    fake_discord.remove_member("carol")  # a member who left: their messages stay on Discord, and their answers
    fake_discord.archive_thread(q1)  # Discord archives a quiet thread; archived threads are not in the cache
    async with bot_runner.running(message_content_intent=True) as bot:

        async def caught_up() -> bool:
            return await replies_of(bot, fake_discord, prompt_id) == [
                ("alice", "Kept"),
                ("carol", "Said before leaving the server"),
            ]

        await eventually(caught_up, "the bot to catch up with the archived thread", timeout=10)
        # The deletion was confirmed with Discord (Unknown Message) before the answer was removed.
        assert fake_discord.requests_matching("GET", rf"^/channels/{q1.id}/messages/{gone.id}$")
        assert bot.services.problems.current(bot.dev_guild_id) == []


@pytest.mark.parametrize("where", ["text", "forum"])
async def test_open_creates_nothing_when_an_overwrite_takes_a_permission_it_needs(
    bot: WorkshopBot, fake_discord: FakeDiscord, where: str
) -> None:
    channel = fake_discord.channel("general" if where == "text" else "discussion")
    await bot.services.settings.update(bot.dev_guild_id, discussion_channel_id=channel.id)
    fake_discord.set_overwrite(channel, fake_discord.world.bot_user.username, deny=Perm.SEND_MESSAGES_IN_THREADS)
    await eventually(
        lambda: _bot_sees_overwrite(bot, channel.id), "the bot to get the CHANNEL_UPDATE with the overwrite"
    )
    reply = private_text(await run(fake_discord, "owner", "threads open", week=3))
    what = "threads" if where == "text" else "posts"
    assert reply == (
        f"The bot cannot open {what} in <#{channel.id}>: it lacks Send Messages in Threads there. Nothing was "
        f"created. Give the bot Send Messages in Threads in <#{channel.id}> (Edit Channel > Permissions), then run "
        "/threads open week:3 again."
    )
    assert fake_discord.threads_in(channel) == [] and fake_discord.messages_in(channel) == []
    assert not fake_discord.requests_matching("POST", rf"^/channels/{channel.id}/")
    assert await stored_threads(bot) == []


async def _bot_sees_overwrite(bot: WorkshopBot, channel_id: int) -> bool:
    channel = bot.get_channel(channel_id)
    return channel is not None and bool(getattr(channel, "overwrites", None))


# --- bursts stay inside Discord's per-route limits (developers/topics/rate-limits.mdx) ---------------------------


async def import_five_prompt_week(bot: WorkshopBot, number: int = 3) -> None:
    programme = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    prompts = tuple(f"Question {n} of five: what would you do?" for n in range(1, 6))
    sessions = tuple(dataclasses.replace(s, prompts=prompts) if s.week == number else s for s in programme.sessions)
    await bot.services.programme.import_programme(
        bot.dev_guild_id, dataclasses.replace(programme, sessions=sessions), force=True
    )


@pytest.mark.parametrize("where", ["text", "forum"])
async def test_a_five_prompt_week_opens_without_a_single_429(
    bot: WorkshopBot, fake_discord: FakeDiscord, where: str
) -> None:
    channel = fake_discord.channel("general" if where == "text" else "discussion")
    await bot.services.settings.update(bot.dev_guild_id, discussion_channel_id=channel.id)
    await import_five_prompt_week(bot)
    fake_discord.set_route_limits(TYPICAL_ROUTE_LIMITS)  # 5 requests per 5 s on each route and channel
    interaction = await fake_discord.slash("owner", "threads open", week=3)
    await interaction.final(timeout=30)  # waiting for a bucket to refill is the point: slower, never refused
    reply = private_text(interaction)
    assert reply.count("· created") == 5
    assert len(fake_discord.threads_in(channel)) == 5
    assert [r for r in fake_discord.requests if r.status == 429] == []
