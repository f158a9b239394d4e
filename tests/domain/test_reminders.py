"""Reminder plan, catch-up decisions, offsets and nonces."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidTimeError, SettingsError
from bot.domain.programme import SessionRecord, local_to_utc
from bot.domain.reminders import (
    DISCORD_NONCE_LENGTH,
    PlannedReminder,
    ReminderDecision,
    decide,
    format_offsets,
    parse_offsets,
    pending_decisions,
    plan_reminders,
    reminder_nonce,
)

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def make_session(session_id: int, start: datetime, *, week: int | None = None) -> SessionRecord:
    return SessionRecord(
        id=session_id,
        community_id=1,
        week=session_id if week is None else week,
        title=f"Session {session_id}",
        start=start,
        end=start + 2 * H,
        location="Zoom",
        description="",
        meeting_link=None,
        prompts=(),
    )


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime(year, month, day, hour, minute), LONDON, what="test")


# --- parse_offsets / format_offsets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("24h,1h,15m", (24 * H, H, 15 * M), id="canonical"),
        pytest.param("15m, 1h ,24h", (24 * H, H, 15 * M), id="spaces-and-any-order"),
        pytest.param("1d12h", (36 * H,), id="compound"),
        pytest.param("1D, 2H, 30M", (24 * H, 2 * H, 30 * M), id="upper-case"),
        pytest.param("24h,1d,1440m", (24 * H,), id="duplicates-merged"),
        pytest.param("1h,", (H,), id="trailing-comma"),
        pytest.param("14d", (timedelta(days=14),), id="fourteen-days-allowed"),
        pytest.param("1h30m", (90 * M,), id="hours-and-minutes"),
        pytest.param("2d,1d,12h,1h,5m", (2 * 24 * H, 24 * H, 12 * H, H, 5 * M), id="five-allowed"),
    ],
)
def test_parse_offsets(text: str, expected: tuple[timedelta, ...]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "No reminder times", id="empty"),
        pytest.param(" , ,", "No reminder times", id="only-commas"),
        pytest.param("24", "not a reminder time", id="no-unit"),
        pytest.param("24s", "not a reminder time", id="unknown-unit"),
        pytest.param("h", "not a reminder time", id="no-number"),
        pytest.param("-1h", "not a reminder time", id="negative"),
        pytest.param("1.5h", "not a reminder time", id="fraction"),
        pytest.param("1h1d", "not a reminder time", id="units-out-of-order"),
        pytest.param("١h", "not a reminder time", id="non-ascii-digit"),
        pytest.param("0h", "no time at all", id="zero"),
        pytest.param("0d0h0m", "no time at all", id="zero-compound"),
        pytest.param("14d1m", "more than 14 days", id="over-fourteen-days"),
        pytest.param("99999999999999999999d", "more than 14 days", id="huge"),
        pytest.param("24h 1h", "space", id="space-inside-item"),
        pytest.param("1d,2d,3d,4d,5d,6d", "most is 5", id="too-many"),
    ],
)
def test_parse_offsets_refuses(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_offsets(text)


@pytest.mark.parametrize(
    ("offsets", "text"),
    [
        pytest.param((24 * H, H, 15 * M), "24h,1h,15m", id="usual"),
        pytest.param((15 * M, 24 * H), "24h,15m", id="sorted"),
        pytest.param((48 * H, 36 * H, 90 * M), "2d,36h,1h30m", id="days-and-mixed"),
    ],
)
def test_format_offsets(offsets: tuple[timedelta, ...], text: str) -> None:
    assert format_offsets(offsets) == text


def test_format_offsets_refuses_fractions_and_non_positive() -> None:
    for bad in (timedelta(seconds=30), timedelta(0), -H):
        with pytest.raises(ValueError):
            format_offsets([bad])


offset_strategy = st.integers(min_value=1, max_value=14 * 24 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(st.sets(offset_strategy, min_size=1, max_size=5))
def test_offsets_round_trip(offsets: set[timedelta]) -> None:
    text = format_offsets(offsets)
    assert parse_offsets(text) == tuple(sorted(offsets, reverse=True))
    assert format_offsets(parse_offsets(text)) == text


# --- plan_reminders: pinned clock-change dates ----------------------------------------------------


def test_autumn_change_does_not_move_a_24h_reminder() -> None:
    # Clocks went back on Sunday 25 October 2020 at 02:00 BST.
    session = make_session(1, london(2020, 10, 26, 19))
    assert session.start == datetime(2020, 10, 26, 19, 0, tzinfo=UTC)
    (reminder,) = plan_reminders([session], [24 * H])
    assert reminder.due_at == datetime(2020, 10, 25, 19, 0, tzinfo=UTC)
    assert reminder.due_at.astimezone(LONDON).replace(tzinfo=None) == datetime(2020, 10, 25, 19, 0)


def test_spring_change_day_after() -> None:
    # Clocks went forward on Sunday 29 March 2020 at 01:00 GMT, so Sunday evening is already BST:
    # the 24h reminder for Monday 19:00 BST (18:00 UTC) is Sunday 18:00 UTC, which is 19:00 BST.
    session = make_session(1, london(2020, 3, 30, 19))
    assert session.start == datetime(2020, 3, 30, 18, 0, tzinfo=UTC)
    (reminder,) = plan_reminders([session], [24 * H])
    assert reminder.due_at == datetime(2020, 3, 29, 18, 0, tzinfo=UTC)
    assert reminder.due_at.astimezone(LONDON).replace(tzinfo=None) == datetime(2020, 3, 29, 19, 0)


def test_reminders_that_straddle_a_change_keep_exact_durations() -> None:
    # A 2-day reminder crosses the change: exactly 48 hours, so the wall clock differs by an hour.
    spring = make_session(1, london(2020, 3, 30, 19))
    (spring_reminder,) = plan_reminders([spring], [48 * H])
    assert spring_reminder.due_at == datetime(2020, 3, 28, 18, 0, tzinfo=UTC)
    assert spring_reminder.due_at.astimezone(LONDON).hour == 18  # Saturday 18:00 GMT
    autumn = make_session(2, london(2020, 10, 26, 19))
    (autumn_reminder,) = plan_reminders([autumn], [48 * H])
    assert autumn_reminder.due_at == datetime(2020, 10, 24, 19, 0, tzinfo=UTC)
    assert autumn_reminder.due_at.astimezone(LONDON).hour == 20  # Saturday 20:00 BST


@pytest.mark.parametrize(
    ("zone", "session_local", "offset", "due_utc", "due_local"),
    [
        # New York fell back on Sunday 1 November 2020: EDT (-4) to EST (-5).
        pytest.param(
            "America/New_York",
            datetime(2020, 11, 1, 19),
            24 * H,
            datetime(2020, 11, 1, 0, 0, tzinfo=UTC),
            datetime(2020, 10, 31, 20, 0),
            id="new-york-fall-back",
        ),
        # Lord Howe Island moves by half an hour: +10:30 to +11 on Sunday 4 October 2020.
        pytest.param(
            "Australia/Lord_Howe",
            datetime(2020, 10, 4, 19),
            24 * H,
            datetime(2020, 10, 3, 8, 0, tzinfo=UTC),
            datetime(2020, 10, 3, 18, 30),
            id="lord-howe-half-hour-change",
        ),
    ],
)
def test_other_zones_keep_exact_durations(
    zone: str, session_local: datetime, offset: timedelta, due_utc: datetime, due_local: datetime
) -> None:
    session = make_session(1, local_to_utc(session_local, ZoneInfo(zone), what="test"))
    (reminder,) = plan_reminders([session], [offset])
    assert reminder.due_at == due_utc
    assert reminder.due_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == due_local


def test_plan_is_sorted_and_keys_are_stable() -> None:
    first = make_session(7, london(2020, 8, 3, 19), week=1)
    second = make_session(8, london(2020, 8, 10, 19), week=2)
    plan = plan_reminders([second, first], [15 * M, 24 * H, H])
    assert [r.key for r in plan] == [
        "s7-o1440",
        "s7-o60",
        "s7-o15",
        "s8-o1440",
        "s8-o60",
        "s8-o15",
    ]
    assert [r.due_at for r in plan] == sorted(r.due_at for r in plan)
    assert plan == plan_reminders([first, second], [H, 24 * H, 15 * M, H])


def test_plan_orders_overlapping_sessions_by_due_time() -> None:
    a = make_session(1, datetime(2020, 8, 3, 18, tzinfo=UTC))
    b = make_session(2, datetime(2020, 8, 4, 12, tzinfo=UTC))
    plan = plan_reminders([a, b], [24 * H, H])
    assert [r.key for r in plan] == ["s1-o1440", "s2-o1440", "s1-o60", "s2-o60"]


def test_plan_refuses_naive_starts_and_bad_offsets() -> None:
    with pytest.raises(ValueError):
        plan_reminders([make_session(1, datetime(2020, 8, 3, 18))], [H])
    with pytest.raises(ValueError):
        plan_reminders([make_session(1, datetime(2020, 8, 3, 18, tzinfo=UTC))], [timedelta(seconds=90)])


# --- plan_reminders: properties across clock changes ----------------------------------------------

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe"]


@st.composite
def local_sessions(draw: st.DrawFn) -> SessionRecord:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    # Dates around clock changes are the interesting ones, so favour March/April and October/November.
    day = draw(
        st.one_of(
            st.dates(min_value=date(2019, 1, 1), max_value=date(2022, 12, 31)),
            st.builds(
                date,
                st.integers(2019, 2022),
                st.sampled_from([3, 4, 10, 11]),
                st.integers(1, 30),
            ),
        )
    )
    at = draw(st.times()).replace(second=0, microsecond=0)
    try:
        start = local_to_utc(datetime.combine(day, at), zone, what="test")
    except InvalidTimeError:
        assume(False)
        raise
    return make_session(draw(st.integers(1, 10_000)), start)


@settings(max_examples=300, deadline=None)
@given(local_sessions(), st.sets(offset_strategy, min_size=1, max_size=5))
def test_due_is_exactly_offset_before_start(session: SessionRecord, offsets: set[timedelta]) -> None:
    plan = plan_reminders([session], sorted(offsets))
    assert len(plan) == len(offsets)
    for reminder in plan:
        assert reminder.due_at.tzinfo is UTC
        assert reminder.session_start.tzinfo is UTC
        assert reminder.due_at == session.start - reminder.offset
        assert session.start.timestamp() - reminder.due_at.timestamp() == reminder.offset.total_seconds()
        assert reminder.key == f"s{session.id}-o{reminder.offset // M}"


@pytest.fixture
def restore_process_tz() -> Iterator[None]:
    saved = os.environ.get("TZ")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("restore_process_tz")
def test_plan_does_not_depend_on_process_time_zone() -> None:
    sessions = [
        make_session(1, london(2020, 3, 30, 19)),
        make_session(2, london(2020, 10, 26, 19)),
        make_session(3, local_to_utc(datetime(2020, 11, 2, 19), ZoneInfo("America/New_York"), what="t")),
        make_session(4, local_to_utc(datetime(2020, 10, 5, 19), ZoneInfo("Australia/Lord_Howe"), what="t")),
    ]
    offsets = parse_offsets("2d,24h,1h,15m")
    plans = []
    for process_zone in ("UTC", "America/New_York", "Australia/Lord_Howe", "Europe/London"):
        os.environ["TZ"] = process_zone
        time.tzset()
        plans.append(plan_reminders(sessions, offsets))
    assert all(plan == plans[0] for plan in plans)


# --- catch-up decisions ---------------------------------------------------------------------------

START = london(2020, 8, 3, 19)  # Monday 19:00 BST
PLAN = plan_reminders([make_session(1, START)], parse_offsets("24h,1h,15m"))
W, S, K = ReminderDecision.WAIT, ReminderDecision.SEND, ReminderDecision.SKIP


@pytest.mark.parametrize(
    ("now", "expected"),  # expected decisions for the 24h, 1h and 15m reminders
    [
        pytest.param(START - 25 * H, (W, W, W), id="nothing-due-yet"),
        pytest.param(START - 24 * H, (S, W, W), id="24h-due-exactly-now"),
        pytest.param(START - 5 * H, (S, W, W), id="24h-late-but-still-latest"),
        pytest.param(START - 45 * M, (K, S, W), id="24h-superseded-by-due-1h"),
        pytest.param(START - 15 * M, (K, K, S), id="only-15m-survives"),
        pytest.param(START - M, (K, K, S), id="15m-late-session-not-started"),
        pytest.param(START, (K, K, K), id="session-starting"),
        pytest.param(START + H, (K, K, K), id="session-live"),
        pytest.param(START + 30 * 24 * H, (K, K, K), id="session-long-past"),
    ],
)
def test_catch_up_table(now: datetime, expected: tuple[ReminderDecision, ...]) -> None:
    by_offset = {r.offset: r for r in PLAN}
    reminders = [by_offset[24 * H], by_offset[H], by_offset[15 * M]]
    assert tuple(decide(r, PLAN, now) for r in reminders) == expected
    decisions = dict((r.key, d) for r, d in pending_decisions(PLAN, now))
    assert tuple(decisions[r.key] for r in reminders) == expected


def test_decide_ignores_other_sessions_in_the_plan() -> None:
    other = plan_reminders([make_session(2, START - 3 * H)], [H])
    plan = tuple(sorted(PLAN + other, key=lambda r: r.due_at))
    (day_before,) = (r for r in PLAN if r.offset == 24 * H)
    # Session 2's 1h reminder is due; it must not supersede session 1's 24h reminder.
    assert decide(day_before, plan, START - 3 * H - 30 * M) == ReminderDecision.SEND


def test_pending_decisions_keep_plan_order() -> None:
    now = START - 45 * M
    result = pending_decisions(PLAN, now)
    assert tuple(r for r, _ in result) == PLAN


def test_decide_refuses_naive_now() -> None:
    with pytest.raises(ValueError):
        decide(PLAN[0], PLAN, datetime(2020, 8, 3, 12))


@settings(max_examples=200, deadline=None)
@given(
    st.sets(offset_strategy, min_size=1, max_size=5),
    st.integers(min_value=-15 * 24 * 60, max_value=24 * 60).map(lambda m: START + timedelta(minutes=m)),
)
def test_at_most_one_reminder_per_session_is_sent(offsets: set[timedelta], now: datetime) -> None:
    plan = plan_reminders([make_session(1, START)], sorted(offsets))
    decisions = [d for _, d in pending_decisions(plan, now)]
    assert decisions.count(ReminderDecision.SEND) <= 1
    if now >= START:
        assert set(decisions) == {ReminderDecision.SKIP}
    due = [r for r in plan if r.due_at <= now]
    if due and now < START:
        latest = min(due, key=lambda r: r.offset)
        assert decide(latest, plan, now) == ReminderDecision.SEND


# --- nonces ---------------------------------------------------------------------------------------


def test_nonce_is_deterministic_short_ascii_and_distinct() -> None:
    reminder: PlannedReminder = PLAN[0]
    nonce = reminder_nonce(reminder.key, "channel:123456789012345678")
    assert nonce == reminder_nonce(reminder.key, "channel:123456789012345678")
    assert len(nonce) <= DISCORD_NONCE_LENGTH
    assert nonce.isascii() and nonce.isalnum()
    assert nonce != reminder_nonce(reminder.key, "channel:123456789012345679")
    assert nonce != reminder_nonce(PLAN[1].key, "channel:123456789012345678")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_nonce_limits_hold_for_any_input(key: str, target: str) -> None:
    nonce = reminder_nonce(key, target)
    assert len(nonce) <= DISCORD_NONCE_LENGTH
    assert nonce.isascii()
