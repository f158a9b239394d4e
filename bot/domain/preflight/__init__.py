"""The preflight check: given what Discord and the database say about one server, is the bot ready?

Pure: the facts are gathered elsewhere (``bot/preflight/`` from a connected client's cache, for
``python -m bot check`` and /setup's health section); this module only judges them. Each finding is one
line, and every finding that is not OK carries the fix an organiser can apply. The permissions each
feature needs come from the one table in ``bot.domain.permissions``.
"""

from bot.domain.preflight.commands import command_signature
from bot.domain.preflight.facts import (
    GATEWAY_MESSAGE_CONTENT,
    GATEWAY_MESSAGE_CONTENT_LIMITED,
    ChannelFacts,
    ChannelKind,
    CommandFacts,
    Finding,
    IntentFacts,
    NextReminder,
    PreflightFacts,
    PreflightReport,
    ProgrammeFacts,
    RoleFacts,
    Status,
    TimeText,
    message_content_allowed,
    runtime_finding,
)
from bot.domain.preflight.invite import invite_lines
from bot.domain.preflight.rules import evaluate

__all__ = [
    "GATEWAY_MESSAGE_CONTENT",
    "GATEWAY_MESSAGE_CONTENT_LIMITED",
    "ChannelFacts",
    "ChannelKind",
    "CommandFacts",
    "Finding",
    "IntentFacts",
    "NextReminder",
    "PreflightFacts",
    "PreflightReport",
    "ProgrammeFacts",
    "RoleFacts",
    "Status",
    "TimeText",
    "command_signature",
    "evaluate",
    "invite_lines",
    "message_content_allowed",
    "runtime_finding",
]
