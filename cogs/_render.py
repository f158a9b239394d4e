"""Turning programme records into Discord text. Pure functions: tested without Discord.

Times are Discord timestamps (``<t:UNIX:F>``), which every reader sees in their own time zone.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.answers import shorten
from bot.domain.programme import ProgrammeRecord, SessionRecord
from bot.domain.programme_text import (  # re-exported: the cogs use them from here
    STATUS_LABELS as STATUS_LABELS,
)
from bot.domain.programme_text import programme_lines as programme_lines
from bot.domain.programme_text import prompts_text as prompts_text
from bot.domain.programme_text import session_heading as session_heading
from bot.domain.programme_text import session_when as session_when
from bot.domain.programme_text import status_moment as status_moment
from bot.domain.programme_text import valid_weeks_text as valid_weeks_text

EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100
PAGE_BUDGET = 3800  # characters of a programme page, leaving room in the 4096 embed description
PAGE_SESSIONS = 15


def paginate(lines: Sequence[str], *, budget: int = PAGE_BUDGET, per_page: int = PAGE_SESSIONS) -> list[str]:
    """Group lines into pages that each fit an embed description."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line[:budget]
        if current and (size + len(line) + 1 > budget or len(current) >= per_page):
            pages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pages.append("\n".join(current))
    return pages or ["No sessions yet."]


def week_choices(programme: ProgrammeRecord | None, typed: str) -> list[tuple[str, int]]:
    """Autocomplete for a week: number and title, filtered by what was typed, at most 25."""
    if programme is None:
        return []
    needle = typed.strip().lower().removeprefix("week").strip()
    sessions = sorted(programme.sessions, key=lambda s: s.week)
    if needle:
        # The week typed comes first, then weeks starting with it, then titles containing it.
        def rank(session: SessionRecord) -> int:
            number = str(session.week)
            return 0 if number == needle else 1 if number.startswith(needle) else 2

        sessions = sorted(
            (s for s in sessions if str(s.week).startswith(needle) or needle in s.title.lower()),
            key=lambda s: (rank(s), s.week),
        )
    return [(shorten(session_heading(s), CHOICE_NAME_LIMIT), s.week) for s in sessions[:CHOICES_LIMIT]]


def prompt_choices(session: SessionRecord | None, typed: str) -> list[tuple[str, int]]:
    """Autocomplete for a prompt of a week: its number and the start of its text."""
    if session is None:
        return []
    needle = typed.strip().lower()
    prompts = [p for p in session.prompts if not needle or str(p.number).startswith(needle) or needle in p.text.lower()]
    return [(shorten(f"{p.number}. {p.text}", CHOICE_NAME_LIMIT), p.number) for p in prompts[:CHOICES_LIMIT]]
