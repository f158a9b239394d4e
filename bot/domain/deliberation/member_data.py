"""A member's votes and statements as /mydata shows, exports and erases them. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.answers import shorten
from bot.domain.deliberation.conversation import Moderation
from bot.domain.deliberation.matrix import Vote
from bot.domain.discord_text import timestamp
from bot.domain.member_data import DataSection

_VOTE_WORDS = {Vote.AGREE: "agree", Vote.DISAGREE: "disagree", Vote.PASS: "pass"}
STATEMENT_SHOWN = 200


@dataclass(frozen=True, slots=True)
class MemberVote:
    conversation: str  # "conversation 3"
    prompt: str
    statement: str
    vote: Vote
    voted_at: datetime


@dataclass(frozen=True, slots=True)
class MemberStatement:
    conversation: str
    text: str
    moderation: Moderation
    created_at: datetime


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def deliberation_section(votes: Sequence[MemberVote], statements: Sequence[MemberStatement]) -> DataSection | None:
    """The member's part of the deliberations, or None if they took no part."""
    if not votes and not statements:
        return None
    shown = [
        f"**Your statement in {s.conversation}** ({s.moderation.value}) · {timestamp(s.created_at, 'f')}\n"
        f"> {shorten(s.text, STATEMENT_SHOWN)}"
        for s in statements
    ]
    shown += [
        f"**You voted {_VOTE_WORDS[v.vote]}** in {v.conversation} · {timestamp(v.voted_at, 'f')}\n"
        f"> {shorten(v.statement, STATEMENT_SHOWN)}"
        for v in votes
    ]
    exported = {
        "statements": [
            {
                "conversation": s.conversation,
                "text": s.text,
                "moderation": s.moderation.value,
                "written_at": _iso(s.created_at),
            }
            for s in statements
        ],
        "votes": [
            {
                "conversation": v.conversation,
                "prompt": v.prompt,
                "statement": v.statement,
                "vote": _VOTE_WORDS[v.vote],
                "voted_at": _iso(v.voted_at),
            }
            for v in votes
        ],
    }
    items: list[str] = []
    if votes:
        items.append(_count(len(votes), "vote") + " in deliberations")
    if statements:
        items.append(_count(len(statements), "statement") + " you wrote for deliberations")
    return DataSection("deliberation", tuple(shown), exported, tuple(items))
