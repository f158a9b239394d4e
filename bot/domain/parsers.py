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
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidTimeError, ProgrammeFormatError, UserFacingError, quoted
from bot.domain.programme import (
    MAX_WEEK,
    Programme,
    Session,
    load_zone,
    local_to_utc,
    programme_text,
    require_supported_date,
    sort_sessions,
    validate_session_times,
)
from bot.domain.settings_rules import is_web_address
from bot.domain.text import describe_character, first_control

# Limits chosen to fit what Discord can show: autocomplete names and thread names hold 100 characters,
# an embed description 4096, and a member picks from at most 25 prompts.
MAX_TITLE_LENGTH = 100
MAX_LOCATION_LENGTH = 200
MAX_PROGRAMME_TITLE_LENGTH = 200  # shown as an embed title (256 at most)
MAX_DESCRIPTION_LENGTH = 4000
MAX_PROMPT_LENGTH = 1000
MAX_PROMPTS_PER_SESSION = 25
MAX_SESSIONS = 1000
MAX_FILE_BYTES = 1_000_000

LISTING_DATE_FORMAT = "Date: D/M/YYYY Time: HH:MM - HH:MM Location: PLACE"
_DATE_LINE = re.compile(
    r"^Date:\s*(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})\s+"
    r"Time:\s*(?P<start>[0-9]{1,2}:[0-9]{2})\s*[-–]\s*(?P<end>[0-9]{1,2}:[0-9]{2})\s+"
    r"Location:\s*(?P<location>\S.*)$"
)
# Greedy to the end of the (already stripped) line, then stripped in Python: a lazy group followed by
# ``\s*$`` backtracks quadratically over a long run of spaces (a 40 KB line froze the bot for seconds).
_WEEK_LINE = re.compile(r"^Week\s+(?P<week>[0-9]+)\s*:(?P<title>.*)$")
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
    key_lines: dict[str, int] = field(default_factory=dict)  # where each key is, to point at the bad one

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True, slots=True)
class _Header:
    title: str
    timezone: str
    introduction: str
    title_line: int
    timezone_line: int | None = None
    introduction_line: int | None = None


def _text(value: str, *, what: str, line: int | None, source: str) -> str:
    """``programme_text`` (control characters refused, bidirectional and invisible ones removed), at its line."""
    try:
        return programme_text(value, what=what)
    except ProgrammeFormatError as error:
        raise ProgrammeFormatError(error.reason, line=line, source=source) from None


def _build_programme(header: _Header, drafts: list[_Draft], *, source: str) -> Programme:
    title = _text(header.title, what="the programme's title", line=header.title_line, source=source).strip()
    introduction = _text(header.introduction, what="the introduction", line=header.introduction_line, source=source)
    if not title:
        raise ProgrammeFormatError(
            "the programme has no title; expected a title", line=header.title_line, source=source
        )
    if len(title) > MAX_PROGRAMME_TITLE_LENGTH:
        raise ProgrammeFormatError(
            f"the programme's title is {len(title)} characters; expected at most {MAX_PROGRAMME_TITLE_LENGTH}",
            line=header.title_line,
            source=source,
        )
    try:
        zone = load_zone(header.timezone)
    except ProgrammeFormatError as error:
        raise ProgrammeFormatError(error.reason, line=header.timezone_line, source=source) from None
    if not drafts:
        raise ProgrammeFormatError("no sessions found; expected at least one session", source=source)
    if len(drafts) > MAX_SESSIONS:
        raise ProgrammeFormatError(f"{len(drafts)} sessions; expected at most {MAX_SESSIONS}", source=source)
    seen: dict[int, int] = {}
    sessions: list[Session] = []
    warnings: list[str] = []
    for draft in drafts:
        if draft.week in seen:
            raise ProgrammeFormatError(
                f"week {draft.week} appears twice (first on line {seen[draft.week]}); expected each week once",
                line=draft.line_of("week"),
                source=source,
            )
        seen[draft.week] = draft.line_of("week")
        session = _resolve(draft, zone, source=source)
        if not session.prompts:
            warnings.append(
                f"{source}, line {draft.line}: week {draft.week} has no prompts, so members cannot answer anything "
                "for it; add prompts = [\"...?\"] (or, in a listing, questions ending in '?')"
            )
        sessions.append(session)
    return Programme(
        title=title,
        timezone=zone.key,
        sessions=sort_sessions(sessions),
        introduction=introduction.strip(),
        warnings=tuple(warnings),
    )


