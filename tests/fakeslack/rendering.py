"""What a member reads, and whom a message pings (docs.slack.dev/messaging/formatting-message-text).

- "Escaping text": ``&``, ``<`` and ``>`` are written ``&amp;``, ``&lt;``, ``&gt;``; a reader sees the characters.
- "Mentioning users" ``<@U…>``, "Mentioning groups" ``<!subteam^S…>``, "Special mentions" ``<!here>``,
  ``<!channel>``, ``<!everyone>``: these notify; escaped text (``&lt;!channel&gt;``) does not. Mentions count in
  a message's ``text`` and in ``mrkdwn`` text objects of its blocks, never in ``plain_text`` ones.
- "Linking to channels" ``<#C…>``/``<#C…|name>``, "Linking to URLs" ``<https://…|label>``.
- "Date formatting" ``<!date^timestamp^token string^optional_link|fallback text>``, shown in the reader's own
  time zone with the tokens ``{date_num}`` (2014-02-18), ``{date}`` (February 18th, 2014), ``{date_short}``
  (Feb 18, 2014), ``{date_long}`` (Tuesday, February 18th, 2014), the ``_pretty`` forms (today / yesterday /
  tomorrow where they apply), ``{time}`` (6:39 AM) and ``{time_secs}`` (6:39:42 AM); anything else shows the
  fallback, as the page says a client does when it cannot format the date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .world import Message, User, World

_TOKEN = re.compile(r"<([^<>]*)>")
_DATE_TOKEN = re.compile(r"\{([a-z_]+)\}")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _format_date(moment: datetime, tokens: str, now: datetime) -> str | None:
    def pretty(fallback: str) -> str:
        delta = (moment.date() - now.date()).days
        return {0: "today", -1: "yesterday", 1: "tomorrow"}.get(delta, fallback)

    def time_text(seconds: bool) -> str:
        hour = moment.hour % 12 or 12
        text = f"{hour}:{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
        return f"{text} {'AM' if moment.hour < 12 else 'PM'}"

    date = f"{moment.strftime('%B')} {_ordinal(moment.day)}, {moment.year}"
    short = f"{moment.strftime('%b')} {moment.day}, {moment.year}"
    long = f"{moment.strftime('%A')}, {date}"
    values = {
        "date_num": moment.strftime("%Y-%m-%d"),
        "date": date,
        "date_short": short,
        "date_long": long,
        "date_pretty": pretty(date),
        "date_short_pretty": pretty(short),
        "date_long_pretty": pretty(long),
        "time": time_text(False),
        "time_secs": time_text(True),
    }
    unknown = [t for t in _DATE_TOKEN.findall(tokens) if t not in values]
    if unknown:
        return None
    return _DATE_TOKEN.sub(lambda m: values[m.group(1)], tokens)


def render(text: str, world: World, viewer: User, *, now: datetime | None = None) -> str:
    """``text`` (mrkdwn) as ``viewer`` reads it: mentions as names, dates in their zone, escapes undone."""
    zone = ZoneInfo(viewer.tz)
    current = (now or datetime.now(UTC)).astimezone(zone)

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        body, _, label = inner.partition("|")
        if body.startswith("@"):
            user = world.users.get(body[1:])
            return "@" + (user.display_name or user.name if user else body[1:])
        if body.startswith("#"):
            channel = world.channels.get(body[1:])
            return "#" + (label or (channel.name if channel else body[1:]))
        if body.startswith("!subteam^"):
            group = world.usergroups.get(body.removeprefix("!subteam^"))
            return "@" + (label.removeprefix("@") if label else group.handle if group else "group")
        if body.startswith("!date^"):
            parts = body.split("^")
            try:
                moment = datetime.fromtimestamp(int(parts[1]), UTC).astimezone(zone)
            except (IndexError, ValueError, OverflowError):
                return label
            shown = _format_date(moment, parts[2] if len(parts) > 2 else "", current)
            return label if shown is None else shown
        if body in ("!here", "!channel", "!everyone"):
            return "@" + body[1:]
        return label or body

    shown = _TOKEN.sub(replace, text)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentions(text: str) -> list[str]:
    """The notifying tokens in mrkdwn ``text``: ``@U…`` users, ``!subteam^S…`` groups, ``!here``,
    ``!channel``, ``!everyone``, in order."""
    found = []
    for match in _TOKEN.finditer(text):
        body = match.group(1).partition("|")[0]
        if body.startswith("@") or body.startswith("!subteam^") or body in ("!here", "!channel", "!everyone"):
            found.append(body)
    return found


def _mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn text object's text inside blocks (plain_text never notifies)."""
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            out.append(node["text"])
        for value in node.values():
            if isinstance(value, dict | list):
                out.extend(_mrkdwn_texts(value))
    elif isinstance(node, list):
        for child in node:
            out.extend(_mrkdwn_texts(child))
    return out


def message_mentions(message: Message) -> list[str]:
    """Whom a message would ping: mentions in its text and in its blocks' mrkdwn."""
    found = mentions(message.text)
    for text in _mrkdwn_texts(message.blocks or []):
        found.extend(mentions(text))
    return found


def readable(message: Message, world: World, viewer: User, *, now: datetime | None = None) -> str:
    """Everything ``viewer`` reads in a message: its text, then each block's texts (mrkdwn rendered)."""
    parts = [render(message.text, world, viewer, now=now)] if message.text else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                text = node["text"]
                parts.append(render(text, world, viewer, now=now) if kind == "mrkdwn" else text)
                return
            for key, value in node.items():
                if key not in ("action_id", "block_id", "value", "url"):
                    walk(value)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(message.blocks or [])
    return "\n".join(parts)


__all__ = ["mentions", "message_mentions", "readable", "render"]
