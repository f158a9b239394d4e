"""`python -m bot deliberation import-polis` and `export-polis`: the real Pol.is conversations in and out, and
clear refusals that change nothing (see tests/polis_data.py for the data's attribution: CC BY 4.0, The
Computational Democracy Project)."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.polis_data import polis_data, polis_groups

GUILD = "100000000000000001"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main([*args, "--env-file", os.devnull])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(autouse=True)
def no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "GUILD_", "DATABASE_")):
            monkeypatch.delenv(name)


def test_a_polis_export_goes_in_and_comes_out_with_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "bot.sqlite3")
    source = polis_data() / "london.youth.policing"

    status, out, err = run(capsys, "deliberation", "import-polis", str(source), "--db", db, "--guild", GUILD)
    assert (status, err) == (0, "")
    assert "as conversation 1: 39 statements" in out

    status, out, err = run(
        capsys, "deliberation", "export-polis", "conversation 1", str(tmp_path / "out"), "--db", db, "--guild", GUILD
    )
    assert (status, err) == (0, ""), err
    with (tmp_path / "out" / "participants-votes.csv").open(newline="") as file:
        rows = {int(r["participant"]): r["group-id"] for r in csv.DictReader(file)}
    assert {p for p, g in rows.items() if g} == set(polis_groups(source))  # the Pol.is ids, kept
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]

    # A second export into the same folder overwrites nothing.
    before = (tmp_path / "out" / "votes.csv").read_bytes()
    status, _, err = run(
        capsys, "deliberation", "export-polis", "1", str(tmp_path / "out"), "--db", db, "--guild", GUILD
    )
    assert status == 1 and "already holds comments.csv" in err
    assert (tmp_path / "out" / "votes.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("missing-folder", "is not a folder"),
        ("no-votes", "votes.csv is missing"),
        ("no-comments", "comments.csv is missing"),
        ("malformed", "votes.csv, line 3: vote should be 1, 0 or -1"),
        ("not-csv", "comments.csv: this is not a Pol.is export"),
        ("binary", "is not UTF-8 text"),
    ],
)
def test_bad_exports_are_refused_and_import_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken: str, message: str
) -> None:
    db = str(tmp_path / "bot.sqlite3")
    folder = tmp_path / "export"
    if broken != "missing-folder":
        shutil.copytree(polis_data() / "london.youth.policing", folder)
    if broken == "no-votes":
        (folder / "votes.csv").unlink()
    elif broken == "no-comments":
        (folder / "comments.csv").unlink()
    elif broken == "malformed":
        lines = (folder / "votes.csv").read_text().splitlines()
        lines[2] = lines[2].rsplit(",", 1)[0] + ",5"
        (folder / "votes.csv").write_text("\n".join(lines) + "\n")
    elif broken == "not-csv":
        (folder / "comments.csv").write_text("<html>not an export</html>\n")
    elif broken == "binary":
        (folder / "comments.csv").write_bytes(b"\xff\xfe\x00\x01garbage")

    status, out, err = run(capsys, "deliberation", "import-polis", str(folder), "--db", db, "--guild", GUILD)

    assert status == 1 and out == ""
    assert message in err
    status, _, err = run(
        capsys, "deliberation", "export-polis", "1", str(tmp_path / "out"), "--db", db, "--guild", GUILD
    )
    assert status == 1 and "no database at" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("conversation", ["abc", "conversation", "1.5", "conversation -1"])
def test_unknown_conversations_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], conversation: str
) -> None:
    status, _, err = run(
        capsys,
        "deliberation",
        "export-polis",
        conversation,
        str(tmp_path / "out"),
        "--db",
        str(tmp_path / "b.sqlite3"),
        "--guild",
        GUILD,
    )
    assert status in (1, 2)
    assert "conversation" in err
    assert not (tmp_path / "out").exists()
