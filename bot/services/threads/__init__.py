"""Question threads: one per prompt of a week, opened and closed by facilitators; replies in them are answers.

Discord is reached only through ``ThreadGateway`` (implemented in cogs/_discord, handed over at construction).
Opening is idempotent: a prompt that already has a thread keeps it (reopened if archived or closed, made
anew if deleted by hand). A reply is recorded only in an open thread whose starter message told members
that replies are collected, and never if it was posted before its author erased their data or before
retention deleted the server's answers (the message is still on Discord: the catch-up after each restart,
or an edit, must not bring it back).

The package: ``_ports`` (what the service needs from Discord), ``_reports`` (what it reports back),
``_service`` (opening, closing, collecting replies), ``_catch_up`` (replaying what happened while the bot was
offline) and ``_replies`` (recording a reply, shared by the last two). Its wording is in bot/domain/thread_text.py,
except what names a platform's permissions, kinds of channel or commands: each gateway words that (the neutral
facts it is given: ``ThreadsAction``, ``ThreadsRefusal``, ``CatchUpTrouble``).
"""

from bot.domain.thread_text import thread_name
from bot.domain.threads import posted_at
from bot.services.threads._catch_up import CATCH_UP_LIMIT, CATCH_UP_PROBLEM, ThreadCatchUp
from bot.services.threads._ports import (
    BotLacksPermissionError,
    CatchUpTrouble,
    ChannelKind,
    CreatedThread,
    DiscordThreadState,
    ProblemWording,
    Starter,
    Summary,
    ThreadArchivedError,
    ThreadGateway,
    ThreadGoneError,
    ThreadHistory,
    ThreadLockedError,
    ThreadMessage,
    ThreadsAction,
    ThreadsRefusal,
)
from bot.services.threads._reports import (
    CatchUpReport,
    Closed,
    CloseOutcome,
    CloseReport,
    Opened,
    OpenOutcome,
    OpenReport,
    StatusLine,
)
from bot.services.threads._service import ThreadService

__all__ = [
    "CATCH_UP_LIMIT",
    "CATCH_UP_PROBLEM",
    "BotLacksPermissionError",
    "CatchUpReport",
    "CatchUpTrouble",
    "ChannelKind",
    "CloseOutcome",
    "CloseReport",
    "Closed",
    "CreatedThread",
    "DiscordThreadState",
    "OpenOutcome",
    "OpenReport",
    "Opened",
    "ProblemWording",
    "Starter",
    "StatusLine",
    "Summary",
    "ThreadArchivedError",
    "ThreadCatchUp",
    "ThreadGateway",
    "ThreadGoneError",
    "ThreadHistory",
    "ThreadLockedError",
    "ThreadMessage",
    "ThreadService",
    "ThreadsAction",
    "ThreadsRefusal",
    "posted_at",
    "thread_name",
]
