"""The preflight check: given what Discord and the database say about one server, is the bot ready?

Pure: the facts are gathered elsewhere (``bot/preflight.py`` from a connected client's cache, for
``python -m bot check`` and /setup's health section); this module only judges them. Each finding is one
line, and every finding that is not OK carries the fix an organiser can apply. The permissions each
feature needs come from the one table in ``bot.domain.permissions``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.permissions import (
    FEATURE_PERMISSIONS,
    Permission,
    Place,
    invite_permissions,
    invite_url,
    missing,
    needs_for,
)
from bot.domain.reminders import format_offsets

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
    extra: tuple[Finding, ...] = field(default=())  # e.g. problems the running bot met


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


def evaluate(facts: PreflightFacts, *, time_text: TimeText) -> PreflightReport:
    """Every finding about the server, in the order an organiser would fix them."""
    findings: list[Finding] = []
    findings += _server(facts)
    findings += _intent(facts.message_content)
    if facts.guild_name is not None:
        findings += _channels(facts)
        findings += _ping_role(facts)
        findings.append(_commands(facts.commands))
    findings += _programme(facts, time_text)
    findings += facts.extra
    return PreflightReport(tuple(findings))


# ------------------------------------------------------------------------------------------------ server
def _server(facts: PreflightFacts) -> list[Finding]:
    if facts.guild_name is None:
        return [
            Finding(
                Status.PROBLEM,
                "server",
                f"the bot is not in server {facts.guild_id} (GUILD_ID).",
                "add it with the link `python -m bot invite` prints, or correct GUILD_ID in .env.",
            )
        ]
    return [Finding(Status.OK, "server", f"the bot is in {facts.guild_name} ({facts.guild_id}).")]


# ------------------------------------------------------------------------------------------------ intents
_PORTAL = (
    "in the developer portal (your application > Bot > Privileged Gateway Intents) switch on Message Content Intent"
)


def _intent(intent: IntentFacts) -> list[Finding]:
    topic = "Message Content intent"
    if intent.refused or intent.allowed is False:
        why = "Discord refused it when the bot asked" if intent.refused else "it is off for this application"
        if intent.requested:
            return [
                Finding(
                    Status.PROBLEM,
                    topic,
                    f"{why}: replies in prompt threads are not collected as answers.",
                    f"{_PORTAL}, then restart the bot.",
                )
            ]
        return [
            Finding(
                Status.WARNING,
                topic,
                "off (MESSAGE_CONTENT_INTENT is false, and the application does not have it): replies in prompt "
                "threads are not collected; /answer and the Answer buttons still work.",
                f"to collect thread replies, {_PORTAL} and set MESSAGE_CONTENT_INTENT=true in .env.",
            )
        ]
    if not intent.requested:
        return [
            Finding(
                Status.WARNING,
                topic,
                "not asked for (MESSAGE_CONTENT_INTENT is false): replies in prompt threads are not collected; "
                "/answer and the Answer buttons still work.",
                "to collect thread replies, set MESSAGE_CONTENT_INTENT=true in .env and restart the bot.",
            )
        ]
    return [Finding(Status.OK, topic, "granted: replies in prompt threads are collected as answers.")]


# ------------------------------------------------------------------------------------------------ channels
_KIND_PLACE = {ChannelKind.TEXT: Place.DISCUSSION_TEXT, ChannelKind.FORUM: Place.DISCUSSION_FORUM}


def _channels(facts: PreflightFacts) -> list[Finding]:
    findings: list[Finding] = []
    if facts.reminder_channel_id is None:
        findings.append(
            Finding(
                Status.WARNING,
                "reminder channel",
                "none set: reminders go only by direct message to members who turned them on with /reminders.",
                "choose one with /setup reminder_channel:, or set REMINDER_CHANNEL_ID in .env.",
            )
        )
    else:
        channel = facts.reminder_channel or ChannelFacts(facts.reminder_channel_id, None, ChannelKind.MISSING, 0)
        findings += _channel_findings(
            "reminder channel", "reminder_channel", channel, {ChannelKind.TEXT: Place.REMINDER_CHANNEL}
        )
    if facts.discussion_channel_id is None:
        findings.append(
            Finding(
                Status.OK,
                "discussion channel",
                "none set: /threads open opens threads where it is run, and says there if the bot lacks a permission.",
            )
        )
    else:
        channel = facts.discussion_channel or ChannelFacts(facts.discussion_channel_id, None, ChannelKind.MISSING, 0)
        findings += _channel_findings("discussion channel", "discussion_channel", channel, _KIND_PLACE)
    return findings


def _channel_findings(
    role: str, option: str, channel: ChannelFacts, places: Mapping[ChannelKind, Place]
) -> list[Finding]:
    topic = f"{role} {channel.label}"
    if channel.kind is ChannelKind.MISSING:
        return [
            Finding(
                Status.PROBLEM,
                topic,
                "no such channel in this server (deleted, or the id is wrong).",
                f"choose another with /setup {option}:.",
            )
        ]
    place = places.get(channel.kind)
    if place is None:
        wanted = " or ".join(kind.value for kind in places)
        return [
            Finding(
                Status.PROBLEM,
                topic,
                f"not a {wanted} channel.",
                f"choose a {wanted} channel with /setup {option}:.",
            )
        ]
    findings = []
    for need in needs_for(place):
        lacking = missing(need.permissions, channel.granted)
        if not lacking:
            continue
        findings.append(
            Finding(
                Status.PROBLEM if need.required else Status.WARNING,
                topic,
                f"the bot lacks {_labels(lacking)}, needed {need.why}.",
                f"in {channel.label} > Edit Channel > Permissions, allow {_labels(lacking)} for the bot's role "
                "(or remove the overwrite that denies it).",
            )
        )
    if not findings:
        findings.append(Finding(Status.OK, topic, f"the bot has every permission {role}s need."))
    return findings


def _labels(permissions: Permission) -> str:
    labels = [flag.label for flag in Permission if flag in permissions]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


# ------------------------------------------------------------------------------------------------ roles
def _ping_role(facts: PreflightFacts) -> list[Finding]:
    if facts.ping_role_id is None:
        return []
    role = facts.ping_role or RoleFacts(facts.ping_role_id, None)
    topic = f"ping role {role.label}"
    if role.name is None:
        return [
            Finding(
                Status.PROBLEM,
                topic,
                "no such role in this server: reminders would mention nobody.",
                "choose another with /setup ping_role:, or clear it with /setup clear:ping role.",
            )
        ]
    channel = facts.reminder_channel
    if role.mentionable:
        return [Finding(Status.OK, topic, "mentionable: reminders ping its members.")]
    if channel is not None and not missing(Permission.MENTION_EVERYONE, channel.granted):
        return [Finding(Status.OK, topic, f"the bot may mention every role in {channel.label}: reminders ping it.")]
    where = channel.label if channel is not None else "the reminder channel"
    return [
        Finding(
            Status.PROBLEM,
            topic,
            "not mentionable, and the bot lacks Mention @everyone, @here, and All Roles: reminders name the role "
            "but notify nobody.",
            f'in Server Settings > Roles > {role.label}, switch on "Allow anyone to @mention this role" '
            f"(or allow the bot Mention @everyone, @here, and All Roles in {where}).",
        )
    ]


# ------------------------------------------------------------------------------------------------ commands
_SYNC_FIX = (
    "start the bot (`python -m bot run`): it registers its commands when they changed; if it is already running, "
    "restart it with `python -m bot run --sync`."
)


def _commands(commands: CommandFacts) -> Finding:
    if commands.registered is None:
        return Finding(
            Status.WARNING,
            "slash commands",
            "Discord did not list the registered commands just now.",
            "look again in a minute.",
        )
    expected = {_name(c): command_signature(c) for c in commands.expected}
    registered = {_name(c): command_signature(c) for c in commands.registered}
    absent = sorted(set(expected) - set(registered))
    changed = sorted(name for name in set(expected) & set(registered) if expected[name] != registered[name])
    extra = sorted(set(registered) - set(expected))
    if not (absent or changed or extra):
        return Finding(Status.OK, "slash commands", f"all {len(expected)} registered in this server, up to date.")
    parts = []
    if absent:
        parts.append(f"not registered: {_names(absent)}")
    if changed:
        parts.append(f"out of date: {_names(changed)}")
    if extra:
        parts.append(f"registered but no longer the bot's: {_names(extra)}")
    return Finding(Status.PROBLEM, "slash commands", f"not synced ({'; '.join(parts)}).", _SYNC_FIX)


def _name(command: Mapping[str, Any]) -> str:
    return str(command.get("name", ""))


def _names(names: Iterable[str], shown: int = 6) -> str:
    names = list(names)
    text = ", ".join(f"/{name}" for name in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


_OPTION_DEFAULTS: dict[str, Any] = {
    "description": "",
    "required": False,
    "autocomplete": False,
    "choices": None,
    "channel_types": None,
    "min_value": None,
    "max_value": None,
    "min_length": None,
    "max_length": None,
    "options": None,
}


def command_signature(command: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a member sees of a command, comparable between the bot's payload and Discord's echo of it.

    Discord's copy adds ids, versions and defaults (developers/interactions/application-commands.mdx,
    "Application Command Object"), so only the fields the bot sets are compared, each with its default.
    """
    permissions = command.get("default_member_permissions")
    return (
        _name(command),
        int(command.get("type") or 1),
        command.get("description") or "",
        None if permissions is None else str(permissions),
        bool(command.get("nsfw") or False),
        _options_signature(command.get("options")),
    )


