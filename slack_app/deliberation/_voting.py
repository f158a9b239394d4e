"""The private voting flow, in a modal: one statement at a time with Agree / Disagree / Pass; each vote moves
the modal on (``views.update``) to the next statement the service chooses (new statements first, none seen
twice). "Change that vote" shows the statement just voted on again; "Write a statement" pushes a form.

Every button carries what it acts on in its action_id and the statement form its conversation in
``private_metadata``, so nothing is kept in memory and a modal opened before a restart keeps working.
The first vote's modal shows the consent notice (the domain's text): pressing a vote under it is the consent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.blocks import Block, ButtonElement, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.deliberation import Vote
from bot.domain.deliberation.conversation import MAX_STATEMENT_LENGTH, Conversation, Statement, clean_statement
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import slack_id_to_int
from bot.services.deliberation import CONSENT_NOTICE
from slack_app._context import SlackContext, team_of, update_view, user_of
from slack_app._render import (
    MODAL_TITLE_LIMIT,
    VIEW_BLOCKS_LIMIT,
    actions,
    bot_words,
    button,
    context,
    escape,
    fit_blocks,
    from_domain,
    plain,
    quote,
    sections,
    shorten,
)
from slack_app._submission import ack_with_outcome
from slack_app.deliberation._common import (
    CAST_ACTION,
    CHANGE_ACTION,
    STATEMENT_CALLBACK,
    VOTE_ACTION,
    VOTE_CODES,
    VOTE_LABELS,
    VOTE_STYLES,
    VOTING_CALLBACK,
    WRITE_ACTION,
    cast_action,
    change_action,
    notice,
    write_action,
)

log = logging.getLogger(__name__)

TITLE = "Vote"
STATEMENT_BLOCK = "statement"
STATEMENT_INPUT = "text"
QUOTE_LIMIT = 2000


def _heading(conversation: Conversation) -> str:
    return f"*{escape(conversation.name.capitalize())}:* {escape(shorten(conversation.prompt, 2500))}"


def _vote_buttons(conversation_id: int, statement_id: int, consent: bool) -> list[ButtonElement]:
    return [
        button(VOTE_LABELS[vote], cast_action(conversation_id, statement_id, vote, consent), style=VOTE_STYLES[vote])
        for vote in (Vote.AGREE, Vote.DISAGREE, Vote.PASS)
    ]


def voting_view(
    conversation: Conversation,
    statement: Statement | None,
    *,
    consent: bool,
    note: str | None = None,
    just_voted: int | None = None,
) -> View:
    """The member's next statement (or that they have seen them all), with the buttons that act on it."""
    blocks: list[Block] = []
    if note:
        blocks.append(context(note))
    if consent:
        blocks += sections(f"_{from_domain(bot_words(CONSENT_NOTICE))}_")
    blocks += sections(_heading(conversation))
    buttons: list[ButtonElement] = []
    if statement is None:
        blocks += sections("You have voted on every statement so far. New ones may come: press Vote again later.")
    else:
        blocks += sections(quote(statement.text, QUOTE_LIMIT))
        buttons += _vote_buttons(conversation.id, statement.id, consent)
    buttons.append(button("Write a statement", write_action(conversation.id)))
    if just_voted is not None:
        buttons.append(button("Change that vote", change_action(conversation.id, just_voted)))
    blocks += actions(buttons)
    return View(
        type="modal",
        callback_id=VOTING_CALLBACK,
        private_metadata=str(conversation.id),
        title=plain(TITLE, MODAL_TITLE_LIMIT),
        close=plain("Done"),
        blocks=fit_blocks(blocks, VIEW_BLOCKS_LIMIT),
    )


def change_view(conversation: Conversation, statement: Statement) -> View:
    blocks = [
        *sections(f"{_heading(conversation)}\nVote again on this statement (the new vote replaces the old):"),
        *sections(quote(statement.text, QUOTE_LIMIT)),
        *actions(_vote_buttons(conversation.id, statement.id, False)),
    ]
    return View(
        type="modal",
        callback_id=VOTING_CALLBACK,
        private_metadata=str(conversation.id),
        title=plain(TITLE, MODAL_TITLE_LIMIT),
        close=plain("Done"),
        blocks=blocks,
    )


