"""Conversations, statements and their rules. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.answers import clean_answer_text
from bot.domain.errors import AnswerRejectedError, UserFacingError

# Short enough to read and vote on at a glance (Pol.is keeps comments to a tweet's length).
MAX_STATEMENT_LENGTH = 280
MAX_PROMPT_LENGTH = 1000


class StatementRejectedError(UserFacingError):
    """A statement that cannot be added as written."""


class ConversationState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class StatementOrigin(StrEnum):
    SEED = "seed"  # written by the facilitator who opened the conversation
    MEMBER = "member"  # written in the statement form
    ANSWER = "answer"  # a member's answer to the prompt, offered by them as a statement
    POLIS = "polis"  # imported from a Pol.is export


class Moderation(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def polis_code(self) -> int:
        return {Moderation.ACCEPTED: 1, Moderation.PENDING: 0, Moderation.REJECTED: -1}[self]

    @classmethod
    def from_polis(cls, code: int) -> Moderation:
        return {1: cls.ACCEPTED, 0: cls.PENDING, -1: cls.REJECTED}[code]


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    community_id: int
    number: int  # "conversation N" in its community
    week: int | None
    prompt: str
    state: ConversationState
    auto_accept: bool
    channel_id: int | None
    post_id: int | None
    created_at: datetime

    @property
    def name(self) -> str:
        return f"conversation {self.number}"

    @property
    def is_open(self) -> bool:
        return self.state is ConversationState.OPEN


@dataclass(frozen=True, slots=True)
class Statement:
    id: int
    conversation_id: int
    text: str
    origin: StatementOrigin
    moderation: Moderation
    created_at: datetime


def clean_statement(raw: str) -> str:
    """The statement as stored, or ``StatementRejectedError`` if it is blank or too long."""
    try:
        text = " ".join(clean_answer_text(raw).split())
    except AnswerRejectedError:
        raise StatementRejectedError("The statement is empty: please write something first.") from None
    if len(text) > MAX_STATEMENT_LENGTH:
        raise StatementRejectedError(
            f"The statement is {len(text):,} characters long, and the limit is {MAX_STATEMENT_LENGTH}: "
            "statements are short, so that everyone can vote on them at a glance."
        )
    return text


def clean_prompt(raw: str) -> str:
    try:
        text = " ".join(clean_answer_text(raw[: MAX_PROMPT_LENGTH * 4]).split())
    except AnswerRejectedError:
        raise UserFacingError("The conversation needs a prompt: the question members respond to.") from None
    if len(text) > MAX_PROMPT_LENGTH:
        raise UserFacingError(f"The prompt is too long ({len(text):,} characters; the limit is {MAX_PROMPT_LENGTH}).")
    return text


def seed_statements(text: str) -> list[str]:
    """Seed statements from a form or a file: one a line, blank lines ignored; each cleaned."""
    return [clean_statement(line) for line in text.splitlines() if line.strip()]
