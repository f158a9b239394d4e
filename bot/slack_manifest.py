"""The Slack app manifest: what an organiser pastes into "Create an app > From a manifest". Pure.

Each bot scope and event is listed with the feature that needs it, so the manifest asks for exactly what the
bot uses and the preflight check can compare the scopes a workspace granted against the same table.
Shapes follow Slack's manifest reference (docs.slack.dev, "App manifest reference") and
../shared/slack-api-spec/manifest/manifest.schema.2.0.0.json, which a test validates the output against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SLASH_COMMAND = "/workshop"
APP_NAME = "Workshop bot"
NAME_LIMIT = 35  # display_information.name, at most 35 characters (the manifest schema)
APP_DESCRIPTION = "Runs a programme of weekly workshop sessions: programme, prompts, answers, reminders, exports."

# scope -> why the bot needs it (docs.slack.dev, "Scopes")
BOT_SCOPES: Mapping[str, str] = {
    "commands": "the /workshop slash command",
    "chat:write": "replies, reminders, thread starters and their summaries",
    "im:write": "to open the direct message that carries reminder DMs and delivered files",
    "im:history": "to check, after a restart, whether a reminder DM it was sending was already sent",
    "users:read": "to tell workspace admins and owners (organisers) and show names in exports asked with names",
    "usergroups:read": "the organiser and facilitator user groups chosen in setup",
    "channels:read": "to check it is in the reminder and discussion channels",
    "groups:read": "the same for private channels",
    "channels:history": "replies in prompt threads (public channels) become answers; reminders' outbox check",
    "groups:history": "the same in private channels",
    "files:read": "to read the programme file an organiser uploads to the import form",
    "files:write": "to deliver exports, reports and calendars to an organiser's or member's DM",
}

# event -> why the bot subscribes to it (docs.slack.dev, "Events")
BOT_EVENTS: Mapping[str, str] = {
    "app_home_opened": "to draw the member's App Home (programme, their answers, their reminder setting)",
    "message.channels": "replies in prompt threads (public channels) become answers; edits and deletions follow",
    "message.groups": "the same in private channels",
    "app_uninstalled": "the workspace removed the app: its data is kept for the grace period, then deleted",
}


def build_manifest(*, name: str = APP_NAME, command: str = SLASH_COMMAND) -> dict[str, Any]:
    """The app manifest as JSON-ready values: Socket Mode, the bot scopes and events above, one slash command,
    the App Home (Home tab; a read-only Messages tab for reminders and files) and interactivity."""
    return {
        "_metadata": {"major_version": 2, "minor_version": 1},
        "display_information": {"name": name, "description": APP_DESCRIPTION},
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,  # reminder DMs and delivered files arrive there
                "messages_tab_read_only_enabled": True,  # nobody types to the bot: it reads no DMs
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": command,
                    "description": "The workshop programme, your answers, reminders and (organisers) setup",
                    "usage_hint": "help | programme | next | session N | answer N P | reminders on|off | mydata",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": sorted(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": {"bot_events": sorted(BOT_EVENTS)},
            "interactivity": {"is_enabled": True},
            "org_deploy_enabled": False,
            "socket_mode_enabled": True,  # no public URL needed
            "token_rotation_enabled": False,
        },
    }


def manifest_json(*, name: str = APP_NAME) -> str:
    """The manifest as ``python -m bot slack-manifest`` prints it: JSON, ready to paste."""
    return json.dumps(build_manifest(name=name), indent=2, ensure_ascii=False)
