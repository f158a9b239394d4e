"""Times across clock changes, re-dating, and which session is next."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidTimeError
from bot.domain.programme import (
    Programme,
    ProgrammeRecord,
    Prompt,
    SessionRecord,
    SessionStatus,
    local_to_utc,
    next_session,
    redate,
    session_status,
)
from tests.conftest import REPO_ROOT

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),
)
def test_local_to_utc_round_trips_or_refuses_clearly(zone_name: str, moment: datetime) -> None:
    zone = ZoneInfo(zone_name)
    moment = moment.replace(second=0, microsecond=0)
    try:
        converted = local_to_utc(moment, zone, what="week 1 start")
    except InvalidTimeError as error:
        assert "week 1 start" in str(error)
        # Refused only where the two folds disagree: a gap or an overlap.
        assert moment.replace(tzinfo=zone, fold=0).utcoffset() != moment.replace(tzinfo=zone, fold=1).utcoffset()
        return
    assert converted.tzinfo is UTC
    assert converted.astimezone(zone).replace(tzinfo=None) == moment


def test_redate_to_2027_keeps_gaps_and_local_clock_time(programme: Programme) -> None:
    # The organiser re-running the 2020 programme in 2027, starting on Monday 4 January.
    moved = redate(programme, date(2027, 1, 4))
    london = ZoneInfo("Europe/London")
    weeks = {s.week: s for s in moved.sessions}
    assert weeks[1].start.astimezone(london).date() == date(2027, 1, 4)
    assert weeks[8].start.astimezone(london) == datetime(2027, 3, 29, 19, 0, tzinfo=london)
    assert weeks[8].start == datetime(2027, 3, 29, 18, 0, tzinfo=UTC)  # 19:00 BST, after the clocks change
    assert weeks[8].start.astimezone(london).tzname() == "BST"
    for old, new in zip(
        sorted(programme.sessions, key=lambda s: s.week),
        sorted(moved.sessions, key=lambda s: s.week),
        strict=True,
    ):
        assert new.start.astimezone(london).time() == old.start.astimezone(london).time()
        assert (new.start.astimezone(london).date() - old.start.astimezone(london).date()) == date(2027, 1, 4) - date(
            2020, 8, 3
        )
        assert new.prompts == old.prompts


def _record(week: int, start: datetime, hours: int = 2) -> SessionRecord:
    return SessionRecord(
        id=week,
        community_id=1,
        week=week,
        title=f"W{week}",
        start=start,
        end=start + timedelta(hours=hours),
        location="Zoom",
        description="",
        meeting_link=None,
        prompts=(Prompt(week * 10, week, week, 1, "Q?"),),
    )


def test_next_session_goes_by_start_time_not_week_number() -> None:
    week12 = _record(12, datetime(2020, 10, 19, 18, tzinfo=UTC))
    week8 = _record(8, datetime(2020, 10, 26, 19, tzinfo=UTC))
    week11 = _record(11, datetime(2020, 10, 12, 18, tzinfo=UTC))
    week13 = _record(13, datetime(2020, 11, 2, 19, tzinfo=UTC))
    sessions = [week11, week12, week8, week13]
    after_week_12 = datetime(2020, 10, 20, tzinfo=UTC)
    assert next_session(sessions, after_week_12) == week8
    assert next_session(sessions, datetime(2020, 11, 3, tzinfo=UTC)) is None
    assert session_status(week13, sessions, after_week_12) is SessionStatus.UPCOMING
    assert session_status(week12, sessions, after_week_12) is SessionStatus.PAST
    assert session_status(week8, sessions, after_week_12) is SessionStatus.NEXT
    during = datetime(2020, 10, 19, 18, 30, tzinfo=UTC)
    assert session_status(week12, sessions, during) is SessionStatus.LIVE
    assert session_status(week8, sessions, during) is SessionStatus.NEXT  # the next not yet started


def test_programme_record_lookups() -> None:
    record = ProgrammeRecord(1, "P", "Europe/London", "", (_record(2, datetime(2020, 1, 6, tzinfo=UTC)),))
    assert record.session_for_week(2) is not None
    assert record.session_for_week(3) is None
    assert record.weeks == [2]


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_same_utc_results_whatever_the_process_time_zone(tz: str, tmp_path: object) -> None:
    """The programme's UTC times do not depend on the machine's TZ (run as separate processes)."""
    script = (
        "from pathlib import Path; from bot.domain.parsers import parse_programme_toml;"
        "from bot.domain.programme import redate; import datetime as d;"
        "p = parse_programme_toml(Path('data/programme.toml').read_text(encoding='utf-8'));"
        "q = redate(p, d.date(2027, 1, 4));"
        "print([(s.week, s.start.isoformat(), s.end.isoformat()) for s in p.sessions + q.sessions])"
    )
    outputs = {}
    for zone in (tz, "Europe/London"):
        env = {**os.environ, "TZ": zone}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
        )
        outputs[zone] = result.stdout
    assert outputs[tz] == outputs["Europe/London"]
    assert "2020-10-26T19:00:00+00:00" in outputs[tz]
