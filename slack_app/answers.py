"""Members answer prompts (``/workshop answer``, Answer buttons, App Home) and manage their own data
(``/workshop mydata show|export|delete``). Everything is private.

The answer form is a modal opened with the command's or button's ``trigger_id``, which Slack honours for 3
seconds only (docs.slack.dev, "Modals", "Opening modals"): the modal opens first, showing that it loads, and is
filled with ``views.update`` once the prompt and the member's current answer are read. Its ``private_metadata``
names the prompt, so a submission needs nothing kept in memory: forms and Answer buttons (action_id
``answer:<prompt id>``) keep working across restarts. Bad text is refused inside the form
(``response_action: errors``, "Handling and responding to interactions": "Displaying errors in views").
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.answering import AnswerForm, SavedAnswer, answer_modal_title, confirmation_parts
from bot.domain.answers import MAX_ANSWER_LENGTH, clean_answer_text
from bot.domain.consent import consent_notice
from bot.domain.errors import AnswerRejectedError, NotFoundError, UserFacingError
from bot.domain.member_data import (
    THREAD_MESSAGES_STAY,
    WHAT_IS_KEPT,
    MemberAnswer,
    MemberData,
    erasure_question,
    erasure_result,
    export_summary,
)
from bot.domain.platform_ids import slack_id_to_int
from bot.domain.programme import SessionRecord, next_session
from slack_app._commands import Call, Router, Subcommand, report_error
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
    header,
    plain,
    quote,
    sections,
    shorten,
    slack_date,
)
from slack_app._submission import ack_with_outcome
from slack_app.deliberation._offer import offer_answer, offer_block, offer_possible, offer_ticked
from slack_app.programme import parse_number, require_week

log = logging.getLogger(__name__)

PLATFORM = "Slack"
ANSWER_ACTION = "answer:{prompt_id}"
ANSWER_ACTION_PATTERN = re.compile(r"^answer:([0-9]{1,19})$")
ANSWER_CALLBACK = "answer"
ANSWER_BLOCK = "answer"
ANSWER_INPUT = "text"
# Slack's plain_text_input holds at most 3000 characters (docs.slack.dev, "Plain-text input element",
# "max_length"): fewer than the 4000 an answer may have, so the form says so.
SLACK_INPUT_LIMIT = 3000
FORM_LIMIT = min(SLACK_INPUT_LIMIT, MAX_ANSWER_LENGTH)
CONFIRMATION_QUOTE_LIMIT = 700
SHOW_QUOTE_LIMIT = 900
ERASE_YES = "mydata:erase:yes"
ERASE_NO = "mydata:erase:no"
EXPORT_FILENAME = "my-workshop-data.json"
MYDATA_FOOTER = "Only you can see this. /mydata export for a copy of everything, /mydata delete to erase it."

SLACK_WHAT_IS_KEPT = WHAT_IS_KEPT.replace("Discord id", "Slack user id")
SLACK_MESSAGES_STAY = THREAD_MESSAGES_STAY.replace("Discord", "Slack")


def answer_button(prompt_id: int, label: str = "Answer") -> Any:
    """The Answer button for a prompt: stateless, so it works on any message, after any restart."""
    return button(label, ANSWER_ACTION.format(prompt_id=prompt_id), value=str(prompt_id), style="primary")


# --- the form --------------------------------------------------------------------------------------------


def loading_view(title: str = "Your answer") -> View:
    return View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        title=plain(title, MODAL_TITLE_LIMIT),
        close=plain("Close"),
        blocks=[SectionBlock(text=plain("Loading the prompt…"))],
    )


def message_view(title: str, text: str) -> View:
    """A modal that only says something (a refusal, a confirmation), with a Close button."""
    return View(
        type="modal",
        callback_id=f"{ANSWER_CALLBACK}:done",
        title=plain(title, MODAL_TITLE_LIMIT),
        close=plain("Close"),
        blocks=fit_blocks(sections(text), VIEW_BLOCKS_LIMIT),
    )


def answer_view(form: AnswerForm, *, offer_statement: bool = False) -> View:
    """The form: the consent notice (first answer only), the whole prompt, one text box pre-filled; with
    ``offer_statement`` (the week has an open conversation) the unticked box to offer it as a statement."""
    context_ = form.context
    blocks: list[Block] = []
    if form.needs_consent:
        blocks += sections(from_domain(consent_notice(PLATFORM)))
    blocks += sections(from_domain(f"**{context_.heading}**\n") + escape(context_.prompt.text))
    current = form.current_text
    too_long = current is not None and len(current) > FORM_LIMIT
    if too_long:
        # Slack's box cannot hold it: shown here, not cut (a cut pre-fill, sent, would lose the rest).
        blocks.append(context(f"Your current answer is longer than a Slack form holds:\n{quote(current or '', 1500)}"))
    hint = f"Up to {FORM_LIMIT:,} characters (Slack's limit for a form). Only the organisers read it."
    blocks.append(
        InputBlock(
            block_id=ANSWER_BLOCK,
            label=plain("Your answer"),
            hint=plain(hint),
            element=PlainTextInputElement(
                action_id=ANSWER_INPUT,
                multiline=True,
                min_length=1,
                max_length=FORM_LIMIT,
                initial_value=None if too_long else current,
            ),
        )
    )
    if offer_statement:
        blocks.append(offer_block())
    return View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        private_metadata=str(context_.prompt.id),
        title=plain(answer_modal_title(context_), MODAL_TITLE_LIMIT),
        submit=plain("Send"),
        close=plain("Cancel"),
        blocks=fit_blocks(blocks, VIEW_BLOCKS_LIMIT),
    )


def confirmation_blocks(saved: SavedAnswer) -> str:
    before, after = confirmation_parts(saved, platform=PLATFORM)
    lines = [from_domain(before), quote(saved.answer.text, CONFIRMATION_QUOTE_LIMIT), *map(from_domain, after)]
    return "\n".join(lines)


async def open_answer_form(front: SlackContext, trigger_id: str, user_id: str, prompt_id: int) -> None:
    """Open the form at once (the trigger expires in 3 s), then fill it."""
    opened = await front.client.views_open(trigger_id=trigger_id, view=loading_view())
    view_id = opened["view"]["id"]
    try:
        form = await front.services.answers.form(prompt_id, slack_id_to_int(user_id), community_id=front.community_id)
        view = answer_view(form, offer_statement=await offer_possible(front.services.deliberation, form.context))
    except UserFacingError as error:
        view = message_view("Your answer", from_domain(bot_words(str(error))))
    await update_view(front.client, view_id, view)


def submitted_text(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    value = (values.get(ANSWER_BLOCK) or {}).get(ANSWER_INPUT) or {}
    text = value.get("value")
    return text if isinstance(text, str) else ""


async def handle_submission(front: SlackContext, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    view = body.get("view") or {}
    raw = submitted_text(view)
    try:
        clean_answer_text(raw)  # refused inside the form, before anything is stored
    except AnswerRejectedError as error:
        await ack(response_action="errors", errors={ANSWER_BLOCK: shorten(str(error), 150)})
        return
    try:
        prompt_id = int(str(view.get("private_metadata") or ""))
    except ValueError:
        await ack(response_action="errors", errors={ANSWER_BLOCK: "This form is damaged: open it again."})
        return
    # Saving waits behind other writes: past Slack's ack budget the form says so, and the result replaces it.
    working = message_view("Your answer", "Saving your answer…")
    failed = message_view("Not saved", "Sorry, something went wrong on our side: your answer was not saved.")
    await ack_with_outcome(
        ack, client, view.get("id"), save_answer(front, body, prompt_id, raw), working=working, failed=failed
    )


async def save_answer(front: SlackContext, body: dict[str, Any], prompt_id: int, raw: str) -> View:
    """The outcome of a submitted answer form, as the view that replaces it."""
    view = body.get("view") or {}
    try:
        community_id = front.community_of(team_of(body))
        member_id = slack_id_to_int(user_of(body))
        saved = await front.services.answers.submit(prompt_id, member_id, raw, community_id=community_id)
        confirmation = confirmation_blocks(saved)
        if offer_ticked(view):
            offered = await offer_answer(front.services.deliberation, saved, member_id, raw)
            confirmation += "\n" + escape(offered)
        return message_view("Answer saved", confirmation)
    except UserFacingError as error:
        return message_view("Not saved", from_domain(bot_words(str(error))))


# --- /workshop answer [N [P]] ----------------------------------------------------------------------------


def prompt_list_blocks(session: SessionRecord) -> list[Block]:
    """A week's prompts, each with its Answer button."""
    blocks: list[Block] = [header(f"Week {session.week} · {session.title}")]
    for prompt in session.prompts:
        blocks.append(
            SectionBlock(
                text=from_domain(f"**{prompt.number}.** ") + escape(shorten(prompt.text, 2800)),
                accessory=answer_button(prompt.id, f"Answer {prompt.number}"),
            )
        )
    return fit_blocks(blocks, more="…and more prompts: answer them with `/workshop answer N P`.")


