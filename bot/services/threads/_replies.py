"""Recording a member's reply in a prompt thread as an answer: shared by live replies and the catch-up."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.answers import is_late
from bot.storage.threads import ContributionRepository, ReplyTarget

log = logging.getLogger(__package__)  # the feature's one logger, named as before it was a package


def is_late_reply(target: ReplyTarget, at: datetime) -> bool:
    return is_late(target.session_end, target.answer_window, at)


async def add_reply(
    contributions: ContributionRepository,
    target: ReplyTarget,
    *,
    message_id: int,
    author_id: int,
    text: str,
    at: datetime,
    posted: datetime | None = None,
) -> bool:
    """Record a reply as an answer written ``at``; ``posted``: when the message was posted, if earlier."""
    added = await contributions.add(
        community_id=target.community_id,
        prompt_id=target.prompt_id,
        user_id=author_id,
        message_id=message_id,
        text=text,
        at=at,
        late=is_late_reply(target, at),
        posted_at=posted,
    )
    if added:
        log.info("thread reply %s recorded for prompt %s", message_id, target.prompt_id)
    return added
