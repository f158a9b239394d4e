"""Organisers and facilitators on Slack, driven only as Slack would: who may do what, the setup modal, import
with its preview and Confirm, exports, the report and stats delivered to their DM."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.conftest import PROGRAMME_TOML
from tests.fakeslack import FakeSlack, Interaction
from tests.slack.harness import SlackRunner, dm_files
from tests.slack.helpers import until, view_showing, visible


async def seen(fake: FakeSlack, interaction: Interaction, words: str) -> str:
    """The text of the first message in answer to ``interaction`` that holds ``words``."""
    return str(
        await until(fake, lambda: next((m.text for m in interaction.seen if words in m.text), None), repr(words))
    )


async def help_of(fake: FakeSlack, user: str) -> str:
    return (await (await fake.slash(user, "/workshop", "help")).reply()).text


async def test_help_lists_what_each_role_may_run(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        member = await help_of(fake_slack, "alice")
        admin = await help_of(fake_slack, "adam")  # a workspace admin is an organiser
        owner = await help_of(fake_slack, "owner")
        assert "/workshop threads" not in member and "/workshop export" not in member
        for text in (admin, owner):
            assert "/workshop setup" in text and "/workshop threads" in text and "/workshop import" in text
        refused = (await (await fake_slack.slash("alice", "/workshop", "export")).reply()).text
        assert refused.startswith("Only organisers can use `/workshop export`")
        refused = (await (await fake_slack.slash("fay", "/workshop", "threads status 1")).reply()).text
        assert refused.startswith("Only facilitators can use")  # no facilitator group chosen yet


async def test_setup_chooses_groups_and_refuses_bad_values_in_the_modal(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    world = fake_slack.world
    organisers = world.usergroup("organisers").id
    facilitators = world.usergroup("facilitators").id
    reminders = world.channel("reminders").id
    async with slack_runner.running():
        await fake_slack.slash("adam", "/workshop", "setup")
        form = await view_showing(fake_slack, "adam", "Organiser user group")
        health = visible(form)
        assert "*Health*" in health and "Slack bot token: works in the workspace" in health  # the check's findings

        await fake_slack.submit_view(
            "adam", {"reminder_times": "soon", "meeting_link": "http://zoom.example/j/1"}, view=form
        )
        await until(fake_slack, lambda: form.errors, "errors on the setup form")
        assert set(form.errors) == {"reminder_times", "meeting_link"}
        assert "https://" in form.errors["meeting_link"]

        await fake_slack.submit_view(
            "adam",
            {
                "reminder_channel": reminders,
                "organiser_group": organisers,
                "facilitator_group": facilitators,
                "reminder_times": "48h,2h",
                "meeting_link": "https://zoom.example/j/1",
                "answer_window_hours": "24",
                "retention_days": "30",
            },
            view=form,
        )
        saved = visible(await view_showing(fake_slack, "adam", "Saved:"))
        for label in ("reminder channel", "organiser group", "facilitator group", "reminder times", "retention"):
            assert label in saved

        assert "/workshop setup" in await help_of(fake_slack, "olga")  # the organiser group now counts
        fay = await help_of(fake_slack, "fay")
        assert "/workshop threads" in fay and "/workshop setup" not in fay
        status = (await (await fake_slack.slash("fay", "/workshop", "threads status 1")).reply()).text
        assert "has no question threads yet" in status and "/workshop threads open 1" in status

        reminders_text = (await (await fake_slack.slash("alice", "/workshop", "reminders")).reply()).text
        assert f"Reminders are also posted in <#{reminders}>." in reminders_text

        await fake_slack.close_view("adam")
        await fake_slack.slash("adam", "/workshop", "setup")
        again = await view_showing(fake_slack, "adam", "Organiser user group")
        assert "2d,2h" in visible(again) and "https://zoom.example/j/1" in visible(again)  # pre-filled
        assert "Answers are kept until" in visible(again) and "30 days after the last session" in visible(again)


async def test_import_previews_then_confirms(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    toml = PROGRAMME_TOML.read_text(encoding="utf-8").replace("A better party culture", "A kinder party culture")
    file = fake_slack.world.add_file("adam", "programme.toml", toml.encode())  # attached in the modal
    async with slack_runner.running():
        await fake_slack.slash("alice", "/workshop", "import")
        assert "Only organisers" in visible(await view_showing(fake_slack, "alice", "Only organisers"))

        await fake_slack.slash("adam", "/workshop", "import")
        form = await view_showing(fake_slack, "adam", "Programme file")
        await fake_slack.submit_view("adam", {"file": [file], "start": "monday"}, view=form)
        await until(fake_slack, lambda: form.errors, "errors on the import form")
        assert "start" in form.errors  # a bad date, refused in the form
        await fake_slack.submit_view("adam", {"file": [file]}, view=form)
        preview = await view_showing(fake_slack, "adam", "Changes:")
        assert "A kinder party culture" in visible(preview)
        assert preview.spec["submit"]["text"] == "Confirm import"
        await fake_slack.submit_view("adam", {}, view=preview)
        assert "Imported" in visible(await view_showing(fake_slack, "adam", "Imported"))

        session = visible(await (await fake_slack.slash("alice", "/workshop", "session 2")).reply())
        assert "A kinder party culture" in session


async def test_export_report_and_stats_arrive_in_the_organisers_dm(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await fake_slack.slash("bob", "/workshop", "answer 1 1")
        await view_showing(fake_slack, "bob", "Your answer")
        await fake_slack.submit_view("bob", {"text": "Door to door"})
        await view_showing(fake_slack, "bob", "Saved your answer")

        said = await fake_slack.slash("adam", "/workshop", "export json 1")
        await seen(fake_slack, said, "is in your direct messages")
        name, content = dm_files(fake_slack, "adam")[-1]
        assert name.endswith(".json")
        assert "Door to door" in content.decode() and fake_slack.world.user("bob").id not in content.decode()

        named = await (await fake_slack.slash("adam", "/workshop", "export csv named")).reply()
        assert "*named* export" in named.text
        pressed = await fake_slack.click("adam", "export:named", message=named)
        await until(fake_slack, lambda: any("direct messages" in m.text for m in pressed.responses), "the named export")
        name, content = dm_files(fake_slack, "adam")[-1]
        header, bobs = content.decode("utf-8-sig").splitlines()[:2]
        assert "-named-" in name and name.endswith(".csv")
        assert header.endswith(",discord_id,display_name")
        assert f",{fake_slack.world.user('bob').id},Bob" in bobs  # the Slack user id, not the bot's number for it

        audit = await seen(fake_slack, await fake_slack.slash("adam", "/workshop", "export audit"), "newest first")
        assert "pseudonymous" in audit and "*named*" in audit

        await seen(fake_slack, await fake_slack.slash("adam", "/workshop", "report"), "The report is in your direct")
        assert dm_files(fake_slack, "adam")[-1][0].endswith(".html")

        text = await seen(fake_slack, await fake_slack.slash("adam", "/workshop", "stats"), "Participation")
        assert "Whole programme" in text and "<5" not in text  # small counts hidden, and escaped
        assert dm_files(fake_slack, "adam")[-1][0] == "participation.png"
        json.dumps(text)


async def test_the_retention_warning_says_what_to_do_in_slacks_commands(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    """In the week before answers are deleted, setup and stats say how to keep them with /workshop's commands
    (Slack's export takes no "answers", and the retention is a field of the setup form)."""
    slack_runner.clock.now = datetime(2021, 1, 1, 12, tzinfo=UTC)  # long after the last session (26 October 2020)
    async with slack_runner.running():
        await fake_slack.slash("adam", "/workshop", "setup")
        form = await view_showing(fake_slack, "adam", "Organiser user group")
        await fake_slack.submit_view("adam", {"retention_days": "30"}, view=form)
        await view_showing(fake_slack, "adam", "Saved:")
        await fake_slack.close_view("adam")

        said = (
            "30 days after the last session. Export them first with `/workshop export`, or change the retention in "
            "`/workshop setup`."
        )
        await fake_slack.slash("adam", "/workshop", "setup")
        again = visible(await view_showing(fake_slack, "adam", "Organiser user group"))
        assert "Answers will be *deleted on" in again and said in again
        asked = await fake_slack.slash("adam", "/workshop", "stats")
        stats = await until(
            fake_slack, lambda: next((m.text for m in asked.seen if "Answers will be" in m.text), None), "the figures"
        )
        assert "Answers will be *deleted on" in stats and said in stats
        for shown in (again, stats):
            assert "retention_days" not in shown and "export answers" not in shown
