"""Reading programme files: the hand-edited TOML and the published listing text. One model out of both.

Every refusal names the line and what was expected, so an organiser can fix the file without reading code.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.domain.errors import ProgrammeFormatError
from bot.domain.programme import (
    Programme,
    Session,
    load_zone,
    local_to_utc,
    sort_sessions,
    validate_session_times,
)

# Limits chosen to fit what Discord can show: autocomplete names and thread names hold 100 characters,
# an embed description 4096, and a member picks from at most 25 prompts.
MAX_TITLE_LENGTH = 100
MAX_PROGRAMME_TITLE_LENGTH = 200  # shown as an embed title (256 at most)
MAX_DESCRIPTION_LENGTH = 4000
MAX_PROMPT_LENGTH = 1000
MAX_PROMPTS_PER_SESSION = 25
MAX_SESSIONS = 1000
MAX_FILE_BYTES = 1_000_000

LISTING_DATE_FORMAT = "Date: D/M/YYYY Time: HH:MM - HH:MM Location: PLACE"
_DATE_LINE = re.compile(
    r"^Date:\s*(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\s+"
    r"Time:\s*(?P<start>\d{1,2}:\d{2})\s*[-–]\s*(?P<end>\d{1,2}:\d{2})\s+"
    r"Location:\s*(?P<location>\S.*?)\s*$"
)
_WEEK_LINE = re.compile(r"^Week\s+(?P<week>\d+)\s*:\s*(?P<title>.*?)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def prompts_from_description(description: str) -> tuple[str, ...]:
    """The questions in a description: its sentences that end in a question mark.

    A sentence cut off without a question mark (week 8's last one) is not a prompt.
    """
    sentences = _SENTENCE_END.split(" ".join(description.split()))
    return tuple(s for s in sentences if s.endswith("?"))


def decode_text(data: bytes, *, source: str) -> str:
    """UTF-8 text (a byte-order mark is allowed), or an error naming the line of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        raise ProgrammeFormatError(
            f"the file is {len(data):,} bytes; expected a programme of at most {MAX_FILE_BYTES:,} bytes",
            source=source,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ProgrammeFormatError(
            "this is not UTF-8 text; save the file as UTF-8 and try again", line=line, source=source
        ) from None


def parse_programme_file(data: bytes, *, filename: str, default_timezone: str) -> Programme:
    """Parse a programme file by its name: ``.toml`` is the canonical format, anything else a listing."""
    source = PurePath(filename).name or "programme"
    text = decode_text(data, source=source)
    if source.lower().endswith(".toml"):
        return parse_programme_toml(text, source=source)
    return parse_listing(text, timezone=default_timezone, source=source)


# --- shared checks -------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A session as read, before its times are resolved."""

    week: int
    title: str
    day: date
    start: time
    end: time
    location: str
    description: str
    prompts: tuple[str, ...]
    line: int
    meeting_link: str | None = None
    extra_errors: list[str] = field(default_factory=list)


def _build_programme(
    title: str, timezone: str, introduction: str, drafts: list[_Draft], *, source: str, title_line: int
) -> Programme:
    if not title.strip():
        raise ProgrammeFormatError("the programme has no title; expected a title", line=title_line, source=source)
    if len(title.strip()) > MAX_PROGRAMME_TITLE_LENGTH:
        raise ProgrammeFormatError(
            f"the programme's title is {len(title.strip())} characters; expected at most {MAX_PROGRAMME_TITLE_LENGTH}",
            line=title_line,
            source=source,
        )
    zone = load_zone(timezone)
    if not drafts:
        raise ProgrammeFormatError("no sessions found; expected at least one session", source=source)
    if len(drafts) > MAX_SESSIONS:
        raise ProgrammeFormatError(f"{len(drafts)} sessions; expected at most {MAX_SESSIONS}", source=source)
    seen: dict[int, int] = {}
    sessions: list[Session] = []
    for draft in drafts:
        if draft.week in seen:
            raise ProgrammeFormatError(
                f"week {draft.week} appears twice (first on line {seen[draft.week]}); expected each week once",
                line=draft.line,
                source=source,
            )
        seen[draft.week] = draft.line
        sessions.append(_resolve(draft, zone, source=source))
    return Programme(
        title=title.strip(),
        timezone=zone.key,
        sessions=sort_sessions(sessions),
        introduction=introduction.strip(),
    )


def _resolve(draft: _Draft, zone: ZoneInfo, *, source: str) -> Session:
    def fail(reason: str) -> ProgrammeFormatError:
        return ProgrammeFormatError(reason, line=draft.line, source=source)

    if draft.week < 1:
        raise fail(f"week {draft.week}: expected a week number of 1 or more")
    title = " ".join(draft.title.split())
    if not title:
        raise fail(f"week {draft.week} has an empty title; expected a short title")
    if len(title) > MAX_TITLE_LENGTH:
        raise fail(f"week {draft.week}: the title is {len(title)} characters; expected at most {MAX_TITLE_LENGTH}")
    location = draft.location.strip()
    if not location:
        raise fail(f"week {draft.week} has no location; expected e.g. 'Zoom'")
    if len(draft.description) > MAX_DESCRIPTION_LENGTH:
        raise fail(
            f"week {draft.week}: the description is {len(draft.description)} characters; "
            f"expected at most {MAX_DESCRIPTION_LENGTH}"
        )
    if len(draft.prompts) > MAX_PROMPTS_PER_SESSION:
        raise fail(f"week {draft.week} has {len(draft.prompts)} prompts; expected at most {MAX_PROMPTS_PER_SESSION}")
    prompts: list[str] = []
    for number, prompt in enumerate(draft.prompts, start=1):
        text = " ".join(prompt.split())
        if not text:
            raise fail(f"week {draft.week}, prompt {number} is empty; expected a question")
        if len(text) > MAX_PROMPT_LENGTH:
            raise fail(
                f"week {draft.week}, prompt {number} is {len(text)} characters; expected at most {MAX_PROMPT_LENGTH}"
            )
        if text in prompts:
            raise fail(f"week {draft.week}, prompt {number} repeats an earlier prompt; expected distinct prompts")
        prompts.append(text)
    link = draft.meeting_link.strip() if draft.meeting_link else None
    if link:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise fail(f"week {draft.week}: meeting link {link!r} is not a web address; expected https://...")
    label = f"week {draft.week}"
    start = local_to_utc(datetime.combine(draft.day, draft.start), zone, what=f"{label} start (line {draft.line})")
    end = local_to_utc(datetime.combine(draft.day, draft.end), zone, what=f"{label} end (line {draft.line})")
    validate_session_times(draft.week, start, end, line=draft.line, source=source)
    return Session(
        week=draft.week,
        title=title,
        start=start,
        end=end,
        location=location,
        description=draft.description.strip(),
        prompts=tuple(prompts),
        meeting_link=link or None,
    )


def _clock(text: str, *, what: str, line: int, source: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text.strip())
    if not match:
        raise ProgrammeFormatError(f"{what} {text!r} is not a time; expected HH:MM", line=line, source=source)
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ProgrammeFormatError(
            f"{what} {text!r} is not a time of day; expected HH:MM from 00:00 to 23:59",
            line=line,
            source=source,
        )
    return time(hour, minute, second)


def _calendar_day(year: int, month: int, day: int, *, text: str, line: int, source: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ProgrammeFormatError(
            f"{text!r} is not a date on the calendar; expected a real day", line=line, source=source
        ) from None


# --- the published listing -----------------------------------------------------------------------------


def parse_listing(text: str, *, timezone: str, source: str = "listing") -> Programme:
    """Parse the published listing: a title line, an introduction, then per session an optional
    ``Week N: Title`` line, a ``Date: ...`` line and a description.

    Weeks follow listing order unless a ``Week N:`` label says otherwise; an untitled session is
    called "Week N"; prompts are the description's sentences that end in a question mark.
    """
    lines = text.splitlines()
    numbered = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ProgrammeFormatError("the file is empty; expected a title line then sessions", source=source)
    title_line, title = numbered[0]
    if _DATE_LINE.match(title) or _WEEK_LINE.match(title):
        raise ProgrammeFormatError(
            "the first line is a session; expected the programme's title first",
            line=title_line,
            source=source,
        )
    introduction: list[str] = []
    drafts: list[_Draft] = []
    pending_label: tuple[int, int, str] | None = None  # (line, week, title) of a "Week N:" line
    current: _Draft | None = None
    description: list[str] = []
    last_week = 0

    def finish() -> None:
        nonlocal current, description
        if current is not None:
            current.description = "\n".join(description)
            current.prompts = prompts_from_description(current.description)
            drafts.append(current)
        current, description = None, []

    for number, line in numbered[1:]:
        label = _WEEK_LINE.match(line)
        if label:
            if pending_label is not None:
                raise ProgrammeFormatError(
                    f"'Week {pending_label[1]}:' on line {pending_label[0]} has no date line; "
                    f"expected '{LISTING_DATE_FORMAT}' after it",
                    line=number,
                    source=source,
                )
            finish()
            pending_label = (number, int(label["week"]), label["title"])
            continue
        if line.startswith("Date:"):
            match = _DATE_LINE.match(line)
            if not match:
                raise ProgrammeFormatError(
                    f"cannot read this date line; expected '{LISTING_DATE_FORMAT}'",
                    line=number,
                    source=source,
                )
            finish()
            day = _calendar_day(
                int(match["year"]),
                int(match["month"]),
                int(match["day"]),
                text=f"{match['day']}/{match['month']}/{match['year']}",
                line=number,
                source=source,
            )
            week = pending_label[1] if pending_label else last_week + 1
            week_title = (pending_label[2] if pending_label else "") or f"Week {week}"
            start_line = pending_label[0] if pending_label else number
            current = _Draft(
                week=week,
                title=week_title,
                day=day,
                start=_clock(match["start"], what="start time", line=number, source=source),
                end=_clock(match["end"], what="end time", line=number, source=source),
                location=match["location"],
                description="",
                prompts=(),
                line=start_line,
            )
            pending_label = None
            last_week = week
            continue
        if pending_label is not None:
            raise ProgrammeFormatError(
                f"'Week {pending_label[1]}:' must be followed by its date line; expected '{LISTING_DATE_FORMAT}'",
                line=number,
                source=source,
            )
        if current is None:
            introduction.append(line)
        else:
            description.append(line)
    if pending_label is not None:
        raise ProgrammeFormatError(
            f"'Week {pending_label[1]}:' has no date line; expected '{LISTING_DATE_FORMAT}' after it",
            line=pending_label[0],
            source=source,
        )
    finish()
    return _build_programme(title, timezone, "\n".join(introduction), drafts, source=source, title_line=title_line)


# --- the canonical TOML --------------------------------------------------------------------------------

_SESSION_KEYS = {
    "week",
    "title",
    "date",
    "start",
    "end",
    "location",
    "description",
    "prompts",
    "meeting_link",
}
_TOP_KEYS = {"title", "timezone", "introduction", "sessions"}


def parse_programme_toml(text: str, *, source: str = "programme.toml") -> Programme:
    """Parse ``data/programme.toml``: top-level title, timezone, introduction and ``[[sessions]]`` tables."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ProgrammeFormatError(
            f"not valid TOML ({reason}); expected the format of data/programme.toml",
            line=int(match[1]) if match else None,
            source=source,
        ) from None
    session_lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "[[sessions]]"]
    unknown = set(document) - _TOP_KEYS
    if unknown:
        raise ProgrammeFormatError(
            f"unknown key {sorted(unknown)[0]!r}; expected only {', '.join(sorted(_TOP_KEYS))}", source=source
        )
    title = _string(document, "title", line=1, source=source, where="the programme")
    timezone = _string(document, "timezone", line=1, source=source, where="the programme")
    introduction = document.get("introduction", "")
    if not isinstance(introduction, str):
        raise ProgrammeFormatError("introduction must be text", source=source)
    tables = document.get("sessions", [])
    if not isinstance(tables, list):
        raise ProgrammeFormatError("sessions must be [[sessions]] tables", source=source)
    drafts = [
        _toml_session(table, line=session_lines[index] if index < len(session_lines) else 0, source=source)
        for index, table in enumerate(tables)
    ]
    return _build_programme(title, timezone, introduction, drafts, source=source, title_line=1)


def _string(table: dict[str, Any], key: str, *, line: int, source: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProgrammeFormatError(f'{where} needs {key} = "..." (text)', line=line, source=source)
    return value


def _toml_session(table: Any, *, line: int, source: str) -> _Draft:
    if not isinstance(table, dict):
        raise ProgrammeFormatError("expected a [[sessions]] table", line=line, source=source)
    unknown = set(table) - _SESSION_KEYS
    if unknown:
        raise ProgrammeFormatError(
            f"unknown key {sorted(unknown)[0]!r} in a session; expected {', '.join(sorted(_SESSION_KEYS))}",
            line=line,
            source=source,
        )
    week = table.get("week")
    if not isinstance(week, int) or isinstance(week, bool):
        raise ProgrammeFormatError("a session needs week = N (a whole number)", line=line, source=source)
    where = f"week {week}"
    raw_day = table.get("date")
    if isinstance(raw_day, date) and not isinstance(raw_day, datetime):
        day = raw_day
    elif isinstance(raw_day, str):
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw_day.strip())
        if not match:
            raise ProgrammeFormatError(
                f"{where}: date {raw_day!r} is not a date; expected YYYY-MM-DD", line=line, source=source
            )
        day = _calendar_day(int(match[1]), int(match[2]), int(match[3]), text=raw_day, line=line, source=source)
    else:
        raise ProgrammeFormatError(f"{where} needs date = YYYY-MM-DD", line=line, source=source)
    clocks: dict[str, time] = {}
    for key in ("start", "end"):
        raw = table.get(key)
        if isinstance(raw, time):
            clocks[key] = raw
        elif isinstance(raw, str):
            clocks[key] = _clock(raw, what=f"{where} {key}", line=line, source=source)
        else:
            raise ProgrammeFormatError(f'{where} needs {key} = "HH:MM"', line=line, source=source)
    description = table.get("description", "")
    if not isinstance(description, str):
        raise ProgrammeFormatError(f"{where}: description must be text", line=line, source=source)
    raw_prompts = table.get("prompts", [])
    if not isinstance(raw_prompts, list) or not all(isinstance(p, str) for p in raw_prompts):
        raise ProgrammeFormatError(f"{where}: prompts must be a list of text", line=line, source=source)
    link = table.get("meeting_link")
    if link is not None and not isinstance(link, str):
        raise ProgrammeFormatError(f"{where}: meeting_link must be text", line=line, source=source)
    return _Draft(
        week=week,
        title=_string(table, "title", line=line, source=source, where=where),
        day=day,
        start=clocks["start"],
        end=clocks["end"],
        location=_string(table, "location", line=line, source=source, where=where),
        description=description,
        prompts=tuple(raw_prompts),
        line=line,
        meeting_link=link,
    )


def programme_to_toml(programme: Programme) -> str:
    """Write a programme in the canonical TOML format (used to transcribe listings)."""
    zone = programme.zone

    def quote(value: str) -> str:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'

    out = [
        f"title = {quote(programme.title)}",
        f"timezone = {quote(programme.timezone)}",
        f"introduction = {quote(programme.introduction)}",
    ]
    for session in sorted(programme.sessions, key=lambda s: s.week):
        start = session.start.astimezone(zone)
        end = session.end.astimezone(zone)
        out += [
            "",
            "[[sessions]]",
            f"week = {session.week}",
            f"title = {quote(session.title)}",
            f"date = {start.date().isoformat()}",
            f'start = "{start:%H:%M}"',
            f'end = "{end:%H:%M}"',
            f"location = {quote(session.location)}",
        ]
        if session.meeting_link:
            out.append(f"meeting_link = {quote(session.meeting_link)}")
        out.append(f"description = {quote(session.description)}")
        out.append("prompts = [")
        out += [f"    {quote(p)}," for p in session.prompts]
        out.append("]")
    return "\n".join(out) + "\n"


def sessions_by_week(sessions: Iterable[Session]) -> dict[int, Session]:
    return {s.week: s for s in sessions}
