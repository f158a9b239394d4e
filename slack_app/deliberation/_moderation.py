"""``/workshop deliberate moderate N``: organisers accept or reject the statements waiting, one at a time, in an
ephemeral message whose Accept / Reject buttons carry the statement (``deliberate:moderate:<id>:a|r``)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block

from bot.domain.errors import UserFacingError
from bot.services.deliberation import DeliberationService
from slack_app._commands import ROLE_NAMES, WHO_MAY, report_error
from slack_app._context import SlackContext, team_of, user_of
from slack_app._render import actions, button, fallback_text, quote, sections
from slack_app._roles import Role
from slack_app.deliberation._common import MODERATE_ACTION, moderate_action

QUOTE_LIMIT = 1500


async def moderation_step(
    service: DeliberationService, conversation_id: int, *, note: str | None = None
) -> tuple[str, list[Block]]:
    """The first statement waiting, with Accept and Reject; or that none is waiting. (mrkdwn, blocks)"""
    pending = await service.pending(conversation_id)
    lines = [note] if note else []
    if not pending:
        lines.append("No statements are waiting for moderation.")
        text = "\n".join(lines)
        return text, sections(text)
    first = pending[0]
    lines.append(f"{len(pending)} waiting. Accept this statement for voting?\n{quote(first.text, QUOTE_LIMIT)}")
    text = "\n".join(lines)
    buttons = [
        button("Accept", moderate_action(first.id, True), style="primary"),
        button("Reject", moderate_action(first.id, False), style="danger"),
    ]
    return text, [*sections(text), *actions(buttons)]


async def moderate_pressed(front: SlackContext, body: dict[str, Any], respond: AsyncRespond) -> None:
    community_id = front.community_of(team_of(body))
    if await front.roles.role_of(community_id, user_of(body)) < Role.ORGANISER:
        raise UserFacingError(f"Only {ROLE_NAMES[Role.ORGANISER]} can moderate statements: {WHO_MAY[Role.ORGANISER]}.")
    match = MODERATE_ACTION.match(str(((body.get("actions") or [{}])[0]).get("action_id", "")))
    if match is None:
        raise UserFacingError("This button is damaged: run `/workshop deliberate moderate N` again.")
    accept = match["verdict"] == "a"
    service = front.services.deliberation
    statement = await service.moderate(community_id, int(match["statement"]), accept=accept)
    done = f"{'Accepted' if accept else 'Rejected'}:\n{quote(statement.text, QUOTE_LIMIT)}"
    text, blocks = await moderation_step(service, statement.conversation_id, note=done)
    await respond(text=fallback_text(text), blocks=blocks, replace_original=True)


def register(app: AsyncApp, front: SlackContext) -> None:
    @app.action(MODERATE_ACTION)
    async def moderate(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            await moderate_pressed(front, body, respond)
        except Exception as error:
            await report_error(respond, error, what="a moderation button")
