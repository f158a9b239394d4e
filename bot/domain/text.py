"""Characters in what members and organisers send: which are removed, which refused, the same on every engine.

PostgreSQL's text cannot hold a NUL (SQLite's can), so a NUL that reached storage would fail on one engine only:
it never gets that far. Each field decides here, in the domain, before any engine sees the text:

- What a member writes (an answer in the form, a reply in a question thread): control characters (NUL among
  them), bidirectional controls and invisible characters are *removed*. A member cannot fix a character they
  cannot see, and what is stored is then what they saw (``bot.domain.answers.clean_answer_text``).
- An imported programme (its title and introduction; each session's title, location, description and prompts): a
  NUL or other control character is *refused*, naming its line: a file that holds one is damaged or not text, and
  the organiser can fix it. Bidirectional controls and invisible characters are *removed*, as in answers: a title
  with U+202E would otherwise reorder every heading shown after it.
- A meeting link (in a programme, or set with /setup): *refused* when it holds a control, invisible or space
  character (``bot.domain.settings_rules.is_web_address``); a link is copied, not typed, and must work as given.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters (but tab and newline) and DEL: invisible, some terminals, CSV readers and
# spreadsheets act on them, and PostgreSQL refuses NUL.
CONTROL_CODE_POINTS = frozenset({*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)} - {ord("\n"), ord("\t")})
# Bidirectional controls (LRM, RLM, ALM, embeddings, overrides U+202A..U+202E, isolates U+2066..U+2069): they
# can reorder what a reader sees so that text says something other than what is stored ("Trojan Source").
# Right-to-left scripts render correctly without them.
BIDI_CODE_POINTS = frozenset({0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
# U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+2061..U+2064 invisible maths operators, U+FEFF BYTE ORDER MARK:
# invisible, no use in prose, and they let a word be split or text be hidden from searches and moderation.
# Deliberately kept: U+200C/U+200D (zero width non-joiner and joiner: Persian, Arabic, Indic scripts and emoji
# sequences need them) and the tag characters U+E0020..U+E007F (the flags of Scotland, Wales and England).
HIDING_CODE_POINTS = frozenset({0x200B, *range(0x2060, 0x2065), 0xFEFF})

# Lone surrogates (U+D800..U+DFFF) are not characters: JSON's "\ud800" escape makes one in a Python string, and
# neither engine can store it as UTF-8. Removed or refused with the control characters.
SURROGATE_CODE_POINTS = frozenset(range(0xD800, 0xE000))

# U+0085 NEXT LINE, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR are line breaks in some renderers and
# not in others: they become plain newlines so that everyone sees the same lines.
LINE_BREAKS = re.compile("\r\n|[\r\u0085\u2028\u2029]")

_INVISIBLE_TABLE: dict[int, None] = dict.fromkeys(BIDI_CODE_POINTS | HIDING_CODE_POINTS)
_UNSTORABLE = CONTROL_CODE_POINTS | SURROGATE_CODE_POINTS
_UNSEEN_TABLE: dict[int, None] = dict.fromkeys(_UNSTORABLE | BIDI_CODE_POINTS | HIDING_CODE_POINTS)


def plain_line_breaks(text: str) -> str:
    return LINE_BREAKS.sub("\n", text)


def remove_unseen(text: str) -> str:
    """``text`` with plain line breaks and without control, bidirectional or invisible characters (nor lone
    surrogates)."""
    return plain_line_breaks(text).translate(_UNSEEN_TABLE)


def remove_invisible(text: str) -> str:
    """``text`` without bidirectional controls or invisible characters (control characters are left to refuse)."""
    return text.translate(_INVISIBLE_TABLE)


def first_control(text: str) -> str | None:
    """The first control character (tab and newline are not) or lone surrogate in ``text``, or None."""
    return next((ch for ch in text if ord(ch) in _UNSTORABLE), None)


def describe_character(ch: str) -> str:
    """``U+0000 (NUL)``: how an error names a character that cannot be shown."""
    if ord(ch) in SURROGATE_CODE_POINTS:
        return f"U+{ord(ch):04X} (a lone surrogate, not a character)"
    name = "NUL" if ch == "\0" else unicodedata.name(ch, "a control character")
    return f"U+{ord(ch):04X} ({name})"
