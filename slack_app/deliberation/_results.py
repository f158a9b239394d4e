"""Results as Slack mrkdwn: groups, common ground, divisions; or the counts and why there are no groups.
Statements are members' words: quoted and escaped, never rendered as the bot's own text."""

from __future__ import annotations

from bot.domain.deliberation.conversation import Conversation
from bot.domain.deliberation.display import ShownResults, ShownStatement
from slack_app._render import escape, quote

SHOWN_PER_PART = 3
COUNTS_SHOWN = 15
QUOTE_LIMIT = 300


def _statement(statement: ShownStatement) -> str:
    return f"{quote(statement.text, QUOTE_LIMIT)}\n      _{escape(statement.detail)}_"


def results_text(conversation: Conversation, shown: ShownResults) -> str:
    lines = [
        f"*{escape(conversation.name.capitalize())}:* {escape(conversation.prompt)}",
        f"Voters: {escape(shown.voters)}",
    ]
    if shown.reason:
        lines.append(f"No opinion groups yet. {escape(shown.reason)} Agreement so far:")
        for counts in shown.counts[:COUNTS_SHOWN]:
            lines.append(
                f"{quote(counts.text, QUOTE_LIMIT)}\n      agree {escape(counts.agree)} · disagree "
                f"{escape(counts.disagree)} · pass {escape(counts.passed)}"
            )
        return "\n".join(lines)
    for group in shown.groups:
        lines.append(f"*{escape(group.label)}* ({escape(group.size)} members)")
        lines += [_statement(s) for s in group.representative[:SHOWN_PER_PART]]
        if not group.representative:
            lines.append("      (no statement sets this group apart yet)")
    if shown.ungrouped_note:
        lines.append(escape(shown.ungrouped_note))
    if shown.consensus:
        lines.append("*Common ground*")
        lines += [_statement(s) for s in shown.consensus[:SHOWN_PER_PART]]
    if shown.divisive:
        lines.append("*Where the groups divide*")
        lines += [_statement(s) for s in shown.divisive[:SHOWN_PER_PART]]
    return "\n".join(lines)
