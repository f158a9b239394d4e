"""Tests of the fake Discord itself, driven with a real (tiny) discord.py ``commands.Bot``."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import (
    GUILD_ID,
    CallbackType,
    ChannelType,
    FakeDiscord,
    Intents,
    Perm,
    RecordedRequest,
    get_checker,
)
from tests.fakediscord.world import snowflake_time

GUILD = discord.Object(GUILD_ID)
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class AnswerModal(discord.ui.Modal, title="Your answer"):
    intro: discord.ui.TextDisplay[Any] = discord.ui.TextDisplay("Answers are visible to facilitators.")
    answer: discord.ui.Label[Any] = discord.ui.Label(
        text="Answer",
        description="What did you try this week?",
        component=discord.ui.TextInput(custom_id="answer_text", style=discord.TextStyle.long, max_length=500),
    )

    def __init__(self, week: int) -> None:
        super().__init__(custom_id=f"answer-modal:{week}")
        self.week = week

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.answer.component, discord.ui.TextInput)
        await interaction.response.send_message(
            f"Saved week {self.week}: {self.answer.component.value}", ephemeral=True
        )


class JoinButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"join:(?P<week>\d+)"):
    def __init__(self, week: int) -> None:
        super().__init__(discord.ui.Button(label="Join", custom_id=f"join:{week}", style=discord.ButtonStyle.primary))
        self.week = week

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> JoinButton:
        return cls(int(match["week"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"{interaction.user.name} joined week {self.week}", ephemeral=True)


class SlotModal(discord.ui.Modal, title="Why this slot?"):
    reason: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Reason", custom_id="reason", min_length=3)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=f"Reason: {self.reason.value}", view=None)


class PollView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(
        custom_id="poll:slot",
        options=[discord.SelectOption(label="Morning", value="am"), discord.SelectOption(label="Evening", value="pm")],
    )
    async def slot(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"Chosen: {select.values[0]}")

    @discord.ui.button(label="Explain", custom_id="poll:explain")
    async def explain(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(SlotModal())


def make_bot(*, message_content: bool = False, members: bool = False) -> commands.Bot:
    """A tiny bot exercising the interaction kinds the real bot uses."""
    intents = discord.Intents.default()
    intents.message_content = message_content
    intents.members = members
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, help_command=None)
    bot.seen_messages = []  # type: ignore[attr-defined]
    bot.late_errors = []  # type: ignore[attr-defined]

    @bot.tree.command(name="session", description="Show a session", guild=GUILD)
    @app_commands.describe(week="Week number")
    async def session(
        interaction: discord.Interaction, week: app_commands.Range[int, 1, 12], loud: bool = False
    ) -> None:
        await interaction.response.send_message(f"Week {week}" + ("!" if loud else ""))

    async def prompt_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        prompts = ["Warm-up", "Weekly reflection", "Wild idea"]
        return [app_commands.Choice(name=p, value=p.lower()) for p in prompts if current.lower() in p.lower()]

    @bot.tree.command(name="answer", description="Answer a prompt", guild=GUILD)
    @app_commands.autocomplete(prompt=prompt_autocomplete)
    async def answer(interaction: discord.Interaction, week: int, prompt: str) -> None:
        await interaction.response.send_modal(AnswerModal(week))

    threads = app_commands.Group(name="threads", description="Thread tools", guild_ids=[GUILD_ID])

    @threads.command(name="open", description="Open a discussion thread")
    async def open_thread(
        interaction: discord.Interaction, week: int, channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        await interaction.response.defer(thinking=True)
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(name=f"Week {week}", content=f"Discuss week {week} here")
            thread = created.thread
        else:
            thread = await channel.create_thread(name=f"Week {week}", type=discord.ChannelType.public_thread)
            await thread.send(f"Welcome to week {week}")
        await interaction.followup.send(f"Opened {thread.mention}")

    bot.tree.add_command(threads, guild=GUILD)

    @bot.tree.command(name="signup", description="Post a signup button", guild=GUILD)
    async def signup(interaction: discord.Interaction, week: int) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(JoinButton(week))
        await interaction.response.send_message(f"Sign up for week {week}", view=view)

    @bot.tree.command(name="remind", description="DM a member", guild=GUILD)
    async def remind(interaction: discord.Interaction, member: discord.Member, text: str) -> None:
        try:
            await member.send(f"Reminder: {text}")
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"Cannot DM {member.name} ({exc.code})", ephemeral=True)
        else:
            await interaction.response.send_message(f"Reminded {member.name}", ephemeral=True)

    @bot.tree.command(name="export", description="Export the programme", guild=GUILD)
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("Here you go", file=discord.File(io.BytesIO(ICS), filename="programme.ics"))

    @bot.tree.command(name="upload", description="Read an attachment", guild=GUILD)
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {len(data)} bytes, starts {data[:5]!r}")

    @bot.tree.command(name="config", description="Organisers only", guild=GUILD)
    @app_commands.default_permissions(manage_guild=True)
    async def config(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"perms={interaction.permissions.manage_guild}", ephemeral=True)

    @bot.tree.command(name="silent", description="Never answers", guild=GUILD)
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @bot.tree.command(name="poll", description="A select and a button that opens a modal", guild=GUILD)
    async def poll(interaction: discord.Interaction) -> None:
        view = PollView()
        await interaction.response.send_message("Pick a slot", view=view)

    @bot.tree.command(name="slow", description="Answers too late", guild=GUILD)
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.15)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as exc:
            bot.late_errors.append(exc.code)  # type: ignore[attr-defined]

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        bot.seen_messages.append(message.content)  # type: ignore[attr-defined]
        if "ping" in message.content:
            await message.channel.send("pong")

    async def setup_hook() -> None:
        bot.add_dynamic_items(JoinButton)
        await bot.tree.sync(guild=GUILD)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


# ----------------------------------------------------------------------------------- connection
async def test_login_identify_ready_and_guild_sync(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    async with fake_discord.run_bot(bot, wait_for_commands=True):
        assert fake_discord.intents is not None
        assert fake_discord.intents & Intents.GUILDS
        assert not fake_discord.intents & Intents.MESSAGE_CONTENT
        names = sorted(c["name"] for c in fake_discord.registered_commands())
        assert names == [
            "answer",
            "config",
            "export",
            "poll",
            "remind",
            "session",
            "signup",
            "silent",
            "slow",
            "threads",
            "upload",
        ]
        assert fake_discord.global_commands() == []
        assert not fake_discord.requests_matching("PUT", r"^/applications/\d+/commands$")
        assert [e.name for e in fake_discord.events[:2]] == ["READY", "GUILD_CREATE"]
        assert [e.seq for e in fake_discord.events] == list(range(1, len(fake_discord.events) + 1))
        await asyncio.wait_for(bot.wait_until_ready(), 2)
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        assert {c.name for c in guild.channels} >= {"general", "reminders", "discussion"}
        assert isinstance(guild.get_channel(fake_discord.channel("discussion").id), discord.ForumChannel)
        assert guild.me is not None
        # Without the members intent only the bot's member is sent (as Discord does).
        assert [m.id for m in guild.members] == [bot.user.id]  # type: ignore[union-attr]


async def test_members_intent_sends_all_members(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(members=True)) as bot:
        await asyncio.wait_for(bot.wait_until_ready(), 2)
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None and guild.chunked
        assert {m.name for m in guild.members} >= {"alice", "bob", "carol", "fay", "olga"}
        fay = guild.get_member(fake_discord.member("fay").id)
        assert fay is not None and [r.name for r in fay.roles if not r.is_default()] == ["Facilitator"]


async def test_privileged_intents_refused_closes_4014(fake_discord: FakeDiscord) -> None:
    fake_discord.set_privileged_intents_allowed(False)
    with pytest.raises(AssertionError, match="PrivilegedIntentsRequired"):
        async with fake_discord.run_bot(make_bot(message_content=True), timeout=3):
            pass


# ----------------------------------------------------------------------------------- slash commands
async def test_slash_round_trip(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        started = time.perf_counter()
        i = await fake_discord.slash("alice", "session", week=3, loud=True)
        msg = await i.final()
        elapsed = time.perf_counter() - started
        assert msg.content == "Week 3!"
        assert i.callback_count == 1 and i.callback is not None
        assert i.callback.type == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
        assert not i.ephemeral
        assert fake_discord.messages_in("general") == [msg]
        assert msg.interaction_metadata is not None
        assert msg.interaction_metadata["user"]["id"] == str(fake_discord.user("alice").id)
        assert elapsed < 1.0
        sent = i.payload["data"]["options"]
        assert sent == [{"name": "week", "type": 4, "value": 3}, {"name": "loud", "type": 5, "value": True}]
        with pytest.raises(AssertionError, match="required option"):
            await fake_discord.slash("alice", "session")
        with pytest.raises(AssertionError, match="no option"):
            await fake_discord.slash("alice", "session", week=1, nope=2)


async def test_default_member_permissions_and_override(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        with pytest.raises(AssertionError, match="would hide /config"):
            await fake_discord.slash("bob", "config")
        i = await fake_discord.slash("olga", "config")
        assert (await i.final()).content == "perms=True"
        forced = await fake_discord.slash("bob", "config", check_permissions=False)
        assert (await forced.final()).content == "perms=False"
        overridden = await fake_discord.slash("bob", "config", check_permissions=False, permissions=Perm.MANAGE_GUILD)
        assert (await overridden.final()).content == "perms=True"


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        choices = await fake_discord.autocomplete("bob", "answer", focused="prompt", week=3, prompt="we")
        assert choices == [{"name": "Weekly reflection", "value": "weekly reflection"}]


async def test_modal_with_label_and_text_display(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        i = await fake_discord.slash("carol", "answer", week=2, prompt="warm-up")
        cb = await i.response()
        assert cb.type == CallbackType.MODAL
        modal = i.modal
        assert modal.title == "Your answer" and modal.custom_id == "answer-modal:2"
        assert modal.text_displays == ["Answers are visible to facilitators."]
        [field] = modal.text_inputs
        assert (field.custom_id, field.label, field.description, field.max_length) == (
            "answer_text",
            "Answer",
            "What did you try this week?",
            500,
        )
        with pytest.raises(AssertionError, match="max_length"):
            await fake_discord.submit_modal(i, {"Answer": "x" * 501})
        submitted = await fake_discord.submit_modal(i, {"Answer": "I tried pairing"})
        reply = await submitted.final()
        assert reply.content == "Saved week 2: I tried pairing"
        assert reply.ephemeral and fake_discord.messages_in("general") == []
        with pytest.raises(AssertionError, match="modal"):
            await i.final()


async def test_group_subcommand_creates_threads_in_text_and_forum(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True) as bot:
        i = await fake_discord.slash("fay", "threads open", week=4, channel="general")
        final = await i.final()
        [thread] = fake_discord.threads_in("general")
        assert final.content == f"Opened <#{thread.id}>"
        assert i.callback is not None and i.callback.type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        assert thread.name == "Week 4" and thread.type == ChannelType.PUBLIC_THREAD
        assert [m.content for m in fake_discord.messages_in(thread)] == ["Welcome to week 4"]
        created = fake_discord.events_named("THREAD_CREATE")
        assert created and created[0].data["newly_created"] is True

        forum_i = await fake_discord.slash("fay", "threads open", week=5, channel="discussion")
        await forum_i.final()
        [post] = fake_discord.threads_in("discussion")
        assert post.name == "Week 5"
        [starter] = fake_discord.messages_in(post)
        assert starter.id == post.id and starter.content == "Discuss week 5 here"
        forum_request = fake_discord.requests_matching(
            "POST", rf"^/channels/{fake_discord.channel('discussion').id}/threads$"
        )
        assert forum_request[0].query == {"use_nested_fields": "1"}
        cached = bot.get_channel(post.id)
        assert isinstance(cached, discord.Thread) and cached.parent_id == post.parent_id


async def test_persistent_button_survives_bot_restart(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        i = await fake_discord.slash("olga", "signup", week=2)
        signup_message = await i.final()
        assert signup_message.custom_ids == ["join:2"]
    # A brand-new client over the same world: the old message's button still works.
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        assert fake_discord.stats.identifies == 2
        click = await fake_discord.click("bob", signup_message, "join:2")
        reply = await click.final()
        assert reply.content == "bob joined week 2" and reply.ephemeral
        assert click.payload["message"]["id"] == str(signup_message.id)


async def test_dm_and_member_refusing_dms(fake_discord: FakeDiscord) -> None:
    fake_discord.member("carol").accepts_dms = False
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        ok = await fake_discord.slash("fay", "remind", member="bob", text="session at 7")
        assert (await ok.final()).content == "Reminded bob"
        assert [m.content for m in fake_discord.dms_to("bob")] == ["Reminder: session at 7"]
        dm_open = fake_discord.requests_matching("POST", r"^/users/@me/channels$")[0]
        assert dm_open.json == {"recipient_id": fake_discord.user("bob").id}  # an int, as discord.py sends it
        refused = await fake_discord.slash("fay", "remind", member="carol", text="hello")
        assert (await refused.final()).content == "Cannot DM carol (50007)"
        assert fake_discord.dms_to("carol") == []


async def test_deferred_ephemeral_file_followup(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        i = await fake_discord.slash("olga", "export")
        msg = await i.final()
        assert msg.ephemeral and msg.content == "Here you go"
        assert msg.files == [("programme.ics", ICS)]
        assert msg.file("programme.ics").text.startswith("BEGIN:VCALENDAR")
        assert i.followups == [msg] and i.all_messages == [msg]
        upload = fake_discord.requests_matching("POST", r"^/webhooks/")[0]
        assert upload.files[0].filename == "programme.ics" and upload.json["attachments"][0]["id"] == 0


async def test_attachment_option_is_downloadable(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        i = await fake_discord.slash("alice", "upload", file=("notes.csv", b"week,title\n1,Intro\n"))
        assert (await i.final()).content == "notes.csv: 19 bytes, starts b'week,'"


async def test_unanswered_interaction_times_out_clearly(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        i = await fake_discord.slash("alice", "silent")
        with pytest.raises(AssertionError, match="never acknowledged"):
            await i.response(timeout=0.2)
        assert i.callback_count == 0


async def test_callback_errors_double_ack_and_unknown_token(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        i = await fake_discord.slash("alice", "silent")
        url = f"{fake_discord.api_base}/interactions/{i.id}/{i.token}/callback"
        body = {"type": 4, "data": {"content": "hi"}}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=body, params={"with_response": "true"}) as first:
                assert first.status == 200
                assert first.headers["Content-Type"] == "application/json"
                data = await first.json()
                assert data["resource"]["message"]["content"] == "hi"
            async with http.post(url, json=body) as second:
                assert second.status == 400 and (await second.json())["code"] == 40060
            bad = f"{fake_discord.api_base}/interactions/{i.id}/not-the-token/callback"
            async with http.post(bad, json=body) as unknown:
                assert unknown.status == 404 and (await unknown.json())["code"] == 10062
        assert i.callback_count == 1 and i.content == "hi"


async def test_select_deferred_update_and_modal_from_button(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        poll = await (await fake_discord.slash("alice", "poll")).final()
        with pytest.raises(AssertionError, match="no option"):
            await fake_discord.click("bob", poll, "poll:slot", values=["noon"])
        chose = await fake_discord.click("bob", poll, "poll:slot", values=["pm"])
        assert (await chose.final()) is poll and poll.content == "Chosen: pm"
        assert chose.callback is not None and chose.callback.type == CallbackType.DEFERRED_UPDATE_MESSAGE
        explain = await fake_discord.click("bob", poll, "poll:explain")
        assert [f.label for f in (await explain.wait_modal()).text_inputs] == ["Reason"]
        with pytest.raises(AssertionError, match="min_length"):
            await fake_discord.submit_modal(explain, {"reason": "no"})
        submitted = await fake_discord.submit_modal(explain, {"Reason": "after work"})
        assert (await submitted.final()) is poll
        assert poll.content == "Reason: after work" and poll.components == []
        assert submitted.payload["message"]["id"] == str(poll.id)


async def test_late_acknowledgement_is_unknown_interaction(fake_discord: FakeDiscord) -> None:
    fake_discord.interaction_ack_deadline = 0.05
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True) as bot:
        i = await fake_discord.slash("alice", "slow")
        await fake_discord.wait_for(lambda: bot.late_errors == [10062], 2, "the late callback to fail")  # type: ignore[attr-defined]
        assert i.callback_count == 0


async def test_slash_in_dm(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        with pytest.raises(AssertionError, match="not available in DMs"):
            await fake_discord.slash("alice", "session", week=1, in_channel=fake_discord.dm_channel("alice"))


async def test_bot_side_rest_routes(fake_discord: FakeDiscord) -> None:
    """Exercise many REST routes through discord.py's own API (all validated against the spec at teardown)."""
    async with fake_discord.run_bot(make_bot(members=True)) as bot:
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        general = guild.get_channel(fake_discord.channel("general").id)
        assert isinstance(general, discord.TextChannel)
        msg = await general.send("hello", file=discord.File(io.BytesIO(b"a,b\n"), filename="a.csv"))
        assert msg.attachments[0].filename == "a.csv" and await msg.attachments[0].read() == b"a,b\n"
        await msg.edit(content="hello again")
        assert fake_discord.message(msg.id).files == [("a.csv", b"a,b\n")]
        await msg.edit(attachments=[])
        assert fake_discord.message(msg.id).files == []
        reply = await msg.reply("a reply")
        assert fake_discord.message(reply.id).message_reference == {
            "type": 0,
            "message_id": str(msg.id),
            "channel_id": str(general.id),
            "guild_id": str(GUILD_ID),
        }
        assert (await general.fetch_message(msg.id)).content == "hello again"
        history = [m.content async for m in general.history(limit=10)]
        assert history == ["a reply", "hello again"]
        from_message = await msg.create_thread(name="About hello")
        assert from_message.id == msg.id and fake_discord.message(msg.id).thread_id == msg.id
        with pytest.raises(discord.HTTPException) as again:
            await msg.create_thread(name="Twice")
        assert again.value.code == 160004

        fake_discord.add_forum_tag("discussion", "Week 1")
        forum = guild.get_channel(fake_discord.channel("discussion").id)
        assert isinstance(forum, discord.ForumChannel)
        await fake_discord.wait_for(lambda: len(forum.available_tags) > 0, 2, "the forum tag to reach the bot")
        post = await forum.create_thread(
            name="Prompt 1",
            content="What did you make?",
            applied_tags=[forum.available_tags[0]],
            file=discord.File(io.BytesIO(b"{}"), filename="data.json"),
        )
        world_post = fake_discord.channel(post.thread.id)
        assert world_post.applied_tags == [forum.available_tags[0].id]
        assert fake_discord.messages_in(world_post)[0].files == [("data.json", b"{}")]
        active = await guild.active_threads()
        assert {t.id for t in active} == {from_message.id, post.thread.id}
        await post.thread.edit(archived=True)
        archived = [t.id async for t in forum.archived_threads()]
        assert archived == [post.thread.id]
        assert fake_discord.channel(post.thread.id).archived

        member = await guild.fetch_member(fake_discord.user("alice").id)
        assert member.name == "alice"
        await reply.delete()
        assert [m.content for m in fake_discord.messages_in("general")] == ["hello again"]


