"""Members on Slack, driven only as Slack would: /workshop and its subcommands, buttons, the answer modal, the
App Home. Each journey is one a Discord member walks in tests/cogs."""

from __future__ import annotations

import json

from tests.fakeslack import FakeSlack
from tests.slack.harness import SlackRunner, dm_files
from tests.slack.helpers import action_ids, until, view_showing, visible

PINGS = "<!channel> <!here> <!everyone> <@U0000BOSS> <!subteam^S0000ALL> & more"


async def test_programme_session_next_and_help(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        shown = await fake_slack.slash("alice", "/workshop", "programme")
        assert await shown.acked() is None  # acknowledged at once; the reply follows
        programme = visible(await shown.reply())
        assert "A long-term political strategy" in programme
        assert "<!date^1596477600^{date_short_pretty} {time}|" in programme  # each reader's own zone
        assert "Times are shown in your own time zone." in programme

        session = visible(await (await fake_slack.slash("alice", "/workshop", "session 3")).reply())
        assert "Week 3 · Outward-facing local parties" in session
        assert "*Prompts*" in session and "/workshop answer 3 P" in session

        upcoming = visible(await (await fake_slack.slash("alice", "/workshop", "next")).reply())
        assert upcoming.startswith("Next: Week 8")  # the programme's quirk: week 8 comes after week 12

        listing = (await (await fake_slack.slash("alice", "/workshop")).reply()).text
        assert "/workshop answer [N [P]]" in listing and "/workshop mydata" in listing
        assert "/workshop setup" not in listing and "/workshop threads" not in listing


async def test_bad_arguments_get_one_clear_private_line(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        cases = {
            "dance": "`dance` is not a /workshop command",
            "programe": "Did you mean `/workshop programme`?",
            "session": "Say which week",
            "session soon": "`soon` is not a week number",
            "session 99": "There is no week 99 in this programme. Valid weeks: 1 to 12.",
            "answer 1 9": "Week 1 has prompts 1 to",
            "reminders maybe": "`maybe` is not a choice",
            "mydata shred": "`shred` is not a mydata action",
            "setup": "Only organisers",
        }
        for text, expected in cases.items():
            interaction = await fake_slack.slash("alice", "/workshop", text)
            if text == "setup":
                assert expected in visible(await view_showing(fake_slack, "alice", expected))
                continue
            reply = await interaction.reply()
            assert expected in reply.text, (text, reply.text)
            assert reply.ephemeral_to is not None or reply.via == "response_url"


async def test_answer_by_command_with_consent_then_edit(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        opened = await fake_slack.slash("alice", "/workshop", "answer 1 1")
        await opened.view()  # opened with the command's trigger, before anything is read
        form = await view_showing(fake_slack, "alice", "Before your first answer")
        text = visible(form)
        assert "your Slack user id" in text and "Discord" not in text
        assert "`/workshop mydata delete`" in text
        assert "Up to 3,000 characters" in text  # Slack's input limit, said
        element = next(b for b in form.blocks if b.get("type") == "input")["element"]
        assert element["max_length"] == 3000

        await fake_slack.submit_view("alice", {"text": "More local housing"})
        done = visible(await view_showing(fake_slack, "alice", "Saved your answer"))
        assert "&gt; More local housing" in done
        assert "This was your first answer" in done and "Slack id" in done

        await fake_slack.close_view("alice")
        await fake_slack.slash("alice", "/workshop", "answer 1 1")
        again = await view_showing(fake_slack, "alice", "Up to 3,000 characters")
        assert "More local housing" in visible(again)  # pre-filled with the current answer
        assert "Before your first answer" not in visible(again)  # consent asked once
        await fake_slack.submit_view("alice", {"text": "More social housing"}, view=again)
        assert "Updated your answer" in visible(await view_showing(fake_slack, "alice", "Updated"))


async def test_bad_answers_are_refused_inside_the_form(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        await fake_slack.slash("bob", "/workshop", "answer 2 1")
        form = await view_showing(fake_slack, "bob", "Your answer")
        await fake_slack.submit_view("bob", {"text": "   \n  "})
        await until(fake_slack, lambda: form.errors, "errors on the form")
        assert "answer" in form.errors and not form.closed
        mine = visible(await (await fake_slack.slash("bob", "/workshop", "mydata show")).reply())
        assert "We hold nothing about you in this workspace." in mine  # nothing was stored


async def test_answer_buttons_open_the_form_and_mentions_never_ping(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        listed = await (await fake_slack.slash("carol", "/workshop", "answer 4")).reply()
        buttons = [a for a in action_ids(listed) if a.startswith("answer:")]
        assert len(buttons) >= 2
        await fake_slack.click("carol", buttons[1], message=listed)
        form = await view_showing(fake_slack, "carol", "prompt 2 of")
        await fake_slack.submit_view("carol", {"text": PINGS}, view=form)
        saved = visible(await view_showing(fake_slack, "carol", "Saved your answer"))
        shown = visible(await (await fake_slack.slash("carol", "/workshop", "mydata show")).reply())
        for text in (saved, shown):
            assert "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U0000BOSS&gt;" in text
            assert "&lt;!subteam^S0000ALL&gt; &amp; more" in text
            for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U0000BOSS>", "<!subteam^"):
                assert ping not in text


async def test_an_answer_button_works_after_a_restart(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        listed = await (await fake_slack.slash("alice", "/workshop", "answer 5")).reply()
    async with slack_runner.running():
        button = next(a for a in action_ids(listed) if a.startswith("answer:"))
        await fake_slack.click("alice", button, message=listed)
        assert "Week 5" in visible(await view_showing(fake_slack, "alice", "prompt 1 of"))


async def test_reminders_on_and_off(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        off = (await (await fake_slack.slash("alice", "/workshop", "reminders")).reply()).text
        assert "DM reminders are *off* for you" in off and "`/workshop reminders on`" in off
        on = (await (await fake_slack.slash("alice", "/workshop", "reminders on")).reply()).text
        assert "DM reminders are now *on*" in on and "24 hours and 1 hour" in on
        again = (await (await fake_slack.slash("alice", "/workshop", "reminders OFF")).reply()).text
        assert "DM reminders are now *off*" in again


async def test_mydata_show_export_and_delete(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        await fake_slack.slash("bob", "/workshop", "answer 1 2")
        await view_showing(fake_slack, "bob", "Your answer")
        await fake_slack.submit_view("bob", {"text": "Listen first"})
        await view_showing(fake_slack, "bob", "Saved your answer")

        shown = await (await fake_slack.slash("bob", "/workshop", "mydata show")).reply()
        assert "Week 1 · prompt 2" in visible(shown) and "&gt; Listen first" in visible(shown)
        assert any(a.startswith("answer:") for a in action_ids(shown))  # Edit buttons

        exported = await (await fake_slack.slash("bob", "/workshop", "mydata export")).replies(2)
        private = next(m for m in exported if m.via == "response_url")
        assert "in this workspace: 1 answer" in private.text and "direct messages" in private.text
        assert any(m.files for m in exported)  # the file, in the DM
        name, content = dm_files(fake_slack, "bob")[-1]
        assert name == "my-workshop-data.json"
        assert json.loads(content)["answers"][0]["text"] == "Listen first"

        asked = await (await fake_slack.slash("bob", "/workshop", "mydata delete")).reply()
        assert "permanently deletes" in asked.text and "Slack user id" in asked.text
        pressed = await fake_slack.click("bob", "mydata:erase:yes", message=asked)
        await until(fake_slack, lambda: pressed.responses, "the confirmation replaced by the result")
        result = pressed.responses[-1].text
        assert "Deleted in this workspace:" in result and "1 answer" in result and "stay on Slack" in result
        after = visible(await (await fake_slack.slash("bob", "/workshop", "mydata show")).reply())
        assert "We hold nothing about you in this workspace." in after


async def test_app_home_shows_the_programme_answers_and_a_reminder_toggle(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        home = await fake_slack.open_app_home("alice")
        text = visible(home)
        assert "Labour Together Online Workshops" in text and "Next: Week 8" in text
        assert "*Reminder DMs:* off" in text and "You have not answered yet" in text
        assert "home:reminders:on" in action_ids(home)

        await fake_slack.click("alice", "home:reminders:on", view=home)
        toggled = await until(
            fake_slack,
            lambda: (v := fake_slack.home_view("alice")) is not None and "*Reminder DMs:* on" in visible(v) and v,
            "the Home tab with reminders on",
        )
        assert "home:reminders:off" in action_ids(toggled)
        status = (await (await fake_slack.slash("alice", "/workshop", "reminders")).reply()).text
        assert "DM reminders are *on* for you" in status


async def test_every_subcommand_is_acknowledged_within_slacks_three_seconds(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        for text in (
            "",
            "programme",
            "session 2",
            "next",
            "answer 3",
            "answer 3 1",
            "reminders",
            "mydata show",
            "setup",
            "import",
            "export audit",
            "stats",
            "threads status 1",
            "nonsense",
        ):
            interaction = await fake_slack.slash("adam", "/workshop", text)
            await interaction.acked()
            assert interaction.ack_seconds is not None and interaction.ack_seconds < 3, text
            if fake_slack.current_view("adam") is not None:
                await view_showing(fake_slack, "adam", "")  # let the modal fill before the next command
                await fake_slack.close_view("adam")


async def test_calendar_arrives_in_the_members_dm(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        asked = await fake_slack.slash("alice", "/workshop", "calendar")
        await until(fake_slack, lambda: any("direct messages" in m.text for m in asked.seen), "the calendar reply")
        name, content = dm_files(fake_slack, "alice")[-1]
        assert name == "programme.ics"
        assert content.startswith(b"BEGIN:VCALENDAR") and content.count(b"BEGIN:VEVENT") == 12


async def test_an_answer_longer_than_a_slack_form_is_shown_not_cut(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    from bot.domain.platform_ids import slack_id_to_int
    from tests.slack.harness import COMMUNITY_ID

    async with slack_runner.running() as front:
        assert front.context is not None
        alice = slack_id_to_int(fake_slack.world.user("alice").id)
        prompt_id = await front.context.services.answers.prompt_id(COMMUNITY_ID, 8, 1)
        long_answer = "A considered answer. " * 180  # 3,780 characters: a thread reply may be this long
        await front.context.services.answers.submit(prompt_id, alice, long_answer, community_id=COMMUNITY_ID)
        await fake_slack.slash("alice", "/workshop", "answer 8 1")
        form = await view_showing(fake_slack, "alice", "longer than a Slack form holds")
        box = next(b for b in form.blocks if b.get("type") == "input")["element"]
        assert "initial_value" not in box and box["max_length"] == 3000


async def test_a_refused_or_unreachable_slack_is_one_clear_line(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    import pytest

    from bot.domain.errors import UserFacingError

    fake_slack.revoke_tokens()
    with pytest.raises(UserFacingError, match="Slack refused the bot token: check SLACK_BOT_TOKEN"):
        async with slack_runner.running():
            pass
    await fake_slack.stop()
    with pytest.raises(UserFacingError, match=r"cannot reach Slack at http://127\.0\.0\.1"):
        async with slack_runner.running():
            pass


async def test_a_reminder_dms_answer_button_opens_the_form(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.slack.harness import COMMUNITY_ID

    async with slack_runner.running() as front:
        assert front.context is not None
        await (await fake_slack.slash("alice", "/workshop", "reminders on")).reply()
        slack_runner.clock.now = datetime(2020, 10, 26, 19, tzinfo=UTC) - timedelta(hours=24)  # week 8, a day before
        await front.context.services.reminders.run_pass(COMMUNITY_ID)
        await front.context.services.reminders.idle()
        reminder = await until(
            fake_slack,
            lambda: next((m for m in fake_slack.dm_with("alice") if "Reminder: Week 8" in visible(m)), None),
            "the reminder DM",
        )
        buttons = [a for a in action_ids(reminder) if a.startswith("answer:")]
        assert len(buttons) == 3
        await fake_slack.click("alice", buttons[2], message=reminder)
        form = await view_showing(fake_slack, "alice", "prompt 3 of 3")
        assert "Week 8" in visible(form)


async def test_a_reminder_dm_slack_refuses_is_explained_in_slacks_words(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    """The app's Messages tab off: no Discord Privacy Settings to point at; the app's own setting fixes it."""
    from datetime import UTC, datetime, timedelta

    from tests.slack.harness import COMMUNITY_ID

    async with slack_runner.running() as front:
        assert front.context is not None
        await (await fake_slack.slash("alice", "/workshop", "reminders on")).reply()
        fake_slack.fail_next("chat.postMessage", "messages_tab_disabled")
        slack_runner.clock.now = datetime(2020, 10, 26, 19, tzinfo=UTC) - timedelta(hours=24)  # week 8, a day before
        await front.context.services.reminders.run_pass(COMMUNITY_ID)
        await front.context.services.reminders.idle()
        assert [call.error for call in fake_slack.calls_to("chat.postMessage")] == ["messages_tab_disabled"]

        status = (await (await fake_slack.slash("alice", "/workshop", "reminders")).reply()).text
        assert "DM reminders are *on* for you" in status
        assert (
            "⚠️ Your last reminder could not be delivered by direct message: Slack does not let this app write to "
            "members while its Messages tab is turned off. Whoever manages the app in this workspace can turn it on "
            "(the app's settings: App Home &gt; Messages Tab)."
        ) in status
        for discord_words in ("Privacy Settings", "server", "Discord", "setting:"):
            assert discord_words not in status
