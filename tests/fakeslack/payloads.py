"""The payloads Slack sends an app: Events API callbacks, slash commands and interactions.

- Events API outer event (docs.slack.dev/apis/events-api "Callback field overview"; the schema
  ``shared/slack-api-spec/events-api/slack_common_event_wrapper_schema.json``): token, team_id, api_app_id,
  event, type ``event_callback``, event_id, event_time, authorizations (docs.slack.dev/changelog
  2020-09-15-events-api-truncate-authed-users), is_ext_shared_channel, event_context.
- Slash commands (docs.slack.dev/interactivity/implementing-slash-commands "App command payload"): token,
  team_id, team_domain, channel_id, channel_name, user_id, user_name, command, text, api_app_id,
  is_enterprise_install, response_url, trigger_id.
- Interactions (docs.slack.dev/reference/interaction-payloads): block_actions, view_submission, view_closed,
  shortcut; each with type, team, user, api_app_id, token, trigger_id (not view_closed) and its own parts.
"""

from __future__ import annotations

import secrets
import time

from .world import APP_ID, JSON, TEAM_DOMAIN, TEAM_ID, Channel, User, World

#: The deprecated verification token Slack still puts in payloads (apps must not rely on it).
VERIFICATION_TOKEN = "fakeVerificationToken0"


def event_id() -> str:
    return "Ev" + secrets.token_hex(5).upper()


def event_callback(world: World, event: JSON) -> JSON:
    """The outer event of an Events API delivery."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id(),
        "event_time": int(time.time()),
        # Truncated to one entry since 2021 (docs.slack.dev/changelog/2020-09-15-events-api-truncate-authed-users),
        # still required by the wrapper schema.
        "authed_users": [world.bot.id],
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": world.bot.id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_hex(16),
    }


def _user_part(user: User) -> JSON:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID}


def _team_part() -> JSON:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def slash_command(user: User, channel: Channel, command: str, text: str, *, response_url: str, trigger_id: str) -> JSON:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(
    user: User,
    action: JSON,
    *,
    trigger_id: str,
    container: JSON,
    channel: Channel | None = None,
    message: JSON | None = None,
    view: JSON | None = None,
    response_url: str | None = None,
    state: JSON | None = None,
) -> JSON:
    """docs.slack.dev/reference/interaction-payloads/block_actions-payload."""
    payload: JSON = {
        "type": "block_actions",
        "user": _user_part(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": _team_part(),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if channel is not None:
        payload["channel"] = {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}
    if message is not None:
        payload["message"] = message
    if state is not None:
        payload["state"] = state
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(user: User, view: JSON, *, trigger_id: str) -> JSON:
    """docs.slack.dev/reference/interaction-payloads/view-interactions-payload "view_submission"."""
    return {
        "type": "view_submission",
        "team": _team_part(),
        "user": _user_part(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(user: User, view: JSON, *, is_cleared: bool) -> JSON:
    """docs.slack.dev/reference/interaction-payloads/view-interactions-payload "view_closed"."""
    return {
        "type": "view_closed",
        "team": _team_part(),
        "user": _user_part(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": view,
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def shortcut(user: User, callback_id: str, *, trigger_id: str) -> JSON:
    """docs.slack.dev/reference/interaction-payloads/shortcuts-interaction-payload (global shortcut)."""
    return {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": _team_part(),
        "user": _user_part(user),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }
