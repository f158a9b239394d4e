"""`python -m bot check` before an upgrade, as an operator runs it, on each engine: it says what the bot's next start
will do with the database (nothing, upgrade it with these migrations, or refuse a newer version's) and does none of
it: the database's files, rows and schema version are the same after the check."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.storage.engine import open_database
from bot.storage.engine._migrations import migrations
from tests.bot.test_check_cli import EXIT_NOT_READY, lines_about, run_cli
from tests.conftest import ENGINES
from tests.fakediscord import FakeDiscord
from tests.fakeslack import FakeSlack
from tests.process import BotProcess
from tests.slack.delivery_fakes import local_slack  # noqa: F401 - the fixture
from tests.storage.test_erasure_records import at_version_13
from tests.storage.test_read_only_open import file_bytes, rows_read_only, set_version

LATEST = len(migrations("sqlite"))
AFTER_13 = ", ".join(m.name.removesuffix(".sql") for m in migrations("sqlite") if m.number > 13)


@pytest.fixture(params=ENGINES)
def bot(request: pytest.FixtureRequest, fake_discord: FakeDiscord, tmp_path: Path) -> BotProcess:
    """The bot's .env over an empty database of each engine (SQLite: no file yet; PostgreSQL: no tables yet)."""
    if request.param == "sqlite":
        return BotProcess(fake_discord, tmp_path, PROGRAMME_FILE=str(tmp_path / "none.toml"))
    dsn = request.getfixturevalue("postgres_dsn")
    return BotProcess(fake_discord, tmp_path, DATABASE_URL=dsn, PROGRAMME_FILE=str(tmp_path / "none.toml"))


def target(bot: BotProcess) -> str:
    return str(bot.database_target)


def problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("✗")]


async def test_a_version_13_database_is_reported_with_the_upgrade_to_come_and_left_at_13(bot: BotProcess) -> None:
    await at_version_13(target(bot))
    before, files = await rows_read_only(target(bot)), file_bytes(target(bot))

    ran = await run_cli(bot, "check")

    [database] = lines_about(ran.stdout, "! database:")
    assert database == (
        f"! database: at version 13, the bot will upgrade it to {LATEST} on its next start (migrations: {AFTER_13}); "
        "the check changed nothing. Fix: back the database up "
        f"({'`python -m bot backup FILE`' if bot.database_url is None else 'pg_dump'}) before that start: the "
        "version before cannot run on an upgraded one."
    ), ran.stdout + ran.stderr
    # What this bot cannot read at 13 is said to be unread, not misjudged: no "no programme", no key error.
    [contents] = lines_about(ran.stdout, "database contents")
    assert contents.startswith(f"! database contents: not read: this bot reads only schema version {LATEST}")
    assert "the erasure key" in contents and contents.endswith("Fix: run check again after that start.")
    assert not lines_about(ran.stdout, "programme:"), ran.stdout
    assert all("slash commands" in line for line in problems(ran.stdout)), ran.stdout  # the bot never ran here
    assert "Traceback" not in ran.stderr
    # Nothing was done: the same files, rows and version.
    assert await rows_read_only(target(bot)) == before
    assert file_bytes(target(bot)) == files
    async with open_database(target(bot), read_only=True) as db:
        assert await db.schema_version() == 13


async def test_a_database_from_a_newer_bot_fails_the_check_clearly_and_is_left_as_it_is(bot: BotProcess) -> None:
    async with open_database(target(bot)):
        pass  # created by this version, then...
    await set_version(target(bot), LATEST + 1)  # ...upgraded by a newer one
    before, files = await rows_read_only(target(bot)), file_bytes(target(bot))

    ran = await run_cli(bot, "check")

    assert ran.returncode == EXIT_NOT_READY, ran.stdout + ran.stderr
    [database] = lines_about(ran.stdout, "✗ database:")
    assert database.startswith(
        f"✗ database: version {LATEST + 1} is newer than this bot's {LATEST}: run the newer version. Fix: run the "
        "version of the bot that last used this database"
    ), ran.stdout
    [contents] = lines_about(ran.stdout, "database contents")
    assert contents.endswith("Fix: run check again with the newer version.")
    assert await rows_read_only(target(bot)) == before
    assert file_bytes(target(bot)) == files


async def test_an_up_to_date_database_is_said_to_be(bot: BotProcess) -> None:
    async with open_database(target(bot)):
        pass
    before = await rows_read_only(target(bot))

    ran = await run_cli(bot, "check")

    assert lines_about(ran.stdout, "database") == [f"✓ database: schema version {LATEST}, up to date."], ran.stdout
    assert await rows_read_only(target(bot)) == before


async def test_before_the_first_start_there_is_no_database_and_the_check_creates_none(bot: BotProcess) -> None:
    ran = await run_cli(bot, "check")

    [database] = lines_about(ran.stdout, "! database:")
    if bot.database_url is None:
        assert database.startswith(f"! database: none at {bot.database} yet (the bot creates it on its first start)")
        assert not bot.database.exists()
        return
    assert database.startswith("! database: no tables in postgresql://") and "on its first start" in database
    raw = await asyncpg.connect(bot.database_url)
    try:
        assert await raw.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == 0
    finally:
        await raw.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://bot:s3cret@127.0.0.1:1/workshops", "the server cannot be reached"),
        ("postgresql://bot:s3cret@127.0.0.1:x5432/workshops", "DATABASE_URL"),
    ],
)
async def test_a_bad_database_url_is_one_line(
    fake_discord: FakeDiscord, tmp_path: Path, url: str, expected: str
) -> None:
    bot = BotProcess(fake_discord, tmp_path, DATABASE_URL=url)

    ran = await run_cli(bot, "check")

    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.stderr.startswith("error: ") and ran.stderr.count("\n") == 1, ran.stderr
    assert expected in ran.stderr and "s3cret" not in ran.stdout + ran.stderr


async def test_the_slack_check_reports_the_upgrade_to_come_too(
    fake_discord: FakeDiscord,
    local_slack: FakeSlack,  # noqa: F811
    tmp_path: Path,
) -> None:
    slack_only = BotProcess(
        fake_discord,
        tmp_path,
        SLACK_BOT_TOKEN=local_slack.bot_token,
        SLACK_APP_TOKEN=local_slack.app_token,
        SLACK_API_URL=local_slack.api_url,
    )
    slack_only.env_file.write_text(
        "".join(line for line in slack_only.env_file.read_text().splitlines(keepends=True)
                if not line.startswith("DISCORD_TOKEN=")),
        encoding="utf-8",
    )  # fmt: skip
    await at_version_13(str(slack_only.database))
    files = file_bytes(str(slack_only.database))

    ran = await run_cli(slack_only, "check")

    assert "Checking the Slack workspace:" in ran.stdout and "Checking server" not in ran.stdout, ran.stderr
    [database] = lines_about(ran.stdout, "! database:")
    assert database.startswith(f"! database: at version 13, the bot will upgrade it to {LATEST} on its next start")
    assert len(lines_about(ran.stdout, "database contents")) == 1
    assert file_bytes(str(slack_only.database)) == files
