"""Organisers' commands through the local Discord: /setup, /import, /export answers|audit, /stats."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.client import WorkshopBot
from bot.domain.pseudonyms import pseudonym
from bot.domain.reminders import parse_offsets
from tests.conftest import GUILD_ID, PROGRAMME_TOML
from tests.fakediscord import FakeDiscord, Perm
from tests.harness import BotRunner, FakeClock
from tests.services.answer_rows import CREATED, AnswerRow, insert_answers, prompt_ids

ORGANISER_COMMANDS = ["setup", "import", "export", "report", "stats"]
SEED = PROGRAMME_TOML.read_bytes()


def edited_seed() -> bytes:
    """The seed with week 3 renamed, week 12 gone and a week 13 added."""
    text = SEED.decode()
    text = text.replace('title = "Outward-facing local parties"', 'title = "Outward-looking local parties"')
    start = text.index("week = 12")
    start = text.rindex("[[sessions]]", 0, start)
    end = text.find("[[sessions]]", start + 1)
    week12 = text[start:end] if end != -1 else text[start:]
    text = text.replace(week12, "")
    week13 = (
        '[[sessions]]\nweek = 13\ntitle = "Next steps"\ndate = 2020-11-02\nstart = "19:00"\nend = "21:00"\n'
        'location = "Zoom"\ndescription = "What now? Who does it?"\n'
        'prompts = ["What now?", "Who does it?"]\n\n'
    )
    return (text.rstrip() + "\n\n" + week13).encode()


async def members_answers(bot: WorkshopBot, fake: FakeDiscord) -> list[AnswerRow]:
    week1 = await prompt_ids(bot.db, GUILD_ID, 1)
    rows = [
        AnswerRow(week1[0], fake.user("alice").id, "=1+1 is my answer"),
        AnswerRow(week1[0], fake.user("bob").id, "Bob's thoughts, with a comma", source="thread"),
        AnswerRow(week1[1], fake.user("alice").id, "Second prompt", created=CREATED + timedelta(hours=1)),
    ]
    await insert_answers(bot.db, GUILD_ID, rows)
    return rows


# --- who may use them ---------------------------------------------------------------------------------


async def test_discord_hides_the_organiser_commands_from_members(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    for name in ORGANISER_COMMANDS:
        command = fake_discord.command(name)
        assert int(command["default_member_permissions"]) == Perm.MANAGE_GUILD, name
    with pytest.raises(AssertionError, match="Discord would hide /stats from alice"):
        await fake_discord.slash("alice", "stats")


@pytest.mark.parametrize(
    ("command", "options", "refusal"),
    [
        ("setup", {}, "Only organisers can change the server's settings"),
        ("import", {"file": ("programme.toml", SEED)}, "Only organisers can import a programme"),
        ("export answers", {"format": "csv"}, "Only organisers can export answers"),
        ("export audit", {}, "Only organisers can see the export audit"),
        ("stats", {}, "Only organisers can see participation figures"),
        ("report", {}, "Only organisers can get the programme report"),
    ],
)
async def test_a_member_discord_let_through_is_refused_privately_and_logged(
    bot: WorkshopBot,
    fake_discord: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, object],
    refusal: str,
) -> None:
    # A server admin can override Discord's default permissions: the bot checks for itself.
    caplog.set_level(logging.INFO, logger="bot.tree")
    interaction = await fake_discord.slash("alice", command, check_permissions=False, options=options)
    reply = await interaction.final()
    assert reply.ephemeral
    assert reply.content == f"{refusal}: you need the organiser role or the Manage Server permission."
    assert interaction.callback_count == 1
    assert not reply.files
    assert f"refused {command} for user {fake_discord.user('alice').id}" in caplog.text
    entries, _ = await bot.services.exports.audit(GUILD_ID)
    assert entries == []


async def test_the_organiser_role_set_with_setup_lets_its_members_in(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    refused = await (await fake_discord.slash("fay", "stats", check_permissions=False)).final()
    assert refused.content.startswith("Only organisers can")
    await (await fake_discord.slash("olga", "setup", organiser_role="Facilitator")).final()
    allowed = await (await fake_discord.slash("fay", "stats", check_permissions=False)).final()
    assert allowed.embeds[0]["title"] == "Participation: Labour Together Online Workshops"


async def test_organiser_role_from_the_environment(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    role = fake_discord.world.role("Facilitator")
    async with bot_runner.running(organiser_role_id=role.id):
        reply = await (await fake_discord.slash("fay", "export audit", check_permissions=False)).final()
        assert reply.content == "No answers have been exported from this server yet."


# --- /setup -------------------------------------------------------------------------------------------


async def test_setup_without_options_shows_the_settings(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    reply = await (await fake_discord.slash("olga", "setup")).final()
    assert reply.ephemeral
    assert reply.content == "Settings for this server:"
    text = reply.embeds[0]["description"]
    assert "**Reminder channel:** not set" in text
    assert "**Reminder times:** 24h,1h before each session (default from the bot's settings)" in text
    assert "**Answer window:** none: answers are never marked late" in text
    assert "**Retention:** none: answers are kept until deleted" in text


async def test_setup_changes_settings_and_tells_the_listeners(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    heard: list[frozenset[str]] = []

    async def listener(guild_id: int, names: frozenset[str]) -> None:
        heard.append(names)

    bot.services.settings.on_change(listener)
    reply = await (
        await fake_discord.slash(
            "olga",
            "setup",
            reminder_channel="reminders",
            reminder_times="24h, 1h, 15m",
            ping_role="Facilitator",
            discussion_channel="discussion",
            meeting_link="https://zoom.us/j/123456789",
            answer_window_hours=48,
        )
    ).final()
    assert reply.content.startswith(
        "Saved: reminder channel, reminder times, ping role, discussion channel, meeting link, answer window."
    )
    channel = fake_discord.channel("reminders")
    text = reply.embeds[0]["description"]
    assert f"**Reminder channel:** <#{channel.id}>" in text
    assert "**Reminder times:** 24h,1h,15m before each session" in text
    assert "**Meeting link:** https://zoom.us/j/123456789" in text
    assert "**Answer window:** 48 hours after each session ends" in text
    assert heard == [
        frozenset(
            {
                "reminder_channel_id",
                "reminder_offsets",
                "ping_role_id",
                "discussion_channel_id",
                "meeting_link",
                "answer_window",
            }
        )
    ]
    settings = await bot.services.settings.get(GUILD_ID)
    assert settings.reminder_offsets == parse_offsets("24h,1h,15m")
    assert settings.reminder_channel_id == channel.id
    assert settings.ping_role_id == fake_discord.world.role("Facilitator").id
    assert settings.answer_window == timedelta(hours=48)
    # Clearing goes back to the default.
    cleared = await (await fake_discord.slash("olga", "setup", clear="reminder times")).final()
    assert cleared.content.startswith("Saved: reminder times.")
    assert (await bot.services.settings.get(GUILD_ID)).reminder_offsets == parse_offsets("24h,1h")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"reminder_times": "24h 1h"}, "'24h 1h' has a space in it"),
        ({"meeting_link": "http://zoom.us/j/1"}, "The meeting link must be a full https:// address"),
        ({"meeting_link": "zoom.us/j/1"}, "The meeting link must be a full https:// address"),
        ({"week": 3}, "week only applies to a meeting link"),
        ({"meeting_link": "https://zoom.us/j/1", "week": 13}, "There is no week 13 in this programme. Valid weeks"),
        ({"organiser_role": "@everyone"}, "@everyone cannot be the organiser role"),
        ({"meeting_link": "https://zoom.us/j/1", "clear": "meeting link"}, "both set and clear the meeting link"),
    ],
)
async def test_bad_setup_values_change_nothing(
    bot: WorkshopBot, fake_discord: FakeDiscord, options: dict[str, object], error: str
) -> None:
    before = await bot.services.settings.get(GUILD_ID)
    options = {"ping_role": "Facilitator", **options}  # a valid change alongside is not saved either
    reply = await (await fake_discord.slash("olga", "setup", options=options)).final()
    assert reply.ephemeral
    assert error in reply.content
    assert await bot.services.settings.get(GUILD_ID) == before
    programme = await bot.services.programme.require(GUILD_ID)
    assert all(s.meeting_link is None for s in programme.sessions)


async def test_a_week_can_have_its_own_meeting_link(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    reply = await (
        await fake_discord.slash("olga", "setup", meeting_link="https://meet.example.org/week-3", week=3)
    ).final()
    assert reply.content.startswith("Saved: meeting link for week 3.")
    assert "· week 3: https://meet.example.org/week-3" in reply.embeds[0]["description"]
    programme = await bot.services.programme.require(GUILD_ID)
    week3 = programme.session_for_week(3)
    assert week3 is not None and week3.meeting_link == "https://meet.example.org/week-3" and week3.revision == 1
    assert (await bot.services.settings.get(GUILD_ID)).meeting_link is None
    # Members see it on /session.
    session = await (await fake_discord.slash("alice", "session", week=3)).final()
    assert {"name": "Join", "value": "https://meet.example.org/week-3", "inline": True} in session.embeds[0]["fields"]
    # Re-importing the same file keeps the link and changes nothing.
    again = await (await fake_discord.slash("olga", "import", file=("programme.toml", SEED))).final()
    assert again.content == "Nothing to import: programme.toml is the same as the current programme."
    await (await fake_discord.slash("olga", "setup", clear="meeting link", week=3)).final()
    week3 = (await bot.services.programme.require(GUILD_ID)).session_for_week(3)
    assert week3 is not None and week3.meeting_link is None


async def test_setting_retention_after_the_programme_warns_organisers_at_once(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    await members_answers(bot, fake_discord)
    organisers = fake_discord.world.role("Organiser")
    await (await fake_discord.slash("olga", "setup", reminder_channel="reminders", organiser_role="Organiser")).final()
    clock.now = datetime(2021, 1, 1, 12, tzinfo=UTC)  # long after the last session (26 October 2020)
    reply = await (await fake_discord.slash("olga", "setup", retention_days=30)).final()
    deletes_at = int((clock.now + timedelta(days=7)).timestamp())
    assert f"⚠️ Answers will be **deleted on <t:{deletes_at}:F>" in reply.embeds[0]["description"]
    assert (
        "30 days after the last session. Export them first with /export answers, or change the period with "
        "/setup retention_days."
    ) in reply.embeds[0]["description"]
    (warning,) = fake_discord.bot_messages_in("reminders")
    assert warning.content.startswith(f"<@&{organisers.id}> **Organisers:** the answers members gave")
    assert f"<t:{deletes_at}:F>" in warning.content
    assert warning.mention_role_ids == [organisers.id] and not warning.mention_everyone
    request = fake_discord.requests_matching("POST", rf"/channels/{warning.channel_id}/messages")[-1]
    allowed = request.json["allowed_mentions"]
    assert allowed["parse"] == [] and [int(r) for r in allowed["roles"]] == [organisers.id]
    # The daily job deletes them a week later, and says so.
    clock.advance(timedelta(days=7))
    await bot.services.retention.run_due()
    assert tuple(await bot.db.fetchone("SELECT COUNT(*) FROM answers") or ()) == (0,)
    assert fake_discord.bot_messages_in("reminders")[-1].content.startswith("As set by this server's retention")


async def test_retention_is_checked_when_the_bot_starts(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    reminders = fake_discord.channel("reminders")
    async with bot_runner.running(reminder_channel_id=reminders.id) as bot:
        await members_answers(bot, fake_discord)
        await bot.services.settings.update(GUILD_ID, retention=timedelta(days=10))
    assert fake_discord.bot_messages_in("reminders") == []
    clock.now = datetime(2020, 10, 26, 21, tzinfo=UTC) + timedelta(days=4)  # 6 days before the answers are due
    async with bot_runner.running(reminder_channel_id=reminders.id):
        (warning,) = fake_discord.bot_messages_in("reminders")
        assert "**Organisers:** the answers members gave in this server's workshop programme" in warning.content
        assert warning.mention_role_ids == []  # no organiser role set: nobody is pinged


# --- /import ------------------------------------------------------------------------------------------


async def test_import_previews_then_cancel_changes_nothing(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    interaction = await fake_discord.slash("olga", "import", file=("programme.toml", edited_seed()))
    preview = await interaction.final()
    assert interaction.callbacks[0].type_name == "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE"
    assert preview.ephemeral
    text = preview.embeds[0]["description"]
    assert "**Labour Together Online Workshops** from `programme.toml`: 12 sessions" in text
    assert "Changes: 1 added (week 13); 1 changed (week 3); 1 removed (week 12); 10 unchanged" in text
    lines = text.splitlines()
    week13 = next(line for line in lines if "Week 13" in line)
    assert week13 == (
        "**Week 13 · Next steps** — Mon 02 Nov 2020 19:00–21:00 GMT (2020-11-02 19:00–21:00 UTC) · 2 prompts · **new**"
    )
    week3 = next(line for line in lines if "Week 3 " in line)
    assert week3.endswith("· 4 prompts · **changed**: title")
    week12 = next(line for line in lines if "Week 12" in line)
    assert "Mon 19 Oct 2020 19:00–21:00 BST (2020-10-19 18:00–20:00 UTC)" in week12
    assert week12.endswith("**removed**")
    assert "Nothing is saved until you press Confirm." in text
    confirm, cancel = preview.custom_ids
    assert confirm.startswith("import:confirm:") and cancel.startswith("import:cancel:")
    assert [b["label"] for b in preview.buttons] == ["Confirm import", "Cancel"]
    assert (await bot.services.programme.require(GUILD_ID)).session_for_week(13) is None  # nothing written yet

    click = await fake_discord.click("olga", preview, cancel)
    assert (await click.response()).type_name == "UPDATE_MESSAGE"
    assert preview.content == "Import cancelled; nothing was changed."
    assert preview.components == [] and preview.embeds == []
    programme = await bot.services.programme.require(GUILD_ID)
    assert programme.session_for_week(13) is None and programme.session_for_week(12) is not None


async def test_import_confirm_writes_the_programme(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    heard: list[int] = []

    async def listener(guild_id: int) -> None:
        heard.append(guild_id)

    bot.services.programme.on_change(listener)
    preview = await (await fake_discord.slash("olga", "import", file=("programme.toml", edited_seed()))).final()
    confirm = preview.custom_ids[0]
    # Only the organiser who uploaded it can confirm it.
    other = await (await fake_discord.click("owner", preview, confirm)).final()
    assert other.content == "Only the organiser who uploaded this programme can confirm it."
    assert (await bot.services.programme.require(GUILD_ID)).session_for_week(13) is None
    click = await fake_discord.click("olga", preview, confirm)
    await click.wait(lambda i: preview.content != "", what="the preview replaced by the outcome")
    assert preview.content.startswith("Imported **Labour Together Online Workshops** from `programme.toml`: 1 added")
    assert preview.components == []
    programme = await bot.services.programme.require(GUILD_ID)
    assert programme.weeks == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    week3 = programme.session_for_week(3)
    assert week3 is not None and week3.title == "Outward-looking local parties"
    assert heard == [GUILD_ID]  # reminders re-plan at once


async def test_import_with_a_start_date_moves_the_programme(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    preview = await (
        await fake_discord.slash("olga", "import", file=("programme.toml", SEED), start="2021-01-04")
    ).final()
    text = preview.embeds[0]["description"]
    assert "**Week 1 · A long-term political strategy** — Mon 04 Jan 2021 19:00–21:00 GMT" in text
    assert "12 changed" in text


async def test_import_that_deletes_answers_says_so_and_needs_its_own_confirmation(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    week12 = await prompt_ids(bot.db, GUILD_ID, 12)
    await insert_answers(bot.db, GUILD_ID, [AnswerRow(week12[0], fake_discord.user("carol").id, "keep me?")])
    preview = await (await fake_discord.slash("olga", "import", file=("programme.toml", edited_seed()))).final()
    text = preview.embeds[0]["description"]
    assert "⚠️ Confirming **deletes 1 answer** given to prompts this file removes." in text
    assert next(line for line in text.splitlines() if "Week 12" in line).endswith("**removed**; **1 answer deleted**")
    assert preview.buttons[0]["label"] == "Confirm and delete 1 answer" and preview.buttons[0]["style"] == 4
    click = await fake_discord.click("olga", preview, preview.custom_ids[0])
    await click.wait(lambda i: preview.content != "", what="the preview replaced by the outcome")
    assert preview.content.startswith("Imported")
    assert tuple(await bot.db.fetchone("SELECT COUNT(*) FROM answers") or ()) == (0,)


async def test_answers_given_after_the_preview_stop_the_import(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    preview = await (await fake_discord.slash("olga", "import", file=("programme.toml", edited_seed()))).final()
    assert "deletes" not in preview.embeds[0]["description"]
    week12 = await prompt_ids(bot.db, GUILD_ID, 12)
    await insert_answers(bot.db, GUILD_ID, [AnswerRow(week12[0], fake_discord.user("carol").id, "just in time")])
    click = await fake_discord.click("olga", preview, preview.custom_ids[0])
    await click.wait(lambda i: preview.content != "", what="the preview replaced by the outcome")
    assert preview.content == (
        "Answers changed since the preview: this import would now delete 1 answer. Nothing was imported; "
        "run /import again for an up-to-date preview."
    )
    assert (await bot.services.programme.require(GUILD_ID)).session_for_week(12) is not None
    assert tuple(await bot.db.fetchone("SELECT COUNT(*) FROM answers") or ()) == (1,)


async def test_a_preview_expires_after_a_restart(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running():
        preview = await (await fake_discord.slash("olga", "import", file=("programme.toml", edited_seed()))).final()
    async with bot_runner.running() as bot:
        click = await fake_discord.click("olga", preview, preview.custom_ids[0])
        assert (await click.response()).type_name == "UPDATE_MESSAGE"
        assert preview.content.startswith("This import preview has expired")
        assert "upload the file again with /import" in preview.content
        assert (await bot.services.programme.require(GUILD_ID)).session_for_week(13) is None


async def test_a_preview_expires_after_15_minutes(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    preview = await (await fake_discord.slash("olga", "import", file=("programme.toml", edited_seed()))).final()
    clock.advance(timedelta(minutes=15))
    await (await fake_discord.click("olga", preview, preview.custom_ids[0])).response()
    assert preview.content.startswith("This import preview has expired")


async def test_a_bad_file_gets_the_parsers_line_numbered_error(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    broken = SEED.replace(b'start = "19:00"', b'start = "7pm"', 1)
    reply = await (await fake_discord.slash("olga", "import", file=("programme.toml", broken))).final()
    assert reply.ephemeral and not reply.components
    assert re.fullmatch(r"programme\.toml, line \d+: week 1 start '7pm' is not a time; expected HH:MM", reply.content)
    listing = await (
        await fake_discord.slash("olga", "import", file=("listing.txt", b"Week 1: Hello\nDate: soon"))
    ).final()
    assert re.match(r"listing\.txt, line \d+: ", listing.content), listing.content
    assert (await bot.services.programme.require(GUILD_ID)).weeks == list(range(1, 13))


async def test_the_published_listing_imports_too(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    from tests.conftest import SEED_LISTING

    preview = await (
        await fake_discord.slash("olga", "import", file=("workshops-2020.txt", SEED_LISTING.read_bytes()))
    ).final()
    text = preview.embeds[0]["description"]
    # The listing names only week 8; the other titles in the committed file were written for it.
    assert "Changes: 11 changed (weeks 1-7, 9-12); 1 unchanged (week 8)." in text
    assert "**Week 12 · Week 12** — Mon 19 Oct 2020 19:00–21:00 BST (2020-10-19 18:00–20:00 UTC)" in text


async def test_a_file_over_the_size_limit_is_refused_before_download(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    reply = await (await fake_discord.slash("olga", "import", file=("big.toml", b"#" * 1_000_001))).final()
    assert reply.content == "big.toml is 1,000,001 bytes; a programme file can be at most 1,000,000 bytes."
    assert fake_discord.requests_matching("GET", r"/attachments/") == []


# --- /export ------------------------------------------------------------------------------------------


async def test_export_answers_as_csv_privately_and_audited(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await members_answers(bot, fake_discord)
    interaction = await fake_discord.slash("olga", "export answers", format="csv")
    reply = await interaction.final()
    assert interaction.callbacks[0].type_name == "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE"
    assert interaction.callbacks[0].ephemeral and reply.ephemeral
    assert reply.content.startswith("Exported 3 answers (all weeks, CSV, pseudonymous (stable member pseudonyms)).")
    ((name, data),) = reply.files
    assert name == "answers-all-weeks-2020-10-20.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    secret = await bot.services.exports.secret()
    alice = pseudonym(secret, GUILD_ID, fake_discord.user("alice").id)
    assert [(r["week"], r["prompt_number"], r["member"], r["answer"], r["source"]) for r in rows] == [
        ("1", "1", alice, "'=1+1 is my answer", "modal"),
        (
            "1",
            "1",
            pseudonym(secret, GUILD_ID, fake_discord.user("bob").id, public_reply=True),
            "Bob's thoughts, with a comma",
            "thread",
        ),
        ("1", "2", alice, "Second prompt", "modal"),
    ]
    assert "discord_id" not in rows[0] and str(fake_discord.user("alice").id) not in data.decode()

    audit = await (await fake_discord.slash("olga", "export audit")).final()
    assert audit.content == "1 export, newest first:"
    line = audit.embeds[0]["description"]
    olga = fake_discord.user("olga").id
    when = int(datetime(2020, 10, 20, 12, tzinfo=UTC).timestamp())
    assert line == f"<t:{when}:f> · <@{olga}> · all weeks · CSV · pseudonymous · 3 rows"


@pytest.mark.parametrize("fmt", ["json", "xlsx", "markdown"])
async def test_export_other_formats_for_one_week(bot: WorkshopBot, fake_discord: FakeDiscord, fmt: str) -> None:
    await members_answers(bot, fake_discord)
    reply = await (await fake_discord.slash("olga", "export answers", format=fmt, week=1)).final()
    ((name, data),) = reply.files
    assert name.startswith("answers-week-1-2020-10-20.")
    if fmt == "json":
        assert [r["answer"] for r in json.loads(data)] == [
            "=1+1 is my answer",
            "Bob's thoughts, with a comma",
            "Second prompt",
        ]
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Answers"]
        assert [c.value for c in sheet["F"]][1:] == [
            "'=1+1 is my answer",
            "Bob's thoughts, with a comma",
            "Second prompt",
        ]
    else:
        text = data.decode()
        assert text.startswith("# Labour Together Online Workshops: answers, week 1: A long-term political strategy")
        assert "> \\=1+1 is my answer" in text  # escaped: the report renders exactly what was written


async def test_export_of_an_unknown_week_is_a_clear_error(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    reply = await (await fake_discord.slash("olga", "export answers", format="csv", week=13)).final()
    assert reply.content == "There is no week 13 in this programme. Valid weeks: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12."
    assert not reply.files


async def test_named_export_needs_a_second_confirmation(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await members_answers(bot, fake_discord)
    ask = await (await fake_discord.slash("olga", "export answers", format="csv", identities="named")).final()
    assert ask.ephemeral and not ask.files
    assert "puts each member's Discord id and display name" in ask.content
    assert [b["label"] for b in ask.buttons] == ["Export with names", "Cancel"]
    assert (await bot.services.exports.audit(GUILD_ID))[1] == 0  # nothing exported yet
    confirm = ask.custom_ids[0]
    # Someone else cannot use the button.
    other = await (await fake_discord.click("owner", ask, confirm)).final()
    assert other.content == "Only the organiser who asked for this export can confirm it."
    click = await fake_discord.click("olga", ask, confirm)
    assert (await click.response()).type_name == "UPDATE_MESSAGE"
    (delivered,) = await click.wait_followups(1)
    assert delivered.ephemeral
    assert "named: Discord ids and display names included" in delivered.content
    ((_, data),) = delivered.files
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    alice = fake_discord.user("alice")
    assert (rows[0]["discord_id"], rows[0]["display_name"]) == (f"'{alice.id}", "Alice")  # the id kept as text
    assert (rows[1]["display_name"]) == "Bob"
    entries, _ = await bot.services.exports.audit(GUILD_ID)
    assert [(e.identities, e.actor_id, e.row_count) for e in entries] == [("named", fake_discord.user("olga").id, 3)]
    audit = await (await fake_discord.slash("olga", "export audit")).final()
    assert "**named**" in audit.embeds[0]["description"]


async def test_named_export_confirmation_expires_and_can_be_cancelled(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    ask = await (await fake_discord.slash("olga", "export answers", format="json", identities="named")).final()
    cancel = await fake_discord.click("olga", ask, "export:named-cancel")
    await cancel.response()
    assert ask.content == "Named export cancelled; nothing was exported."
    ask = await (await fake_discord.slash("olga", "export answers", format="json", identities="named")).final()
    clock.advance(timedelta(minutes=11))
    await (await fake_discord.click("olga", ask, ask.custom_ids[0])).response()
    assert ask.content.startswith("This confirmation has expired")
    assert (await bot.services.exports.audit(GUILD_ID))[1] == 0


async def test_an_export_over_the_upload_limit_is_zipped(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    week1 = await prompt_ids(bot.db, GUILD_ID, 1)
    await insert_answers(
        bot.db,
        GUILD_ID,
        [AnswerRow(week1[n % 3], 700000000000000000 + n, "The same long answer, said again. " * 20) for n in range(60)],
    )
    fake_discord.attachment_size_limit = 20 * 1024
    reply = await (await fake_discord.slash("olga", "export answers", format="csv")).final()
    assert "over Discord's 20 KB upload limit, so it is compressed as a zip" in reply.content
    ((name, data),) = reply.files
    assert name == "answers-all-weeks-2020-10-20.csv.zip" and len(data) <= 20 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("answers-all-weeks-2020-10-20.csv").decode("utf-8-sig"))))
    assert len(rows) == 60


async def test_an_export_still_too_big_zipped_comes_in_parts(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    import secrets as random_text

    week1 = await prompt_ids(bot.db, GUILD_ID, 1)
    await insert_answers(
        bot.db,
        GUILD_ID,
        [AnswerRow(week1[n % 3], 700000000000000000 + n, random_text.token_urlsafe(600)) for n in range(60)],
    )
    fake_discord.attachment_size_limit = 20 * 1024
    interaction = await fake_discord.slash("olga", "export answers", format="json")
    first = await interaction.final()
    match = re.search(
        r"over Discord's 20 KB upload limit even compressed, so it comes as a zip in (\d) parts", first.content
    )
    assert match is not None, first.content
    parts = int(match[1])
    assert parts > 1
    messages = await interaction.wait_followups(parts)
    names = [m.files[0][0] for m in messages]
    assert names == [f"answers-all-weeks-2020-10-20.json.zip.00{n}" for n in range(1, parts + 1)]
    assert [m.content for m in messages[1:]] == [f"Part {n} of {parts}: `{names[n - 1]}`" for n in range(2, parts + 1)]
    assert all(m.ephemeral for m in messages)
    joined = b"".join(m.files[0][1] for m in messages)
    with zipfile.ZipFile(io.BytesIO(joined)) as archive:
        assert len(json.loads(archive.read("answers-all-weeks-2020-10-20.json"))) == 60


# --- /stats -------------------------------------------------------------------------------------------


async def test_stats_per_week_with_small_counts_hidden(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await members_answers(bot, fake_discord)
    week2 = await prompt_ids(bot.db, GUILD_ID, 2)
    await insert_answers(bot.db, GUILD_ID, [AnswerRow(week2[0], 800000000000000000 + n, "x") for n in range(6)])
    reply = await (await fake_discord.slash("olga", "stats")).final()
    assert reply.ephemeral
    embed = reply.embeds[0]
    text = embed["description"]
    assert embed["title"] == "Participation: Labour Together Online Workshops"
    assert "**Whole programme:** 9 answers from 8 members · DM subscribers: 0" in text
    lines = text.splitlines()
    week1 = lines[lines.index("**Week 1 · A long-term political strategy**") + 1]
    assert week1.startswith("answers hidden from <5 members · threads 0 open, 0 closed · reminders 0 posted, 0 failed")
    week2_line = lines[lines.index("**Week 2 · A better party culture**") + 1]
    # Hidden too, though 6 members answered: the total (9) minus week 2's 6 would give week 1's hidden 3.
    assert week2_line.startswith("answers hidden from 6 members")
    assert "Counts of 1 to 4 members show as <5" in embed["footer"]["text"]


async def test_stats_shows_when_answers_will_be_deleted(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    await (await fake_discord.slash("olga", "setup", retention_days=365)).final()
    reply = await (await fake_discord.slash("olga", "stats")).final()
    deletes_at = int((datetime(2020, 10, 26, 21, tzinfo=UTC) + timedelta(days=365)).timestamp())
    assert reply.embeds[0]["description"].startswith(f"Answers are kept until <t:{deletes_at}:D>, 365 days after")


async def test_stats_before_any_programme(bot_runner: BotRunner, fake_discord: FakeDiscord, tmp_path: Path) -> None:
    async with bot_runner.running(programme_file=tmp_path / "missing.toml"):
        reply = await (await fake_discord.slash("olga", "stats")).final()
        assert reply.content.startswith("No programme has been imported for this server yet.")
