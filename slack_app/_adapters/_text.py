"""The domain's message text as Slack shows it: mrkdwn with `<!date^…>` times, and Block Kit with Answer buttons.

The domain composes text once, in Discord's markdown (``**bold**``, ``<t:UNIX:F>`` times, ``<#id>`` channels,
``/commands``, ``<@&id>`` role pings). It is rendered as the front end renders it (``slack_app._render``):
everything is escaped (``&``, ``<``, ``>``: docs.slack.dev/messaging/formatting-message-text, "Escaping text"),
so no text, a member's included, can ping anyone (``<!channel>``, ``<@U…>``, ``<!subteam^…>``), and the few
constructs the domain put there on purpose become Slack's; here, the one ping a reminder may carry too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, PlainTextObject, SectionBlock

from bot.domain.platform_ids import int_to_slack_id
from bot.domain.reminder_text import AnswerButtonSpec
from slack_app import _render as render

ANSWER_ACTION_PREFIX = "answer:"  # action_id "answer:<prompt id>": the front end's listener (slack_app/answers.py)
# Block Kit limits, from each block's reference page (docs.slack.dev/reference/block-kit/...)
SECTION_TEXT_LIMIT = 3000  # characters of a section block's text (blocks/section-block)
BUTTONS_PER_ACTIONS = 25  # elements of an actions block (blocks/actions-block)
BUTTON_TEXT_LIMIT = 75  # a button's text (block-elements/button-element)
FALLBACK_LIMIT = 4000  # chat.postMessage's `text` shown in notifications; longer is truncated by Slack

_PING = re.compile(r"<@&(-?\d+)>")  # a role (on Slack: user group) the domain's text pings


def escape(text: str) -> str:
    """Slack's three control characters, escaped: what is left can be shown but never pings or links."""
    return render.escape(text)


def unescape(text: str) -> str:
    """A member's message text as they typed it (Slack sends ``&``, ``<``, ``>`` escaped)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def date_token(unix: int, style: str = "F") -> str:
    return render.slack_date(unix, style)


def to_mrkdwn(content: str, *, ping_group_id: int | None = None) -> str:
    """The domain's text as Slack mrkdwn, rendered as the front end renders it (``slack_app._render``: escaped,
    Slack dates, channel links, ``/workshop`` commands); of its pings, only ``ping_group_id``'s user group."""
    parts: list[str] = []
    position = 0
    for match in _PING.finditer(content):
        parts.append(render.from_domain(content[position : match.start()]))
        group = int(match[1])
        slack_id = _slack_id(group)
        # Only the group the message means to ping is written as a mention; any other is left out, never
        # shown as a raw id.
        parts.append(f"<!subteam^{slack_id}>" if slack_id and group == ping_group_id else "")
        position = match.end()
    parts.append(render.from_domain(content[position:]))
    return "".join(parts)


def _slack_id(value: int) -> str | None:
    try:
        return int_to_slack_id(value)
    except ValueError:
        return None  # not a Slack id (a Discord one, in a message composed for both)


def answer_buttons(buttons: Sequence[AnswerButtonSpec]) -> list[Block]:
    """The Answer buttons, as many actions blocks as they need."""
    blocks: list[Block] = []
    for start in range(0, len(buttons), BUTTONS_PER_ACTIONS):
        elements = [
            ButtonElement(
                text=PlainTextObject(text=button.label[:BUTTON_TEXT_LIMIT], emoji=False),
                action_id=f"{ANSWER_ACTION_PREFIX}{button.prompt_id}",
                value=str(button.prompt_id),
            )
            for button in buttons[start : start + BUTTONS_PER_ACTIONS]
        ]
        blocks.append(ActionsBlock(elements=elements))
    return blocks


def message_blocks(mrkdwn: str, buttons: Sequence[AnswerButtonSpec] = ()) -> list[dict[str, Any]]:
    """A section with the text (split at line ends if it is longer than a section holds), then the buttons."""
    blocks: list[Block] = [SectionBlock(text=chunk) for chunk in _chunks(mrkdwn, SECTION_TEXT_LIMIT)]
    blocks += answer_buttons(buttons)
    return [block.to_dict() for block in blocks]


def fallback_text(mrkdwn: str) -> str:
    """The `text` sent beside the blocks: what notifications and screen readers show."""
    return mrkdwn if len(mrkdwn) <= FALLBACK_LIMIT else mrkdwn[: FALLBACK_LIMIT - 1] + "…"


def _chunks(text: str, limit: int) -> list[str]:
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*chunks, text] if text else chunks or [" "]