def statement_form(conversation: Conversation, *, needs_consent: bool) -> View:
    blocks: list[Block] = []
    if needs_consent:
        blocks += sections(f"_{from_domain(bot_words(CONSENT_NOTICE.replace('Vote to agree', 'Send to agree')))}_")
    blocks += sections(f"*Prompt:* {escape(shorten(conversation.prompt, 2500))}")
    blocks.append(
        InputBlock(
            block_id=STATEMENT_BLOCK,
            label=plain("Your statement"),
            hint=plain(
                f"One short point others can agree or disagree with, up to {MAX_STATEMENT_LENGTH} characters. "
                "It is shown without your name."
            ),
            element=PlainTextInputElement(
                action_id=STATEMENT_INPUT, multiline=True, min_length=1, max_length=MAX_STATEMENT_LENGTH
            ),
        )
    )
    return View(
        type="modal",
        callback_id=STATEMENT_CALLBACK,
        private_metadata=str(conversation.id),
        title=plain("Write a statement", MODAL_TITLE_LIMIT),
        submit=plain("Send"),
        close=plain("Back"),
        blocks=blocks,
    )


def statement_thanks(statement: Statement) -> str:
    if statement.moderation.value == "accepted":
        return "Thank you: your statement is in, and others can vote on it now. It is shown without your name."
    return "Thank you: your statement will be shown for voting once an organiser has accepted it."


# --- the steps ------------------------------------------------------------------------------------------


class Member:
    """Who acts, where: read from an action or view payload."""

    def __init__(self, front: SlackContext, body: dict[str, Any]) -> None:
        self.community_id = front.community_of(team_of(body))
        self.user_id = slack_id_to_int(user_of(body))


async def next_view(
    front: SlackContext,
    member: Member,
    conversation_id: int,
    *,
    note: str | None = None,
    voted_in: Conversation | None = None,
    just_voted: int | None = None,
) -> View:
    service = front.services.deliberation
    conversation = voted_in or await service.by_id(conversation_id, community_id=member.community_id)
    if not conversation.is_open:
        raise UserFacingError(f"{conversation.name.capitalize()} is closed: voting has ended.")
    consent = voted_in is None and await service.needs_consent(member.community_id, member.user_id)
    statement = await service.next_statement(conversation.id, member.user_id)
    return voting_view(conversation, statement, consent=consent, note=note, just_voted=just_voted)


def _action(body: dict[str, Any], pattern: re.Pattern[str]) -> re.Match[str]:
    action = (body.get("actions") or [{}])[0]
    match = pattern.match(str(action.get("action_id", "")))
    if match is None:
        raise UserFacingError("This button is damaged: press Vote on the conversation's post again.")
    return match


def _failure(error: BaseException, what: str) -> View:
    if isinstance(error, UserFacingError):
        return notice(TITLE, from_domain(bot_words(str(error))))
    log.error("%s failed", what, exc_info=error)
    return notice(TITLE, "Sorry, something went wrong on our side. Nothing else changed.")


async def vote_pressed(front: SlackContext, body: dict[str, Any]) -> None:
    """The post's Vote button: open the modal at once (the trigger lasts 3 s), then fill it."""
    opened = await front.client.views_open(trigger_id=str(body.get("trigger_id")), view=notice(TITLE, "Loading…"))
    view_id = opened["view"]["id"]
    try:
        conversation_id = int(_action(body, VOTE_ACTION)["conversation"])
        view = await next_view(front, Member(front, body), conversation_id)
    except Exception as error:
        view = _failure(error, "opening the voting modal")
    await update_view(front.client, view_id, view)


async def cast_pressed(front: SlackContext, body: dict[str, Any]) -> None:
    view_id = (body.get("view") or {}).get("id")
    try:
        match = _action(body, CAST_ACTION)
        member = Member(front, body)
        conversation_id, statement_id = int(match["conversation"]), int(match["statement"])
        vote = VOTE_CODES[match["vote"]]
        conversation = await front.services.deliberation.vote(
            conversation_id,
            member.user_id,
            statement_id,
            vote,
            consent=match["consent"] == "1",
            community_id=member.community_id,
        )
        note = f"Recorded: *{VOTE_LABELS[vote].lower()}*."
        view = await next_view(
            front, member, conversation_id, note=note, voted_in=conversation, just_voted=statement_id
        )
    except Exception as error:
        view = _failure(error, "a vote")
    await update_view(front.client, view_id, view)