async def answer_command(call: Call) -> None:
    programme = await call.services.programme.require(call.community_id)
    if len(call.args) >= 2:
        week = parse_number(call.args[0], what="week", maximum=10_000)
        number = parse_number(call.args[1], what="prompt", maximum=10_000)
        prompt_id = await call.services.answers.prompt_id(call.community_id, week, number)
        if prompt_id is None:
            session = require_week(programme, week)
            count = len(session.prompts)
            if count == 0:
                raise NotFoundError(f"Week {week} has no prompts to answer.")
            valid = "prompt 1" if count == 1 else f"prompts 1 to {count}"
            raise NotFoundError(f"Week {week} has {valid}, not {number}.")
        if call.trigger_id is None:
            raise UserFacingError("Slack sent no way to open the form: try again.")
        await open_answer_form(call.front, call.trigger_id, call.user_id, prompt_id)
        return
    if call.args:
        session = require_week(programme, parse_number(call.args[0], what="week", maximum=10_000))
    else:
        upcoming = next_session(programme.sessions, call.front.clock())
        if upcoming is None and not programme.sessions:
            raise NotFoundError("The programme has no sessions yet.")
        session = upcoming or max(programme.sessions, key=lambda s: s.start)
    if not session.prompts:
        raise NotFoundError(f"Week {session.week} has no prompts to answer.")
    await call.reply(escape(f"Week {session.week}'s prompts"), prompt_list_blocks(session))


