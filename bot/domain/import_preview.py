"""The text of an import preview, shared by /import and ``programme import --dry-run``.

Lines carry Markdown bold (``**``) for Discord; ``plain`` strips it for a terminal or a text file. Names and
titles from the file pass through ``escape`` (Discord's Markdown escaping in the cog, nothing on a terminal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.importing import ImportPlan, SessionChange, week_ranges
from bot.domain.programme import Programme, ProgrammeRecord, Session, SessionRecord

Escape = Callable[[str], str]


def no_escape(text: str) -> str:
    return text


def plain(line: str) -> str:
    """A preview line without its Markdown bold, for a terminal or a text file."""
    return re.sub(r"\*\*", "", line)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def when_text(start: datetime, end: datetime, zone: ZoneInfo, *, dash: str = "–") -> str:
    """Local time and UTC: ``Mon 03 Aug 2020 19:00–21:00 BST (2020-08-03 18:00–20:00 UTC)``.

    An end on another day than the start carries its date, in local time and in UTC alike:
    ``(2020-08-03 23:30–2020-08-04 01:00 UTC)``, never a bare ``23:30–01:00``.
    """
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    local_end_text = f"{local_end:%H:%M}" if local_end.date() == local_start.date() else f"{local_end:%a %d %b %H:%M}"
    utc_end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return (
        f"{local_start:%a %d %b %Y %H:%M}{dash}{local_end_text} {local_start.tzname()} "
        f"({start:%Y-%m-%d %H:%M}{dash}{utc_end_text} UTC)"
    )


def what_changed(old: SessionRecord, new: Session) -> list[str]:
    changed = []
    if old.title != new.title:
        changed.append("title")
    if (old.start, old.end) != (new.start, new.end):
        changed.append("time")
    if old.location != new.location:
        changed.append("place")
    if old.description != new.description:
        changed.append("description")
    if old.meeting_link != new.meeting_link:
        changed.append("meeting link")
    if tuple(p.text for p in old.prompts) != new.prompts:
        changed.append("prompts")
    return changed


def preview_lines(
    current: ProgrammeRecord | None, programme: Programme, plan: ImportPlan, *, escape: Escape = no_escape
) -> list[str]:
    """One line per session: week, title, local time and UTC, prompts, and what the import does to it."""
    new = {s.week: s for s in programme.sessions}
    old = {s.week: s for s in current.sessions} if current else {}
    zone = programme.zone
    lines = []
    for change in sorted(plan.sessions, key=lambda c: c.week):
        session: Session | SessionRecord = new[change.week] if change.week in new else old[change.week]
        prompts = len(session.prompts)
        head = (
            f"**Week {change.week} · {escape(session.title)}** — "
            f"{when_text(session.start, session.end, zone)} · {plural(prompts, 'prompt')}"
        )
        lines.append(f"{head} · {_change_text(change, old.get(change.week), new.get(change.week))}")
    return lines


def _change_text(change: SessionChange, old: SessionRecord | None, new: Session | None) -> str:
    lost = f"; **{plural(change.answers_lost, 'answer')} deleted**" if change.answers_lost else ""
    if change.kind == "added":
        return "**new**"
    if change.kind == "removed":
        return f"**removed**{lost}"
    if change.kind == "unchanged" or old is None or new is None:
        return "unchanged"
    prompts = ""
    if change.prompts_added or change.prompts_removed:
        prompts = f" (+{change.prompts_added} / −{change.prompts_removed} prompts)"
    return f"**changed**: {', '.join(what_changed(old, new))}{prompts}{lost}"


def preview_header_lines(
    programme: Programme,
    plan: ImportPlan,
    filename: str,
    warnings: Sequence[str],
    *,
    export_hint: str,
    escape: Escape = no_escape,
) -> list[str]:
    """What the file is, what changes, and every warning; the caller adds how to confirm."""
    lines = [
        f"**{escape(programme.title)}** from `{filename}`: {plural(len(programme.sessions), 'session')}, "
        f"times in {programme.timezone} with UTC in brackets.",
        f"Changes: {plan.summary()}.",
    ]
    lines += [f"⚠️ {warning}" for warning in warnings]
    if plan.answers_lost:
        lines.append(
            f"⚠️ Confirming **deletes {plural(plan.answers_lost, 'answer')}** given to prompts this file removes. "
            f"Export them first with {export_hint} if they are needed."
        )
    return lines


def placeholder_title(week: int) -> str:
    """The title a published listing gives a session it names no title for."""
    return f"Week {week}"


def import_warnings(
    current: ProgrammeRecord | None, programme: Programme, *, escape: Escape = no_escape, done: bool = False
) -> list[str]:
    """What an import would lose or move that the per-session lines alone do not make plain.

    Titles: a file without titles (the published listing names most sessions only "Week N") replaces the
    titles written before. Dates: every session that would start on another day or at another time.
    ``done``: said after the import ran, in the past tense.
    """
    if current is None:
        return []
    stored = {s.week: s for s in current.sessions}
    warnings = []
    lost = [
        (s.week, stored[s.week].title)
        for s in programme.sessions
        if s.week in stored and s.title == placeholder_title(s.week) and stored[s.week].title != s.title
    ]
    if lost:
        warnings.append(_titles_lost_text(lost, escape=escape, done=done))
    moved = [(stored[s.week], s) for s in programme.sessions if s.week in stored and stored[s.week].start != s.start]
    if moved:
        zone = programme.zone
        old, new = min(moved, key=lambda pair: pair[0].week)
        warnings.append(
            f"{plural(len(moved), 'session')} {'moved' if done else 'would move'} "
            f"({_weeks_text([o.week for o, _ in moved])}): week {old.week} from "
            f"{old.start.astimezone(zone):%a %d %b %Y %H:%M} to {new.start.astimezone(zone):%a %d %b %Y %H:%M %Z}. "
            "Reminders follow the new times."
        )
    return warnings


def _weeks_text(weeks: list[int]) -> str:
    return f"week{'s' if len(weeks) > 1 else ''} {week_ranges(weeks)}"


def _titles_lost_text(lost: list[tuple[int, str]], *, escape: Escape, done: bool) -> str:
    week, title = lost[0]
    them = "them" if len(lost) > 1 else "it"
    what = (
        f"{plural(len(lost), 'session title')} {'were' if done else 'would be'} lost "
        f'({_weeks_text([w for w, _ in lost])}): this file names {them} only "Week N" '
        f'(week {week}: "{escape(title)}" {"became" if done else "becomes"} "{placeholder_title(week)}").'
    )
    if done:
        return f"{what} To get {them} back, import the .toml that has the titles."
    return f"{what} Add the titles to the file, or import the .toml that has them."


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def start_weekday_warning(programme: Programme, start: date, *, done: bool = False) -> str | None:
    """A new first day on another weekday than the programme's first session moves every session's weekday."""
    if not programme.sessions:
        return None
    zone = programme.zone
    first = min(s.start.astimezone(zone).date() for s in programme.sessions)
    if first.weekday() == start.weekday():
        return None
    new_day, old_day = WEEKDAYS[start.weekday()], WEEKDAYS[first.weekday()]
    if done:
        return (
            f"{start.isoformat()} is a {new_day}, but the programme's first session was on a {old_day}: every "
            f"session moved to a {new_day}. Import again with a start date on a {old_day} to keep their day."
        )
    return (
        f"{start.isoformat()} is a {new_day}, but the programme's first session is on a {old_day}: every "
        f"session would move to a {new_day}. Give a start date on a {old_day} to keep the sessions' day."
    )
