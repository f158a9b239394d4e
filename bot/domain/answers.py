"""Answer rules: what a member's answer may contain, when it counts as late, and how to echo it back.

Answers are political opinions given in confidence. This module keeps them as the member wrote them,
minus characters that can hide or disguise text, and makes sure that echoing an answer back into
Discord can neither ping anyone nor be dressed up as something the bot said.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from bot.domain.errors import AnswerRejectedError
from bot.domain.text import remove_unseen

MAX_ANSWER_LENGTH = 4000

ELLIPSIS = "…"
ZERO_WIDTH_SPACE = "\u200b"

# Which characters an answer loses, and why: see bot.domain.text (control, bidirectional and invisible ones).


def clean_answer_text(raw: str) -> str:
    """The answer as it will be stored, or ``AnswerRejectedError`` if it is blank or too long.

    Line breaks become ``\\n``; control (NUL among them), bidirectional and hiding characters are removed (see
    ``bot.domain.text`` for which and why); surrounding whitespace is stripped. Length is counted
    in code points after cleaning, so it matches what the member sees.
    """
    text = remove_unseen(raw).strip()
    if not _has_visible_character(text):
        raise AnswerRejectedError("Your answer is empty: please write something before sending it.")
    if len(text) > MAX_ANSWER_LENGTH:
        raise AnswerRejectedError(
            f"Your answer is {len(text):,} characters long, and the limit is {MAX_ANSWER_LENGTH:,}. "
            "Please shorten it and send it again."
        )
    return text


def _has_visible_character(text: str) -> bool:
    # A lone joiner or other format character would pass strip() but shows nothing at all.
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


def answer_deadline(session_end: datetime, window: timedelta | None) -> datetime | None:
    """The last instant an answer counts as on time, or ``None`` if answers are always on time."""
    _require_aware(session_end, "session_end")
    if window is None:
        return None
    if window < timedelta(0):
        raise ValueError("the answer window cannot be negative")
    try:
        return session_end + window
    except OverflowError:  # a session stored far in the future by an older version: no deadline yet
        return datetime.max.replace(tzinfo=session_end.tzinfo)


def is_late(session_end: datetime, window: timedelta | None, answered_at: datetime) -> bool:
    """Whether an answer given at ``answered_at`` came after the deadline.

    Late answers are kept; the flag only tells organisers which ones arrived after the window.
    An answer exactly at the deadline is on time.
    """
    _require_aware(answered_at, "answered_at")
    deadline = answer_deadline(session_end, window)
    return deadline is not None and answered_at > deadline


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


# --- Echoing answers back into Discord -----------------------------------------------------------

# Leave links alone, as discord.utils.escape_markdown does by default: a backslash inside a URL would
# break the link, and Discord renders the whole URL as a link so markdown inside it has no effect.
_URL = r"(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]"
# Characters that are markdown anywhere in a line.
_INLINE_MARKDOWN = r"[\\*_~`|>#\-\[\]()]"
# A numbered list item ("1. " or "1) ") at the start of a line: escape its punctuation.
_NUMBERED_ITEM = r"(?<=^)[ \t]*[0-9]+[.)](?=[ \t])"
# Mentions, neutralised by a zero-width space after the '@' or '<'.
_EVERYONE = r"@(?=everyone|here)"
_MENTION = r"<(?=@|#)"

_DISCORD_TOKEN = re.compile(
    rf"(?P<url>{_URL})|(?P<numbered>{_NUMBERED_ITEM})|(?P<markdown>{_INLINE_MARKDOWN})"
    rf"|(?P<mention>{_EVERYONE}|{_MENTION})|(?P<other>[\s\S])",
    re.MULTILINE,
)
_MENTION_IN_URL = re.compile(_EVERYONE)


def _discord_units(text: str) -> list[str]:
    """``text`` escaped for Discord, as pieces that must not be split when shortening."""
    units: list[str] = []
    for match in _DISCORD_TOKEN.finditer(text):
        kind = match.lastgroup
        token = match.group()
        if kind == "url":
            units.extend(_MENTION_IN_URL.sub("@" + ZERO_WIDTH_SPACE, token))
        elif kind == "numbered":
            units.extend(token[:-1])
            units.append("\\" + token[-1])
        elif kind == "markdown":
            units.append("\\" + token)
        elif kind == "mention":
            units.append(token + ZERO_WIDTH_SPACE)
        else:
            units.append(token)
    return units


def quote_for_discord(text: str, limit: int) -> str:
    """``text`` made safe to show inside a Discord message, at most ``limit`` characters long.

    Markdown is escaped so the text shows literally; ``@everyone``, ``@here`` and ``<@…>``/``<#…>``
    mentions get a zero-width space so they cannot ping (the bot also sends with no allowed mentions:
    this is a second line of defence). When the escaped text is too long it is cut between escapes,
    never inside one, and ends with '…'.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    units = _discord_units(text)
    total = sum(len(unit) for unit in units)
    if total <= limit:
        return "".join(units)
    kept: list[str] = []
    used = 0
    budget = limit - len(ELLIPSIS)
    for unit in units:
        if used + len(unit) > budget:
            break
        kept.append(unit)
        used += len(unit)
    return "".join(kept).rstrip() + ELLIPSIS


def shorten(text: str, width: int) -> str:
    """The start of ``text`` on one line, at most ``width`` characters, ending with '…' if cut.

    For labels and autocomplete choices. Cuts at a word boundary when one is in the second half of the
    allowed width, otherwise mid-word (a single very long word still gets shown).
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    budget = width - len(ELLIPSIS)
    head = line[: budget + 1]  # one extra character tells whether the cut falls on a space
    boundary = head.rfind(" ")
    cut = head[:boundary] if boundary >= budget // 2 and boundary > 0 else head[:budget]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS
