"""The Slack side of the preflight check: one line per problem, with its fix. Changes nothing in Slack.

- the bot token works (``auth.test``) and the scopes it was granted (the ``x-oauth-scopes`` header of every
  answer, docs.slack.dev/authentication/installing-with-oauth, "Checking scopes") are the manifest's;
- Socket Mode is reachable with the app-level token (``apps.connections.open``, docs.slack.dev/apis/events-api/
  using-socket-mode): the check asks for a connection URL and does not connect;
- the bot is a member of the reminder and discussion channels (``conversations.info``, ``is_member``);
- the organiser and facilitator user groups exist and are enabled (``usergroups.list``).

``python -m bot check`` prints ``slack_findings``; the Slack setup view shows the same list as its Health part
(``slack_findings(client, app_token=..., places=places_of(settings))``: a list of ``Finding``, data to render).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, server_defaults
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import int_to_slack_id, slack_id_to_int
from bot.domain.preflight import Finding, Status
from bot.domain.server_settings import ServerSettings, StoredServerSettings, effective_settings
from bot.preflight.database import looked_at
from bot.services.server_settings import ServerSettingsService

REINSTALL = (
    "paste `python -m bot slack-manifest` into the app's App Manifest page, save, then reinstall the app "
    "(Install App > Reinstall to Workspace) and copy the new Bot User OAuth Token into SLACK_BOT_TOKEN."
)
TOKEN_REFUSALS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
# The scopes the reminders' outbox check reads with (conversations.history): without them, a reminder a crash left
# unconfirmed cannot be looked for, and Slack drops no repeated post, so the bot gives it up instead of resending.
HISTORY_SCOPES = {
    "channels:history": "public reminder channel",
    "groups:history": "private reminder channel",
    "im:history": "members' reminder DMs",
}
# User groups need a paid plan (docs.slack.dev/reference/methods/usergroups.list, "Errors": paid_teams_only).
NO_USER_GROUPS = frozenset({"paid_teams_only", "paid_only", "plan_upgrade_required"})


@dataclass(frozen=True, slots=True)
class SlackPlaces:
    """What the check looks at in the workspace: the settings' channels and user groups (encoded ids)."""

    reminder_channel_id: int | None = None
    discussion_channel_id: int | None = None
    organiser_group_id: int | None = None
    facilitator_group_id: int | None = None


def places_of(settings: ServerSettings) -> SlackPlaces:
    """What to look at, from a workspace's settings (its user groups are kept where Discord keeps roles)."""
    return SlackPlaces(
        reminder_channel_id=settings.reminder_channel_id,
        discussion_channel_id=settings.discussion_channel_id,
        organiser_group_id=settings.organiser_role_id,
        facilitator_group_id=settings.facilitator_role_id,
    )


def manifest_scopes() -> frozenset[str] | None:
    """The bot scopes the app manifest asks for (bot/slack_manifest.py), the list the granted ones must match;
    None when this version has no manifest."""
    try:
        manifest = importlib.import_module("bot.slack_manifest")  # the Slack front end's module, read as data
    except ModuleNotFoundError:
        return None
    return frozenset(manifest.BOT_SCOPES)


async def run_slack_check(
    settings: Settings, *, database_path: Path | str, with_database: bool = True
) -> list[Finding]:
    """``python -m bot check`` for Slack: the workspace the bot token belongs to, its stored settings' channels
    and user groups (the database is only read; a missing SQLite file means nothing is set up yet), and unless
    ``with_database`` is off (the Discord check said it already), the database's own findings."""
    if settings.slack_bot_token is None:
        raise UserFacingError("SLACK_BOT_TOKEN is not set: there is no Slack workspace to check")
    client = AsyncWebClient(token=settings.slack_bot_token.reveal(), base_url=settings.slack_api_url)
    app_token = settings.slack_app_token.reveal() if settings.slack_app_token is not None else None
    places = SlackPlaces()
    try:
        team = (await client.auth_test()).get("team_id")
    except SlackApiError:
        team = None  # slack_findings says why
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        return [
            Finding(
                Status.PROBLEM,
                "Slack",
                f"could not reach Slack at {settings.slack_api_url} ({type(error).__name__}).",
                "Check the network, and SLACK_API_URL if it is set (it is for tests and proxies only).",
            )
        ]
    community_id = slack_id_to_int(str(team)) if team else None
    places, database_findings = await _stored(settings, database_path, community_id)
    findings = await slack_findings(client, app_token=app_token, places=places)
    return [*findings, *database_findings] if with_database else findings