# --- /workshop mydata ------------------------------------------------------------------------------------


def answer_entry(item: MemberAnswer) -> list[Block]:
    answer = item.answer
    details = [f"written {slack_date(answer.created_at)}"]
    if answer.updated_at != answer.created_at:
        details.append(f"edited {slack_date(answer.updated_at)}")
    if item.versions:
        details.append(f"{len(item.versions)} earlier version{'s' if len(item.versions) != 1 else ''} kept")
    if answer.late:
        details.append("late")
    heading = f"*Week {item.week} · prompt {item.prompt_number}* · {escape(shorten(item.prompt_text, 90))}"
    return [
        SectionBlock(
            text=f"{heading}\n{quote(answer.text, SHOW_QUOTE_LIMIT)}",
            accessory=answer_button(answer.prompt_id, "Edit"),
        ),
        context(" · ".join(details)),
    ]


def mydata_blocks(data: MemberData) -> list[Block]:
    intro = (
        f"You agreed to us keeping your answers on {slack_date(data.consented_at)}."
        if data.consented_at is not None
        else "You have not answered here yet, so you have not agreed to anything."
    )
    if data.dm_subscribed_at is not None:
        intro += f" You asked for reminder DMs on {slack_date(data.dm_subscribed_at)}."
    blocks: list[Block] = [header("What we hold about you"), *sections(intro)]
    if data.is_empty:
        blocks += sections("We hold nothing about you in this workspace.")
    elif not data.answers:
        blocks += sections("We hold no answers of yours.")
    for item in data.answers:
        blocks += answer_entry(item)
    footer = context(from_domain(MYDATA_FOOTER))
    return [*fit_blocks(blocks, 49, more="…and more: `/workshop mydata export` has every answer."), footer]