def _options_signature(options: Any) -> tuple[Any, ...]:
    if not options:
        return ()
    signature = []
    for option in options:
        fields: list[Any] = [option.get("name"), int(option.get("type") or 0)]
        for key, default in _OPTION_DEFAULTS.items():
            value = option.get(key, default)
            if key == "options":
                value = _options_signature(value)
            elif key == "choices":
                value = tuple((c.get("name"), c.get("value")) for c in value or ())
            elif key == "channel_types":
                value = tuple(sorted(value or ()))
            elif value is None or value == default:
                value = default
            fields.append(value)
        signature.append(tuple(fields))
    return tuple(signature)


# ------------------------------------------------------------------------------------------------ programme
def _programme(facts: PreflightFacts, time_text: TimeText) -> list[Finding]:
    programme = facts.programme
    if programme is None:
        return [
            Finding(
                Status.PROBLEM,
                "programme",
                "none imported for this server: there is nothing to show or remind.",
                "start the bot once (it imports PROGRAMME_FILE, data/programme.toml by default), or run "
                "`python -m bot programme import FILE`, or use /import in Discord.",
            )
        ]
    findings = [Finding(Status.OK, "programme", f"{programme.title!r}, {programme.sessions} session(s).")]
    reminder = facts.next_reminder
    if reminder is not None:
        findings.append(
            Finding(
                Status.OK,
                "next reminder",
                f"week {reminder.week} ({reminder.title}), {format_offsets([reminder.offset])} before, "
                f"due {time_text(reminder.due_at)}.",
            )
        )
    elif programme.last_session_end is not None and programme.last_session_end <= facts.now:
        findings.append(
            Finding(
                Status.WARNING,
                "next reminder",
                f"none to come: the programme ended {time_text(programme.last_session_end)}.",
                "import the next programme with `python -m bot programme import FILE` or /import.",
            )
        )
    else:
        findings.append(
            Finding(
                Status.WARNING,
                "next reminder",
                "none to come: every session starts sooner than the reminder times.",
                "set earlier reminder times with /setup reminder_times:.",
            )
        )
    return findings


def runtime_finding(text: str, fix: str) -> Finding:
    """A problem the running bot met (``services.problems``), shown with the preflight's own findings."""
    return Finding(Status.PROBLEM, "while running", text, fix)


# ------------------------------------------------------------------------------------------------ invite
def invite_lines(application_id: int, guild_id: int | None = None) -> list[str]:
    """The invite link and, from the same table, what each permission it asks for is for."""
    lines = [invite_url(application_id, guild_id=guild_id), "", "It asks for these permissions, and no others:"]
    for flag in Permission(invite_permissions()):
        needs = [need for need in FEATURE_PERMISSIONS if flag in need.permissions]
        features = ", ".join(dict.fromkeys(need.feature for need in needs))
        optional = [need for need in needs if not need.required]
        note = f"; optional, {optional[0].why}" if optional and len(optional) == len(needs) else ""
        lines.append(f"  {flag.label}: {features}{note}")
    lines += ["", "Scopes: bot (to join the server) and applications.commands (its slash commands)."]
    return lines
