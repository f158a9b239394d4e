"""Reminders before each session: which to send, when, and what to do after the bot was down.

A reminder is due a fixed duration before a session starts. The arithmetic is done on UTC instants, so
"24h before" is always exactly 24 hours, clock changes or not: the session time itself already carries
the clock change (a Monday 19:00 session is 19:00 local on either side of it).
"""

from __future__ import annotations

import hashlib
import re
from base64 import b32encode
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.domain.errors import SettingsError, quoted
from bot.domain.programme import SessionRecord

MAX_OFFSETS = 5
MAX_OFFSET = timedelta(days=14)
DISCORD_NONCE_LENGTH = 25

_MINUTE = timedelta(minutes=1)
_OFFSET_EXAMPLE = "for example '24h, 1h, 15m'"
# One offset: days, hours and minutes, each at most once and in that order ("1d12h", "90m").
# ASCII digits only: str.isdigit() and \d would accept other scripts' digits.
_OFFSET_ITEM = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?", re.IGNORECASE)
_MAX_DIGITS = 6  # more is always over 14 days; and int() of thousands of digits is refused by Python itself
# How people write a duration in words ("1 day", "2 hours", "15 mins"), to show the short form instead.
_WORDY_OFFSET = re.compile(r"([0-9]{1,6})\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)", re.IGNORECASE)


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Reminder times before a session, from text such as ``"24h, 1h, 15m"``; largest first.

    Offsets are separated by commas; each is a number with a unit, ``d`` (days), ``h`` (hours) or
    ``m`` (minutes), optionally combined as in ``1d12h``. A space inside one offset is refused rather
    than guessed at: ``"24h 1h"`` could mean two reminders or one at 25 hours.
    Duplicates (``"24h, 1d"``) are merged silently: they describe the same reminder, and the
    canonical text shown back to the organiser makes the merge visible. Blank items between commas
    (a trailing comma) are ignored.
    """
    items = [item.strip() for item in text.split(",")]
    items = [item for item in items if item]
    if not items:
        raise SettingsError(f"No reminder times given: list how long before a session to remind, {_OFFSET_EXAMPLE}.")
    offsets: set[timedelta] = set()
    for item in items:
        offsets.add(_parse_offset_item(item))
    if len(offsets) > MAX_OFFSETS:
        raise SettingsError(
            f"That is {len(offsets)} reminders per session; the most is {MAX_OFFSETS}. "
            "Please choose fewer reminder times."
        )
    return tuple(sorted(offsets, reverse=True))


def _parse_offset_item(item: str) -> timedelta:
    wordy = _WORDY_OFFSET.fullmatch(item)
    if wordy and not _OFFSET_ITEM.fullmatch(item):
        short = f"{wordy[1]}{wordy[2][0].lower()}"
        raise SettingsError(
            f"{quoted(item)} is not written the way the bot reads reminder times: write {quoted(short)} "
            f"(d for days, h for hours, m for minutes, no space), {_OFFSET_EXAMPLE}."
        )
    if any(ch.isspace() for ch in item):
        parts = item.split()
        if all(_OFFSET_ITEM.fullmatch(part) for part in parts):
            raise SettingsError(
                f"{quoted(item)} has a space in it: separate reminder times with commas, {_OFFSET_EXAMPLE}."
            )
        raise SettingsError(f"{quoted(item)} is not a reminder time: use a number and a unit, {_OFFSET_EXAMPLE}.")
    match = _OFFSET_ITEM.fullmatch(item)
    if match is None or not any(match.groups()):
        raise SettingsError(
            f"{quoted(item)} is not a reminder time: use a number and a unit, d (days), h (hours) or "
            f"m (minutes), {_OFFSET_EXAMPLE} or '1d12h'."
        )
    parts = [(part or "0").lstrip("0") or "0" for part in match.groups()]
    if any(len(part) > _MAX_DIGITS for part in parts):
        raise SettingsError(
            f"{quoted(item)} is more than 14 days before the session; please choose 14 days (14d) or less."
        )
    days, hours, minutes = (int(part) for part in parts)
    total_minutes = (days * 24 + hours) * 60 + minutes
    # Compare as integers first: a huge number would overflow timedelta.
    if total_minutes == 0:
        raise SettingsError(f"'{item}' is no time at all: a reminder has to come some time before the session starts.")
    if total_minutes > MAX_OFFSET // _MINUTE:
        raise SettingsError(f"'{item}' is more than 14 days before the session; please choose 14 days (14d) or less.")
    return timedelta(minutes=total_minutes)


def format_offsets(offsets: Iterable[timedelta]) -> str:
    """The canonical text for ``offsets``, largest first, which ``parse_offsets`` reads back.

    Whole days of two or more are written in days ("2d"); anything else in hours and minutes
    ("24h", "1h30m", "15m"), which is how people usually think of reminders.
    """
    return ",".join(_format_offset(offset) for offset in sorted(set(offsets), reverse=True))


def _format_offset(offset: timedelta) -> str:
    _require_whole_positive_minutes(offset)
    minutes = offset // _MINUTE
    if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)}d"
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")


def _require_whole_positive_minutes(offset: timedelta) -> None:
    # Keys and canonical text are in minutes: a fraction would collide or be lost.
    if offset <= timedelta(0) or offset % _MINUTE:
        raise ValueError(f"a reminder offset must be a positive whole number of minutes, not {offset}")


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder for one session, due ``offset`` before the session starts."""

    session_id: int
    week: int
    offset: timedelta
    due_at: datetime  # aware, UTC
    session_start: datetime  # aware, UTC

    @property
    def key(self) -> str:
        """Stable across restarts and re-plans: scheduler job id and sent-reminders ledger key."""
        return f"s{self.session_id}-o{self.offset // _MINUTE}"


