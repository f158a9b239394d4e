"""Discussion threads: what the bot counts about them, and how it reads their messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.answers import clean_answer_text
from bot.domain.errors import AnswerRejectedError
from bot.domain.platform_ids import int_to_slack_ts, is_slack_ts

DISCORD_EPOCH_MS = 1_420_070_400_000  # the first millisecond of 2015, UTC: where snowflake time starts


@dataclass(frozen=True, slots=True)
class ThreadCounts:
    """Replies recorded as answers in a thread, and how many members wrote them."""

    contributions: int = 0
    contributors: int = 0


def posted_at(message_id: int) -> datetime:
    """When a message was posted, from its id: a Discord snowflake's top 42 bits are milliseconds; a Slack
    message's id is its ``ts``, seconds and microseconds."""
    if is_slack_ts(message_id):
        return datetime.fromtimestamp(float(int_to_slack_ts(message_id)), UTC)
    return datetime.fromtimestamp(((message_id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def reply_answer_text(raw_text: str) -> str | None:
    """A reply's text as an answer stores it, or None when nothing is left (an image alone, say)."""
    try:
        return clean_answer_text(raw_text)
    except AnswerRejectedError:
        return None
