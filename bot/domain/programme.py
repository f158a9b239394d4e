"""The programme: sessions with a topic, times and prompt questions.

Times are written as wall-clock times in the programme's time zone and held here as aware UTC datetimes.
Conversion goes through zoneinfo only; a wall-clock time that a clock change skips or repeats is refused,
because guessing would put a session an hour out for everyone.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import InvalidTimeError, ProgrammeFormatError, UserFacingError
from bot.domain.text import describe_character, first_control, plain_line_breaks, remove_invisible

# Every date the bot accepts, from any path (programme files, /import start:, --start, re-dating), lies in
# this window: a typo such as 0221 for 2021 is refused instead of stored, and every stored instant (plus the
# longest retention period) stays far from the ends of what datetime and the database text can hold.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# Week numbers: small enough for Discord's integer options, button ids and the database alike.
MAX_WEEK = 9999


def require_supported_date(day: date, *, what: str) -> None:
    """Refuse a date outside the window the bot works in."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise UserFacingError(
            f"{what} is outside the dates this bot works with; expected a date from "
            f"{EARLIEST_DATE.year} to {LATEST_DATE.year} (check the year for a typo)"
        )


@dataclass(frozen=True, slots=True)
class Session:
    """One session as written in a programme file (no database ids)."""

    week: int
    title: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    location: str
    description: str
    prompts: tuple[str, ...]
    meeting_link: str | None = None


@dataclass(frozen=True, slots=True)
class Programme:
    """A parsed programme: sessions ordered by start time."""

    title: str
    timezone: str
    sessions: tuple[Session, ...]
    introduction: str = ""
    # Things worth a second look that do not stop an import (a session without prompts); shown in previews.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A stored prompt: the unit an answer belongs to."""

    id: int
    session_id: int
    week: int
    number: int  # 1-based position within its session
    text: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A stored session, with its database id and its prompts."""

    id: int
    community_id: int
    week: int
    title: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    location: str
    description: str
    meeting_link: str | None
    prompts: tuple[Prompt, ...]
    revision: int = 0  # bumped each time an import changes the session


@dataclass(frozen=True, slots=True)
class ProgrammeRecord:
    """A stored programme for one Discord server."""

    community_id: int
    title: str
    timezone: str
    introduction: str
    sessions: tuple[SessionRecord, ...]  # ordered by start
    # Changes whenever the stored programme does: renderings are cached per version (0: not from storage).
    version: int = field(default=0, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def session_for_week(self, week: int) -> SessionRecord | None:
        return next((s for s in self.sessions if s.week == week), None)

    @property
    def weeks(self) -> list[int]:
        return sorted(s.week for s in self.sessions)


def programme_text(value: str, *, what: str) -> str:
    """A programme's text as stored: plain line breaks, bidirectional controls and invisible characters removed
    (see bot.domain.text); a NUL or other control character refused, since a file holding one is damaged."""
    value = plain_line_breaks(value)
    bad = first_control(value)
    if bad is not None:
        raise ProgrammeFormatError(
            f"{what} holds the control character {describe_character(bad)}, which cannot be shown; remove it "
            "(a file that holds one may be damaged, or not plain text)"
        )
    return remove_invisible(value)


def storable(programme: Programme) -> Programme:
    """``programme`` with every text field as ``programme_text`` keeps it, however it was built (a parsed file
    already is); a control character anywhere is refused. Both engines then store the same text."""

    def session_text(session: Session) -> Session:
        where = f"week {session.week}"
        link = session.meeting_link
        if link is not None and any(ord(ch) < 0x20 or unicodedata.category(ch) in ("Cc", "Cf") for ch in link):
            raise ProgrammeFormatError(f"{where}: the meeting link holds a character a web address cannot hold")
        return dataclasses.replace(
            session,
            title=programme_text(session.title, what=f"{where}: the title"),
            location=programme_text(session.location, what=f"{where}: the location"),
            description=programme_text(session.description, what=f"{where}: the description"),
            prompts=tuple(
                programme_text(prompt, what=f"{where}, prompt {number}")
                for number, prompt in enumerate(session.prompts, start=1)
            ),
        )

    return dataclasses.replace(
        programme,
        title=programme_text(programme.title, what="the programme's title"),
        introduction=programme_text(programme.introduction, what="the introduction"),
        sessions=tuple(session_text(session) for session in programme.sessions),
    )


class SessionStatus(StrEnum):
    PAST = "past"
    LIVE = "live"
    NEXT = "next"
    UPCOMING = "upcoming"


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProgrammeFormatError(
            f"unknown time zone {name!r}; expected an IANA name such as 'Europe/London'"
        ) from None


def local_to_utc(local: datetime, zone: ZoneInfo, *, what: str) -> datetime:
    """Convert a naive wall-clock time in ``zone`` to aware UTC.

    Refuses a time that does not exist (the spring-forward gap) or that happens twice (the autumn
    fold): either way there is no single instant the organiser can have meant.
    """
    if local.tzinfo is not None:
        raise ValueError("local_to_utc takes a naive wall-clock time")
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        stamp = local.strftime("%Y-%m-%d %H:%M")
        if round_trip != local:
            before, after = _gap_edges(local, zone)
            raise InvalidTimeError(
                f"{what}: {stamp} does not exist in {zone.key} (the clocks go forward then); the nearest valid "
                f"times are {before:%H:%M} and {after:%H:%M}"
            )
        raise InvalidTimeError(
            f"{what}: {stamp} happens twice in {zone.key} (the clocks go back then); pick another time"
        )
    return first.astimezone(UTC)


def _gap_edges(local: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The last valid minute before a spring-forward gap and the first one after it, around ``local``."""

    def exists(moment: datetime) -> bool:
        aware = moment.replace(tzinfo=zone)
        return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment

    step = timedelta(minutes=1)
    before = local.replace(second=0, microsecond=0)
    after = before
    for _ in range(48 * 60):  # no gap lasts two days
        if exists(before):
            break
        before -= step
    for _ in range(48 * 60):
        if exists(after):
            break
        after += step
    return before, after


