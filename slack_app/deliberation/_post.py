"""The conversation's one post in the channel, with its Vote button (action_id ``deliberate:vote:<id>``)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.domain.deliberation.conversation import Conversation
from slack_app._render import actions, button, context, escape, sections
from slack_app.deliberation._common import vote_action


def post_text(conversation: Conversation) -> str:
    """The post's mrkdwn: the prompt is a facilitator's words, escaped (nothing in it pings or links)."""
    week = f" · week {conversation.week}" if conversation.week is not None else ""
    title = f":ballot_box_with_ballot: *{escape(conversation.name.capitalize())}*{week}"
    prompt = "\n".join(f"&gt; {escape(line)}" for line in conversation.prompt.split("\n"))
    if not conversation.is_open:
        return f"{title} (closed)\n{prompt}\nVoting has ended."
    return f"{title}\n{prompt}"


def post_blocks(conversation: Conversation) -> list[Block]:
    blocks = sections(post_text(conversation))
    if conversation.is_open:
        blocks.append(
            context(
                "Vote on short statements from the group, privately, and add your own. Nobody sees who wrote a "
                "statement or how anyone voted."
            )
        )
        blocks += actions([button("Vote", vote_action(conversation.id), value=str(conversation.id), style="primary")])
    return blocks
