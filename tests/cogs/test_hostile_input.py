"""A careless organiser and a hostile member, through the local Discord (issue 12, items 1, 6 and 8; 15.3).

Each test is one fault the issue reproduced: it fails without its fix.
"""

from __future__ import annotations

import logging

import pytest

from bot.client import WorkshopBot
from bot.log_setup import PAYLOAD_LOGGERS
from tests.conftest import GUILD_ID, PROGRAMME_TOML
from tests.fakediscord import BOT_USER_ID, FakeDiscord
from tests.harness import BotRunner

SEED = PROGRAMME_TOML.read_bytes()


async def stored_starts(bot: WorkshopBot) -> list[str]:
    return [row["starts_at"] for row in await bot.db.fetchall("SELECT starts_at FROM sessions ORDER BY week")]


# --- item 1: one typo must not brick the bot ----------------------------------------------------------------


async def test_import_start_in_year_221_is_refused_and_changes_nothing(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    before = await stored_starts(bot)
    reply = await (
        await fake_discord.slash("olga", "import", file=("programme.toml", SEED), start="0221-01-04")
    ).final()
    assert reply.ephemeral
    assert reply.content.startswith("the new start date 0221-01-04 is outside the dates this bot works with")
    assert "2000 to 2100" in reply.content
    assert await stored_starts(bot) == before


async def test_a_date_an_older_version_stored_unpadded_does_not_stop_the_bot(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running() as bot, bot.db.transaction() as conn:
        # What the old codec wrote for /import start:0221-01-04: a year without its leading zero.
        await conn.execute(
            "UPDATE sessions SET starts_at = '221-01-04T19:00:00.000000Z', ends_at = '221-01-04T21:00:00.000000Z' "
            "WHERE week = 1"
        )
    async with bot_runner.running() as bot:  # the restart that used to fail in setup_hook
        shown = await (await fake_discord.slash("alice", "session", week=1)).final()
        assert "Week 1" in shown.embeds[0]["title"]
        preview = await (await fake_discord.slash("olga", "import", file=("programme.toml", SEED))).final()
        await (await fake_discord.click("olga", preview, preview.custom_ids[0])).final()
        assert (await stored_starts(bot))[0] == "2020-08-03T18:00:00.000000Z"


async def test_retention_on_a_programme_ending_in_9999_is_refused_before_anything_is_saved(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running() as bot, bot.db.transaction() as conn:  # what an older version accepted
        await conn.execute("UPDATE sessions SET ends_at = '9999-12-27T21:00:00.000000Z' WHERE week = 8")
    async with bot_runner.running() as bot:
        await refused_retention(bot, fake_discord)


async def refused_retention(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    before = await bot.services.settings.stored(GUILD_ID)
    reply = await (await fake_discord.slash("olga", "setup", retention_days=3650, answer_window_hours=2)).final()
    assert "too far in the future for a retention period" in reply.content
    assert reply.content.endswith("Nothing was changed.")
    assert await bot.services.settings.stored(GUILD_ID) == before
    stats = await (await fake_discord.slash("olga", "stats")).final()
    assert stats.embeds[0]["title"].startswith("Participation")
    settings = await (await fake_discord.slash("olga", "setup")).final()
    assert settings.content == "Settings for this server:"


# --- item 6: errors that themselves failed ---------------------------------------------------------------------


async def test_a_refusal_quoting_a_huge_value_still_reaches_the_organiser(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    text = SEED.decode().replace('start = "19:00"', f'start = "{"1" * 50_000}"', 1)
    interaction = await fake_discord.slash("olga", "import", file=("programme.toml", text.encode()))
    reply = await interaction.final()
    assert reply.ephemeral and not reply.loading
    assert reply.content.startswith("programme.toml, line ")
    assert "is not a time" in reply.content
    assert len(reply.content) <= 2000


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda t: t + "\nx = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
        (lambda t: t.replace("week = 1\n", "week = 100000000000000000000\n", 1), "from 1 to 9999"),
        (
            lambda t: t.replace('location = "Zoom"', 'location = "Zoom"\nmeeting_link = "https://[zoom.us"', 1),
            "not a web address",
        ),
    ],
)
async def test_hostile_programme_files_get_clear_refusals(
    bot: WorkshopBot, fake_discord: FakeDiscord, mutation: object, expected: str
) -> None:
    data = mutation(SEED.decode()).encode()  # type: ignore[operator]
    reply = await (await fake_discord.slash("olga", "import", file=("programme.toml", data))).final()
    assert expected in reply.content
    assert "something went wrong" not in reply.content


def test_week_options_are_bounded_like_the_parsers(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    for command, option in (("session", "week"), ("answer", "week"), ("setup", "week")):
        [found] = [o for o in fake_discord.command(command)["options"] if o["name"] == option]
        assert (found["min_value"], found["max_value"]) == (1, 9999), command


# --- issue 15.3: warnings in the preview ------------------------------------------------------------------------


async def test_the_import_preview_warns_of_a_session_without_prompts(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    text = SEED.decode()
    start = text.index("prompts = [", text.index("week = 2\n"))
    end = text.index("]", start) + 1
    data = (text[:start] + "prompts = []" + text[end:]).encode()
    reply = await (await fake_discord.slash("olga", "import", file=("programme.toml", data))).final()
    description = reply.embeds[0]["description"]
    assert "⚠️ programme.toml, line " in description
    assert "week 2 has no prompts, so members cannot answer anything for it" in description


# --- item 8: what members type never reaches the log -------------------------------------------------------------


async def test_mentioning_the_bot_logs_nothing_of_what_was_typed(
    bot: WorkshopBot, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in PAYLOAD_LOGGERS:  # as the bot's own logging set-up does, even at LOG_LEVEL=DEBUG
        caplog.set_level(logging.INFO, logger=name)
    secret = "my private political opinion 7c1e"
    await fake_discord.post_message("general", "alice", f"<@{BOT_USER_ID}> {secret}")
    await fake_discord.post_message("general", "alice", f"<@{BOT_USER_ID}> help")
    reply = await (await fake_discord.slash("alice", "next")).final()  # the bot has handled both messages by now
    assert reply.ephemeral
    assert secret not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not fake_discord.bot_messages_in("general")


async def test_a_refusal_that_discord_rejects_is_logged_with_its_reason(
    bot: WorkshopBot, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.tree")
    # The follow-up carrying the refusal is rejected (as an over-long message once was): the log says why.
    fake_discord.fail_next("POST", r"^/webhooks/\d+/[^/]+$", 400, code=50035, message="Invalid Form Body")
    interaction = await fake_discord.slash("olga", "import", file=("programme.toml", b"not = [toml"))
    await fake_discord.wait_for(lambda: "could not tell the member" in caplog.text, what="the warning")
    assert "HTTP 400, Discord code 50035" in caplog.text
    assert interaction.callback_count == 1