# ----------------------------------------------------------------------------------- members & intents
async def test_message_content_hidden_without_intent(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(message_content=False)) as bot:
        await fake_discord.post_message("general", "alice", "ping")
        await fake_discord.wait_for(lambda: bot.seen_messages == [""], 2, "the bot to see an empty message")  # type: ignore[attr-defined]
        await fake_discord.post_message("general", "alice", f"{bot.user.mention} ping")  # type: ignore[union-attr]
        pong = await fake_discord.wait_for_message("general", lambda m: m.content == "pong")
        assert pong.author.id == bot.user.id  # type: ignore[union-attr]


async def test_message_content_with_intent_and_dm(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(message_content=True)):
        await fake_discord.post_message("reminders", "bob", "ping please")
        await fake_discord.wait_for_message("reminders", lambda m: m.content == "pong")
        await fake_discord.send_dm("carol", "ping in a DM")
        reply = await fake_discord.wait_for_dm("carol")
        assert reply.content == "pong"


async def test_drop_gateway_resumes_and_replays_missed_events(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot(message_content=True), wait_for_commands=True):
        await fake_discord.drop_gateway(wait_resumed=False)
        await fake_discord.post_message("general", "alice", "ping while away")
        await fake_discord.wait_for(lambda: fake_discord.stats.resumes == 1, 3, "a RESUME")
        await fake_discord.wait_for_message("general", lambda m: m.content == "pong")
        assert fake_discord.stats.identifies == 1
        await fake_discord.drop_gateway()  # waits for the RESUME by default
        fake_discord.send_reconnect()  # op 7: the client reconnects and resumes too
        await fake_discord.wait_for(lambda: fake_discord.stats.resumes == 3, 3, "a RESUME after op 7")
        i = await fake_discord.slash("bob", "session", week=1)
        assert (await i.final()).content == "Week 1"
        assert fake_discord.stats.identifies == 1 and fake_discord.stats.gateway_connections == 4