async def mydata_command(call: Call) -> None:
    action = call.args[0].lower() if call.args else "show"
    answers = call.services.answers
    if action == "show":
        data = await answers.member_data(call.community_id, call.member_id)
        await call.reply("What we hold about you", mydata_blocks(data))
    elif action == "export":
        data, document = await answers.export_member_data(call.community_id, call.member_id)
        files = call.front.files
        with tempfile.TemporaryDirectory(prefix="workshop-mydata-") as folder:
            path = Path(folder) / EXPORT_FILENAME
            await asyncio.to_thread(path.write_bytes, document)
            comment = slack_wording(export_summary(data))
            await files.send_file(call.member_id, path, title="Your workshop data", comment=comment)
        summary = export_summary(data).replace(
            "The file is only visible", "The file is in your direct messages with the bot, visible"
        )
        await call.reply(slack_wording(summary))
    elif action == "delete":
        preview = await answers.erasure_preview(call.community_id, call.member_id)
        text = slack_wording(erasure_question(preview))
        if preview.nothing:
            await call.reply(text)
            return
        buttons = [button("Delete everything", ERASE_YES, style="danger"), button("Keep my data", ERASE_NO)]
        await call.reply(text, [*sections(text), *actions(buttons)])
    else:
        raise UserFacingError(
            f"`{shorten(action, 20)}` is not a mydata action: use `/workshop mydata show`, `export` or `delete`."
        )


def slack_wording(domain_text: str) -> str:
    """The domain's /mydata wording with Slack's nouns (its Discord nouns describe what Discord keeps)."""
    text = domain_text.replace(WHAT_IS_KEPT, SLACK_WHAT_IS_KEPT).replace(THREAD_MESSAGES_STAY, SLACK_MESSAGES_STAY)
    return from_domain(bot_words(text))


async def erase_pressed(front: SlackContext, body: dict[str, Any], respond: AsyncRespond, *, confirm: bool) -> None:
    """Always the data of whoever presses: an ephemeral message's buttons reach only its member anyway."""
    if not confirm:
        await respond(text="Nothing was deleted.", replace_original=True)
        return
    community_id = front.community_of(team_of(body))
    report = await front.services.answers.erase_member(community_id, slack_id_to_int(user_of(body)))
    await respond(text=slack_wording(erasure_result(report)), replace_original=True)


# --- registration ----------------------------------------------------------------------------------------


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    router.add(Subcommand("answer", "[N [P]]", "answer prompt P of week N, or change your answer", answer_command))
    router.add(
        Subcommand("mydata", "show|export|delete", "see, export or delete what the bot holds about you", mydata_command)
    )

    @app.action(ANSWER_ACTION_PATTERN)
    async def answer_pressed(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            action = (body.get("actions") or [{}])[0]
            match = ANSWER_ACTION_PATTERN.match(str(action.get("action_id", "")))
            if match is None:
                return
            front.community_of(team_of(body))
            await open_answer_form(front, str(body.get("trigger_id")), user_of(body), int(match[1]))
        except Exception as error:
            await report_error(respond, error, what="an Answer button")

    @app.view(ANSWER_CALLBACK)
    async def answer_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_submission(front, ack, body, client)

    @app.action(ERASE_YES)
    async def erase_yes(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            await erase_pressed(front, body, respond, confirm=True)
        except Exception as error:
            await report_error(respond, error, what="mydata delete")

    @app.action(ERASE_NO)
    async def erase_no(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await erase_pressed(front, body, respond, confirm=False)
