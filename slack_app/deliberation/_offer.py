"""The answer form's opt-in to offer the answer as a statement in the week's open conversation (issue 22), as
on Discord: off by default, and in the form only while the week has an open conversation. Kept here so the
answer form (slack_app/answers.py) needs only a few lines."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import CheckboxesElement, InputBlock, Option

from bot.domain.answering import PromptContext, SavedAnswer
from bot.domain.deliberation.conversation import MAX_STATEMENT_LENGTH, StatementRejectedError
from bot.services.deliberation import DeliberationService
from slack_app._render import plain

OFFER_BLOCK, OFFER_INPUT, OFFER_VALUE = "offer", "offer", "offer"


async def offer_possible(service: DeliberationService, context: PromptContext) -> bool:
    return await service.open_for_week(context.community_id, context.prompt.week) is not None


def offer_block() -> InputBlock:
    """An optional, unticked checkbox: an explicit choice."""
    return InputBlock(
        block_id=OFFER_BLOCK,
        label=plain("This week's conversation"),
        optional=True,
        element=CheckboxesElement(
            action_id=OFFER_INPUT,
            options=[
                Option(
                    value=OFFER_VALUE,
                    label="Also offer my answer as a statement",
                    description=(f"Others vote on it, without your name (up to {MAX_STATEMENT_LENGTH} characters)."),
                )
            ],
        ),
    )


def offer_ticked(view: dict[str, Any]) -> bool:
    """Whether the submitted form's box is ticked (the payload's shape is not trusted)."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(OFFER_BLOCK) or {}).get(OFFER_INPUT) or {}).get("selected_options") or []
    return any(isinstance(option, dict) and option.get("value") == OFFER_VALUE for option in chosen)


async def offer_answer(service: DeliberationService, saved: SavedAnswer, user_id: int, text: str) -> str:
    """Offer the saved answer as a statement; a line (plain text) for the confirmation either way."""
    try:
        statement = await service.offer_answer(saved.context.community_id, saved.context.prompt.week, user_id, text)
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
