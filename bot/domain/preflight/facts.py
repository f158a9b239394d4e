"""What the preflight check judges: the facts about one server, and its findings (one line each, with the fix)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Application flags (developers/resources/application.mdx, "Application Flags"): the Message Content
# intent is switched on in the developer portal; the _LIMITED bit is the one for bots in under 100 servers.
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19


def message_content_allowed(application_flags: int) -> bool:
    return bool(application_flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED))


class Status(enum.Enum):
    OK = "ok"
    WARNING = "warning"  # works, less well: shown with its fix, does not block
    PROBLEM = "problem"  # not ready: shown with its fix, the check exits non-zero

    @property
    def mark(self) -> str:
        return {Status.OK: "✓", Status.WARNING: "!", Status.PROBLEM: "✗"}[self]


@dataclass(frozen=True, slots=True)
class Finding:
    status: Status
    topic: str  # what it is about: "Message Content intent", "reminder channel #reminders"
    text: str  # one sentence: what holds or what is wrong
    fix: str | None = None  # one sentence: what an organiser does about it (never None unless OK)

    def line(self) -> str:
        text = f"{self.status.mark} {self.topic}: {self.text}"
        return f"{text} Fix: {self.fix}" if self.fix else text


class ChannelKind(enum.Enum):
    TEXT = "text"
    FORUM = "forum"
    OTHER = "other"  # voice, category, thread...
    MISSING = "missing"  # deleted, or not in the server the bot is in


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    channel_id: int
    name: str | None  # None when missing
    kind: ChannelKind
    granted: int  # the bot's effective permissions there (developers/topics/permissions.mdx)

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.name else f"channel {self.channel_id}"


@dataclass(frozen=True, slots=True)
class RoleFacts:
    role_id: int
    name: str | None  # None when the role no longer exists
    mentionable: bool = False

    @property
    def label(self) -> str:
        if self.name is None:
            return f"role {self.role_id}"
        return self.name if self.name.startswith("@") else f"@{self.name}"


@dataclass(frozen=True, slots=True)
class IntentFacts:
    """The privileged Message Content intent, which thread replies need to be collected as answers."""

    requested: bool  # MESSAGE_CONTENT_INTENT in the settings
    allowed: bool | None  # switched on in the developer portal (application flags); None: not known
    refused: bool = False  # the gateway closed with 4014 when the bot asked for it


@dataclass(frozen=True, slots=True)
class CommandFacts:
    """The bot's command tree against what Discord has registered in the server (raw command payloads)."""

    expected: Sequence[Mapping[str, Any]]
    registered: Sequence[Mapping[str, Any]] | None  # None: Discord did not say


@dataclass(frozen=True, slots=True)
class ProgrammeFacts:
    title: str
    timezone: str
    sessions: int
    last_session_end: datetime | None


@dataclass(frozen=True, slots=True)
class NextReminder:
    due_at: datetime
    week: int
    title: str
    offset: timedelta


@dataclass(frozen=True, slots=True)
class PreflightFacts:
    guild_id: int
    guild_name: str | None  # None: the bot is not in that server
    message_content: IntentFacts
    commands: CommandFacts
    now: datetime
    reminder_channel_id: int | None = None  # configured (stored with /setup, else .env)
    reminder_channel: ChannelFacts | None = None  # what Discord says about it
    discussion_channel_id: int | None = None
    discussion_channel: ChannelFacts | None = None
    ping_role_id: int | None = None
    ping_role: RoleFacts | None = None
    programme: ProgrammeFacts | None = None
    next_reminder: NextReminder | None = None
    server_granted: int | None = None  # the bot's server-wide permissions (what scheduled events need)
    switched_on: frozenset[str] = frozenset()  # the /setup switches that are on, such as "events_enabled"
    extra: tuple[Finding, ...] = field(default=())  # e.g. problems the running bot met
    stored_read: bool = True  # False: the database was not read (its schema is not this bot's): no programme finding


@dataclass(frozen=True, slots=True)
class PreflightReport:
    findings: tuple[Finding, ...]

    @property
    def ready(self) -> bool:
        return not any(f.status is Status.PROBLEM for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.PROBLEM]

    def lines(self) -> list[str]:
        return [f.line() for f in self.findings]

    def summary(self) -> str:
        problems = len(self.problems)
        warnings = sum(f.status is Status.WARNING for f in self.findings)
        if problems:
            noun = "problem" if problems == 1 else "problems"
            return f"Not ready: {problems} {noun} to fix" + (f", {warnings} warning(s)." if warnings else ".")
        return "Ready." + (f" {warnings} warning(s) to look at." if warnings else "")


TimeText = Callable[[datetime], str]


def runtime_finding(text: str, fix: str) -> Finding:
    """A problem the running bot met (``services.problems``), shown with the preflight's own findings."""
    return Finding(Status.PROBLEM, "while running", text, fix)
