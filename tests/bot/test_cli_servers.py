"""The command line with many servers in one database: ``--guild`` chooses; without it (and without GUILD_ID)
the only server is used, and with several the error lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.test_main import assert_one_line_error, cli
from tests.conftest import GUILD_ID, PROGRAMME_TOML

OTHER = GUILD_ID + (1 << 22)  # another server (on another shard, too)
FUTURE = "2031-08-04"


def imported(db: Path, guild_id: int) -> None:
    result = cli(
        "programme", "import", str(PROGRAMME_TOML), "--start", FUTURE, "--db", str(db), "--guild", str(guild_id)
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def two_servers(tmp_path: Path) -> Path:
    db = tmp_path / "bot.sqlite3"
    imported(db, GUILD_ID)
    imported(db, OTHER)
    return db


@pytest.mark.parametrize(
    "command",
    [
        ("programme", "show"),
        ("schedule",),
        ("export", "--format", "csv", "--out", "{out}"),
        ("report", "--out", "{out}"),
    ],
)
def test_without_guild_the_error_lists_the_servers(two_servers: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    args = [part.format(out=tmp_path / "out.file") for part in command]
    result = cli(*args, "--db", str(two_servers))
    assert_one_line_error(result, f"the database holds 2 servers: {GUILD_ID}, {OTHER}; pass --guild ID")
    assert not (tmp_path / "out.file").exists()


def test_guild_chooses_one_server(two_servers: Path, tmp_path: Path) -> None:
    shown = cli("programme", "show", "--json", "--db", str(two_servers), "--guild", str(OTHER))
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)["sessions"]) == 12
    schedule = cli("schedule", "--json", "--db", str(two_servers), "--guild", str(OTHER))
    assert schedule.returncode == 0, schedule.stderr
    assert json.loads(schedule.stdout)["guild_id"] == str(OTHER)
    out = tmp_path / "answers.csv"
    exported = cli("export", "--format", "csv", "--out", str(out), "--db", str(two_servers), "--guild", str(OTHER))
    assert exported.returncode == 0, exported.stderr and out.is_file()


def test_with_one_server_it_is_used_and_an_empty_database_asks_for_one(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    first = cli("programme", "import", str(PROGRAMME_TOML), "--db", str(db))
    assert_one_line_error(first, "no Discord server given and the database holds none yet: pass --guild ID")
    imported(db, OTHER)
    shown = cli("schedule", "--json", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["guild_id"] == str(OTHER)
