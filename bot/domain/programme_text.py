"""The programme as text: headings, the list of sessions with their status, prompts and times. Pure.

Composed once here, in Discord's markdown with ``<t:UNIX:S>`` timestamps; each front end renders it (the
Discord cogs as they are, the Slack front end through slack_app/_render.py).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.discord_text import timestamp
from bot.domain.programme import ProgrammeRecord, SessionRecord, SessionStatus, next_session, session_status

STATUS_LABELS = {
    SessionStatus.PAST: "past",
    SessionStatus.LIVE: "**on now**",
    SessionStatus.NEXT: "**next**",
    SessionStatus.UPCOMING: "upcoming",
}


def session_heading(session: SessionRecord) -> str:
    return f"Week {session.week} · {session.title}"


def programme_lines(programme: ProgrammeRecord, now: datetime) -> list[str]:
    upcoming = next_session(programme.sessions, now)  # once, not once per session (quadratic for long ones)
    return [
        f"`W{s.week:>2}` **{s.title}** — {timestamp(s.start)} · "
        f"{STATUS_LABELS[session_status(s, programme.sessions, now, upcoming=upcoming)]}"
        for s in programme.sessions
    ]


def status_moment(programme: ProgrammeRecord, now: datetime) -> tuple[int, int]:
    """What the programme's status labels depend on: how many sessions have started and ended by ``now``."""
    return sum(s.start <= now for s in programme.sessions), sum(s.end <= now for s in programme.sessions)


def valid_weeks_text(programme: ProgrammeRecord) -> str:
    weeks = programme.weeks
    if weeks and weeks == list(range(weeks[0], weeks[-1] + 1)):
        return f"{weeks[0]} to {weeks[-1]}"
    return ", ".join(str(w) for w in weeks)


def prompts_text(session: SessionRecord) -> list[str]:
    return [f"**{p.number}.** {p.text}" for p in session.prompts]


def session_when(session: SessionRecord) -> str:
    return f"{timestamp(session.start)} to {timestamp(session.end, 't')} ({timestamp(session.start, 'R')})"
