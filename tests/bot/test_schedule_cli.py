"""`python -m bot schedule [--json]`, run as a user runs it: what will be sent when, and each reminder's state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.programme import ProgrammeRecord
from bot.domain.reminders import DMS_CLOSED, parse_offsets, plan_reminders
from bot.services.programme import ProgrammeService
from bot.storage.database import Database
from bot.storage.reminders import ReminderRepository, TargetKind
from tests.bot.test_main import assert_one_line_error, cli
from tests.conftest import GUILD_ID, PROGRAMME_TOML

CHANNEL = "700000000000000001"
FIRST_MONDAY = "2031-08-04"  # re-dated into the future, so reminders are still to come
ALICE, BOB = 501, 502


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    imported = cli("programme", "import", str(PROGRAMME_TOML), "--start", FIRST_MONDAY, *where(path))
    assert imported.returncode == 0, imported.stderr
    return path


def where(path: Path) -> tuple[str, ...]:
    return ("--db", str(path), "--guild", str(GUILD_ID))


def schedule_json(path: Path, **env: str) -> dict[str, Any]:
    # REMINDER_CHANNEL_ID is the GUILD_ID server's only (issue 20, item 1): the env names that server.
    result = cli(
        "schedule", "--json", *where(path), env={"GUILD_ID": str(GUILD_ID), "REMINDER_CHANNEL_ID": CHANNEL, **env}
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


async def record_some_deliveries(path: Path) -> ProgrammeRecord:
    """What a running bot would have written: week 1's day-before reminder went out, Bob's DMs are closed."""
    async with Database.open(path) as db:
        programme = await ProgrammeService(db).require(GUILD_ID)
        repo = ReminderRepository(db)
        week1 = programme.session_for_week(1)
        assert week1 is not None
        planned = plan_reminders(programme.sessions, parse_offsets("24h,1h"))
        now = datetime(2031, 7, 1, tzinfo=UTC)
        for user in (ALICE, BOB):
            await repo.subscribe(GUILD_ID, user, now)
        await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=int(CHANNEL), now=now)
        day_before = next(r for r in planned if r.session_id == week1.id and r.offset == timedelta(hours=24))
        await repo.add_dm_rows(GUILD_ID, day_before, day_before.due_at)
        for delivery in await repo.deliveries(GUILD_ID):
            if delivery.due_at != day_before.due_at:
                continue
            assert await repo.claim(delivery.id, day_before.due_at)
            if delivery.target_kind is TargetKind.DM and delivery.target_id == BOB:
                await repo.mark_undeliverable(delivery.id, DMS_CLOSED, day_before.due_at)
            else:
                await repo.mark_sent(delivery.id, 1, day_before.due_at)
        return programme


async def test_json_lists_every_reminder_with_utc_and_local_times_and_states(database: Path) -> None:
    await record_some_deliveries(database)
    data = schedule_json(database)
    assert data["programme"] == "Labour Together Online Workshops" and data["timezone"] == "Europe/London"
    assert (data["offsets"], data["reminder_channel_id"], data["ping_role_id"]) == ("24h,1h", CHANNEL, None)
    assert data["dm_subscribers"] == 2
    reminders = data["reminders"]
    assert len(reminders) == 24
    first = reminders[0]
    assert first == {
        "key": first["key"],
        "week": 1,
        "title": "A long-term political strategy",
        "offset": "24h",
        "due_utc": "2031-08-03T18:00:00Z",
        "due_local": "2031-08-03T19:00:00+01:00",
        "session_start_utc": "2031-08-04T18:00:00Z",
        "channel": {"channel_id": CHANNEL, "state": "sent"},
        "dms": {"status": "recorded", "counts": {"sent": 1, "undeliverable": 1}},
    }
    assert reminders[1]["offset"] == "1h" and reminders[1]["channel"] == {"channel_id": CHANNEL, "state": "pending"}
    assert reminders[1]["dms"] == {"status": "not yet due", "counts": {}}
    # Week 8 comes after the October clock change: the day-before reminder is still exactly 24 hours before.
    week8 = [r for r in reminders if r["week"] == 8]
    assert [(r["offset"], r["due_utc"], r["due_local"]) for r in week8] == [
        ("24h", "2031-10-26T19:00:00Z", "2031-10-26T19:00:00+00:00"),
        ("1h", "2031-10-27T18:00:00Z", "2031-10-27T18:00:00+00:00"),
    ]
    assert week8[0]["session_start_utc"] == "2031-10-27T19:00:00Z"


async def test_text_is_readable_with_local_times_and_utc(database: Path) -> None:
    await record_some_deliveries(database)
    result = cli("schedule", *where(database), env={"GUILD_ID": str(GUILD_ID), "REMINDER_CHANNEL_ID": CHANNEL})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"Reminders for Labour Together Online Workshops (server {GUILD_ID})",
        f"24h,1h before each session; channel {CHANNEL}, no pings; 2 member(s) get DMs.",
        "Times in Europe/London, with UTC in brackets.",
    ]
    assert lines[4:7] == [
        "Week 1 · A long-term political strategy, starts Mon 04 Aug 2031 19:00 BST",
        "  24h before: Sun 03 Aug 2031 19:00 BST (2031-08-03 18:00 UTC) · channel: sent · DMs: 1 sent, 1 undeliverable",
        "  1h before: Mon 04 Aug 2031 18:00 BST (2031-08-04 17:00 UTC) · channel: pending · DMs: not yet due",
    ]
    assert (
        "  24h before: Sun 26 Oct 2031 19:00 GMT (2031-10-26 19:00 UTC) · channel: pending · DMs: not yet due" in lines
    )


def test_reminders_not_yet_planned_by_the_bot_say_so(database: Path) -> None:
    data = schedule_json(database, REMINDER_OFFSETS="2d,15m")
    assert data["offsets"] == "2d,15m" and data["dm_subscribers"] == 0
    assert {r["offset"] for r in data["reminders"]} == {"2d", "15m"}
    assert {r["channel"]["state"] for r in data["reminders"]} == {"not yet due"}
    without_channel = cli("schedule", "--json", *where(database))
    assert {json.dumps(r["channel"]) for r in json.loads(without_channel.stdout)["reminders"]} == {"null"}


def test_past_reminders_the_bot_never_sent_say_so(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    assert cli("programme", "import", str(PROGRAMME_TOML), *where(path)).returncode == 0
    data = schedule_json(path)
    assert {r["channel"]["state"] for r in data["reminders"]} == {"not sent"}  # 2020: long past
    assert {r["dms"]["status"] for r in data["reminders"]} == {"none"}


async def test_output_does_not_depend_on_the_machine_time_zone(database: Path) -> None:
    await record_some_deliveries(database)
    outputs = {
        (flag, zone): cli(
            "schedule",
            *flag,
            *where(database),
            env={"TZ": zone, "GUILD_ID": str(GUILD_ID), "REMINDER_CHANNEL_ID": CHANNEL},
        ).stdout
        for flag in ((), ("--json",))
        for zone in ("UTC", "Europe/London", "America/New_York")
    }
    for flag in ((), ("--json",)):
        texts = {outputs[(flag, zone)] for zone in ("UTC", "Europe/London", "America/New_York")}
        assert len(texts) == 1 and next(iter(texts)).strip()


def test_mistakes_are_one_clear_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    assert_one_line_error(cli("schedule", *where(empty)), "no database at")
    other_server = cli("programme", "import", str(PROGRAMME_TOML), "--db", str(empty), "--guild", str(GUILD_ID + 1))
    assert other_server.returncode == 0, other_server.stderr
    assert_one_line_error(cli("schedule", *where(empty)), "no programme has been imported for server")
    # Without --guild (or GUILD_ID) the database's only server is used; with two, the error lists them.
    only = cli("schedule", "--json", "--db", str(empty))
    assert only.returncode == 0 and json.loads(only.stdout)["guild_id"] == str(GUILD_ID + 1)
    imported = cli("programme", "import", str(PROGRAMME_TOML), *where(empty))
    assert imported.returncode == 0, imported.stderr
    assert_one_line_error(cli("schedule", "--db", str(empty)), "the database holds 2 servers")
