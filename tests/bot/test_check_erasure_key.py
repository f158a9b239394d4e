"""`python -m bot check` reports the erasure key (bot/storage/erasures.py) as an organiser runs it, on each engine:
present and valid, not created yet, or the error that would stop the bot, with its fix; and it changes nothing in
the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage.engine import open_database
from bot.storage.erasures import ERASURE_KEY
from bot.storage.members import MemberDataRepository
from bot.storage.state import StateRepository
from tests.bot.test_check_cli import EXIT_NOT_READY, lines_about, run_cli
from tests.conftest import ENGINES, GUILD_ID
from tests.fakediscord import FakeDiscord
from tests.fakeslack import FakeSlack
from tests.process import BotProcess
from tests.slack.delivery_fakes import local_slack  # noqa: F401 - the fixture
from tests.storage.test_erasure_key_check import every_row

ERASED = 200000000000000002
ERASED_AT = datetime(2020, 10, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def bot(request: pytest.FixtureRequest, fake_discord: FakeDiscord, tmp_path: Path) -> BotProcess:
    """The bot's .env over a database of each engine (PostgreSQL: migrated and empty, as after an install)."""
    if request.param == "sqlite":
        return BotProcess(fake_discord, tmp_path, PROGRAMME_FILE=str(tmp_path / "none.toml"))
    dsn = request.getfixturevalue("migrated_postgres_dsn")
    return BotProcess(fake_discord, tmp_path, DATABASE_URL=dsn, PROGRAMME_FILE=str(tmp_path / "none.toml"))


async def erased_member(bot: BotProcess, *, key: str | None = None) -> dict[str, list[tuple[object, ...]]]:
    """A member's erasure recorded (which creates the key), the key then replaced by ``key`` if given; returns
    every row of the database, to compare with after the check."""
    async with open_database(bot.database_target) as db:
        await MemberDataRepository(db).erase(GUILD_ID, ERASED, at=ERASED_AT)
        if key is not None:
            await StateRepository(db).set(ERASURE_KEY, key)
        return await every_row(db)


async def rows_after(bot: BotProcess) -> dict[str, list[tuple[object, ...]]]:
    async with open_database(bot.database_target) as db:
        return await every_row(db)


async def test_a_key_in_use_is_reported_present_and_valid_and_nothing_changes(bot: BotProcess) -> None:
    before = await erased_member(bot)

    ran = await run_cli(bot, "check")

    assert lines_about(ran.stdout, "erasure key") == ["✓ erasure key: present and valid."], ran.stdout + ran.stderr
    assert await rows_after(bot) == before


async def test_a_damaged_key_is_the_start_s_error_with_its_fix_and_nothing_changes(bot: BotProcess) -> None:
    before = await erased_member(bot, key="not a key")

    ran = await run_cli(bot, "check")

    assert ran.returncode == EXIT_NOT_READY, ran.stdout + ran.stderr
    [line] = lines_about(ran.stdout, "erasure key")
    assert line.startswith("✗ erasure key: The erasure key in the database (bot_state's 'erasure_key' row) is damaged")
    assert "The bot does not start until it is put right." in line
    assert "Fix: Restore bot_state's 'erasure_key' row from a backup of this database." in line
    assert await rows_after(bot) == before  # the damaged key is still there: never replaced


async def test_before_the_first_start_the_key_is_not_created_yet_and_the_check_creates_none(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    bot = BotProcess(fake_discord, tmp_path, PROGRAMME_FILE=str(tmp_path / "none.toml"))

    ran = await run_cli(bot, "check")

    assert lines_about(ran.stdout, "erasure key") == [
        "✓ erasure key: not created yet: the bot creates it on its first start."
    ], ran.stdout + ran.stderr
    assert not bot.database.exists()


async def test_the_slack_check_reports_the_key_and_with_discord_too_it_is_said_once(
    fake_discord: FakeDiscord,
    local_slack: FakeSlack,  # noqa: F811
    tmp_path: Path,
) -> None:
    slack = {
        "SLACK_BOT_TOKEN": local_slack.bot_token,
        "SLACK_APP_TOKEN": local_slack.app_token,
        "SLACK_API_URL": local_slack.api_url,
    }
    slack_only = BotProcess(fake_discord, tmp_path, **slack)
    slack_only.env_file.write_text(
        "".join(line for line in slack_only.env_file.read_text().splitlines(keepends=True)
                if not line.startswith("DISCORD_TOKEN=")),
        encoding="utf-8",
    )  # fmt: skip
    before = await erased_member(slack_only, key="0123")

    ran = await run_cli(slack_only, "check")

    assert "Checking the Slack workspace:" in ran.stdout and "Checking server" not in ran.stdout, ran.stderr
    [line] = lines_about(ran.stdout, "erasure key")
    assert line.startswith("✗ erasure key: The erasure key in the database") and "Fix: Restore" in line
    assert ran.returncode == EXIT_NOT_READY
    assert await rows_after(slack_only) == before

    both = BotProcess(fake_discord, tmp_path, **slack)  # the same database, both platforms checked
    ran = await run_cli(both, "check")
    assert "Checking the Slack workspace:" in ran.stdout and "Checking server" in ran.stdout, ran.stderr
    assert len(lines_about(ran.stdout, "erasure key")) == 1
    assert await rows_after(both) == before
