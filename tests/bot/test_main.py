"""The command line, run as a user runs it: a separate process, reading real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GUILD_ID, PROGRAMME_TOML, REPO_ROOT, SEED_LISTING


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--env-file", os.devnull],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and expected in result.stderr


def test_import_then_show_json_prints_the_twelve_sessions(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    env = {"GUILD_ID": str(GUILD_ID), "DATABASE_PATH": db}
    imported = cli("programme", "import", str(PROGRAMME_TOML), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "12 added" in imported.stdout
    shown = cli("programme", "show", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert set(data) == {"title", "timezone", "sessions"}
    assert len(data["sessions"]) == 12
    assert set(data["sessions"][0]) == {"week", "title", "start", "end", "location", "description", "prompts"}
    assert [s["week"] for s in data["sessions"]] == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 8]
    week8 = data["sessions"][-1]
    assert week8["start"] == "2020-10-26T19:00:00Z" and week8["end"] == "2020-10-26T21:00:00Z"
    assert data["sessions"][-2]["start"] == "2020-10-19T18:00:00Z"


def test_show_is_readable_with_local_time_zone_and_utc(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    assert cli("programme", "import", str(SEED_LISTING), "--db", db, "--guild", str(GUILD_ID)).returncode == 0
    shown = cli("programme", "show", "--db", db, "--guild", str(GUILD_ID))
    assert "Week 8: Supporting our campaigners & candidates" in shown.stdout
    assert "Mon 26 Oct 2020 19:00-21:00 GMT (2020-10-26 19:00-21:00 UTC), Zoom" in shown.stdout
    assert "Mon 19 Oct 2020 19:00-21:00 BST (2020-10-19 18:00-20:00 UTC)" in shown.stdout
    assert "  1. How might this audit work?" in shown.stdout


def test_start_redates_the_programme(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    result = cli(
        "programme",
        "import",
        str(PROGRAMME_TOML),
        "--start",
        "2027-01-04",
        "--db",
        db,
        "--guild",
        str(GUILD_ID),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(cli("programme", "show", "--json", "--db", db, "--guild", str(GUILD_ID)).stdout)
    week8 = next(s for s in data["sessions"] if s["week"] == 8)
    assert week8["start"] == "2027-03-29T18:00:00Z"  # 19:00 BST


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ("programme", "import", "no-such-file.toml"),
            {"GUILD_ID": str(GUILD_ID)},
            "cannot read no-such-file.toml",
        ),
        (("programme", "import", "nowhere.toml"), {}, "cannot read nowhere.toml"),
        (
            ("programme", "show"),
            {"GUILD_ID": "abc"},
            "GUILD_ID must be a Discord server id, 17-20 digits, got 'abc'",
        ),
        (("programme", "show"), {"GUILD_ID": str(GUILD_ID)}, "no database at "),
        (
            ("programme", "show"),
            {"GUILD_ID": str(GUILD_ID), "TIMEZONE": "Nowhere/Land"},
            "TIMEZONE must be an IANA",
        ),
        (("run",), {}, "DISCORD_TOKEN is not set"),
    ],
)
def test_user_mistakes_are_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    result = cli(*args, "--db", str(tmp_path / "bot.sqlite3"), env=env)
    assert_one_line_error(result, expected)


def test_a_malformed_file_is_refused_and_the_database_is_unchanged(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    common = ("--db", db, "--guild", str(GUILD_ID))
    assert cli("programme", "import", str(PROGRAMME_TOML), *common).returncode == 0
    before = cli("programme", "show", "--json", *common).stdout
    bad = tmp_path / "bad.txt"
    bad.write_text("Programme\nIntro\nDate: 31/2/2020 Time: 19:00 - 21:00 Location: Zoom\nWhy?\n", encoding="utf-8")
    assert_one_line_error(cli("programme", "import", str(bad), *common), "bad.txt, line 3: '31/2/2020' is not a date")
    assert cli("programme", "show", "--json", *common).stdout == before


def test_bad_start_date_is_an_argument_error(tmp_path: Path) -> None:
    result = cli("programme", "import", str(PROGRAMME_TOML), "--start", "4/1/2027", "--db", str(tmp_path / "x"))
    assert result.returncode == 2 and "expected a date as YYYY-MM-DD" in result.stderr


def test_a_start_date_typo_on_the_command_line_is_refused_in_one_line(tmp_path: Path) -> None:
    env = {"GUILD_ID": str(GUILD_ID), "DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    result = cli("programme", "import", str(PROGRAMME_TOML), "--start", "0221-01-04", env=env)
    assert_one_line_error(result, "the new start date 0221-01-04 is outside the dates this bot works with")