def _resolve(draft: _Draft, zone: ZoneInfo, *, source: str) -> Session:
    def fail(reason: str, key: str = "") -> ProgrammeFormatError:
        return ProgrammeFormatError(reason, line=draft.line_of(key), source=source)

    if not 1 <= draft.week <= MAX_WEEK:
        raise fail(f"week {draft.week} is not a week number; expected a whole number from 1 to {MAX_WEEK}", "week")

    def cleaned(value: str, what: str, key: str) -> str:
        return _text(value, what=f"week {draft.week}, {what}", line=draft.line_of(key), source=source)

    title = " ".join(cleaned(draft.title, "the title", "title").split())
    if not title:
        raise fail(f"week {draft.week} has an empty title; expected a short title", "title")
    if len(title) > MAX_TITLE_LENGTH:
        raise fail(
            f"week {draft.week}: the title is {len(title)} characters; expected at most {MAX_TITLE_LENGTH}", "title"
        )
    location = cleaned(draft.location, "the location", "location").strip()
    if not location:
        raise fail(f"week {draft.week} has no location; expected e.g. 'Zoom'", "location")
    if len(location) > MAX_LOCATION_LENGTH:
        raise fail(
            f"week {draft.week}: the location is {len(location)} characters; expected at most {MAX_LOCATION_LENGTH}",
            "location",
        )
    description = cleaned(draft.description, "the description", "description")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise fail(
            f"week {draft.week}: the description is {len(description)} characters; "
            f"expected at most {MAX_DESCRIPTION_LENGTH}",
            "description",
        )
    if len(draft.prompts) > MAX_PROMPTS_PER_SESSION:
        raise fail(
            f"week {draft.week} has {len(draft.prompts)} prompts; expected at most {MAX_PROMPTS_PER_SESSION}",
            "prompts",
        )
    prompts: list[str] = []
    for number, prompt in enumerate(draft.prompts, start=1):
        text = " ".join(cleaned(prompt, f"prompt {number}", "prompts").split())
        if not text:
            raise fail(f"week {draft.week}, prompt {number} is empty; expected a question", "prompts")
        if len(text) > MAX_PROMPT_LENGTH:
            raise fail(
                f"week {draft.week}, prompt {number} is {len(text)} characters; expected at most {MAX_PROMPT_LENGTH}",
                "prompts",
            )
        if text in prompts:
            raise fail(
                f"week {draft.week}, prompt {number} repeats an earlier prompt; expected distinct prompts", "prompts"
            )
        prompts.append(text)
    link = draft.meeting_link.strip() if draft.meeting_link else None
    if link and not is_web_address(link):
        raise fail(
            f"week {draft.week}: meeting link {quoted(link)} is not a web address; expected https://...",
            "meeting_link",
        )
    label = f"week {draft.week}"
    try:
        start = local_to_utc(datetime.combine(draft.day, draft.start), zone, what=f"{label} start")
    except InvalidTimeError as error:
        raise InvalidTimeError(f"{source}, line {draft.line_of('start')}: {error}") from None
    try:
        end = local_to_utc(datetime.combine(draft.day, draft.end), zone, what=f"{label} end")
    except InvalidTimeError as error:
        raise InvalidTimeError(f"{source}, line {draft.line_of('end')}: {error}") from None
    validate_session_times(draft.week, start, end, line=draft.line_of("end"), source=source)
    return Session(
        week=draft.week,
        title=title,
        start=start,
        end=end,
        location=location,
        description=description.strip(),
        prompts=tuple(prompts),
        meeting_link=link or None,
    )


def _clock(text: str, *, what: str, line: int, source: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text.strip())
    if not match:
        raise ProgrammeFormatError(f"{what} {quoted(text)} is not a time; expected HH:MM", line=line, source=source)
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ProgrammeFormatError(
            f"{what} {quoted(text)} is not a time of day; expected HH:MM from 00:00 to 23:59",
            line=line,
            source=source,
        )
    return time(hour, minute, second)


def _calendar_day(year: int, month: int, day: int, *, text: str, line: int, source: str) -> date:
    try:
        found = date(year, month, day)
    except ValueError:
        raise ProgrammeFormatError(
            f"{quoted(text)} is not a date on the calendar; expected a real day", line=line, source=source
        ) from None
    return _supported_day(found, text=text, line=line, source=source)