# ----------------------------------------------------------------------------------- errors, faults, limits
async def test_discord_errors_reach_the_bot(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot()) as bot:
        general = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(general, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await general.send("x" * 2001)
        assert too_long.value.code == 50035 and "content" in str(too_long.value)
        thread = await fake_discord.create_thread("general", "alice", "Questions")
        cached = bot.get_channel(thread.id) or await bot.fetch_channel(thread.id)
        assert isinstance(cached, discord.Thread)
        fake_discord.archive_thread(thread)
        fake_discord.strict_archived_threads = True  # the unarchiving default: test_threads_and_sessions.py
        with pytest.raises(discord.HTTPException) as archived:
            await cached.send("late")
        assert archived.value.code == 50083
        fake_discord.unarchive_thread(thread)
        fake_discord.lock_thread(thread)
        with pytest.raises(discord.Forbidden) as locked:
            await cached.send("locked")
        assert locked.value.code == 160005


async def test_enforce_nonce_deduplicates(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot()) as bot:
        general = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(general, discord.TextChannel)
        first = await general.send("hello", nonce="abc123")
        assert bot.http is not None
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=general.id)
        again = await bot.http.request(route, json={"content": "hello", "nonce": "abc123", "enforce_nonce": True})
        assert int(again["id"]) == first.id
        assert [m.content for m in fake_discord.messages_in("general")] == ["hello"]


