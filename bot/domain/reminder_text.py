"""The reminder message: its wording, and how it fits Discord's limits however long the prompts (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.domain.answers import shorten
from bot.domain.discord_text import MESSAGE_LIMIT, timestamp
from bot.domain.programme import SessionRecord

MAX_BUTTONS = 25  # five rows of five
MAX_LINK = 300  # a longer meeting link is left out of the reminder rather than cut
MIN_PROMPT_WIDTH = 40  # below this, list fewer prompts rather than cut every one to nothing


@dataclass(frozen=True, slots=True)
class AnswerButtonSpec:
    prompt_id: int
    label: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to send, without Discord types. Nobody is pinged except the role and users named here."""

    content: str
    ping_role_id: int | None = None
    ping_user_ids: tuple[int, ...] = ()
    answer_buttons: tuple[AnswerButtonSpec, ...] = ()
    community_id: int | None = None  # whose message: a sender posts and pings only in that server's own places


def compose_reminder(
    session: SessionRecord,
    *,
    meeting_link: str | None,
    threads: Mapping[int, int],
    ping_role_id: int | None = None,
) -> OutgoingMessage:
    """The reminder for ``session``, within Discord's 2000 characters however long its prompts.

    ``threads`` maps prompt ids to their open discussion thread. When the prompts do not all fit, the
    longest are shortened to a common width; if even that leaves too little of each, the first ones are
    listed and the rest pointed to /session (every prompt still has its Answer button).
    """
    head = []
    if ping_role_id is not None:
        head.append(f"<@&{ping_role_id}>")
    head.append(f"⏰ **Reminder: Week {session.week} · {shorten(session.title, 100)}**")
    head.append(f"**When:** {timestamp(session.start, 'F')} ({timestamp(session.start, 'R')})")
    head.append(f"**Where:** {shorten(session.location, 100)}")
    if meeting_link and len(meeting_link) <= MAX_LINK:  # a cut link is a broken link
        head.append(f"**Join:** {meeting_link}")
    prompts = session.prompts
    footer: list[str] = []
    if prompts:
        head.append("**This week's prompts**" if len(prompts) > 1 else "**This week's prompt**")
        footer.append("Answer with the buttons below." if len(prompts) > 1 else "Answer with the button below.")
    room = MESSAGE_LIMIT - sum(len(line) + 1 for line in head + footer)
    lines = [
        (f"**{p.number}.** ", " ".join(p.text.split()), f" · discuss in <#{threads[p.id]}>" if p.id in threads else "")
        for p in prompts
    ]
    body: list[str] = []
    for shown in range(len(lines), 0, -1):
        rest = len(lines) - shown
        more = [f"…and {rest} more: see `/session {session.week}`"] if rest else []
        fixed = sum(len(line) + 1 for line in more) + sum(len(a) + len(c) + 1 for a, _, c in lines[:shown])
        texts = [b for _, b, _ in lines[:shown]]
        width = _common_width(texts, room - fixed)
        if width is not None and (width >= min(MIN_PROMPT_WIDTH, max(map(len, texts))) or shown == 1):
            body = [f"{a}{shorten(b, width) if len(b) > width else b}{c}" for a, b, c in lines[:shown]] + more
            break
    content = "\n".join(head + body + footer)
    buttons = tuple(
        AnswerButtonSpec(p.id, f"Answer {p.number}" if len(prompts) > 1 else "Answer") for p in prompts[:MAX_BUTTONS]
    )
    return OutgoingMessage(content=content[:MESSAGE_LIMIT], ping_role_id=ping_role_id, answer_buttons=buttons)


def _common_width(texts: Sequence[str], room: int) -> int | None:
    """The widest cap on the texts' lengths that makes them total at most ``room`` (None: not even 1)."""
    if not texts:
        return 0
    longest = max(map(len, texts))
    if sum(map(len, texts)) <= room:
        return longest
    low, high = 0, longest
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(len(text), middle) for text in texts) <= room:
            low = middle
        else:
            high = middle - 1
    return low if low >= 1 else None


# --- a member's DM reminder setting (/reminders) ---------------------------------------------------------


class DmReminderSetting(Protocol):
    """What the /reminders reply needs (the reminder service's DmReminderStatus)."""

    @property
    def on(self) -> bool: ...
    @property
    def changed(self) -> bool: ...
    @property
    def offsets(self) -> tuple[timedelta, ...]: ...
    @property
    def channel_id(self) -> int | None: ...
    @property
    def dms_found_closed(self) -> bool: ...
    @property
    def last_outcome_unknown(self) -> bool: ...


def describe_offsets(offsets: tuple[timedelta, ...]) -> str:
    """``24 hours and 1 hour``: how long before a session the reminders come, for people."""
    parts = [_describe_offset(offset) for offset in offsets]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _describe_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    if rest == 0 and days >= 2:
        return f"{days} days"
    hours, minutes = divmod(minutes, 60)
    words = []
    if hours:
        words.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        words.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(words)


def status_text(status: DmReminderSetting, *, dms_closed: str) -> str:
    """The private reply to /reminders: the member's setting now, and what it means. ``dms_closed``: why the last
    reminder DM could not be delivered and what fixes it, in the platform's words (shown while that is so)."""
    where = f" Reminders are also posted in <#{status.channel_id}>." if status.channel_id else ""
    if not status.on:
        lead = "DM reminders are now **off**." if status.changed else "DM reminders are **off** for you."
        return f"{lead}{where} Turn them on with `/reminders setting:on`."
    lead = "DM reminders are now **on**." if status.changed else "DM reminders are **on** for you."
    text = (
        f"{lead} I'll send you a direct message {describe_offsets(status.offsets)} before each session. "
        "Turn them off any time with `/reminders setting:off`."
    )
    if status.dms_found_closed:
        text += f"\n⚠️ {dms_closed}"
    elif status.last_outcome_unknown:
        text += (
            "\n⚠️ Your last reminder may not have reached you: I was stopped while sending it and could not check "
            "afterwards, so I did not send it again rather than risk sending it twice."
        )
    return text
