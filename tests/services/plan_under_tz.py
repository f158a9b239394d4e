"""Run as ``python -m tests.services.plan_under_tz`` with TZ set: plans reminders for generated sessions
around clock changes (the same examples every run) and prints a digest of the plan as the bot stores it
and as ``python -m bot schedule`` shows it. The digest must not depend on the process time zone."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.cli.schedule import schedule_as_json
from bot.domain.errors import InvalidTimeError
from bot.domain.programme import SessionRecord, load_zone, local_to_utc
from bot.domain.reminders import ReminderDecision, plan_reminders
from bot.services.reminders import ReminderSchedule, ScheduledReminder
from bot.storage.codec import from_db_time, to_db_time

ZONES = ("Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC")
# The days of the clock changes (and around them) in the zones above, 2020-2031.
CHANGE_MONTHS = (3, 4, 10, 11)
OFFSETS = st.integers(min_value=1, max_value=14 * 24 * 60).map(lambda minutes: timedelta(minutes=minutes))

digests: list[object] = []


@st.composite
def local_sessions(draw: st.DrawFn) -> tuple[str, SessionRecord]:
    zone_name = draw(st.sampled_from(ZONES))
    day = draw(st.builds(date, st.integers(2020, 2031), st.sampled_from(CHANGE_MONTHS), st.integers(1, 30)))
    at = draw(st.times()).replace(second=0, microsecond=0)
    try:
        start = local_to_utc(datetime.combine(day, at), load_zone(zone_name), what="session")
    except InvalidTimeError:
        assume(False)
        raise
    stored = from_db_time(to_db_time(start))  # as the sessions table holds it
    session = SessionRecord(
        id=draw(st.integers(1, 10_000)),
        community_id=1,
        week=1,
        title="t",
        start=stored,
        end=stored + timedelta(hours=2),
        location="Zoom",
        description="",
        meeting_link=None,
        prompts=(),
    )
    return zone_name, session


@settings(derandomize=True, database=None, max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(local_sessions(), st.sets(OFFSETS, min_size=1, max_size=5))
def plan_and_render(zoned: tuple[str, SessionRecord], offsets: set[timedelta]) -> None:
    zone_name, session = zoned
    plan = plan_reminders([session], sorted(offsets))
    for reminder in plan:
        # Exact durations on the UTC time line, whatever the clocks do in between.
        assert reminder.session_start - reminder.due_at == reminder.offset
        assert session.start.timestamp() - reminder.due_at.timestamp() == reminder.offset.total_seconds()
        assert reminder.due_at.tzinfo is UTC
        assert from_db_time(to_db_time(reminder.due_at)) == reminder.due_at  # the ledger's due_at round trip
    schedule = ReminderSchedule(
        community_id=1,
        title="t",
        timezone=zone_name,
        offsets=tuple(sorted(offsets, reverse=True)),
        channel_id=None,
        ping_role_id=None,
        subscribers=0,
        entries=tuple(ScheduledReminder(r, 1, "t", ReminderDecision.WAIT, channel=None, dm_states={}) for r in plan),
        now=datetime(2000, 1, 1, tzinfo=UTC),
    )
    rendered = schedule_as_json(schedule)
    for row, reminder in zip(rendered["reminders"], plan, strict=True):
        local = datetime.fromisoformat(row["due_local"])
        assert local == reminder.due_at  # the local time shown is the same instant
        assert local.utcoffset() == reminder.due_at.astimezone(load_zone(zone_name)).utcoffset()
    digests.append([to_db_time(session.start), zone_name, rendered["reminders"]])


def main() -> int:
    plan_and_render()
    payload = json.dumps(digests, sort_keys=True).encode()
    print(json.dumps({"examples": len(digests), "sha256": hashlib.sha256(payload).hexdigest()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