def redate(programme: Programme, start: date) -> Programme:
    """The same programme moved so that its first session falls on ``start``.

    Keeps the gaps between sessions in calendar days and each session's local clock time, so a
    19:00 session is still at 19:00 local after a clock change (never wall-clock arithmetic in UTC).
    """
    require_supported_date(start, what=f"the new start date {start.isoformat()}")
    if not programme.sessions:
        return programme
    zone = programme.zone
    first_local_day = min(s.start.astimezone(zone).date() for s in programme.sessions)
    shift = start - first_local_day
    moved: list[Session] = []
    for session in programme.sessions:
        local_start = session.start.astimezone(zone)
        local_end = session.end.astimezone(zone)
        label = f"week {session.week}"
        moved_day = local_start.date() + shift
        require_supported_date(moved_day, what=f"{label}, moved to {moved_day.isoformat()},")
        new_start = local_to_utc((local_start.replace(tzinfo=None) + shift), zone, what=f"{label} start")
        new_end = local_to_utc((local_end.replace(tzinfo=None) + shift), zone, what=f"{label} end")
        moved.append(dataclasses.replace(session, start=new_start, end=new_end))
    return dataclasses.replace(programme, sessions=sort_sessions(moved))


def sort_sessions(sessions: Iterable[Session]) -> tuple[Session, ...]:
    return tuple(sorted(sessions, key=lambda s: (s.start, s.week)))


_UNKNOWN: object = object()


def session_status(
    session: SessionRecord, sessions: Sequence[SessionRecord], now: datetime, *, upcoming: object = _UNKNOWN
) -> SessionStatus:
    """Where ``session`` stands at ``now``: past, live, the next one, or further ahead.

    ``upcoming`` is ``next_session(sessions, now)`` when the caller already has it.
    """
    if session.end <= now:
        return SessionStatus.PAST
    if session.start <= now:
        return SessionStatus.LIVE
    if upcoming is _UNKNOWN:
        upcoming = next_session(sessions, now)
    if isinstance(upcoming, SessionRecord) and upcoming.id == session.id:
        return SessionStatus.NEXT
    return SessionStatus.UPCOMING


def next_session(sessions: Iterable[SessionRecord], now: datetime) -> SessionRecord | None:
    """The first session, by start time (not week number), that has not started yet."""
    future = [s for s in sessions if s.start > now]
    return min(future, key=lambda s: (s.start, s.week), default=None)


def validate_session_times(
    week: int, start: datetime, end: datetime, *, line: int | None = None, source: str | None = None
) -> None:
    if end <= start:
        raise ProgrammeFormatError(
            f"week {week} ends before it starts; expected an end time after the start time",
            line=line,
            source=source,
        )
    if end - start > timedelta(hours=24):
        raise ProgrammeFormatError(
            f"week {week} lasts more than 24 hours; expected a session of a few hours",
            line=line,
            source=source,
        )
