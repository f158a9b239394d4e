"""The reminder message: its wording, and how it fits Discord's limits however long the prompts (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
