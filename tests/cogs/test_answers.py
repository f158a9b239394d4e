"""Members answering prompts and managing their own data, through the local Discord."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.client import WorkshopBot
from bot.domain.answering import SavedAnswer
from bot.domain.consent import CONSENT_NOTICE, FIRST_ANSWER_NOTE
from bot.domain.parsers import parse_programme_toml
from bot.domain.programme import Prompt
from bot.storage.database import Database
from cogs._views import answer_view
from tests.conftest import GUILD_ID, PROGRAMME_TOML
from tests.fakediscord import FakeDiscord, Interaction, InteractionType, Message
from tests.harness import BotRunner, FakeClock

WEEK8_TITLE = "Week 8 · Supporting our campaigners &…"
WEEK8_END = datetime(2020, 10, 26, 21, tzinfo=UTC)
ANSWER = "Your answer"


async def week_prompts(bot: WorkshopBot, week: int = 8) -> list[Prompt]:
    programme = await bot.services.programme.require(bot.dev_guild_id)
    session = programme.session_for_week(week)
    assert session is not None
    return list(session.prompts)


async def open_form(fake: FakeDiscord, user: str, week: int = 8, prompt: int = 1) -> Interaction:
    form = await fake.slash(user, "answer", week=week, prompt=prompt)
    await form.wait_modal()
    return form


async def answer(fake: FakeDiscord, user: str, text: str, week: int = 8, prompt: int = 1) -> Interaction:
    """Open the form with /answer, type ``text`` and send it; returns the submission once it was answered."""
    submission = await fake.submit_modal(await open_form(fake, user, week, prompt), {ANSWER: text})
    await submission.final()
    return submission


async def stored(db: Database, prompt_id: int | None = None) -> list[dict[str, Any]]:
    if prompt_id is None:
        rows = await db.fetchall("SELECT * FROM answers ORDER BY id")
    else:
        rows = await db.fetchall("SELECT * FROM answers WHERE prompt_id = ? ORDER BY id", (prompt_id,))
    return [dict(row) for row in rows]


async def post_with_answer_button(bot: WorkshopBot, fake: FakeDiscord, prompt_id: int) -> Message:
    """A bot message carrying an Answer button, as thread starters and reminders do."""
    channel = bot.get_channel(fake.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("Week 8, prompt 1: How might this audit work?", view=answer_view(prompt_id))
    return fake.message(sent.id)


def assert_one_private_reply(interaction: Interaction) -> None:
    assert interaction.callback_count == 1
    assert interaction.ephemeral
    assert len(interaction.followups) <= 1


# --- the form -----------------------------------------------------------------------------------------


async def test_answer_opens_a_form_with_the_whole_prompt_and_stores_the_answer(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    prompts = await week_prompts(bot)
    form = await open_form(fake_discord, "alice", prompt=2)
    modal = form.modal
    assert modal.custom_id == f"answer:modal:{prompts[1].id}"
    assert modal.title == WEEK8_TITLE
    assert modal.text_displays[-1] == f"**Week 8 · prompt 2 of 3**\n{prompts[1].text}"
    [box] = modal.text_inputs
    assert (box.label, box.style, box.min_length, box.max_length, box.required) == (ANSWER, 2, 1, 4000, True)
    assert box.value is None

    submission = await fake_discord.submit_modal(form, {ANSWER: "  Start with the members who already campaign.  "})
    reply = await submission.final()
    assert_one_private_reply(submission)
    assert reply.content.startswith(
        "Saved your answer to Week 8 · prompt 2 of 3:\n> Start with the members who already campaign.\n"
    )
    [row] = await stored(bot.db)
    user_id = fake_discord.user("alice").id
    assert (row["community_id"], row["prompt_id"], row["user_id"], row["source"], row["late"]) == (
        GUILD_ID,
        prompts[1].id,
        user_id,
        "modal",
        0,
    )
    assert row["text"] == "Start with the members who already campaign."
    assert row["created_at"] == "2020-10-20T12:00:00.000000Z"


async def test_editing_prefills_the_form_and_keeps_the_history(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    await answer(fake_discord, "alice", "First thoughts")
    clock.advance(timedelta(hours=1))
    form = await open_form(fake_discord, "alice")
    assert form.modal.field(ANSWER).value == "First thoughts"
    edit = await fake_discord.submit_modal(form, {ANSWER: "Second thoughts"})
    reply = await edit.final()
    assert_one_private_reply(edit)
    assert reply.content.startswith("Updated your answer to Week 8 · prompt 1 of 3. Your earlier version is kept")
    assert "> Second thoughts" in reply.content

    same = await fake_discord.submit_modal(await open_form(fake_discord, "alice"))  # sent as pre-filled
    assert (await same.final()).content.startswith("Your answer to Week 8 · prompt 1 of 3 is unchanged:")

    [row] = await stored(bot.db)
    assert row["text"] == "Second thoughts" and row["updated_at"] == "2020-10-20T13:00:00.000000Z"
    versions = await bot.db.fetchall("SELECT text, recorded_at FROM answer_versions WHERE answer_id = ?", (row["id"],))
    assert [tuple(v) for v in versions] == [("First thoughts", "2020-10-20T12:00:00.000000Z")]
    # Each member has their own answer, pre-filled only for them.
    assert (await open_form(fake_discord, "bob")).modal.field(ANSWER).value is None


async def test_the_consent_notice_is_shown_once_and_consent_recorded_with_its_time(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    first_form = await open_form(fake_discord, "alice")
    assert first_form.modal.text_displays[0] == CONSENT_NOTICE
    first = await fake_discord.submit_modal(first_form, {ANSWER: "Yes"})
    assert FIRST_ANSWER_NOTE in (await first.final()).content
    [consent] = await bot.db.fetchall("SELECT * FROM consents")
    assert (consent["user_id"], consent["consented_at"]) == (
        fake_discord.user("alice").id,
        "2020-10-20T12:00:00.000000Z",
    )

    clock.advance(timedelta(days=1))
    later_form = await open_form(fake_discord, "alice", prompt=2)
    assert CONSENT_NOTICE not in later_form.modal.text_displays and len(later_form.modal.text_displays) == 1
    later = await fake_discord.submit_modal(later_form, {ANSWER: "Also yes"})
    assert FIRST_ANSWER_NOTE not in (await later.final()).content
    [consent] = await bot.db.fetchall("SELECT consented_at FROM consents")
    assert consent["consented_at"] == "2020-10-20T12:00:00.000000Z"
    # A member who has not answered yet still sees it.
    assert (await open_form(fake_discord, "bob")).modal.text_displays[0] == CONSENT_NOTICE


async def test_a_late_answer_is_kept_and_flagged(bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock) -> None:
    await bot.services.settings.update(GUILD_ID, answer_window=timedelta(hours=24))
    clock.now = WEEK8_END + timedelta(hours=24, minutes=1)
    submission = await answer(fake_discord, "alice", "Sorry I'm late")
    assert "marked late" in submission.content
    [row] = await stored(bot.db)
    assert row["late"] == 1 and row["text"] == "Sorry I'm late"


# --- Answer buttons and restarts ------------------------------------------------------------------------


async def test_an_answer_button_works_after_a_restart(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    async with bot_runner.running() as bot:
        [prompt, *_] = await week_prompts(bot)
        await answer(fake_discord, "alice", "Before the restart")
        message = await post_with_answer_button(bot, fake_discord, prompt.id)
    assert message.custom_ids == [f"answer:prompt:{prompt.id}"]
    async with bot_runner.running() as bot:
        click = await fake_discord.click("alice", message, f"answer:prompt:{prompt.id}")
        modal = await click.wait_modal()
        assert modal.custom_id == f"answer:modal:{prompt.id}"
        assert modal.field(ANSWER).value == "Before the restart"
        submission = await fake_discord.submit_modal(click, {ANSWER: "After the restart"})
        reply = await submission.final()
        assert_one_private_reply(submission)
        assert reply.content.startswith("Updated your answer to Week 8 · prompt 1 of 3.")
        [row] = await stored(bot.db)
        assert row["text"] == "After the restart"


async def test_a_form_opened_before_a_restart_is_still_saved(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running():
        form = await open_form(fake_discord, "alice")
    async with bot_runner.running() as bot:
        submission = await fake_discord.submit_modal(form, {ANSWER: "Typed while the bot restarted"})
        reply = await submission.final()
        assert_one_private_reply(submission)
        assert reply.content.startswith("Saved your answer to Week 8 · prompt 1 of 3:")
        assert FIRST_ANSWER_NOTE in reply.content
        [row] = await stored(bot.db)
        assert row["text"] == "Typed while the bot restarted"


async def test_the_bot_keeps_no_form_in_memory(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    for user in ("alice", "bob", "carol"):
        await open_form(fake_discord, user)  # opened and closed without sending
    assert not bot._connection._view_store._modals


async def reimport_week(bot: WorkshopBot, week: int, prompts: tuple[str, ...]) -> None:
    programme = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    sessions = tuple(dataclasses.replace(s, prompts=prompts) if s.week == week else s for s in programme.sessions)
    await bot.services.programme.import_programme(GUILD_ID, dataclasses.replace(programme, sessions=sessions))


async def test_a_dropped_prompts_id_is_never_given_to_a_new_prompt(bot: WorkshopBot) -> None:
    prompts = await week_prompts(bot)
    await reimport_week(bot, 8, ("A new question?",))
    [new] = await week_prompts(bot)
    assert new.id not in {p.id for p in prompts}


async def test_an_answer_button_for_a_prompt_that_was_dropped_says_so(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    prompts = await week_prompts(bot)
    message = await post_with_answer_button(bot, fake_discord, prompts[0].id)
    open_before = await fake_discord.click("bob", message, f"answer:prompt:{prompts[0].id}")
    await open_before.wait_modal()
    # A re-import drops week 8's first prompt.
    await reimport_week(bot, 8, tuple(p.text for p in prompts[1:]))

    click = await fake_discord.click("alice", message, f"answer:prompt:{prompts[0].id}")
    reply = await click.final()
    assert_one_private_reply(click)
    assert reply.content.startswith("That prompt is no longer part of this server's programme")
    # A form opened before the re-import cannot be saved either, and says why.
    late_submit = await fake_discord.submit_modal(open_before, {ANSWER: "Too late for that prompt"})
    reply = await late_submit.final()
    assert late_submit.callback_count == 1
    assert reply.content.startswith("That prompt is no longer part of this server's programme")
    assert await stored(bot.db) == []


async def test_an_answer_button_in_a_reminder_dm_works_for_members_only(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    [prompt, *_] = await week_prompts(bot)
    for name in ("alice", "bob"):
        user = await bot.fetch_user(fake_discord.user(name).id)
        await user.send("Week 8 starts soon. Answer the first prompt:", view=answer_view(prompt.id))
    [to_alice] = fake_discord.dms_to("alice")
    click = await fake_discord.click("alice", to_alice, f"answer:prompt:{prompt.id}")
    submission = await fake_discord.submit_modal(click, {ANSWER: "From my DMs"})
    assert (await submission.final()).content.startswith("Saved your answer")
    [row] = await stored(bot.db)
    assert (row["community_id"], row["text"]) == (GUILD_ID, "From my DMs")

    [to_bob] = fake_discord.dms_to("bob")
    bob_form = await fake_discord.click("bob", to_bob, f"answer:prompt:{prompt.id}")
    await bob_form.wait_modal()
    fake_discord.remove_member("bob")
    refused = await fake_discord.submit_modal(bob_form, {ANSWER: "I left"})
    assert (await refused.final()).content.startswith("You are not a member of the workshop's server any more")
    # The form opens first, without asking Discord anything (see test_answer_burst.py); sending it is refused.
    click_again = await fake_discord.click("bob", to_bob, f"answer:prompt:{prompt.id}")
    refused_again = await fake_discord.submit_modal(click_again, {ANSWER: "Still gone"})
    assert (await refused_again.final()).content.startswith("You are not a member")
    assert len(await stored(bot.db)) == 1


# --- choosing the prompt --------------------------------------------------------------------------------


async def test_prompt_autocomplete_follows_the_chosen_week(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    weeks = await fake_discord.autocomplete("alice", "answer", focused="week", week="8")
    assert weeks[0] == {"name": "Week 8 · Supporting our campaigners & candidates", "value": 8}
    prompts = await fake_discord.autocomplete("alice", "answer", focused="prompt", week=8, prompt="")
    assert [c["value"] for c in prompts] == [1, 2, 3]
    assert prompts[0]["name"] == "1. How might this audit work?"
    filtered = await fake_discord.autocomplete("alice", "answer", focused="prompt", week=8, prompt="audit")
    assert [c["value"] for c in filtered] == [1]
    assert await fake_discord.autocomplete("alice", "answer", focused="prompt", week=99, prompt="") == []
    assert await fake_discord.autocomplete("alice", "answer", focused="prompt", prompt="") == []


async def test_unknown_weeks_and_prompts_are_private_errors(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    unknown_week = await fake_discord.slash("alice", "answer", week=13, prompt=1)
    assert (await unknown_week.final()).content == "There is no week 13 in this programme. Valid weeks: 1 to 12."
    assert_one_private_reply(unknown_week)
    unknown_prompt = await fake_discord.slash("alice", "answer", week=8, prompt=4)
    assert (await unknown_prompt.final()).content == "Week 8 has prompts 1 to 3, not 4. Pick one from the list."
    assert_one_private_reply(unknown_prompt)


async def test_a_week_without_prompts_says_so(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await reimport_week(bot, 3, ())
    reply = await fake_discord.slash("alice", "answer", week=3, prompt=1)
    assert (await reply.final()).content == "Week 3 has no prompts to answer."
    assert_one_private_reply(reply)
    assert await fake_discord.autocomplete("alice", "answer", focused="prompt", week=3, prompt="") == []


async def test_answer_exists_only_in_the_server_and_mydata_in_dms_too(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    commands = {c["name"]: c for c in fake_discord.registered_commands()}
    assert commands["answer"]["dm_permission"] is False  # guild_only
    assert commands["mydata"]["contexts"] == [0, 1]  # a server, and the bot's DMs (issue 20, item 4)
    for name in ("answer", "mydata"):
        assert commands[name].get("default_member_permissions") is None  # every member
    assert {o["name"] for o in commands["mydata"]["options"]} == {"show", "export", "delete"}


# --- bad input ------------------------------------------------------------------------------------------


async def submit_raw(fake: FakeDiscord, user: str, text: str) -> Interaction:
    submission = await fake.submit_modal(await open_form(fake, user), {ANSWER: text}, validate=False)
    await submission.final()
    return submission


async def test_blank_and_invisible_answers_are_refused_and_change_nothing(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    for text in ("", "     ", "\n\t \n", "\x00\x01\x02\x1b", "\u202e\u2066\u200b\ufeff"):
        submission = await submit_raw(fake_discord, "alice", text)
        assert submission.content == "Your answer is empty: please write something before sending it."
        assert_one_private_reply(submission)
    assert await stored(bot.db) == []
    assert await bot.db.fetchall("SELECT * FROM consents") == []


async def test_too_long_answers_are_refused_even_when_crafted(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    for length in (4001, 20_000):
        submission = await submit_raw(fake_discord, "alice", "x" * length)
        assert submission.content.startswith(f"Your answer is {length:,} characters long, and the limit is 4,000.")
        assert_one_private_reply(submission)
    assert await stored(bot.db) == []
    exactly = await submit_raw(fake_discord, "alice", "y" * 4000)
    assert exactly.content.startswith("Saved your answer")
    assert len((await stored(bot.db))[0]["text"]) == 4000


async def test_hidden_characters_are_removed_before_storing(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await submit_raw(fake_discord, "alice", "Vote\x00 for \u202egnitov\u202c the\u2066 plan\u2069\r\nnow")
    [row] = await stored(bot.db)
    assert row["text"] == "Vote for gnitov the plan\nnow"


async def test_echoed_answers_never_ping_and_show_markdown_literally(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    role_id = fake_discord.world.role("Organiser").id
    text = f"@everyone @here <@{fake_discord.user('bob').id}> <@&{role_id}> **loud** __and__ `code` # title"
    submission = await answer(fake_discord, "alice", text)
    quoted = submission.content.split("\n")[1]
    for mention in ("@everyone", "@here", f"<@{fake_discord.user('bob').id}>", f"<@&{role_id}>"):
        assert mention not in quoted
    assert "\\*\\*loud\\*\\*" in quoted and "\\_\\_and\\_\\_" in quoted and "\\`code\\`" in quoted
    [followup] = [r for r in fake_discord.requests_matching("POST", r"/webhooks/\d+/[^/]+$") if r.json.get("content")]
    assert followup.json["allowed_mentions"] == {"parse": []}
    [row] = await stored(bot.db)
    assert row["text"] == text  # stored as written; only the echo is escaped


async def test_crafted_submissions_without_the_answer_box_or_for_huge_ids_are_refused(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    channel = fake_discord.channel("general")
    [prompt, *_] = await week_prompts(bot)
    crafted = [
        {"custom_id": f"answer:modal:{prompt.id}", "components": []},
        {"custom_id": f"answer:modal:{prompt.id}", "components": [{"type": 18, "id": 1, "component": {"type": 4}}]},
        {
            "custom_id": "answer:modal:99999999999999999999",
            "components": [
                {"type": 18, "id": 1, "component": {"type": 4, "id": 2, "custom_id": "answer:text", "value": "hi"}}
            ],
        },
    ]
    expected = ["Your answer is empty", "Your answer is empty", "That prompt is no longer part"]
    fake_discord.allow_unchecked_events("INTERACTION_CREATE")  # the crafted forms are malformed on purpose
    for data, start in zip(crafted, expected, strict=True):
        # The fake's driver only submits forms as the bot built them; a hostile client can send anything back
        # (from a form the bot did open: Discord's message then names the interaction that opened it).
        submission = fake_discord._create_interaction(
            InteractionType.MODAL_SUBMIT,
            "alice",
            channel,
            data,
            name=data["custom_id"],
            opened_by=await open_form(fake_discord, "alice"),
        )
        reply = await submission.final()
        assert reply.content.startswith(start)
        assert submission.callback_count == 1
    assert await stored(bot.db) == []


# --- 200 members at once --------------------------------------------------------------------------------


async def test_200_members_submitting_at_once_are_all_acknowledged_and_stored_once(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    names = [f"member{n:03}" for n in range(200)]
    for name in names:
        fake_discord.add_member(name)
    forms: list[Interaction] = []
    for batch in range(0, len(names), 25):  # the forms open in small groups; the submissions all at once
        forms += await asyncio.gather(*(open_form(fake_discord, name) for name in names[batch : batch + 25]))

    submissions = await asyncio.gather(
        *(
            fake_discord.submit_modal(form, {ANSWER: f"Answer from {name}"})
            for form, name in zip(forms, names, strict=True)
        )
    )
    replies = await asyncio.gather(*(s.final(timeout=30) for s in submissions))

    for submission, reply in zip(submissions, replies, strict=True):
        assert submission.callback_count == 1
        assert submission.callbacks[0].time - submission.created < 3.0  # Discord's hard limit
        assert reply.ephemeral and reply.content.startswith("Saved your answer to Week 8 · prompt 1 of 3:")
    rows = await stored(bot.db)
    assert len(rows) == 200
    by_user = {row["user_id"]: row["text"] for row in rows}
    assert by_user == {fake_discord.user(name).id: f"Answer from {name}" for name in names}
    [consents] = await bot.db.fetchall("SELECT COUNT(*) AS n FROM consents")
    assert consents["n"] == 200


async def test_an_answer_acknowledged_too_late_is_still_kept(
    bot: WorkshopBot, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = asyncio.Event()
    submit = bot.services.answers.submit

    async def submit_and_signal(*args: Any, **kwargs: Any) -> SavedAnswer:
        result = await submit(*args, **kwargs)
        saved.set()
        return result

    monkeypatch.setattr(bot.services.answers, "submit", submit_and_signal)
    form = await open_form(fake_discord, "alice")
    fake_discord.interaction_ack_deadline = 0.0  # as if the bot had stalled past Discord's 3 seconds
    submission = await fake_discord.submit_modal(form, {ANSWER: "Sent while the bot was slow"})
    async with asyncio.timeout(5):
        await saved.wait()
    fake_discord.interaction_ack_deadline = 3.0
    reopened = await open_form(fake_discord, "alice")
    assert reopened.modal.field(ANSWER).value == "Sent while the bot was slow"
    assert submission.callback_count == 0


async def test_the_same_form_sent_twice_at_once_is_stored_once(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    form = await open_form(fake_discord, "alice")
    first, second = await asyncio.gather(
        fake_discord.submit_modal(form, {ANSWER: "Double click"}),
        fake_discord.submit_modal(form, {ANSWER: "Double click"}),
    )
    contents = sorted([(await first.final()).content, (await second.final()).content])
    assert contents[0].startswith("Saved your answer") and contents[1].startswith("Your answer to Week 8")
    assert len(await stored(bot.db)) == 1


# --- /mydata --------------------------------------------------------------------------------------------


async def test_mydata_show_lists_only_my_answers_by_week_and_prompt(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    empty = await (await fake_discord.slash("alice", "mydata show")).final()
    assert empty.ephemeral and "We hold nothing about you in any server." in empty.embeds[0]["description"]

    await answer(fake_discord, "alice", "Week 8 first draft")
    await answer(fake_discord, "alice", "Week 8 final", prompt=1)
    await answer(fake_discord, "alice", "Week 1 thoughts", week=1, prompt=2)
    await answer(fake_discord, "bob", "Bob's secret")
    show = await fake_discord.slash("alice", "mydata show")
    reply = await show.final()
    assert_one_private_reply(show)
    description = reply.embeds[0]["description"]
    assert description.index("**Week 1 · prompt 2**") < description.index("**Week 8 · prompt 1**")
    assert "> Week 8 final" in description and "1 earlier version kept" in description
    assert "You agreed to us keeping your answers on <t:" in description
    assert "Bob" not in description
    assert not reply.components


async def test_mydata_show_pages_with_buttons_that_survive_a_restart_and_show_only_the_clickers_data(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running() as bot:
        alice = fake_discord.user("alice").id
        programme = await bot.services.programme.require(bot.dev_guild_id)
        for session in programme.sessions:
            for prompt in session.prompts:
                text = f"Alice on week {session.week} prompt {prompt.number}: " + "detail " * 500
                await bot.services.answers.submit(prompt.id, alice, text, community_id=bot.dev_guild_id)
        await answer(fake_discord, "bob", "Only bob's")
        first = await (await fake_discord.slash("alice", "mydata show")).final()
        embed = first.embeds[0]
        assert len(embed["description"]) <= 4096 and embed["footer"]["text"].startswith("Page 1 of ")
        assert first.custom_ids == ["mydata:page:0:prev", "mydata:page:1:next"]
    async with bot_runner.running():
        click = await fake_discord.click("alice", first, "mydata:page:1:next")
        update = await click.response()
        assert update.type_name == "UPDATE_MESSAGE"
        assert update.data["embeds"][0]["footer"]["text"].startswith("Page 2 of ")
        assert "Alice on week" in update.data["embeds"][0]["description"]
        # The pager always shows the data of whoever clicks it.
        other = await fake_discord.click("bob", first, "mydata:page:0:prev")
        shown = (await other.response()).data["embeds"][0]["description"]
        assert "Only bob" in shown and "Alice" not in shown


async def test_mydata_export_is_a_json_file_of_my_answers_versions_and_consent(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    await answer(fake_discord, "alice", "Draft")
    clock.advance(timedelta(minutes=5))
    await answer(fake_discord, "alice", "Final")
    await answer(fake_discord, "bob", "Bob's")
    export = await fake_discord.slash("alice", "mydata export")
    reply = await export.final()
    assert_one_private_reply(export)
    assert reply.content.startswith(
        f"Everything we hold about you, by server:\n- Workshop (server {GUILD_ID}): 1 answer with 1 earlier version\n"
    )
    [(filename, data)] = reply.files
    assert filename == "my-workshop-data.json"
    everything = json.loads(data)
    assert everything["user_id"] == str(fake_discord.user("alice").id)
    [document] = everything["servers"]
    assert (document["server_id"], document["server_name"]) == (str(GUILD_ID), "Workshop")
    assert document["consented_at"] == "2020-10-20T12:00:00Z"
    [item] = document["answers"]
    assert (item["week"], item["prompt_number"], item["text"], item["source"]) == (8, 1, "Final", "modal")
    assert item["earlier_versions"] == [{"text": "Draft", "recorded_at": "2020-10-20T12:00:00Z"}]
    assert "Bob" not in data.decode()


async def seed_reminder_rows(db: Database, user_id: int, session_id: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) VALUES (?, ?, ?)",
            (GUILD_ID, user_id, "2020-10-01T00:00:00.000000Z"),
        )
        await conn.execute(
            "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
            "target_id, "
            "state, nonce, updated_at) VALUES (?, ?, 60, '2020-10-26T18:00:00.000000Z', 'dm', ?, 'sent', 'n', "
            "'2020-10-26T18:00:00.000000Z')",
            (GUILD_ID, session_id, user_id),
        )


async def test_mydata_delete_needs_the_members_own_confirmation_and_erases_everything(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    alice = fake_discord.user("alice").id
    async with bot_runner.running() as bot:
        [prompt, second, *_] = await week_prompts(bot)
        await answer(fake_discord, "alice", "Draft")
        await answer(fake_discord, "alice", "Final")
        await answer(fake_discord, "alice", "Other", prompt=2)
        await answer(fake_discord, "bob", "Bob stays")
        await seed_reminder_rows(bot.db, alice, prompt.session_id)

        ask = await fake_discord.slash("alice", "mydata delete")
        question = await ask.final()
        assert_one_private_reply(ask)
        assert "- 2 answers\n- 1 earlier version of edited answers" in question.content
        assert (
            "your subscription to reminder DMs" in question.content and "1 record of reminder DMs" in question.content
        )
        assert question.custom_ids == [f"mydata:erase:{alice}:{GUILD_ID}:yes", f"mydata:erase:{alice}:{GUILD_ID}:no"]

        cancel = await fake_discord.click("alice", question, f"mydata:erase:{alice}:{GUILD_ID}:no")
        cancelled = await cancel.final()
        assert cancelled.content == "Nothing was deleted." and not cancelled.components
        assert len(await stored(bot.db)) == 3
        question = await (await fake_discord.slash("alice", "mydata delete")).final()

    async with bot_runner.running() as bot:  # the confirm button still works after a restart
        intruder = await fake_discord.click("bob", question, f"mydata:erase:{alice}:{GUILD_ID}:yes")
        refused = await intruder.final()
        assert refused.ephemeral and refused.content.startswith("Only the member who asked")
        assert len(await stored(bot.db)) == 3

        confirm = await fake_discord.click("alice", question, f"mydata:erase:{alice}:{GUILD_ID}:yes")
        done = await confirm.final()
        assert confirm.callback_count == 1
        assert done.content.startswith(
            f"Deleted in Workshop (server {GUILD_ID}):\n- 2 answers\n- 1 earlier version of edited answers\n"
        )
        assert "your subscription to reminder DMs" in done.content and not done.components
        assert [row["text"] for row in await stored(bot.db)] == ["Bob stays"]
        for table, column in (("consents", "user_id"), ("dm_subscriptions", "user_id")):
            assert await bot.db.fetchall(f"SELECT * FROM {table} WHERE {column} = ?", (alice,)) == []
        assert await bot.db.fetchall("SELECT * FROM reminder_deliveries WHERE target_id = ?", (alice,)) == []
        assert await bot.db.fetchall("SELECT * FROM answer_versions") == []

        again = await (await fake_discord.slash("alice", "mydata delete")).final()
        assert again.content == "We hold nothing about you in any server. There is nothing to delete."
        assert not again.components
        # Answering again asks for consent again.
        assert (await open_form(fake_discord, "alice", prompt=2)).modal.text_displays[0] == CONSENT_NOTICE
        assert second.number == 2
