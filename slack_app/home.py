"""The App Home tab: where a Slack member looks first. The programme with the next session, the member's own
answers with Answer buttons, and their reminder setting with a toggle (docs.slack.dev, "App Home":
``app_home_opened``, then ``views.publish``). Nothing on Discord has this.

It is drawn afresh each time it is opened and after each toggle, from the database, for the member who opened
it: never anyone else's data.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.blocks import Block, SectionBlock
from slack_sdk.models.views import View

from bot.domain.platform_ids import slack_id_to_int
from bot.domain.programme import ProgrammeRecord, next_session
from bot.domain.programme_text import programme_lines, session_heading, session_when
from bot.domain.reminder_text import describe_offsets
from slack_app._context import SlackContext, team_of, user_of
from slack_app._render import (
    VIEW_BLOCKS_LIMIT,
    button,
    context,
    divider,
    escape,
    fit_blocks,
    from_domain,
    header,
    quote,
    sections,
    shorten,
)
from slack_app.answers import answer_button

log = logging.getLogger(__name__)

TOGGLE_ON = "home:reminders:on"
TOGGLE_OFF = "home:reminders:off"
ANSWERS_SHOWN = 20
HOME_QUOTE_LIMIT = 300


def next_session_blocks(programme: ProgrammeRecord, now: Any) -> list[Block]:
    upcoming = next_session(programme.sessions, now)
    if upcoming is None:
        return sections("The programme is over. Thank you for taking part!")
    blocks: list[Block] = sections(from_domain(f"**Next: {session_heading(upcoming)}**\n{session_when(upcoming)}"))
    for prompt in upcoming.prompts[:10]:
        blocks.append(
            SectionBlock(
                text=from_domain(f"**{prompt.number}.** ") + escape(shorten(prompt.text, 500)),
                accessory=answer_button(prompt.id, f"Answer {prompt.number}"),
            )
        )
    return blocks


def home_view(
    programme: ProgrammeRecord | None, now: Any, data: Any, reminders_on: bool, offsets: tuple[Any, ...]
) -> View:
    blocks: list[Block] = []
    if programme is None:
        blocks += [header("Workshops"), *sections("No programme has been imported yet.")]
    else:
        blocks += [header(programme.title), *next_session_blocks(programme, now), divider()]
        blocks += sections(from_domain("**The programme**\n" + "\n".join(programme_lines(programme, now))))
        blocks.append(context("Times are shown in your own time zone."))
    blocks.append(divider())
    state = "on" if reminders_on else "off"
    when = f" (a direct message {describe_offsets(offsets)} before each session)" if reminders_on and offsets else ""
    blocks.append(
        SectionBlock(
            text=f"*Reminder DMs:* {state}{escape(when)}",
            accessory=button("Turn off", TOGGLE_OFF) if reminders_on else button("Turn on", TOGGLE_ON, style="primary"),
        )
    )
    blocks.append(divider())
    blocks += answers_blocks(data)
    return View(type="home", blocks=fit_blocks(blocks, VIEW_BLOCKS_LIMIT))


def answers_blocks(data: Any) -> list[Block]:
    answers = list(data.answers)
    if not answers:
        return sections(
            "*Your answers*\nYou have not answered yet. Use the Answer buttons above, or `/workshop answer`."
        )
    blocks: list[Block] = sections("*Your answers* (only you see them)")
    for item in answers[:ANSWERS_SHOWN]:
        heading = f"*Week {item.week} · prompt {item.prompt_number}* · {escape(shorten(item.prompt_text, 80))}"
        blocks.append(
            SectionBlock(
                text=f"{heading}\n{quote(item.answer.text, HOME_QUOTE_LIMIT, max_lines=4)}",
                accessory=answer_button(item.answer.prompt_id, "Edit"),
            )
        )
    if len(answers) > ANSWERS_SHOWN:
        blocks.append(context(f"…and {len(answers) - ANSWERS_SHOWN} more: `/workshop mydata show` lists them all."))
    return blocks


async def publish_home(front: SlackContext, user_id: str) -> None:
    services = front.services
    community_id = front.community_id
    member_id = slack_id_to_int(user_id)
    programme = await services.programme.get(community_id)
    data = await services.answers.member_data(community_id, member_id)
    status = await services.reminders.dm_reminder_status(community_id, member_id)
    view = home_view(programme, front.clock(), data, status.on, status.offsets)
    await front.client.views_publish(user_id=user_id, view=view)


def register(app: AsyncApp, front: SlackContext) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return  # the Messages tab: nothing to draw
        try:
            front.community_of(team_of(body))
            await publish_home(front, str(event["user"]))
        except Exception:
            log.exception("the App Home could not be drawn")

    async def toggle(ack: AsyncAck, body: dict[str, Any], on: bool) -> None:
        await ack()
        try:
            community_id = front.community_of(team_of(body))
            user_id = user_of(body)
            await front.services.reminders.set_dm_reminders(community_id, slack_id_to_int(user_id), on)
            await publish_home(front, user_id)
        except Exception:
            log.exception("the App Home reminder toggle failed")

    @app.action(TOGGLE_ON)
    async def turn_on(ack: AsyncAck, body: dict[str, Any]) -> None:
        await toggle(ack, body, True)

    @app.action(TOGGLE_OFF)
    async def turn_off(ack: AsyncAck, body: dict[str, Any]) -> None:
        await toggle(ack, body, False)
