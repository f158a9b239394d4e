"""/setup's health section: the preflight check's findings from the running bot, with the problems it met."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.client import EXTENSIONS, WorkshopBot
from tests.conftest import GUILD_ID
from tests.fakediscord import FakeDiscord, Perm
from tests.harness import BotRunner


async def health_lines(fake: FakeDiscord) -> list[str]:
    reply = await (await fake.slash("olga", "setup")).final()
    assert reply.ephemeral
    settings, health = reply.embeds
    assert settings["title"] == "Server settings" and health["title"] == "Health"
    description: str = health["description"]
    return description.splitlines()


def line_about(lines: list[str], topic: str) -> str:
    [line] = [line for line in lines if topic in line]
    return line


async def test_setup_shows_what_is_ready_and_what_is_not(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await (
        await fake_discord.slash("olga", "setup", reminder_channel="reminders", discussion_channel="discussion")
    ).final()

    lines = await health_lines(fake_discord)

    assert line_about(lines, "reminder channel").startswith("✓ reminder channel #reminders: the bot has every")
    # The bot's role in the local Discord has no Manage Threads: closed posts are archived, not locked.
    assert line_about(lines, "discussion channel") == (
        "! discussion channel #discussion: the bot lacks Manage Threads, needed to lock posts when /threads close "
        "ends them (without it they are archived, not locked). Fix: in #discussion > Edit Channel > Permissions, "
        "allow Manage Threads for the bot's role (or remove the overwrite that denies it)."
    )
    assert line_about(lines, "slash commands").startswith("✓ slash commands: all")
    assert line_about(lines, "programme:").startswith("✓ programme: 'Labour Together Online Workshops'")
    # 20 October 2020: week 8 is next, Monday 26 October at 19:00 UK time (GMT by then, so 19:00 UTC).
    next_reminder = "✓ next reminder: week 8 (Supporting our campaigners & candidates), 24h before, due <t:{}:F>."
    assert line_about(lines, "next reminder") == next_reminder.format(
        int(datetime(2020, 10, 25, 19, tzinfo=UTC).timestamp())
    )
    intent = line_about(lines, "Message Content intent")
    assert intent.startswith("! Message Content intent: not asked for") and "MESSAGE_CONTENT_INTENT=true" in intent
    assert lines[-1] == "**Ready. 2 warning(s) to look at.**"


async def test_an_overwrite_made_while_the_bot_runs_shows_at_once(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await (await fake_discord.slash("olga", "setup", reminder_channel="reminders")).final()
    fake_discord.set_overwrite("reminders", "@everyone", deny=Perm.SEND_MESSAGES)  # CHANNEL_UPDATE to the bot

    lines = await health_lines(fake_discord)

    reminders = line_about(lines, "reminder channel")
    assert reminders.startswith("✗ reminder channel #reminders: the bot lacks Send Messages")
    assert "Fix: in #reminders > Edit Channel > Permissions, allow Send Messages" in reminders
    assert lines[-1].startswith("**Not ready: 1 problem to fix")


async def test_problems_met_while_running_are_in_the_health_section(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    bot.services.problems.record(
        GUILD_ID,
        "catch-up:1",
        "#discussion: the bot cannot read its history, so replies deleted while it was away were not checked.",
        "allow Read Message History for the bot in #discussion.",
    )

    lines = await health_lines(fake_discord)

    problem = line_about(lines, "while running")
    assert problem == (
        "✗ while running: #discussion: the bot cannot read its history, so replies deleted while it was away were "
        "not checked. Fix: allow Read Message History for the bot in #discussion."
    )
    assert lines[-1].startswith("**Not ready: 1 problem to fix")


async def test_the_message_content_intent_refused_by_discord_is_a_problem(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running() as bot:
        bot.message_content_refused = True  # as bot.client.run starts it again after Discord's 4014
        lines = await health_lines(fake_discord)
    intent = line_about(lines, "Message Content intent")
    assert intent.startswith("✗ Message Content intent: Discord refused it when the bot asked")
    assert "Fix: in the developer portal" in intent


async def test_a_part_of_the_bot_that_failed_to_load_is_a_problem(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(extensions=[*EXTENSIONS, "tests.bot.broken_cog"]):
        lines = await health_lines(fake_discord)
    assert line_about(lines, "tests.bot.broken_cog") == (
        "✗ part tests.bot.broken_cog: failed to load: its commands do not work. "
        "Fix: see the bot's log for the error, fix it, and restart the bot."
    )


async def test_a_long_health_section_is_cut_and_keeps_its_summary(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    for n in range(60):
        bot.services.problems.record(GUILD_ID, f"catch-up:{n}", f"thread {n}: " + "history unreadable. " * 5, "fix it.")

    lines = await health_lines(fake_discord)  # the local Discord refuses embeds over 6,000 characters in all

    assert lines[-1] == "**Not ready: 60 problems to fix, 2 warning(s).**"
    assert lines[-3].endswith("…")
