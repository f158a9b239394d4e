"""The preflight's judgement of a server, without Discord: each fact that is wrong gives one line with its fix."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.permissions import ADMINISTRATOR, Permission, Place, invite_permissions, needs_for
from bot.domain.preflight import (
    ChannelFacts,
    ChannelKind,
    CommandFacts,
    IntentFacts,
    NextReminder,
    PreflightFacts,
    PreflightReport,
    ProgrammeFacts,
    RoleFacts,
    Status,
    command_signature,
    evaluate,
    invite_lines,
    message_content_allowed,
    runtime_finding,
)

NOW = datetime(2031, 7, 1, tzinfo=UTC)
REMINDERS, DISCUSSION, PINGS = 700, 701, 900
ALL_NEEDED = int(invite_permissions())

COMMANDS: list[dict[str, Any]] = [
    {"name": "next", "type": 1, "description": "The next session", "options": []},
    {
        "name": "setup",
        "type": 1,
        "description": "Organisers: settings",
        "default_member_permissions": "32",
        "options": [
            {"type": 7, "name": "reminder_channel", "description": "Where", "required": False, "channel_types": [0]},
            {"type": 3, "name": "clear", "description": "Reset", "choices": [{"name": "ping role", "value": "x"}]},
        ],
    },
]


def time_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def ready_facts(**changes: Any) -> PreflightFacts:
    facts = PreflightFacts(
        guild_id=1,
        guild_name="Workshop",
        message_content=IntentFacts(requested=True, allowed=True),
        commands=CommandFacts(expected=COMMANDS, registered=COMMANDS),
        now=NOW,
        reminder_channel_id=REMINDERS,
        reminder_channel=ChannelFacts(REMINDERS, "reminders", ChannelKind.TEXT, ALL_NEEDED),
        discussion_channel_id=DISCUSSION,
        discussion_channel=ChannelFacts(DISCUSSION, "discussion", ChannelKind.FORUM, ALL_NEEDED),
        ping_role_id=PINGS,
        ping_role=RoleFacts(PINGS, "Workshop pings", mentionable=True),
        programme=ProgrammeFacts("Online Workshops", "Europe/London", 12, NOW + timedelta(days=90)),
        next_reminder=NextReminder(NOW + timedelta(days=2), 1, "Strategy", timedelta(hours=24)),
    )
    return dataclasses.replace(facts, **changes)


def check(**changes: Any) -> PreflightReport:
    return evaluate(ready_facts(**changes), time_text=time_text)


def about(report: PreflightReport, topic: str) -> list[str]:
    return [line for line in report.lines() if topic in line]


def test_a_ready_server_is_ready_and_says_what_it_checked() -> None:
    report = check()
    assert report.ready and report.summary() == "Ready."
    assert all(f.status is Status.OK for f in report.findings)
    assert report.lines() == [
        "✓ server: the bot is in Workshop (1).",
        "✓ Message Content intent: granted: replies in prompt threads are collected as answers.",
        "✓ reminder channel #reminders: the bot has every permission reminder channels need.",
        "✓ discussion channel #discussion: the bot has every permission discussion channels need.",
        "✓ ping role @Workshop pings: mentionable: reminders ping its members.",
        "✓ slash commands: all 2 registered in this server, up to date.",
        "✓ programme: 'Online Workshops', 12 session(s).",
        "✓ next reminder: week 1 (Strategy), 24h before, due 2031-07-03 00:00 UTC.",
    ]


def test_a_reminder_channel_denying_send_messages_names_the_channel_the_permission_and_the_fix() -> None:
    channel = ChannelFacts(REMINDERS, "reminders", ChannelKind.TEXT, ALL_NEEDED & ~Permission.SEND_MESSAGES)
    report = check(reminder_channel=channel)
    assert not report.ready and report.summary() == "Not ready: 1 problem to fix."
    assert about(report, "reminder channel") == [
        "✗ reminder channel #reminders: the bot lacks Send Messages, needed to post session reminders and retention "
        "notices. Fix: in #reminders > Edit Channel > Permissions, allow Send Messages for the bot's role (or remove "
        "the overwrite that denies it)."
    ]


def test_an_administrator_lacks_nothing() -> None:
    channel = ChannelFacts(REMINDERS, "reminders", ChannelKind.TEXT, ADMINISTRATOR)
    assert check(reminder_channel=channel).ready


def test_one_line_per_need_listing_every_permission_it_lacks() -> None:
    report = check(discussion_channel=ChannelFacts(DISCUSSION, "discussion", ChannelKind.TEXT, 0))
    lines = about(report, "discussion channel")
    assert len(lines) == 2
    assert lines[0].startswith(
        "✗ discussion channel #discussion: the bot lacks View Channel, Send Messages, Embed Links, Read Message "
        "History, Create Public Threads and Send Messages in Threads, needed to open a thread per prompt"
    )
    assert lines[1].startswith("! discussion channel #discussion: the bot lacks Manage Threads, needed to lock threads")


def test_manage_threads_is_optional_a_warning_that_keeps_the_server_ready() -> None:
    granted = ALL_NEEDED & ~Permission.MANAGE_THREADS
    report = check(discussion_channel=ChannelFacts(DISCUSSION, "discussion", ChannelKind.FORUM, granted))
    assert report.ready and report.summary() == "Ready. 1 warning(s) to look at."
    [line] = about(report, "Manage Threads")
    assert line.startswith("! discussion channel #discussion: the bot lacks Manage Threads, needed to lock posts")


@given(granted=st.integers(min_value=0, max_value=(1 << 50) - 1))
def test_the_reminder_channel_is_ready_exactly_when_every_required_bit_is_granted(granted: int) -> None:
    report = check(reminder_channel=ChannelFacts(REMINDERS, "reminders", ChannelKind.TEXT, granted))
    required = 0
    for need in needs_for(Place.REMINDER_CHANNEL, required_only=True):
        required |= need.permissions
    assert report.ready == (granted & required == required or bool(granted & ADMINISTRATOR))


def test_channels_that_are_gone_or_of_the_wrong_kind() -> None:
    report = check(
        reminder_channel=ChannelFacts(REMINDERS, None, ChannelKind.MISSING, 0),
        discussion_channel=ChannelFacts(DISCUSSION, "Lounge", ChannelKind.OTHER, ALL_NEEDED),
    )
    assert about(report, "reminder channel") == [
        "✗ reminder channel channel 700: no such channel in this server (deleted, or the id is wrong). "
        "Fix: choose another with /setup reminder_channel:."
    ]
    assert about(report, "discussion channel") == [
        "✗ discussion channel #Lounge: not a text or forum channel. "
        "Fix: choose a text or forum channel with /setup discussion_channel:."
    ]


def test_channels_not_set() -> None:
    report = check(reminder_channel_id=None, reminder_channel=None, discussion_channel_id=None, discussion_channel=None)
    assert report.ready
    [reminders] = about(report, "reminder channel")
    assert reminders.startswith("! reminder channel: none set: reminders go only by direct message")
    assert "Fix: choose one with /setup reminder_channel:, or set REMINDER_CHANNEL_ID in .env." in reminders
    [discussion] = about(report, "discussion channel")
    assert discussion.startswith("✓ discussion channel: none set: /threads open opens threads where it is run")


def test_a_ping_role_that_cannot_ping() -> None:
    quiet = RoleFacts(PINGS, "Workshop pings", mentionable=False)
    [line] = about(check(ping_role=quiet), "ping role")
    assert line.startswith("✗ ping role @Workshop pings: not mentionable, and the bot lacks Mention @everyone")
    assert 'Fix: in Server Settings > Roles > @Workshop pings, switch on "Allow anyone to @mention this role"' in line

    # Mention @everyone, @here, and All Roles in the reminder channel pings any role (message.mdx, Allowed Mentions).
    mighty = ChannelFacts(REMINDERS, "reminders", ChannelKind.TEXT, ALL_NEEDED | Permission.MENTION_EVERYONE)
    report = check(ping_role=quiet, reminder_channel=mighty)
    assert report.ready and about(report, "ping role")[0].startswith("✓ ping role @Workshop pings: the bot may mention")

    [gone] = about(check(ping_role=RoleFacts(PINGS, None)), "ping role")
    assert gone.startswith("✗ ping role role 900: no such role in this server")
    assert check(ping_role_id=None, ping_role=None).ready


def test_message_content_intent() -> None:
    def intent(**facts: Any) -> tuple[Status, str]:
        [finding] = [f for f in check(message_content=IntentFacts(**facts)).findings if "Message Content" in f.topic]
        return finding.status, finding.line()

    status, line = intent(requested=True, allowed=False)
    assert status is Status.PROBLEM
    assert line == (
        "✗ Message Content intent: it is off for this application: replies in prompt threads are not collected as "
        "answers. Fix: in the developer portal (your application > Bot > Privileged Gateway Intents) switch on "
        "Message Content Intent, then restart the bot."
    )
    status, line = intent(requested=True, allowed=None, refused=True)
    assert status is Status.PROBLEM and "Discord refused it when the bot asked" in line
    status, line = intent(requested=False, allowed=True)
    assert status is Status.WARNING and "set MESSAGE_CONTENT_INTENT=true in .env" in line
    status, line = intent(requested=False, allowed=False)
    assert status is Status.WARNING and "switch on Message Content Intent and set MESSAGE_CONTENT_INTENT=true" in line


def test_application_flags_allow_message_content_with_either_bit() -> None:
    # developers/resources/application.mdx, "Application Flags": GATEWAY_MESSAGE_CONTENT(_LIMITED).
    assert message_content_allowed(1 << 18) and message_content_allowed(1 << 19)
    assert not message_content_allowed((1 << 13) | (1 << 15))


def test_commands_compared_as_members_see_them_not_as_discord_stores_them() -> None:
    echoed = [
        {
            **command,
            "id": "1",
            "version": "2",
            "application_id": "3",
            "guild_id": "1",
            "dm_permission": True,
            "nsfw": False,
            "integration_types": [0],
            "options": [{"required": False, "autocomplete": False, **o} for o in command.get("options", [])],
        }
        for command in COMMANDS
    ]
    assert [command_signature(c) for c in echoed] == [command_signature(c) for c in COMMANDS]
    assert check(commands=CommandFacts(COMMANDS, echoed)).ready


def test_commands_not_synced() -> None:
    changed = [COMMANDS[0] | {"description": "Old words"}, {"name": "gone", "description": "An old command"}]
    report = check(commands=CommandFacts(COMMANDS, changed))
    assert about(report, "slash commands") == [
        "✗ slash commands: not synced (not registered: /setup; out of date: /next; registered but no longer the "
        "bot's: /gone). Fix: start the bot (`python -m bot run`): it registers its commands when they changed; if it "
        "is already running, restart it with `python -m bot run --sync`."
    ]
    [never] = about(check(commands=CommandFacts(COMMANDS, [])), "slash commands")
    assert never.startswith("✗ slash commands: not synced (not registered: /next, /setup).")


def test_no_programme_or_nothing_left_to_remind() -> None:
    [line] = about(check(programme=None, next_reminder=None), "programme")
    assert line.startswith("✗ programme: none imported for this server")
    assert "`python -m bot programme import FILE`, or use /import in Discord." in line

    ended = ProgrammeFacts("Online Workshops", "Europe/London", 12, NOW - timedelta(days=1))
    report = check(programme=ended, next_reminder=None)
    assert report.ready
    assert about(report, "next reminder") == [
        "! next reminder: none to come: the programme ended 2031-06-30 00:00 UTC. Fix: import the next programme "
        "with `python -m bot programme import FILE` or /import."
    ]


def test_a_database_not_read_is_no_verdict_on_the_programme() -> None:
    """The check reads no table of a schema not its own (an upgrade to come): unknown is not "none imported"."""
    report = check(programme=None, next_reminder=None, stored_read=False)
    assert report.ready
    assert not about(report, "programme") and not about(report, "next reminder")


def test_a_server_the_bot_is_not_in() -> None:
    report = check(guild_name=None)
    assert not report.ready
    assert report.lines()[0] == (
        "✗ server: the bot is not in server 1 (GUILD_ID). Fix: add it with the link `python -m bot invite` prints, "
        "or correct GUILD_ID in .env."
    )
    assert not about(report, "channel") and not about(report, "slash commands")


def test_problems_met_while_running_come_last_and_block() -> None:
    report = check(extra=(runtime_finding("#discussion: history unreadable.", "allow Read Message History."),))
    assert not report.ready
    assert report.lines()[-1] == "✗ while running: #discussion: history unreadable. Fix: allow Read Message History."


def test_invite_asks_for_exactly_the_tables_permissions_and_says_why() -> None:
    lines = invite_lines(42, guild_id=1)
    query = parse_qs(urlsplit(lines[0]).query)
    assert query == {
        "client_id": ["42"],
        "scope": ["bot applications.commands"],
        "permissions": [str(invite_permissions())],
        "guild_id": ["1"],
        "disable_guild_select": ["true"],
    }
    listed = [line.strip().split(":")[0] for line in lines if line.startswith("  ")]
    assert listed == [flag.label for flag in Permission if flag in Permission(invite_permissions())]
    assert "  Manage Threads: threads; optional, to lock threads when /threads close ends them" in "\n".join(lines)
    assert "guild_id" not in invite_lines(42)[0]


def test_sessions_as_discord_events_need_create_and_manage_events_only_when_switched_on() -> None:
    """developers/resources/guild-scheduled-event.mdx, "Permissions for events with entity_type: EXTERNAL"."""
    assert about(check(server_granted=0), "events") == []  # off: nothing needed
    on = frozenset({"events_enabled"})
    report = check(server_granted=int(Permission.CREATE_EVENTS), switched_on=on)
    assert not report.ready
    [line] = about(report, "events (server)")
    assert line.startswith("✗ events (server): the bot lacks Manage Events in the server, needed to show each session")
    assert "Server Settings > Roles" in line
    granted = int(Permission.CREATE_EVENTS | Permission.MANAGE_EVENTS)
    assert check(server_granted=granted, switched_on=on).ready
