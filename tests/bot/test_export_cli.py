"""`python -m bot export`, `report` and `backup`, run as an organiser runs them: separate processes."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import getpass
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bot.domain.pseudonyms import pseudonym, secret_from_text
from bot.services.exports import EXPORT_SECRET_KEY
from bot.storage.codec import to_db_time
from bot.storage.database import Database
from tests.conftest import GUILD_ID, PROGRAMME_TOML, REPO_ROOT
from tests.services.answer_rows import CREATED

ALICE, BOB = 300000000000000001, 300000000000000002


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_", "EXPORT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--env-file", os.devnull],
        cwd=REPO_ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def add_answers(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        prompts = [
            row[0]
            for row in conn.execute(
                "SELECT p.id FROM prompts p JOIN sessions s ON s.id = p.session_id ORDER BY s.week, p.position"
            )
        ]
        created = to_db_time(CREATED)
        conn.executemany(
            "INSERT INTO answers (community_id, prompt_id, user_id, source, text, created_at, updated_at) "
            "VALUES (?, ?, ?, 'modal', ?, ?, ?)",
            [
                (GUILD_ID, prompts[0], ALICE, "=SUM(1,2) from Alice", created, created),
                (GUILD_ID, prompts[0], BOB, "Bob's answer", created, created),
                (GUILD_ID, prompts[-1], ALICE, "Week 12, from Alice", created, created),
            ],
        )


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    db = tmp_path / "bot.sqlite3"
    env = {"GUILD_ID": str(GUILD_ID), "DATABASE_PATH": str(db)}
    assert cli("programme", "import", str(PROGRAMME_TOML), env=env).returncode == 0
    add_answers(db)
    return db, env


def audit_rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT actor_id, week, format, identities, row_count FROM export_audit ORDER BY id"))


def test_cli_export_writes_a_pseudonymous_csv_and_audits_it(
    database: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    db, env = database
    out = tmp_path / "answers.csv"
    result = cli("export", "--format", "csv", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Exported 3 answers (all weeks, csv, pseudonymous) to {out}"
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with sqlite3.connect(db) as conn:
        secret = secret_from_text(
            conn.execute("SELECT value FROM bot_state WHERE key = ?", (EXPORT_SECRET_KEY,)).fetchone()[0]
        )
    assert [(r["week"], r["member"], r["answer"]) for r in rows] == [
        ("1", pseudonym(secret, GUILD_ID, ALICE), "'=SUM(1,2) from Alice"),
        ("1", pseudonym(secret, GUILD_ID, BOB), "Bob's answer"),
        ("12", pseudonym(secret, GUILD_ID, ALICE), "Week 12, from Alice"),
    ]
    assert str(ALICE) not in out.read_text(encoding="utf-8-sig")
    assert audit_rows(db) == [(None, None, "csv", "pseudonymous", 3)]  # actor NULL: the command line
    assert (out.stat().st_mode & 0o777) == 0o600


def test_cli_export_of_one_week_named_and_other_formats(database: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    db, env = database
    named = tmp_path / "week1.json"
    result = cli("export", "--week", "1", "--format", "json", "--out", str(named), "--named", env=env)
    assert result.returncode == 0, result.stderr
    records = json.loads(named.read_text(encoding="utf-8"))
    assert [(r["discord_id"], r["display_name"]) for r in records] == [(str(ALICE), ""), (str(BOB), "")]
    xlsx = tmp_path / "all.xlsx"
    assert cli("export", "--format", "xlsx", "--out", str(xlsx), env=env).returncode == 0
    sheet = openpyxl.load_workbook(xlsx)["Answers"]
    assert sheet.max_row == 4
    markdown = tmp_path / "all.md"
    assert cli("export", "--format", "markdown", "--out", str(markdown), env=env).returncode == 0
    assert markdown.read_text(encoding="utf-8").startswith("# Labour Together Online Workshops: answers\n")
    assert audit_rows(db) == [
        (None, 1, "json", "named", 2),
        (None, None, "xlsx", "pseudonymous", 3),
        (None, None, "markdown", "pseudonymous", 3),
    ]


def test_cli_export_uses_export_secret_when_set(database: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, env = database
    out = tmp_path / "answers.json"
    secret = "0123456789abcdef" * 4
    assert cli("export", "--format", "json", "--out", str(out), env={**env, "EXPORT_SECRET": secret}).returncode == 0
    members = [r["member"] for r in json.loads(out.read_text(encoding="utf-8"))]
    assert members[0] == pseudonym(bytes.fromhex(secret), GUILD_ID, ALICE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "13"], "error: There is no week 13 in this programme."),
        (["--out-exists"], "already exists; choose a new file name for the export"),
    ],
)
def test_cli_export_mistakes_are_one_line_and_write_nothing(
    database: tuple[Path, dict[str, str]], tmp_path: Path, args: list[str], message: str
) -> None:
    db, env = database
    out = tmp_path / "answers.csv"
    if args == ["--out-exists"]:
        out.write_text("keep me", encoding="utf-8")
        args = []
    result = cli("export", "--format", "csv", "--out", str(out), *args, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not out.exists() or out.read_text(encoding="utf-8") == "keep me"
    assert audit_rows(db) == []


async def test_a_backup_taken_while_answers_are_written_is_consistent(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    target = tmp_path / "backup.sqlite3"
    result = await asyncio.to_thread(
        cli, "programme", "import", str(PROGRAMME_TOML), "--db", str(path), "--guild", str(GUILD_ID)
    )
    assert result.returncode == 0, result.stderr
    async with Database.open(path) as db:
        row = await db.fetchone("SELECT id FROM prompts LIMIT 1")
        assert row is not None
        prompt_id = row[0]
        written = 0

        async def write_one() -> None:
            # An answer and its earlier version in one transaction: a consistent copy has both or neither.
            nonlocal written
            async with db.transaction() as conn:
                answer_id = await conn.fetchval(
                    "INSERT INTO answers (community_id, prompt_id, user_id, source, message_id, text, created_at, "
                    "updated_at) VALUES (?, ?, ?, 'thread', ?, ?, ?, ?) RETURNING id",
                    (
                        GUILD_ID,
                        prompt_id,
                        1000 + written,
                        5000 + written,
                        "x" * 2000,
                        to_db_time(CREATED),
                        to_db_time(CREATED),
                    ),
                )
                await conn.execute(
                    "INSERT INTO answer_versions (answer_id, text, recorded_at) VALUES (?, 'earlier', ?)",
                    (answer_id, to_db_time(CREATED)),
                )
            written += 1

        for _ in range(200):
            await write_one()
        before = written
        backup = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "backup",
            str(target),
            "--db",
            str(path),
            "--env-file",
            os.devnull,
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        while backup.returncode is None:
            await write_one()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(backup.wait()), timeout=0.001)
        stdout, stderr = await backup.communicate()
        assert backup.returncode == 0, stderr.decode()
        assert f"to {target}" in stdout.decode()
        after = written
    assert after > before  # answers were being written while the backup ran

    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        answers = copy.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        versions = copy.execute("SELECT COUNT(*) FROM answer_versions").fetchone()[0]
        orphans = copy.execute(
            "SELECT COUNT(*) FROM answers a WHERE NOT EXISTS (SELECT 1 FROM answer_versions v WHERE v.answer_id = a.id)"
        ).fetchone()[0]
        assert before <= answers <= after
        assert versions == answers and orphans == 0
        assert copy.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 12


# --- report ----------------------------------------------------------------------------------------------


def test_cli_report_writes_the_html_file_and_audits_it(database: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    db, env = database
    out = tmp_path / "report.html"
    result = cli("report", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Wrote the report (all weeks, 0 answers shown, pseudonymous) to {out}",
        f"Recorded in the export audit as run by {getpass.getuser()} (/export audit in Discord).",
    ]
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Labour Together Online Workshops" in page
    assert "Answers hidden, from &lt;5 members" in page  # two members answered week 1's first prompt
    assert str(ALICE) not in page
    assert (out.stat().st_mode & 0o777) == 0o600
    with sqlite3.connect(db) as conn:
        rows = list(
            conn.execute("SELECT actor_id, cli_user, week, format, identities, row_count, kind FROM export_audit")
        )
    assert rows == [(None, getpass.getuser(), None, "html", "pseudonymous", 0, "report")]


def test_cli_report_mistakes_are_one_line_and_write_nothing(
    database: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = database
    out = tmp_path / "week13.html"
    result = cli("report", "--out", str(out), "--week", "13", env=env)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "There is no week 13 in this programme" in result.stderr
    assert not out.exists()
    existing = tmp_path / "existing.html"
    existing.write_text("keep me", encoding="utf-8")
    result = cli("report", "--out", str(existing), env=env)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert existing.read_text(encoding="utf-8") == "keep me"