async def test_injected_429_is_retried(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot()) as bot:
        general = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(general, discord.TextChannel)
        rule = fake_discord.fail_next("POST", r"/channels/\d+/messages$", 429, retry_after=0.05)
        await general.send("after a rate limit")
        statuses = [r.status for r in fake_discord.requests_matching("POST", r"/channels/\d+/messages$")]
        assert statuses == [429, 200] and len(rule.hits) == 1
        fake_discord.fail_next("POST", r"/channels/\d+/messages$", 403, code=50013, message="Missing Permissions")
        with pytest.raises(discord.Forbidden):
            await general.send("nope")


async def test_global_rate_limit(fake_discord: FakeDiscord) -> None:
    async with fake_discord.run_bot(make_bot()) as bot:
        general = bot.get_channel(fake_discord.channel("reminders").id)
        assert isinstance(general, discord.TextChannel)
        fake_discord.set_rate_limit(per_second=50, window=0.1)
        await asyncio.gather(*(general.send(f"reminder {n}") for n in range(8)))
        assert len(fake_discord.messages_in("reminders")) == 8
        assert fake_discord.stats.rate_limited > 0


# ----------------------------------------------------------------------------------- the checker & the world
def test_spec_checker_flags_bad_requests() -> None:
    checker = get_checker()
    if checker is None:
        pytest.skip("Discord OpenAPI spec not available")

    def rec(method: str, path: str, body: Any = None, **query: str) -> RecordedRequest:
        return RecordedRequest(
            method=method,
            path=path,
            query=query,
            headers={},
            json=body,
            files=[],
            time=0.0,
            monotonic=0.0,
            content_type="application/json",
            has_auth=True,
        )

    assert checker.check(rec("POST", "/users/@me/channels", {"recipient_id": 123})) is None
    assert checker.check(rec("POST", "/channels/1/messages", {"content": "hi", "attachments": [{"id": 0}]})) is None
    problem = checker.check(rec("POST", "/channels/1/messages", {"content": 5, "embeds": "nope"}))
    assert problem is not None and problem.startswith("POST /api/v10/channels/1/messages")
    unknown = rec("GET", "/nowhere")
    unknown.unknown = True
    assert "unknown route" in (checker.check(unknown) or "")
    started = time.perf_counter()
    for _ in range(20):
        checker.check(rec("POST", "/channels/1/messages", {"content": "hi", "embeds": [{"title": "t"}]}))
    assert (time.perf_counter() - started) / 20 < 0.05


async def test_unknown_route_is_recorded(fake_discord: FakeDiscord) -> None:
    fake_discord.allow_unchecked("GET", r"^/definitely/not/a/route$")
    url = f"{fake_discord.api_base}/definitely/not/a/route"
    async with aiohttp.ClientSession() as http, http.get(url, headers={"Authorization": "Bot x"}) as r:
        assert r.status == 404
    assert fake_discord.requests[-1].unknown
    assert fake_discord.problems(check_spec=False) == []


def test_world_snowflakes_are_monotonic_and_realistic() -> None:
    fake = FakeDiscord()
    ids = [fake.world.new_id() for _ in range(1000)]
    assert ids == sorted(set(ids))
    assert abs(snowflake_time(ids[-1]).timestamp() - time.time()) < 5
    assert fake.world.member("fay").roles == [fake.world.role("Facilitator").id]
    assert fake.world.base_permissions(fake.world.member("olga")) & Perm.MANAGE_GUILD
    assert not fake.world.base_permissions(fake.world.member("alice")) & Perm.MANAGE_GUILD
    assert json.dumps(fake.world.channel("discussion").to_dict(fake.world))
