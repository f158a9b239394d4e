"""The answer form's opt-in to offer the answer as a statement in the week's open conversation (issue 22).

Off by default, and only there while the week has an open conversation. Kept here so the answer form
(cogs/_answer_modal.py) needs only a few lines: what to add to the form, and what to do with a ticked box.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.domain.answering import PromptContext, SavedAnswer
from bot.domain.deliberation.conversation import MAX_STATEMENT_LENGTH, StatementRejectedError
from cogs._base import workshop_bot
from cogs._modal_payload import submitted_checkbox

log = logging.getLogger(__name__)

OFFER_INPUT_ID = "answer:offer-statement"


async def offer_possible(interaction: discord.Interaction[Any], context: PromptContext) -> bool:
    conversation = await workshop_bot(interaction).services.deliberation.open_for_week(
        context.community_id, context.prompt.week
    )
    return conversation is not None


def offer_checkbox() -> discord.ui.Label[Any]:
    return discord.ui.Label(
        text="Also offer my answer as a statement",
        description=(
            f"For this week's conversation: others vote on it, without your name (up to {MAX_STATEMENT_LENGTH} "
            "characters)."
        ),
        component=discord.ui.Checkbox(custom_id=OFFER_INPUT_ID, default=False),
    )


def offer_ticked(data: Any) -> bool:
    """Whether the submitted form's opt-in box is ticked (the payload's shape is not trusted)."""
    return submitted_checkbox(data, OFFER_INPUT_ID)


async def offer_answer(interaction: discord.Interaction[Any], saved: SavedAnswer, text: str) -> str:
    """Offer the saved answer as a statement; a line for the confirmation either way."""
    service = workshop_bot(interaction).services.deliberation
    try:
        statement = await service.offer_answer(
            saved.context.community_id, saved.context.prompt.week, interaction.user.id, text
        )
    except StatementRejectedError:
        return (
            f"Your answer is longer than a statement may be ({MAX_STATEMENT_LENGTH} characters), so it was not "
            "offered for voting: use Write a statement under the conversation's Vote button for a short version."
        )
    if statement is None:
        return "This week's conversation has closed, so your answer was not offered as a statement."
    if statement.moderation.value == "accepted":
        return "Your answer is also a statement in this week's conversation now, shown without your name."
    return "Your answer is also offered as a statement; it is shown for voting once an organiser accepts it."