def _supported_day(day: date, *, text: str, line: int, source: str) -> date:
    try:
        require_supported_date(day, what=f"the date {quoted(text)}")
    except UserFacingError as error:
        raise ProgrammeFormatError(str(error), line=line, source=source) from None
    return day


def _week_number(digits: str, *, line: int, source: str) -> int:
    # Checked as text first: int() of thousands of digits is refused by Python, or slow.
    if len(digits) > len(str(MAX_WEEK)) or not 1 <= int(digits) <= MAX_WEEK:
        raise ProgrammeFormatError(
            f"week {digits[:12]}{'…' if len(digits) > 12 else ''} is not a week number; "
            f"expected a whole number from 1 to {MAX_WEEK}",
            line=line,
            source=source,
        )
    return int(digits)


# --- the published listing -----------------------------------------------------------------------------


def parse_listing(text: str, *, timezone: str, source: str = "listing") -> Programme:
    """Parse the published listing: a title line, an introduction, then per session an optional
    ``Week N: Title`` line, a ``Date: ...`` line and a description.

    Weeks follow listing order unless a ``Week N:`` label says otherwise; an untitled session is
    called "Week N"; prompts are the description's sentences that end in a question mark.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if (bad := first_control(line)) is not None:
            raise ProgrammeFormatError(
                f"column {line.index(bad) + 1} holds the control character {describe_character(bad)}, which cannot "
                "be shown; remove it (a file that holds one may be damaged, or not plain text)",
                line=number,
                source=source,
            )
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
            pending_label = (number, _week_number(label["week"], line=number, source=source), label["title"].strip())
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
                location=match["location"].strip(),
                description="",
                prompts=(),
                line=start_line,
                key_lines={key: number for key in ("date", "start", "end", "location")},
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
    header = _Header(title=title, timezone=timezone, introduction="\n".join(introduction), title_line=title_line)
    return _build_programme(header, drafts, source=source)


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


_SESSIONS_HEADER = re.compile(r"^\s*\[\[\s*sessions\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


@dataclass
class _KeyLines:
    """Where each key is written: top-level keys, and per [[sessions]] table its header and keys."""

    top: dict[str, int] = field(default_factory=dict)
    sessions: list[tuple[int, dict[str, int]]] = field(default_factory=list)


def _key_lines(text: str) -> _KeyLines:
    """Line numbers of keys, found by a plain scan (tomllib gives values only, no positions).

    Good enough to point at ``date = ...`` rather than its table's header; a key this scan cannot place
    (an inline table, say) falls back to the header's line.
    """
    found = _KeyLines()
    current: dict[str, int] | None = found.top
    for number, line in enumerate(text.splitlines(), start=1):
        if _SESSIONS_HEADER.match(line):
            current = {}
            found.sessions.append((number, current))
        elif _TABLE_HEADER.match(line):
            current = None  # some other table: its keys are refused by name anyway
        elif current is not None and (key := _KEY_LINE.match(line)):
            current.setdefault(key[1], number)
    return found


def parse_programme_toml(text: str, *, source: str = "programme.toml") -> Programme:
    """Parse ``data/programme.toml``: top-level title, timezone, introduction and ``[[sessions]]`` tables."""
    document = _load_toml(text, source=source)
    lines = _key_lines(text)
    unknown = set(document) - _TOP_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ProgrammeFormatError(
            f"unknown key {quoted(key)}; expected only {', '.join(sorted(_TOP_KEYS))}",
            line=lines.top.get(key),
            source=source,
        )
    title_line = lines.top.get("title", 1)
    title = _string(document, "title", line=title_line, source=source, where="the programme")
    timezone_line = lines.top.get("timezone", 1)
    timezone = _string(document, "timezone", line=timezone_line, source=source, where="the programme")
    introduction = document.get("introduction", "")
    if not isinstance(introduction, str):
        raise ProgrammeFormatError("introduction must be text", line=lines.top.get("introduction"), source=source)
    tables = document.get("sessions", [])
    if not isinstance(tables, list):
        raise ProgrammeFormatError(
            "sessions must be [[sessions]] tables", line=lines.top.get("sessions"), source=source
        )
    if len(tables) > MAX_SESSIONS:
        raise ProgrammeFormatError(f"{len(tables)} sessions; expected at most {MAX_SESSIONS}", source=source)
    drafts = []
    for index, table in enumerate(tables):
        header_line, key_lines = lines.sessions[index] if index < len(lines.sessions) else (0, {})
        drafts.append(_toml_session(table, line=header_line, key_lines=key_lines, source=source))
    header = _Header(
        title,
        timezone,
        introduction,
        title_line=title_line,
        timezone_line=timezone_line,
        introduction_line=lines.top.get("introduction"),
    )
    return _build_programme(header, drafts, source=source)


def _load_toml(text: str, *, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ProgrammeFormatError(
            f"not valid TOML ({reason}); expected the format of data/programme.toml",
            line=int(match[1]) if match else None,
            source=source,
        ) from None
    except RecursionError:
        raise ProgrammeFormatError(
            "arrays or tables are nested too deeply to read; expected the flat format of data/programme.toml",
            source=source,
        ) from None
    except ValueError:
        # tomllib turns digits into int(): a number thousands of digits long is refused by Python itself.
        raise ProgrammeFormatError(
            "a number is too long to read; expected the format of data/programme.toml", source=source
        ) from None


def _string(table: dict[str, Any], key: str, *, line: int, source: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProgrammeFormatError(f'{where} needs {key} = "..." (text)', line=line, source=source)
    return value


def _toml_session(table: Any, *, line: int, key_lines: dict[str, int], source: str) -> _Draft:
    def at(key: str) -> int:
        return key_lines.get(key, line)

    if not isinstance(table, dict):
        raise ProgrammeFormatError("expected a [[sessions]] table", line=line, source=source)
    unknown = set(table) - _SESSION_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ProgrammeFormatError(
            f"unknown key {quoted(key)} in a session; expected {', '.join(sorted(_SESSION_KEYS))}",
            line=at(key),
            source=source,
        )
    week = table.get("week")
    if not isinstance(week, int) or isinstance(week, bool):
        raise ProgrammeFormatError("a session needs week = N (a whole number)", line=at("week"), source=source)
    if not 1 <= week <= MAX_WEEK:
        raise ProgrammeFormatError(
            f"week {quoted(week)} is not a week number; expected a whole number from 1 to {MAX_WEEK}",
            line=at("week"),
            source=source,
        )
    where = f"week {week}"
    raw_day = table.get("date")
    if isinstance(raw_day, date) and not isinstance(raw_day, datetime):
        day = _supported_day(raw_day, text=raw_day.isoformat(), line=at("date"), source=source)
    elif isinstance(raw_day, str):
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", raw_day.strip())
        if not match:
            raise ProgrammeFormatError(
                f"{where}: date {quoted(raw_day)} is not a date; expected YYYY-MM-DD", line=at("date"), source=source
            )
        day = _calendar_day(int(match[1]), int(match[2]), int(match[3]), text=raw_day, line=at("date"), source=source)
    else:
        raise ProgrammeFormatError(f"{where} needs date = YYYY-MM-DD", line=at("date"), source=source)
    clocks: dict[str, time] = {}
    for key in ("start", "end"):
        raw = table.get(key)
        if isinstance(raw, time):
            clocks[key] = raw.replace(tzinfo=None)
        elif isinstance(raw, str):
            clocks[key] = _clock(raw, what=f"{where} {key}", line=at(key), source=source)
        else:
            raise ProgrammeFormatError(f'{where} needs {key} = "HH:MM"', line=at(key), source=source)
    description = table.get("description", "")
    if not isinstance(description, str):
        raise ProgrammeFormatError(f"{where}: description must be text", line=at("description"), source=source)
    raw_prompts = table.get("prompts", [])
    if not isinstance(raw_prompts, list) or not all(isinstance(p, str) for p in raw_prompts):
        raise ProgrammeFormatError(f"{where}: prompts must be a list of text", line=at("prompts"), source=source)
    link = table.get("meeting_link")
    if link is not None and not isinstance(link, str):
        raise ProgrammeFormatError(f"{where}: meeting_link must be text", line=at("meeting_link"), source=source)
    return _Draft(
        week=week,
        title=_string(table, "title", line=at("title"), source=source, where=where),
        day=day,
        start=clocks["start"],
        end=clocks["end"],
        location=_string(table, "location", line=at("location"), source=source, where=where),
        description=description,
        prompts=tuple(raw_prompts),
        line=line,
        meeting_link=link,
        key_lines=dict(key_lines),
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
