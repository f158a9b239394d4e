"""The first hour of a new organiser at the command line (issue 15): each mistake one clear line, nothing
lost or created silently. Every test runs `python -m bot` as a separate process, as the organiser does."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.bot.test_export_cli import add_answers, audit_rows
from tests.bot.test_main import assert_one_line_error, cli
from tests.conftest import GUILD_ID, PROGRAMME_TOML, REPO_ROOT, SEED_LISTING


def where(db: Path) -> tuple[str, ...]:
    return ("--db", str(db), "--guild", str(GUILD_ID))


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """A database holding the seed programme (with its written titles)."""
    db = tmp_path / "bot.sqlite3"
    result = cli("programme", "import", str(PROGRAMME_TOML), *where(db))
    assert result.returncode == 0, result.stderr
    return db


def show_json(db: Path) -> str:
    result = cli("programme", "show", "--json", *where(db))
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- 15.2: imports say what they do before and after ------------------------------------------------------


def test_dry_run_previews_the_listing_over_the_toml_and_writes_nothing(imported: Path) -> None:
    before = show_json(imported)
    result = cli("programme", "import", str(SEED_LISTING), "--dry-run", *where(imported))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Labour Together Online Workshops from `workshops-2020.txt`: 12 sessions")
    assert "Changes: 11 changed (weeks 1-7, 9-12); 1 unchanged (week 8)." in lines
    assert (
        '⚠️ 11 session titles would be lost (weeks 1-7, 9-12): this file names them only "Week N" '
        '(week 1: "A long-term political strategy" becomes "Week 1").'
    ) in result.stdout
    assert "Dry run: nothing was written. Run the command again without --dry-run to import." in lines
    assert (
        "Week 1 · Week 1 — Mon 03 Aug 2020 19:00–21:00 BST (2020-08-03 18:00–20:00 UTC) · 3 prompts · changed: title"
    ) in lines
    assert show_json(imported) == before


def test_a_dry_run_creates_no_database(tmp_path: Path) -> None:
    db = tmp_path / "new" / "bot.sqlite3"
    result = cli("programme", "import", str(PROGRAMME_TOML), "--dry-run", *where(db))
    assert result.returncode == 0, result.stderr
    assert "Changes: 12 added (weeks 1-12)." in result.stdout
    assert not db.parent.exists()


def test_importing_the_listing_over_the_toml_warns_that_titles_are_lost(imported: Path) -> None:
    result = cli("programme", "import", str(SEED_LISTING), *where(imported))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Imported 'Labour Together Online Workshops' for server {GUILD_ID}: "
        "11 changed (weeks 1-7, 9-12); 1 unchanged (week 8).\n"
    )
    assert result.stderr == (
        'warning: 11 session titles were lost (weeks 1-7, 9-12): this file names them only "Week N" '
        '(week 1: "A long-term political strategy" became "Week 1"). '
        "To get them back, import the .toml that has the titles.\n"
    )


def test_force_reports_the_answers_it_deleted_in_the_past_tense(imported: Path, tmp_path: Path) -> None:
    add_answers(imported)  # two answers to week 1's first prompt, one to week 12's last
    edited = tmp_path / "programme.toml"
    first_prompt = '    "What might this political strategy look like?",\n'
    edited.write_text(PROGRAMME_TOML.read_text(encoding="utf-8").replace(first_prompt, ""), encoding="utf-8")

    refused = cli("programme", "import", str(edited), *where(imported))
    assert_one_line_error(refused, "This import would delete 2 answer(s) to prompts it removes (week 1)")

    forced = cli("programme", "import", str(edited), "--force", *where(imported))
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.endswith("1 changed (week 1); 11 unchanged (weeks 2-12); 2 answers deleted.\n")
    assert "would" not in forced.stdout


def test_a_start_on_another_weekday_warns(imported: Path) -> None:
    result = cli("programme", "import", str(PROGRAMME_TOML), "--start", "2027-01-05", *where(imported))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: 2027-01-05 is a Tuesday, but the programme's first session was on a Monday: every session moved "
        "to a Tuesday. Import again with a start date on a Monday to keep their day.",
        "warning: 12 sessions moved (weeks 1-12): week 1 from Mon 03 Aug 2020 19:00 to Tue 05 Jan 2027 19:00 GMT. "
        "Reminders follow the new times.",
    ]
    assert json.loads(show_json(imported))["sessions"][0]["start"] == "2027-01-05T19:00:00Z"
    monday = ("--start", "2027-01-04", "--dry-run")
    same_weekday = cli("programme", "import", str(PROGRAMME_TOML), *monday, *where(imported))
    assert "is a Monday" not in same_weekday.stdout and "Tuesday" not in same_weekday.stdout


# --- 15.6: read-only commands never create a database ----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("programme", "show"),
        ("schedule",),
        ("export", "--format", "csv", "--out", "{tmp}/answers.csv"),
        ("backup", "{tmp}/copy.sqlite3"),
    ],
    ids=lambda c: c[0] if c[0] != "programme" else "programme show",
)
def test_a_mistyped_database_is_an_error_and_nothing_is_created(tmp_path: Path, command: tuple[str, ...]) -> None:
    typo = tmp_path / "dta" / "bot.sqlite3"
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    result = cli(*args, *(where(typo) if command[0] != "backup" else ("--db", str(typo))))
    assert_one_line_error(result, f"no database at {typo}: check --db")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_env_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "prod.env"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "programme", "show", "--env-file", str(missing)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_one_line_error(result, f"--env-file {missing} does not exist")


def test_a_file_that_is_not_a_database_is_one_line_with_the_next_step(tmp_path: Path) -> None:
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("shopping list\n" * 200, encoding="utf-8")
    result = cli("programme", "show", *where(not_a_database))
    assert_one_line_error(result, "the database cannot be used (file is not a database): check that --db")


# --- 15.7: the smaller points ------------------------------------------------------------------------------


def test_a_mistyped_command_line_is_one_line_pointing_at_the_help() -> None:
    result = cli("backup", "copy.sqlite3", "--guild", "1")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr == "error: unrecognized arguments: --guild 1 (see 'python -m bot --help')\n"


def test_every_option_has_help_text() -> None:
    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        found = [parser]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found += parsers(child)
        return found

    missing = [
        f"{parser.prog} {action.dest}"
        for parser in parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []
    shown = cli("export", "--help")
    assert re.search(r"--week N\s+only this week's answers", shown.stdout)


def test_show_json_into_a_closed_pipe_ends_quietly(imported: Path) -> None:
    """`programme show --json | head -1`: the reader leaves before the bot has written everything."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is already gone: every write meets a broken pipe
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_"))}
    try:
        process = subprocess.run(
            [sys.executable, "-m", "bot", "programme", "show", "--json", *where(imported), "--env-file", os.devnull],
            cwd=REPO_ROOT,
            env=clean,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert process.stderr == ""
    assert process.returncode == 0


def test_a_command_line_export_is_audited_with_the_os_user(imported: Path, tmp_path: Path) -> None:
    add_answers(imported)
    result = cli("export", "--format", "json", "--out", str(tmp_path / "answers.json"), *where(imported))
    assert result.returncode == 0, result.stderr
    assert f"Recorded in the export audit as run by {getpass.getuser()}" in result.stdout
    assert audit_rows(imported) == [(None, None, "json", "pseudonymous", 3)]
    with sqlite3.connect(imported) as conn:
        assert conn.execute("SELECT cli_user FROM export_audit").fetchall() == [(getpass.getuser(),)]


def test_a_session_ending_on_the_next_utc_day_shows_both_dates(tmp_path: Path) -> None:
    late = tmp_path / "late.toml"
    late.write_text(
        'title = "Evening talks"\ntimezone = "America/New_York"\n\n[[sessions]]\nweek = 1\ntitle = "Late"\n'
        'date = 2020-08-03\nstart = "19:30"\nend = "21:00"\nlocation = "Zoom"\ndescription = "Why?"\n'
        'prompts = ["Why?"]\n',
        encoding="utf-8",
    )
    db = tmp_path / "bot.sqlite3"
    assert cli("programme", "import", str(late), *where(db)).returncode == 0
    shown = cli("programme", "show", *where(db)).stdout
    assert "Mon 03 Aug 2020 19:30-21:00 EDT (2020-08-03 23:30-2020-08-04 01:00 UTC), Zoom" in shown


def test_no_programme_points_to_the_command_line(imported: Path) -> None:
    other_server = ("--db", str(imported), "--guild", str(GUILD_ID + 1))
    result = cli("programme", "show", *other_server)
    assert_one_line_error(result, f"no programme has been imported for server {GUILD_ID + 1} yet: import one with ")
    assert "'python -m bot programme import FILE'" in result.stderr and "/import" not in result.stderr


def test_the_programme_file_cites_files_that_are_in_the_repository() -> None:
    header = "".join(
        line for line in PROGRAMME_TOML.read_text(encoding="utf-8").splitlines(keepends=True) if line.startswith("#")
    )
    cited = re.findall(r"[\w./-]+\.txt", header)
    assert cited == ["data/workshops-2020.txt"]
    assert all((REPO_ROOT / path).is_file() for path in cited)


@pytest.mark.skipif(shutil.which("git") is None or not (REPO_ROOT / ".git").exists(), reason="not a git checkout")
def test_the_database_and_its_lock_are_git_ignored() -> None:
    for path in ("data/bot.sqlite3", "data/bot.sqlite3.lock", "data/bot.sqlite3-wal"):
        result = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_ROOT, timeout=30)
        assert result.returncode == 0, f"{path} is not git-ignored"