def plan_reminders(sessions: Iterable[SessionRecord], offsets: Sequence[timedelta]) -> tuple[PlannedReminder, ...]:
    """Every reminder for ``sessions``: due exactly ``offset`` before each start, in UTC.

    Sorted by due time, then session start and id, so the result does not depend on input order.
    """
    unique_offsets = sorted(set(offsets), reverse=True)
    for offset in unique_offsets:
        _require_whole_positive_minutes(offset)
    planned: list[PlannedReminder] = []
    for session in sessions:
        _require_aware(session.start, f"week {session.week} start")
        start = session.start.astimezone(UTC)
        planned.extend(
            PlannedReminder(
                session_id=session.id,
                week=session.week,
                offset=offset,
                due_at=start - offset,
                session_start=start,
            )
            for offset in unique_offsets
        )
    planned.sort(key=lambda r: (r.due_at, r.session_start, r.session_id, -r.offset))
    return tuple(planned)


class ReminderDecision(StrEnum):
    WAIT = "wait"
    SEND = "send"
    SKIP = "skip"


def decide(reminder: PlannedReminder, session_plan: Sequence[PlannedReminder], now: datetime) -> ReminderDecision:
    """What to do with ``reminder`` at ``now``, including after the bot was offline.

    Checked in this order; the first that applies wins:

    ======================================================  =========
    situation at ``now``                                    decision
    ======================================================  =========
    the reminder is not due yet (``due_at > now``)          WAIT
    the session has started (``session_start <= now``)      SKIP: never remind about a live or past
                                                            session
    a later reminder of the same session (smaller offset)   SKIP: that one says the same, more
    is also due (``due_at <= now``)                         accurately
    otherwise (due, possibly late, still the latest)        SEND
    ======================================================  =========

    ``session_plan`` may be the session's reminders or the whole plan; reminders of other sessions are
    ignored. Whether a reminder was already sent is the caller's ledger's business, not this table's.
    """
    _require_aware(now, "now")
    if reminder.due_at > now:
        return ReminderDecision.WAIT
    if reminder.session_start <= now:
        return ReminderDecision.SKIP
    superseded = any(
        other.session_id == reminder.session_id and other.offset < reminder.offset and other.due_at <= now
        for other in session_plan
    )
    return ReminderDecision.SKIP if superseded else ReminderDecision.SEND


def pending_decisions(
    plan: Sequence[PlannedReminder], now: datetime
) -> tuple[tuple[PlannedReminder, ReminderDecision], ...]:
    """Each reminder in ``plan`` with its decision at ``now``, in plan order (for catch-up at start-up)."""
    by_session: dict[int, list[PlannedReminder]] = {}
    for reminder in plan:
        by_session.setdefault(reminder.session_id, []).append(reminder)
    return tuple((reminder, decide(reminder, by_session[reminder.session_id], now)) for reminder in plan)


def reminder_nonce(reminder_key: str, target: str) -> str:
    """A Discord message nonce for sending ``reminder_key`` to ``target`` (a channel or member id).

    Deterministic, so a resend after a crash carries the same nonce and Discord (with
    ``enforce_nonce``) drops the duplicate; 25 ASCII characters, Discord's limit. Hashed because the
    key and target together can be longer than that.
    """
    digest = hashlib.sha256(f"reminder\x00{reminder_key}\x00{target}".encode()).digest()
    return "r" + b32encode(digest).decode("ascii").lower()[: DISCORD_NONCE_LENGTH - 1]


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


DMS_CLOSED = "dms_closed"  # why a DM was undeliverable: the member does not accept DMs