async def change_pressed(front: SlackContext, body: dict[str, Any]) -> None:
    view_id = (body.get("view") or {}).get("id")
    try:
        match = _action(body, CHANGE_ACTION)
        member = Member(front, body)
        service = front.services.deliberation
        conversation = await service.by_id(int(match["conversation"]), community_id=member.community_id)
        if not conversation.is_open:
            raise UserFacingError(f"{conversation.name.capitalize()} is closed: voting has ended.")
        statement = await service.statement(conversation.id, int(match["statement"]))
        view = change_view(conversation, statement)
    except Exception as error:
        view = _failure(error, "changing a vote")
    await update_view(front.client, view_id, view)


async def write_pressed(front: SlackContext, body: dict[str, Any]) -> None:
    """Push the statement form over the voting modal (Back returns to it)."""
    trigger_id = str(body.get("trigger_id"))
    try:
        member = Member(front, body)
        service = front.services.deliberation
        conversation_id = int(_action(body, WRITE_ACTION)["conversation"])
        conversation = await service.by_id(conversation_id, community_id=member.community_id)
        if not conversation.is_open:
            raise UserFacingError(f"{conversation.name.capitalize()} is closed: it takes no more statements.")
        view = statement_form(
            conversation, needs_consent=await service.needs_consent(member.community_id, member.user_id)
        )
    except Exception as error:
        view = _failure(error, "opening the statement form")
    await front.client.views_push(trigger_id=trigger_id, view=view)


async def statement_submitted(front: SlackContext, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}
    raw = ((values.get(STATEMENT_BLOCK) or {}).get(STATEMENT_INPUT) or {}).get("value")
    text = raw if isinstance(raw, str) else ""
    try:
        clean_statement(text)  # refused inside the form, before anything is stored
        conversation_id = int(str(view.get("private_metadata") or ""))
    except UserFacingError as error:
        await ack(response_action="errors", errors={STATEMENT_BLOCK: shorten(str(error), 150)})
        return
    except ValueError:
        await ack(response_action="errors", errors={STATEMENT_BLOCK: "This form is damaged: open it again."})
        return
    work = send_statement(front, body, conversation_id, text)
    working = notice("Write a statement", "Sending your statement…")
    await ack_with_outcome(ack, client, view.get("id"), work, working=working)


async def send_statement(front: SlackContext, body: dict[str, Any], conversation_id: int, text: str) -> View:
    try:
        member = Member(front, body)
        service = front.services.deliberation
        await service.by_id(conversation_id, community_id=member.community_id)  # another workspace's: not found
        # Sending the form under the consent notice is the consent: the form said so.
        statement = await service.add_statement(conversation_id, member.user_id, text, consent=True)
        return notice("Statement sent", escape(statement_thanks(statement)))
    except Exception as error:
        return _failure(error, "a statement")


Pressed = Callable[[SlackContext, dict[str, Any]], Awaitable[None]]
BUTTONS: tuple[tuple[re.Pattern[str], Pressed], ...] = (
    (VOTE_ACTION, vote_pressed),
    (CAST_ACTION, cast_pressed),
    (CHANGE_ACTION, change_pressed),
    (WRITE_ACTION, write_pressed),
)


def register(app: AsyncApp, front: SlackContext) -> None:
    for pattern, pressed in BUTTONS:
        app.action(pattern)(_acking(front, pressed))

    @app.view(STATEMENT_CALLBACK)
    async def statement_sent(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await statement_submitted(front, ack, body, client)


def _acking(front: SlackContext, pressed: Pressed) -> Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()  # first: Slack's 3 seconds; the modal is then moved on with views.update
        try:
            await pressed(front, body)
        except Exception:
            log.exception("a deliberation button failed")

    return listener
