"""`python -m bot check` and `python -m bot invite`, run as an organiser runs them, against the local Discord.

The bot runs first as its own process (it registers its commands, as on a real first start), stops, and then
the check connects with the same .env and reports what is ready and what is not.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.domain.permissions import invite_permissions
from bot.domain.server_settings import ServerDefaults
from bot.services.server_settings import ServerSettingsService
from bot.storage.database import Database
from tests.bot.test_main import assert_one_line_error, cli
from tests.conftest import PROGRAMME_TOML, REPO_ROOT
from tests.fakediscord import GUILD_ID, FakeDiscord, Perm
from tests.process import TOKEN, BotProcess

EXIT_NOT_READY = 3
FUTURE_MONDAY = "2031-08-04"  # the programme re-dated into the future, so reminders are still to come


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(bot: BotProcess, *args: str, timeout: float = 60) -> Ran:
    """``python -m bot ARGS --env-file`` the bot's .env, without blocking the fake's event loop."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_", "LOG_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, "--env-file", str(bot.env_file),
        cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Ran(process.returncode, stdout.decode(), stderr.decode())


async def first_start(bot: BotProcess) -> None:
    """Import a programme still to come, run the bot until its commands are registered, stop it."""
    imported = await run_cli(bot, "programme", "import", str(PROGRAMME_TOML), "--start", FUTURE_MONDAY)
    assert imported.returncode == 0, imported.stderr
    await bot.start()
    try:
        await bot.fake.wait_for_commands(timeout=30)
    finally:
        assert await bot.stop() == 0, bot.stderr.decode()


def lines_about(output: str, topic: str) -> list[str]:
    return [line for line in output.splitlines() if topic in line]


@pytest.fixture
def ready_settings(fake_discord: FakeDiscord) -> dict[str, str]:
    ping = fake_discord.world.add_role("Workshop pings", mentionable=True)
    return {
        "MESSAGE_CONTENT_INTENT": "true",
        "REMINDER_CHANNEL_ID": str(fake_discord.channel("reminders").id),
        "PING_ROLE_ID": str(ping.id),
    }


async def test_everything_ready_exits_0(
    fake_discord: FakeDiscord, tmp_path: Path, ready_settings: dict[str, str]
) -> None:
    bot = BotProcess(fake_discord, tmp_path, **ready_settings)
    await first_start(bot)
    # A forum for prompt threads, chosen with /setup (stored), where the bot may also lock closed posts.
    async with Database.open(bot.database) as db:
        await ServerSettingsService(db, ServerDefaults()).update(
            GUILD_ID, discussion_channel_id=fake_discord.channel("discussion").id
        )
    fake_discord.set_overwrite("discussion", fake_discord.world.bot_user, allow=Perm.MANAGE_THREADS)

    ran = await run_cli(bot, "check")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    out = ran.stdout
    assert out.splitlines()[-1].startswith("Ready.")
    assert "✗" not in out
    assert lines_about(out, "Message Content intent: granted")
    assert lines_about(out, "reminder channel #reminders: the bot has every permission")
    assert lines_about(out, "discussion channel #discussion: the bot has every permission")
    assert lines_about(out, "ping role @Workshop pings: mentionable")
    assert lines_about(out, "slash commands: all")
    assert lines_about(out, "programme: 'Labour Together Online Workshops', 12 session(s)")
    [next_reminder] = lines_about(out, "next reminder")
    assert "week 1" in next_reminder and "24h before" in next_reminder and "2031-08-03 18:00 UTC" in next_reminder
    assert TOKEN not in out + ran.stderr


async def test_a_reminder_channel_whose_overwrite_denies_send_messages_is_named_with_the_fix(
    fake_discord: FakeDiscord, tmp_path: Path, ready_settings: dict[str, str]
) -> None:
    bot = BotProcess(fake_discord, tmp_path, **ready_settings)
    await first_start(bot)
    # A read-only announcements channel, as servers often make them: @everyone may not send there.
    fake_discord.set_overwrite("reminders", "@everyone", deny=Perm.SEND_MESSAGES)

    ran = await run_cli(bot, "check")

    assert ran.returncode == EXIT_NOT_READY, ran.stdout + ran.stderr
    [line] = lines_about(ran.stdout, "reminder channel")
    assert line.startswith("✗ reminder channel #reminders: the bot lacks Send Messages")
    assert "needed to post session reminders" in line
    assert "Fix: in #reminders > Edit Channel > Permissions, allow Send Messages" in line
    assert ran.stdout.splitlines()[-1] == "Not ready: 1 problem to fix."


