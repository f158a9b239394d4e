"""The domain's message text rendered for Slack: mrkdwn, dates, escaping and Block Kit. Pure (no I/O).

The domain composes text once, in Discord's markdown, with ``<t:UNIX:S>`` timestamps and ``/command`` references.
Here it becomes Slack mrkdwn (docs.slack.dev, "Formatting text for app surfaces"):
- ``&``, ``<`` and ``>`` are escaped in everything ("Escaping text"), so no text the bot echoes can become a
  mention (``<!channel>``, ``<!here>``, ``<!everyone>``, ``<@U…>``, ``<!subteam^S…>``) or a link;
- channels the domain names (``<#id>``) become Slack channel links;
- timestamps become ``<!date^UNIX^{date_short_pretty} {time}|fallback>`` ("Date formatting"): each reader
  sees their own time zone, and the fallback is UTC;
- ``**bold**`` becomes ``*bold*``, and ``/answer`` becomes ``/workshop answer`` (one slash command).
Members' own words never go through ``from_domain``: ``quote`` escapes them and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain.answers import ELLIPSIS
from bot.domain.platform_ids import int_to_slack_id

SLASH_COMMAND = "/workshop"
# Block Kit limits (docs.slack.dev, "Blocks" reference pages)
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
CONTEXT_TEXT_LIMIT = 2000  # safe under the 3000 of a text object
MESSAGE_BLOCKS_LIMIT = 50
VIEW_BLOCKS_LIMIT = 100
BUTTON_TEXT_LIMIT = 75
MODAL_TITLE_LIMIT = 24
TEXT_FALLBACK_LIMIT = 3000  # the notification text beside blocks: kept short

# The commands the domain's texts name, Discord-style; on Slack each is a subcommand of /workshop.
COMMANDS = (
    "programme",
    "session",
    "next",
    "calendar",
    "answer",
    "reminders",
    "mydata",
    "threads",
    "setup",
    "import",
    "export",
    "report",
    "stats",
    "help",
)
_COMMAND = re.compile(r"(?<![\w/.:-])/(" + "|".join(COMMANDS) + r")\b")
_SETTING = re.compile(r"\bsetting:(on|off)\b")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,12})(?::([tTdDfFR]))?>")
_CHANNEL = re.compile(r"<#(-\d{1,19})>")
_TOKENS = re.compile(f"{_TIMESTAMP.pattern}|{_CHANNEL.pattern}")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_SUBTEXT = re.compile(r"^-# ", re.MULTILINE)

# Discord's timestamp styles as Slack date tokens (docs.slack.dev, "Formatting text": "Date formatting").
_DATE_TOKENS = {
    "t": ("{time}", "%H:%M"),
    "T": ("{time_secs}", "%H:%M:%S"),
    "d": ("{date_num}", "%Y-%m-%d"),
    "D": ("{date_long}", "%d %B %Y"),
    "f": ("{date_short_pretty} {time}", "%d %b %Y %H:%M"),
    "F": ("{date_short_pretty} {time}", "%A %d %B %Y %H:%M"),
    "R": ("{ago}", "%d %b %Y %H:%M"),
}


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as Slack's entities: the text shows as typed and cannot mention or link anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_date(moment: datetime | int, style: str = "f") -> str:
    """A date every reader sees in their own time zone, with a UTC fallback for clients that cannot."""
    unix = moment if isinstance(moment, int) else int(moment.timestamp())
    token, fallback_format = _DATE_TOKENS.get(style, _DATE_TOKENS["f"])
    fallback = datetime.fromtimestamp(unix, UTC).strftime(fallback_format) + " UTC"
    return f"<!date^{unix}^{token}|{fallback}>"


def command_text(text: str) -> str:
    """Discord command references as Slack's: ``/mydata show`` -> ``/workshop mydata show``,
    ``/reminders setting:off`` -> ``/workshop reminders off``."""
    text = _COMMAND.sub(lambda m: f"{SLASH_COMMAND} {m[1]}", text)
    return _SETTING.sub(lambda m: m[1], text)


def from_domain(text: str) -> str:
    """The domain's (Discord-flavoured) text as Slack mrkdwn: escaped, timestamps as Slack dates, bold as
    Slack's, commands as /workshop's. For the bot's own wording and organisers' programme text; never for
    a member's answer (see ``quote``)."""
    text = _BOLD.sub(lambda m: f"*{m[1]}*", text)  # before the tokens: a bold span may hold a date or a channel
    pieces: list[str] = []
    position = 0
    for match in _TOKENS.finditer(text):
        pieces.append(_mrkdwn(text[position : match.start()]))
        pieces.append(slack_date(int(match[1]), match[2] or "f") if match[1] else _channel_link(int(match[3])))
        position = match.end()
    pieces.append(_mrkdwn(text[position:]))
    return "".join(pieces)


_SERVER = re.compile(r"\b(this|that|the|a|your|their) server('s)?\b")


def bot_words(text: str) -> str:
    """The bot's own wording (never a member's or organiser's text) for Slack: a community is a workspace."""
    return _SERVER.sub(lambda m: f"{m[1]} workspace{m[2] or ''}", text)


def _channel_link(channel_id: int) -> str:
    """A channel the domain names (``<#id>``, a neutral Slack id) as Slack's channel link."""
    try:
        return f"<#{int_to_slack_id(channel_id)}>"
    except ValueError:
        return "the channel"


def _mrkdwn(text: str) -> str:
    return _SUBTEXT.sub("", escape(command_text(text)))


def quote(text: str, limit: int, *, max_lines: int = 12) -> str:
    """A member's words as a Slack block quote: escaped (nothing pings, nothing links), at most ``limit``
    characters of text and ``max_lines`` lines."""
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    lines = text.split("\n")
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + ELLIPSIS
    return "\n".join(f"&gt; {escape(line)}" for line in lines)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line breaks where it can."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current)
    return pieces


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def plain(text: str, limit: int = HEADER_TEXT_LIMIT) -> PlainTextObject:
    return PlainTextObject(text=shorten(text, limit), emoji=True)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=plain(text, HEADER_TEXT_LIMIT))


def sections(text: str) -> list[Block]:
    """Already-rendered mrkdwn as section blocks of at most 3000 characters each."""
    return [SectionBlock(text=mrkdwn(piece)) for piece in split_text(text) if piece.strip()]


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(shorten(text, CONTEXT_TEXT_LIMIT))])


def divider() -> DividerBlock:
    return DividerBlock()


def button(text: str, action_id: str, *, value: str | None = None, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=plain(text, BUTTON_TEXT_LIMIT), action_id=action_id, value=value or action_id, style=style
    )


def actions(buttons: Sequence[ButtonElement], *, block_id: str | None = None) -> list[Block]:
    """Buttons in action blocks of at most 25 elements each (Slack's limit per actions block)."""
    return [
        ActionsBlock(
            elements=list(buttons[start : start + 25]), block_id=None if block_id is None else f"{block_id}{start}"
        )
        for start in range(0, len(buttons), 25)
    ]


def fit_blocks(blocks: Iterable[Block], limit: int = MESSAGE_BLOCKS_LIMIT, *, more: str | None = None) -> list[Block]:
    """At most ``limit`` blocks; the last says there is more when some were left out."""
    listed = list(blocks)
    if len(listed) <= limit:
        return listed
    kept = listed[: limit - 1]
    kept.append(context(more or "…and more: this is as much as Slack shows at once."))
    return kept


def fallback_text(text: str) -> str:
    """The plain ``text`` sent beside blocks (notifications, screen readers), already mrkdwn-safe."""
    return shorten(text, TEXT_FALLBACK_LIMIT)
