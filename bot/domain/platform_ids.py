"""One id space for every platform: each id is a Python int that fits a signed 64-bit column.

Discord's snowflakes are used as they are (always positive). Slack's ids are text, so they are encoded,
exactly and reversibly, into NEGATIVE ints, which can never collide with a snowflake:

- an id such as ``T0123ABCD`` (workspace ``T``/``E``, user ``U``/``W``/``B``, channel ``C``/``D``/``G``, user
  group ``S``, file ``F``: Slack documents them as opaque strings of capitals and digits) is read as a number in
  bijective base 36 (each of ``0-9A-Z`` is a digit from 1 to 36, so every string, leading zeros included, has
  its own number) and negated: at most 12 characters, so at most 36 x (36**12 - 1) / 35 < 4.9e18;
- a message timestamp ``ts`` (``"1712345678.123456"``: seconds, a dot and exactly six digits of
  microseconds) is the number of microseconds counted up from the int64 minimum: ``INT64_MIN + microseconds``,
  below every text id and in time order (a later ``ts`` is a larger int, as a later Discord message id is, so
  "replies after the thread's parent" and "the newest reminder sent" read the same on both platforms).

Anything else is refused with ``ValueError``: an id of other characters or longer than 12, or a ``ts`` not in
that form. A lookup table would also do, but would cost a query on every hot path; the encoding costs none.

``platform_of`` is for the composition root's routers only (bot/core.py): services and domain rules never ask
which platform an id belongs to (tests/test_architecture.py holds them to it).

Pure: no platform, no I/O.
"""

from __future__ import annotations

import re
from typing import Final, Literal

Platform = Literal["discord", "slack"]
DISCORD: Final[Platform] = "discord"
SLACK: Final[Platform] = "slack"
PLATFORMS: Final[tuple[Platform, ...]] = (DISCORD, SLACK)

INT64_MAX: Final = (1 << 63) - 1
INT64_MIN: Final = -(1 << 63)

ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_ID_LENGTH: Final = 12
_DIGIT = {character: value for value, character in enumerate(ALPHABET, start=1)}
_BASE: Final = len(ALPHABET)
#: The largest encoded text id: 12 characters of the highest digit.
MAX_ID_VALUE: Final = sum(_BASE * _BASE**power for power in range(MAX_ID_LENGTH))
MICROSECONDS: Final = 1_000_000
#: ``ts`` seconds have at most 10 digits (until the year 2286).
MAX_TS_SECONDS: Final = 10**10 - 1
#: Message timestamps count up from INT64_MIN and stay below this, under every text id, so the two never meet.
TS_CEILING: Final = INT64_MIN + (MAX_TS_SECONDS + 1) * MICROSECONDS
_TS = re.compile(r"(0|[1-9][0-9]{0,9})\.([0-9]{6})", re.ASCII)

assert TS_CEILING < -MAX_ID_VALUE


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def slack_id_to_int(slack_id: str) -> int:
    """``"U0123ABCD"`` -> a negative int; ``int_to_slack_id`` gives the text back."""
    if not isinstance(slack_id, str) or not 1 <= len(slack_id) <= MAX_ID_LENGTH:
        raise ValueError(
            f"a Slack id is 1 to {MAX_ID_LENGTH} capital letters and digits, such as T0123ABCD; "
            f"got {_describe(slack_id)}"
        )
    value = 0
    for character in slack_id:
        digit = _DIGIT.get(character)
        if digit is None:
            raise ValueError(
                f"a Slack id is made of capital letters A-Z and digits 0-9, such as T0123ABCD; "
                f"got {_describe(slack_id)}"
            )
        value = value * _BASE + digit
    return -value


def int_to_slack_id(number: int) -> str:
    """The Slack id ``slack_id_to_int`` encoded as ``number``; ValueError if it encodes no Slack id."""
    if not _is_int(number) or not -MAX_ID_VALUE <= number <= -1:
        raise ValueError(f"{_describe(number)} is not an encoded Slack id")
    value = -number
    characters: list[str] = []
    while value:
        value, digit = divmod(value - 1, _BASE)
        characters.append(ALPHABET[digit])
    return "".join(reversed(characters))


def slack_ts_to_int(ts: str) -> int:
    """``"1712345678.123456"`` -> a negative int (where Discord has a message id); exact and reversible."""
    match = _TS.fullmatch(ts) if isinstance(ts, str) else None
    if match is None:
        raise ValueError(
            f"a Slack message timestamp is seconds, a dot and six digits, such as 1712345678.123456; "
            f"got {_describe(ts)}"
        )
    seconds, micros = int(match.group(1)), int(match.group(2))
    return INT64_MIN + seconds * MICROSECONDS + micros


def int_to_slack_ts(number: int) -> str:
    """The ``ts`` text ``slack_ts_to_int`` encoded as ``number``; ValueError if it encodes no ``ts``."""
    if not is_slack_ts(number):
        raise ValueError(f"{_describe(number)} is not an encoded Slack message timestamp")
    seconds, micros = divmod(number - INT64_MIN, MICROSECONDS)
    return f"{seconds}.{micros:06d}"


def is_slack_ts(number: int) -> bool:
    """Whether ``number`` is an encoded message timestamp (rather than an encoded text id)."""
    return _is_int(number) and INT64_MIN <= number < TS_CEILING


def platform_of(number: int) -> Platform:
    """``"discord"`` for a snowflake (positive), ``"slack"`` for an encoded Slack id or ``ts`` (negative).

    For the composition root's routers only. Zero and ints beyond 64 bits belong to no platform.
    """
    if not _is_int(number) or not INT64_MIN <= number <= INT64_MAX or number == 0:
        raise ValueError(f"{_describe(number)} is not a platform id (a nonzero signed 64-bit integer)")
    return DISCORD if number > 0 else SLACK


def external_id(number: int) -> str:
    """The id as its platform writes it: the snowflake's digits, or the Slack id's text."""
    if platform_of(number) == DISCORD:
        return str(number)
    return int_to_slack_ts(number) if is_slack_ts(number) else int_to_slack_id(number)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