async def _stored(
    settings: Settings, database_path: Path | str, community_id: int | None
) -> tuple[SlackPlaces, list[Finding]]:
    """The workspace's places (none when the token named no workspace) and the database's findings.

    The database is opened read-only and never migrated; where there is none yet, or its tables are not read (a
    schema not this bot's), the places are .env's alone."""
    defaults = server_defaults(settings)
    async with looked_at(database_path) as look:
        if community_id is None:
            return SlackPlaces(), look.findings
        if look.db is None:
            return places_of(effective_settings(community_id, StoredServerSettings(), defaults)), look.findings
        return places_of(await ServerSettingsService(look.db, defaults).get(community_id)), look.findings


async def slack_findings(
    client: AsyncWebClient,
    *,
    app_token: str | None,
    places: SlackPlaces,
    expected_scopes: Collection[str] | None = None,
    app_client: AsyncWebClient | None = None,
) -> list[Finding]:
    """Every finding about the workspace the bot token belongs to; stops after a refused token."""
    findings: list[Finding] = []
    try:
        identity = await client.auth_test()
    except SlackApiError as error:
        code = _code(error)
        if code in TOKEN_REFUSALS:
            return [
                Finding(
                    Status.PROBLEM,
                    "Slack bot token",
                    f"Slack refused SLACK_BOT_TOKEN ({code}).",
                    "Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into "
                    "SLACK_BOT_TOKEN.",
                )
            ]
        return [Finding(Status.PROBLEM, "Slack", f"Slack answered {code}.", "Try again in a minute.")]
    team = identity.get("team") or identity.get("team_id")
    findings.append(Finding(Status.OK, "Slack bot token", f"works in the workspace {team}."))
    expected = expected_scopes if expected_scopes is not None else manifest_scopes()
    if expected is None:
        findings.append(
            Finding(
                Status.WARNING,
                "Slack scopes",
                "not compared: this version of the bot has no app manifest.",
                "Compare the scopes on the app's OAuth & Permissions page with the README's list by hand.",
            )
        )
    else:
        findings += _scope_findings(identity.headers, expected)
    findings.append(await _socket_mode(client, app_token, app_client))
    if places.reminder_channel_id is None:
        findings.append(
            Finding(
                Status.WARNING,
                "reminder channel",
                "none is set: reminders go only to members who asked for them by DM.",
                "Choose the reminder channel in /workshop setup (and invite the bot there with /invite).",
            )
        )
    for label, channel_id in (
        ("reminder channel", places.reminder_channel_id),
        ("discussion channel", places.discussion_channel_id),
    ):
        if channel_id is not None:
            findings.append(await _channel(client, label, channel_id))
    findings += await _user_groups(client, places)
    return findings


def _code(error: SlackApiError) -> str:
    try:
        return str(error.response.get("error") or "unknown_error")
    except AttributeError:
        return "unknown_error"


def _unreadable_outbox(missing: Collection[str]) -> str:
    """What a missing history scope costs the reminders, said in the check (the service acts on it: it never
    resends blind where the platform keeps no nonce)."""
    places = [HISTORY_SCOPES[scope] for scope in sorted(missing) if scope in HISTORY_SCOPES]
    if not places:
        return ""
    return (
        f": without it, a reminder the bot was sending in the {' or the '.join(places)} when it stopped cannot be "
        "checked after a restart, and as Slack does not drop a repeated post, the bot gives that reminder up "
        "(and says so) rather than risk posting it twice"
    )


def granted_scopes(headers: Mapping[str, Any]) -> frozenset[str] | None:
    value = next((v for k, v in headers.items() if k.lower() == "x-oauth-scopes"), None)
    if value is None:
        return None
    return frozenset(s.strip() for s in str(value).split(",") if s.strip())


def _scope_findings(headers: Mapping[str, Any], expected: Collection[str]) -> list[Finding]:
    granted = granted_scopes(headers)
    if granted is None:
        return [Finding(Status.WARNING, "Slack scopes", "Slack did not say which scopes the token has.", REINSTALL)]
    missing = sorted(set(expected) - granted)
    unused = sorted(granted - set(expected))
    findings: list[Finding] = []
    if missing:
        findings.append(
            Finding(
                Status.PROBLEM,
                "Slack scopes",
                f"the app lacks {', '.join(missing)}{_unreadable_outbox(missing)}.",
                f"To grant them, {REINSTALL}",
            )
        )
    if unused:
        findings.append(
            Finding(
                Status.WARNING,
                "Slack scopes",
                f"the app holds scopes the bot never uses: {', '.join(unused)}.",
                f"To hold only what it needs, {REINSTALL}",
            )
        )
    if not findings:
        findings.append(Finding(Status.OK, "Slack scopes", "exactly the manifest's."))
    return findings


