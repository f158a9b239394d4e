"""``/workshop deliberate open WEEK PROMPT | close N | results N | moderate N``.

``open`` is for facilitators and organisers: a modal opens at once (the trigger lasts 3 s), then the role is
checked and the modal filled with the prompt (editable), the seed statements (one a line) and the choice to
hold members' statements for moderation. Its ``private_metadata`` carries the week and the channel the command
was typed in, where the post with the Vote button goes. ``close`` is for facilitators, ``moderate`` for
organisers, ``results`` for everyone (as on Discord); facilitators also get the figures as JSON.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, CheckboxesElement, InputBlock, Option, PlainTextInputElement
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.deliberation.conversation import MAX_PROMPT_LENGTH, clean_prompt, seed_statements
from bot.domain.deliberation.display import results_json, shown_results
from bot.domain.deliberation.opinion_map import map_png
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import int_to_slack_id, int_to_slack_ts, slack_id_to_int, slack_ts_to_int
from bot.domain.programme import MAX_WEEK
from slack_app._adapters._text import unescape
from slack_app._commands import ROLE_NAMES, WHO_MAY, Call, NotAllowedError, Router, Subcommand
from slack_app._context import SlackContext, team_of, update_view, user_of
from slack_app._render import MODAL_TITLE_LIMIT, bot_words, escape, from_domain, plain, shorten
from slack_app._roles import Role
from slack_app._submission import ack_with_outcome
from slack_app.deliberation._common import OPEN_CALLBACK, notice
from slack_app.deliberation._moderation import moderation_step
from slack_app.deliberation._post import post_blocks, post_text
from slack_app.deliberation._results import results_text
from slack_app.programme import parse_number

log = logging.getLogger(__name__)

ACTIONS = ("open", "close", "results", "moderate")
USAGE = "Use `/workshop deliberate open WEEK PROMPT`, `close N`, `results N` or `moderate N` (N: the conversation)."
PROMPT_BLOCK, PROMPT_INPUT = "prompt", "prompt"
SEEDS_BLOCK, SEEDS_INPUT = "seeds", "seeds"
HOLD_BLOCK, HOLD_INPUT, HOLD_VALUE = "hold", "hold", "hold"
# Slack's plain_text_input holds at most 3000 characters (docs.slack.dev, "Plain-text input element",
# "max_length"): the seeds box says so.
SLACK_INPUT_LIMIT = 3000
MAP_FILE = "opinion-map.png"


async def require_role(call: Call, role: Role, what: str) -> None:
    call.role = await call.front.roles.role_of(call.community_id, call.user_id)
    if call.role < role:
        raise NotAllowedError(f"Only {ROLE_NAMES[role]} can {what}: {WHO_MAY[role]}.")


def open_form(week: int, prompt: str, channel_id: str) -> View:
    blocks: list[Block] = [
        InputBlock(
            block_id=PROMPT_BLOCK,
            label=plain("Prompt"),
            hint=plain("The question members respond to."),
            element=PlainTextInputElement(
                action_id=PROMPT_INPUT,
                multiline=True,
                min_length=1,
                max_length=MAX_PROMPT_LENGTH,
                initial_value=shorten(prompt, MAX_PROMPT_LENGTH) or None,
            ),
        ),
        InputBlock(
            block_id=SEEDS_BLOCK,
            label=plain("Seed statements (optional)"),
            hint=plain(
                f"One a line; members vote on these first. Up to {SLACK_INPUT_LIMIT:,} characters in all "
                "(Slack's limit for a form)."
            ),
            optional=True,
            element=PlainTextInputElement(action_id=SEEDS_INPUT, multiline=True, max_length=SLACK_INPUT_LIMIT),
        ),
        InputBlock(
            block_id=HOLD_BLOCK,
            label=plain("Moderation"),
            optional=True,
            element=CheckboxesElement(
                action_id=HOLD_INPUT,
                options=[
                    Option(
                        value=HOLD_VALUE,
                        label="Hold members' statements until an organiser accepts them",
                        description="Otherwise they are shown for voting at once.",
                    )
                ],
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=OPEN_CALLBACK,
        private_metadata=f"{week}:{channel_id}",
        title=plain(f"Conversation, week {week}", MODAL_TITLE_LIMIT),
        submit=plain("Open"),
        close=plain("Cancel"),
        blocks=blocks,
    )


async def open_command(call: Call) -> None:
    if call.trigger_id is None:
        raise UserFacingError("Slack sent no way to open the form: try again.")
    title = "Open a conversation"
    opened = await call.front.client.views_open(trigger_id=call.trigger_id, view=notice(title, "Loading…"))
    view_id = opened["view"]["id"]
    try:
        await require_role(call, Role.FACILITATOR, "open conversations")
        if len(call.args) < 2:
            raise UserFacingError("Use `/workshop deliberate open WEEK PROMPT`: the week, then the question.")
        week = parse_number(call.args[1], what="week", maximum=MAX_WEEK)
        if call.channel_id is None:
            raise UserFacingError("Open conversations from a channel: the Vote post goes there.")
        # Slack sends a command's text with &, < and > escaped: the form shows the prompt as typed.
        view = open_form(week, unescape(" ".join(call.args[2:])), call.channel_id)
    except UserFacingError as error:
        view = notice(title, from_domain(bot_words(str(error))))
    await update_view(call.front.client, view_id, view)


def _submitted(view: dict[str, Any]) -> tuple[str, str, bool]:
    values = (view.get("state") or {}).get("values") or {}
    prompt = ((values.get(PROMPT_BLOCK) or {}).get(PROMPT_INPUT) or {}).get("value")
    seeds = ((values.get(SEEDS_BLOCK) or {}).get(SEEDS_INPUT) or {}).get("value")
    ticked = ((values.get(HOLD_BLOCK) or {}).get(HOLD_INPUT) or {}).get("selected_options") or []
    hold = any(isinstance(o, dict) and o.get("value") == HOLD_VALUE for o in ticked)
    return (prompt if isinstance(prompt, str) else ""), (seeds if isinstance(seeds, str) else ""), hold


async def open_submitted(front: SlackContext, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    """Check the form (errors shown in it, nothing stored), then open the conversation and post it."""
    view = body.get("view") or {}
    prompt, seeds, hold = _submitted(view)
    errors: dict[str, str] = {}
    for block, check in ((PROMPT_BLOCK, lambda: clean_prompt(prompt)), (SEEDS_BLOCK, lambda: seed_statements(seeds))):
        try:
            check()
        except UserFacingError as error:
            errors[block] = shorten(str(error), 150)
    try:
        week_text, channel_id = str(view.get("private_metadata") or "").split(":")
        week = int(week_text)
    except ValueError:
        errors[PROMPT_BLOCK] = "This form is damaged: run the command again."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = conversation_opened(front, body, week, channel_id, prompt, seeds, not hold)
    await ack_with_outcome(ack, client, view.get("id"), work, working=notice("Open a conversation", "Opening…"))


async def conversation_opened(
    front: SlackContext, body: dict[str, Any], week: int, channel_id: str, prompt: str, seeds: str, auto: bool
) -> View:
    try:
        text = await open_conversation(front, body, week, channel_id, prompt, seeds, auto)
    except UserFacingError as error:
        text = from_domain(bot_words(str(error)))
    except Exception:
        log.exception("opening a conversation failed")
        text = "Sorry, something went wrong on our side."
    return notice("Open a conversation", text)


async def open_conversation(
    front: SlackContext, body: dict[str, Any], week: int, channel_id: str, prompt: str, seeds: str, auto: bool
) -> str:
    community_id = front.community_of(team_of(body))
    # Checked again at submission: the form travelled through the member's client.
    if await front.roles.role_of(community_id, user_of(body)) < Role.FACILITATOR:
        raise NotAllowedError(f"Only {ROLE_NAMES[Role.FACILITATOR]} can open conversations.")
    service = front.services.deliberation
    conversation = await service.open(community_id, week=week, prompt=prompt, seeds=seeds, auto_accept=auto)
    try:
        posted = await front.client.chat_postMessage(
            channel=channel_id, text=post_text(conversation), blocks=post_blocks(conversation)
        )
    except SlackApiError as error:
        log.warning("could not post conversation %d: %s", conversation.id, error.response.get("error"))
        await service.close(community_id, conversation.number)  # no post, no votes: not left open unseen
        raise UserFacingError(
            f"Slack refused the post in <#{slack_id_to_int(channel_id)}> ({error.response.get('error')}), so "
            f"{conversation.name} was closed at once: invite the bot to the channel, or open the conversation "
            "again from a channel it is in."
        ) from None
    await service.set_post(conversation.id, slack_id_to_int(channel_id), slack_ts_to_int(str(posted["ts"])))
    count = len(await service.statements(conversation.id))
    return (
        f"Opened *{escape(conversation.name)}* with {count} seed statement{'s' if count != 1 else ''}: members "
        f"vote with the button on the post. Close it with `/workshop deliberate close {conversation.number}`."
    )


async def close_command(call: Call, number: int) -> None:
    await require_role(call, Role.FACILITATOR, "close conversations")
    closed = await call.services.deliberation.close(call.community_id, number)
    if closed.channel_id is not None and closed.post_id is not None:
        try:
            await call.front.client.chat_update(
                channel=int_to_slack_id(closed.channel_id),
                ts=int_to_slack_ts(closed.post_id),
                text=post_text(closed),
                blocks=post_blocks(closed),
            )
        except (SlackApiError, ValueError):
            log.warning("could not mark the post of conversation %d closed", closed.id)
    await call.reply(
        f"Closed *{escape(closed.name)}*. `/workshop deliberate results {closed.number}` shows where it ended."
    )


async def results_command(call: Call, number: int) -> None:
    """The analysis (in a thread, as the service runs it) as text; the map and, for facilitators, the JSON
    in the member's DM (an ephemeral reply cannot carry files)."""
    service = call.services.deliberation
    found = await service.conversation(call.community_id, number)
    results = await service.results(found.id)
    shown = shown_results(results.analysis, {i: s.text for i, s in results.statements.items()})
    text = results_text(found, shown)
    files: list[tuple[str, bytes, str]] = []
    delivered: list[str] = []
    if results.analysis.grouped:
        png = await asyncio.to_thread(map_png, results.analysis, shown)
        files.append((MAP_FILE, png, f"The opinion map of {found.name}: one dot per voter, coloured by group."))
        delivered.append("the opinion map")
    call.role = await call.front.roles.role_of(call.community_id, call.user_id)
    if call.role >= Role.FACILITATOR:
        document = results_json(found.name, found.week, found.prompt, found.state.value, shown, call.front.clock())
        files.append((f"conversation-{found.number}.json", document, f"The figures of {found.name}: no names."))
        delivered.append("the figures as JSON")
    if files:
        await deliver(call, files)
        said = " and ".join(delivered)
        text += f"\n{said[0].upper()}{said[1:]}: in your direct messages with the bot."
    await call.reply(text)


