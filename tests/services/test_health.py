"""Run-time problems kept per server for organisers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.health import RuntimeProblems
from tests.harness import FakeClock


def test_a_newer_report_replaces_the_older_and_clear_removes_it() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    problems = RuntimeProblems(clock)
    problems.record(1, "catch-up:5", "cannot read #a", "give Read Message History")
    clock.advance(timedelta(minutes=1))
    problems.record(1, "post:6", "cannot post in #b", "give Send Messages")
    clock.advance(timedelta(minutes=1))
    problems.record(1, "catch-up:5", "cannot read #a (again)", "give Read Message History")
    assert [p.text for p in problems.current(1)] == ["cannot post in #b", "cannot read #a (again)"]
    assert problems.current(2) == []
    problems.clear(1, "post:6")
    assert [p.key for p in problems.current(1)] == ["catch-up:5"]