async def _socket_mode(client: AsyncWebClient, app_token: str | None, app_client: AsyncWebClient | None) -> Finding:
    topic = "Socket Mode"
    fix_token = (
        "Create an app-level token with the connections:write scope (Basic Information > App-Level Tokens) and put it "
        "in SLACK_APP_TOKEN."
    )
    if not app_token:
        return Finding(Status.PROBLEM, topic, "SLACK_APP_TOKEN is not set.", fix_token)
    try:
        app_client = app_client or AsyncWebClient(token=app_token, base_url=client.base_url)
        opened = await app_client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        code = _code(error)
        if code in TOKEN_REFUSALS or code in {"not_allowed_token_type", "missing_scope"}:
            return Finding(Status.PROBLEM, topic, f"Slack refused SLACK_APP_TOKEN ({code}).", fix_token)
        return Finding(
            Status.PROBLEM,
            topic,
            f"Slack would not open a Socket Mode connection ({code}).",
            "Turn Socket Mode on in the app's settings (Socket Mode > Enable Socket Mode).",
        )
    if not opened.get("url"):
        return Finding(Status.PROBLEM, topic, "Slack gave no connection URL.", "Try again in a minute.")
    return Finding(Status.OK, topic, "reachable with the app-level token.")


async def _channel(client: AsyncWebClient, label: str, channel_id: int) -> Finding:
    channel = int_to_slack_id(channel_id)
    topic = f"{label} <#{channel}>"
    try:
        info = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as error:
        code = _code(error)
        if code == "channel_not_found":
            return Finding(
                Status.PROBLEM,
                topic,
                "does not exist, or is private and the bot is not in it.",
                f"Invite the bot there (/invite), or choose another {label} with /workshop setup.",
            )
        return Finding(
            Status.PROBLEM, topic, f"could not be checked ({code}).", f"To grant what is missing, {REINSTALL}"
        )
    name = f"#{info['name']}" if info.get("name") else topic
    if info.get("is_archived"):
        return Finding(
            Status.PROBLEM, name, "is archived.", f"Unarchive it, or choose another {label} with /workshop setup."
        )
    if not info.get("is_member"):
        return Finding(
            Status.PROBLEM,
            name,
            "the bot is not a member, so it cannot post or read there.",
            f"In {name}, type /invite and pick the bot.",
        )
    return Finding(Status.OK, name, f"the bot is in the {label}.")


async def _user_groups(client: AsyncWebClient, places: SlackPlaces) -> list[Finding]:
    wanted = [
        (role, gid)
        for role, gid in (("organiser", places.organiser_group_id), ("facilitator", places.facilitator_group_id))
        if gid is not None
    ]
    if not wanted:
        return []
    try:
        listed = (await client.usergroups_list(include_disabled=True)).get("usergroups") or []
    except SlackApiError as error:
        code = _code(error)
        if code in NO_USER_GROUPS:
            return [
                Finding(
                    Status.WARNING,
                    "user groups",
                    "this workspace's plan has no user groups: only workspace admins and owners are organisers.",
                    "Clear the user groups in /workshop setup, or upgrade the workspace's plan.",
                )
            ]
        return [
            Finding(
                Status.PROBLEM,
                "user groups",
                f"could not be listed ({code}).",
                f"To grant usergroups:read, {REINSTALL}",
            )
        ]
    groups = {str(g.get("id")): g for g in listed}
    findings: list[Finding] = []
    for role, group_id in wanted:
        slack_id = int_to_slack_id(group_id)
        group = groups.get(slack_id)
        topic = f"{role} user group"
        if group is None:
            findings.append(
                Finding(
                    Status.PROBLEM,
                    topic,
                    f"{slack_id} no longer exists.",
                    f"Choose the {role} user group again with /workshop setup.",
                )
            )
        elif group.get("date_delete"):
            findings.append(
                Finding(
                    Status.PROBLEM,
                    f"{topic} @{group.get('handle', slack_id)}",
                    "is disabled.",
                    f"Enable it again in Slack, or choose another {role} user group with /workshop setup.",
                )
            )
        else:
            findings.append(Finding(Status.OK, f"{topic} @{group.get('handle', slack_id)}", "exists."))
    return findings
