"""The rules: each fact about the server becomes findings, in the order an organiser would fix them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.permissions import Permission, Place, missing, needs_for
from bot.domain.preflight.commands import command_name, command_signature
from bot.domain.preflight.facts import (
    ChannelFacts,
    ChannelKind,
    CommandFacts,
    Finding,
    IntentFacts,
    PreflightFacts,
    PreflightReport,
    RoleFacts,
    Status,
    TimeText,
)
from bot.domain.reminders import format_offsets
from bot.domain.server_settings import ServerSettings
from bot.domain.settings_rules import SETTING_LABELS, withheld_note


def evaluate(facts: PreflightFacts, *, time_text: TimeText) -> PreflightReport:
    """Every finding about the server, in the order an organiser would fix them."""
    findings: list[Finding] = []
    findings += _server(facts)
    findings += _intent(facts.message_content)
    if facts.guild_name is not None:
        findings += _channels(facts)
        findings += _server_permissions(facts)
        findings += _ping_role(facts)
        findings.append(_commands(facts.commands))
    findings += _programme(facts, time_text)
    findings += facts.extra
    return PreflightReport(tuple(findings))


def withheld_findings(settings: ServerSettings) -> list[Finding]:
    """A channel or role setting not in force in this server: a default of another server's, or @everyone."""
    findings = []
    for item in settings.withheld:
        what, fix = withheld_note(item)
        findings.append(Finding(Status.WARNING, SETTING_LABELS.get(item.setting, item.setting), what, fix))
    return findings


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


def _server_permissions(facts: PreflightFacts) -> list[Finding]:
    """Server-wide needs of the features switched on (sessions as Discord events: Create and Manage Events)."""
    findings: list[Finding] = []
    for need in needs_for(Place.SERVER, required_only=True, switched_on=facts.switched_on):
        topic = f"{need.feature} (server)"
        lacking = missing(need.permissions, facts.server_granted or 0)
        if facts.server_granted is None:
            continue
        if lacking:
            findings.append(
                Finding(
                    Status.PROBLEM,
                    topic,
                    f"the bot lacks {lacking.label} in the server, needed {need.why}.",
                    f"give the bot's role {lacking.label} in Server Settings > Roles, or switch the feature off "
                    "in /setup.",
                )
            )
        else:
            findings.append(Finding(Status.OK, topic, f"the bot has {need.permissions.label}."))
    return findings


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
    expected = {command_name(c): command_signature(c) for c in commands.expected}
    registered = {command_name(c): command_signature(c) for c in commands.registered}
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


def _names(names: Iterable[str], shown: int = 6) -> str:
    names = list(names)
    text = ", ".join(f"/{name}" for name in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _programme(facts: PreflightFacts, time_text: TimeText) -> list[Finding]:
    programme = facts.programme
    if not facts.stored_read:
        return []  # unknown, not missing: the database's own finding says why it was not read
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
