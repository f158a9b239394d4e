"""Every command-line value is checked, with one clear line (issue 20, item 14), and a Slack workspace is named
with ``--workspace`` as a Discord server is with ``--guild``.

In-process (``bot.cli.main``), so the many bad inputs cost no interpreter start each."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.domain.platform_ids import INT64_MAX
from tests.conftest import GUILD_ID, PROGRAMME_TOML

PER_COMMUNITY = [
    ("programme", "show"),
    ("schedule",),
    ("export", "--format", "csv", "--out", "x.csv"),
    ("report", "--out", "x.html"),
    ("programme", "import", str(PROGRAMME_TOML), "--dry-run"),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "GUILD_", "DATABASE_", "SLACK_", "SHARD_", "LEAVE_")):
            monkeypatch.delenv(name)
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.umask(umask)  # main() sets its own


def run(*args: str) -> int:
    return main([*args, "--env-file", os.devnull])


def one_line_error(capsys: pytest.CaptureFixture[str], status: int, expected: str) -> str:
    err = capsys.readouterr().err
    assert status != 0
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ") and expected in err, err
    return err


def usage_error(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> str:
    with pytest.raises(SystemExit) as exited:
        run(*args)
    assert exited.value.code == 2
    return one_line_error(capsys, 2, expected)


BAD_GUILDS = [
    "12",  # too short for a snowflake
    "-123456789012345678",
    "123456789012345678x",
    "0x123456789012345678",
    "1.23456789012345678e17",
    "99999999999999999999",  # 20 digits, beyond a signed 64-bit id
    "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨",  # Arabic-Indic digits, which int() would take
    "１２３４５６７８９０１２３４５６７８",  # full-width digits
    "¹²³⁴⁵⁶⁷⁸⁹¹²³⁴⁵⁶⁷⁸⁹",  # superscripts: isdigit() says yes, int() says no
    "",
]


@pytest.mark.parametrize("command", PER_COMMUNITY, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("bad", BAD_GUILDS)
def test_a_bad_guild_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...], bad: str
) -> None:
    usage_error(capsys, [*command, "--db", str(tmp_path / "db"), "--guild", bad], "expected a Discord server id")


@pytest.mark.parametrize("command", [("check",), ("invite",), ("run",)])
def test_the_discord_only_commands_check_guild_too(capsys: pytest.CaptureFixture[str], command: tuple[str]) -> None:
    usage_error(capsys, [*command, "--guild", "-1"], "expected a Discord server id")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=25))
def test_any_guild_text_is_an_id_in_range_or_one_line(text: str) -> None:
    from bot.cli import build_parser

    parser = build_parser()
    try:
        args = parser.parse_args(["programme", "show", f"--guild={text}"])
    except SystemExit as exited:
        assert exited.code == 2
        return
    assert 10**16 <= args.guild <= INT64_MAX


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=14), st.from_regex(r"[TE][0-9A-Z]{1,11}", fullmatch=True)))
def test_any_workspace_text_is_a_workspace_id_that_reads_back_or_one_line(text: str) -> None:
    from bot.cli import build_parser
    from bot.domain.platform_ids import int_to_slack_id

    try:
        args = build_parser().parse_args(["schedule", f"--workspace={text}"])
    except SystemExit as exited:
        assert exited.code == 2
        return
    assert args.workspace < 0 and int_to_slack_id(args.workspace) == text.strip()
    assert text.strip()[0] in "TE"


@pytest.mark.parametrize(
    "bad", ["t0123ABCD", "U0123ABCD", "C0123ABCD", "T", "T0123-ABCD", "T0123ABCD0123", "Ｔ0123ABCD", "T01 23"]
)
def test_a_bad_workspace_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: str) -> None:
    usage_error(
        capsys, ["programme", "show", "--db", str(tmp_path / "db"), "--workspace", bad], "expected a Slack workspace id"
    )


def test_guild_and_workspace_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    usage_error(
        capsys, ["schedule", "--guild", str(GUILD_ID), "--workspace", "T0123ABCD"], "not allowed with argument --guild"
    )


@pytest.mark.parametrize("bad", ["-5", "abc", "1.5", "12", "-123456789012345678", "123456789012345678901"])
def test_a_bad_application_id_is_one_line(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    usage_error(capsys, ["invite", f"--application-id={bad}"], "expected a Discord application id")


@pytest.mark.parametrize("bad", ["0", "-1", "1000", "٣", "2.5", "one"])
def test_a_bad_week_is_one_line(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    usage_error(capsys, ["export", "--format", "csv", "--out", "x", f"--week={bad}"], "expected a week number")


@pytest.mark.parametrize("bad", ["2020-13-01", "٢٠٢٠-٠١-٠١", "tomorrow", "2020-1-1x"])
def test_a_bad_start_date_is_one_line(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    usage_error(capsys, ["programme", "import", str(PROGRAMME_TOML), f"--start={bad}"], "expected a date")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SHARD_COUNT": "100000"}, "SHARD_COUNT must be at most 4,096"),
        ({"SHARD_COUNT": "99999999999999999999999999"}, "SHARD_COUNT must be at most"),
        ({"SHARD_COUNT": "²"}, "SHARD_COUNT must be a whole number"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,¹"}, "SHARD_IDS must list shard numbers"),
        ({"LEAVE_GRACE_DAYS": "³"}, "LEAVE_GRACE_DAYS must be a whole number"),
        ({"LEAVE_GRACE_DAYS": "9" * 40}, "LEAVE_GRACE_DAYS must be a whole number"),
        ({"GUILD_ID": "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨"}, "GUILD_ID must be a Discord server id"),
        ({"GUILD_ID": "18446744073709551615"}, "GUILD_ID must be a Discord server id of at most 9223372036854775807"),
        ({"REMINDER_CHANNEL_ID": "9223372036854775808"}, "REMINDER_CHANNEL_ID must be a Discord channel id of at most"),
    ],
)
def test_bad_settings_values_are_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    one_line_error(capsys, run("schedule", "--guild", str(GUILD_ID)), expected)


def test_an_unreachable_postgresql_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:s3cret@127.0.0.1:1/workshops")
    err = one_line_error(capsys, run("programme", "show", "--guild", str(GUILD_ID)), "the server cannot be reached")
    assert "s3cret" not in err


def test_a_workspace_is_chosen_as_a_server_is(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "bot.sqlite3")
    assert run("programme", "import", str(PROGRAMME_TOML), "--db", db, "--workspace", "T0123ABCD") == 0
    assert "for workspace T0123ABCD: 12 added" in capsys.readouterr().out.replace("sessions ", "")
    # the database's only community is the default
    assert run("schedule", "--db", db) == 0
    assert "(workspace T0123ABCD)" in capsys.readouterr().out
    assert run("schedule", "--db", db, "--json") == 0
    assert '"workspace_id": "T0123ABCD"' in capsys.readouterr().out
    # a Discord server beside it: now one must be named, and the error names both ways
    assert run("programme", "import", str(PROGRAMME_TOML), "--db", db, "--guild", str(GUILD_ID)) == 0
    capsys.readouterr()
    err = one_line_error(capsys, run("programme", "show", "--db", db), "the database holds 2 communities")
    assert f"--guild {GUILD_ID}" in err and "--workspace T0123ABCD" in err
    assert run("programme", "show", "--db", db, "--workspace", "T0123ABCD", "--json") == 0
    assert '"sessions"' in capsys.readouterr().out
    one_line_error(
        capsys,
        run("programme", "show", "--db", db, "--workspace", "T0THER"),
        "no programme has been imported for workspace T0THER",
    )