async def deliver(call: Call, files: list[tuple[str, bytes, str]]) -> None:
    with tempfile.TemporaryDirectory(prefix="workshop-deliberation-") as folder:
        for name, content, comment in files:
            path = Path(folder) / name
            await asyncio.to_thread(path.write_bytes, content)
            await call.front.files.send_file(call.member_id, path, title=name, comment=comment)


async def moderate_command(call: Call, number: int) -> None:
    await require_role(call, Role.ORGANISER, "moderate statements")
    found = await call.services.deliberation.conversation(call.community_id, number)
    text, blocks = await moderation_step(call.services.deliberation, found.id)
    await call.reply(text, blocks)


async def deliberate_command(call: Call) -> None:
    action = call.args[0].lower() if call.args else ""
    if action == "open":
        await open_command(call)  # first: the modal's trigger lasts 3 seconds
        return
    if action not in ACTIONS or len(call.args) < 2:
        raise UserFacingError(USAGE)
    number = parse_number(call.args[1], what="conversation", maximum=10**9)
    if action == "close":
        await close_command(call, number)
    elif action == "results":
        await results_command(call, number)
    else:
        await moderate_command(call, number)


def usage_for(role: Role) -> tuple[str, str]:
    if role >= Role.ORGANISER:
        return "open WEEK PROMPT | close N | results N | moderate N", "conversations members vote in, and results"
    if role >= Role.FACILITATOR:
        return "open WEEK PROMPT | close N | results N", "conversations members vote in, and their results"
    return "results N", "where a conversation's voters agree and divide"


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    # opens_modal: the router runs it before any role check (open's trigger lasts 3 s); each action checks.
    router.add(
        Subcommand(
            "deliberate",
            usage_for(Role.MEMBER)[0],
            usage_for(Role.MEMBER)[1],
            deliberate_command,
            opens_modal=True,
            usage_by_role=usage_for,
        )
    )

    @app.view(OPEN_CALLBACK)
    async def open_sent(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await open_submitted(front, ack, body, client)