async def test_message_content_not_granted_is_a_problem_with_its_fix(
    fake_discord: FakeDiscord, tmp_path: Path, ready_settings: dict[str, str]
) -> None:
    bot = BotProcess(fake_discord, tmp_path, **ready_settings)
    await first_start(bot)
    fake_discord.set_privileged_intents_allowed(False)

    ran = await run_cli(bot, "check")

    assert ran.returncode == EXIT_NOT_READY, ran.stdout + ran.stderr
    [line] = lines_about(ran.stdout, "Message Content intent")
    assert line.startswith("✗") and "replies in prompt threads are not collected" in line
    assert "Fix: in the developer portal" in line and "switch on Message Content Intent" in line
    assert ran.stdout.splitlines()[-1] == "Not ready: 1 problem to fix."


async def test_a_server_the_bot_never_ran_in_has_no_commands_and_no_programme(
    fake_discord: FakeDiscord, tmp_path: Path, ready_settings: dict[str, str]
) -> None:
    bot = BotProcess(fake_discord, tmp_path, PROGRAMME_FILE=str(tmp_path / "none.toml"), **ready_settings)

    ran = await run_cli(bot, "check")

    assert ran.returncode == EXIT_NOT_READY, ran.stdout + ran.stderr
    [commands] = lines_about(ran.stdout, "slash commands")
    assert commands.startswith("✗ slash commands: not synced (not registered: /")
    assert "Fix: start the bot (`python -m bot run`)" in commands
    [programme] = lines_about(ran.stdout, "programme:")
    assert programme.startswith("✗ programme: none imported") and "python -m bot programme import FILE" in programme
    [database] = lines_about(ran.stdout, "database")
    assert database.startswith(f"! database: none at {bot.database} yet")
    assert not fake_discord.registered_commands(), "the check registers nothing"
    assert not bot.database.exists(), "the check creates no database"


async def test_a_refused_token_is_one_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    # Any other token: REST 401 (topics/opcodes-and-status-codes.mdx, HTTP Response Codes).
    fake_discord.valid_token = TOKEN
    bot = BotProcess(fake_discord, tmp_path, DISCORD_TOKEN="MTIz.not-the-bots-token.abc")
    for command in ("check", "invite"):
        ran = await run_cli(bot, command)
        assert ran.returncode == 1, ran.stdout
        assert (
            ran.stderr.startswith("error: Discord refused the token: check DISCORD_TOKEN")
            and ran.stderr.count("\n") == 1
        )
        assert "not-the-bots-token" not in ran.stdout + ran.stderr


async def test_invite_prints_the_link_with_exactly_the_features_permissions(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    bot = BotProcess(fake_discord, tmp_path)

    ran = await run_cli(bot, "invite")

    assert ran.returncode == 0, ran.stderr
    url = ran.stdout.splitlines()[0]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://discord.com/oauth2/authorize?")
    assert query["client_id"] == [str(fake_discord.world.application_id)]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(invite_permissions())]
    assert query["guild_id"] == [str(GUILD_ID)] and query["disable_guild_select"] == ["true"]
    assert "  Send Messages in Threads: threads" in ran.stdout


def test_invite_with_the_application_id_needs_no_token_and_no_network() -> None:
    result = cli("invite", "--application-id", "123456789012345678", "--guild", str(GUILD_ID))
    assert result.returncode == 0, result.stderr
    query = parse_qs(urlsplit(result.stdout.splitlines()[0]).query)
    assert query["client_id"] == ["123456789012345678"] and query["permissions"] == [str(invite_permissions())]


def test_check_without_a_token_or_server_is_one_line(tmp_path: Path) -> None:
    database = str(tmp_path / "bot.sqlite3")
    assert_one_line_error(cli("check", "--db", database, env={"GUILD_ID": str(GUILD_ID)}), "DISCORD_TOKEN is not set")
    assert_one_line_error(cli("check", "--db", database, env={"DISCORD_TOKEN": TOKEN}), "no Discord server given")


def test_discord_out_of_reach_is_one_line(tmp_path: Path) -> None:
    unreachable = {"DISCORD_TOKEN": TOKEN, "GUILD_ID": str(GUILD_ID), "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10"}
    assert_one_line_error(cli("invite", env=unreachable), "could not reach Discord")
    assert_one_line_error(
        cli("check", "--db", str(tmp_path / "bot.sqlite3"), env=unreachable), "could not reach Discord"
    )
