"""What the threads service says in words: thread names, refusals, and the problems the catch-up reports.

Starter messages and closing summaries are rendered by each thread gateway (cogs/_thread_text.py,
slack_app/_adapters/_thread_text.py) around the sentences here, which are plain text, the same on any front end.
"""

from __future__ import annotations

from bot.domain.answers import shorten
from bot.domain.threads import ThreadCounts

THREAD_NAME_LIMIT = 100  # Discord's limit on a thread's name


def thread_name(week: int, number: int, prompt_text: str) -> str:
    """The thread's name, "W3 · Q2 · <start of the prompt>": at most 100 characters."""
    prefix = f"W{week} · Q{number} · "
    return prefix + shorten(prompt_text, THREAD_NAME_LIMIT - len(prefix))


# --- The closing summary's sentence (each front end adds its own markup around it) ---------------------


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def counts_text(counts: ThreadCounts) -> str:
    return f"{plural(counts.contributions, 'reply', 'replies')} from {plural(counts.contributors, 'member', 'members')}"


def summary_sentence(counts: ThreadCounts, *, collect_replies: bool) -> str:
    """What a closed thread recorded: "3 replies from 2 members were recorded as answers." and the like."""
    if not collect_replies:
        return "Replies in this thread were not recorded as answers."
    if counts.contributions == 0:
        return "No replies were recorded as answers in this thread."
    verb = "was" if counts.contributions == 1 else "were"
    return f"{counts_text(counts)} {verb} recorded as answers."


# --- Refusals of /threads open and /threads close -------------------------------------------------------
# Only what names no platform's things: the refusals that name kinds of channel, permissions or commands are
# worded by each thread gateway (``ThreadGateway.threads_refused`` and ``threads_refusal``).


def no_prompts(week: int) -> str:
    return f"Week {week} has no prompts, so there are no threads to open."


# --- What the catch-up reports to organisers: a problem, and its fix --------------------------------------


NO_MESSAGE_CONTENT = (
    "The bot does not receive message text (the Message Content intent is off), so it cannot catch "
    "up with replies written while it was offline. No answer was removed."
)
NO_MESSAGE_CONTENT_FIX = (
    "Switch on Message Content Intent in the developer portal (Bot > Privileged Gateway Intents), set "
    "MESSAGE_CONTENT_INTENT=true and restart the bot."
)
