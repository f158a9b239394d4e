"""auth.test, apps.connections.open, team.info, users.*, usergroups.*, bots.info
(docs.slack.dev/reference/methods/<method>)."""

from __future__ import annotations

from ..core import Call, SlackError, web_method
from ..world import APP_ID, BOT_ID, JSON, TEAM_DOMAIN, TEAM_ID, TEAM_NAME


@web_method("auth.test")
async def auth_test(call: Call) -> JSON:
    """ "Checks authentication & identity": url, team, user, team_id, user_id, and bot_id for a bot token. The
    granted scopes come in the ``x-oauth-scopes`` header (set by the transport on every answer)."""
    bot = call.world.bot
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": bot.name,
        "team_id": TEAM_ID,
        "user_id": bot.id,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


@web_method("apps.connections.open", scopes=("connections:write",), token="app")
async def connections_open(call: Call) -> JSON:
    """An app-level token with ``connections:write`` gets a Socket Mode URL
    (docs.slack.dev/reference/methods/apps.connections.open)."""
    assert call.core.sockets is not None
    return {"ok": True, "url": call.core.sockets.new_url()}


@web_method("team.info", scopes=("team:read",))
async def team_info(call: Call) -> JSON:
    return {
        "ok": True,
        "team": {
            "id": TEAM_ID,
            "name": TEAM_NAME,
            "domain": TEAM_DOMAIN,
            "email_domain": "",
            "icon": {"image_default": True, "image_34": "https://a.slack-edge.com/team-34.png"},
        },
    }


@web_method("users.info", scopes=("users:read",))
async def users_info(call: Call) -> JSON:
    return {"ok": True, "user": call.user().to_dict()}


@web_method("users.list", scopes=("users:read",))
async def users_list(call: Call) -> JSON:
    """Every member (no pagination modelled beyond a single page: the fake's workspaces are small)."""
    members = [u.to_dict() for u in call.world.users.values()]
    return {"ok": True, "members": members, "cache_ts": 1700000000, "response_metadata": {"next_cursor": ""}}


@web_method("bots.info", scopes=("users:read",))
async def bots_info(call: Call) -> JSON:
    if call.arg("bot") not in (None, BOT_ID):
        raise SlackError("bot_not_found")
    return {
        "ok": True,
        "bot": {
            "id": BOT_ID,
            "deleted": False,
            "name": call.world.bot.name,
            "updated": 1700000000,
            "app_id": APP_ID,
            "user_id": call.world.bot.id,
            "icons": {
                "image_36": "https://a.slack-edge.com/bot-36.png",
                "image_48": "https://a.slack-edge.com/bot-48.png",
                "image_72": "https://a.slack-edge.com/bot-72.png",
            },
        },
    }


@web_method("usergroups.list", scopes=("usergroups:read",))
async def usergroups_list(call: Call) -> JSON:
    """``include_users`` adds each group's member ids; ``include_disabled`` the disabled groups."""
    include_users = call.flag("include_users")
    include_disabled = call.flag("include_disabled")
    groups = [
        g.to_dict(include_users=include_users)
        for g in call.world.usergroups.values()
        if include_disabled or not g.date_delete
    ]
    return {"ok": True, "usergroups": groups}


@web_method("usergroups.users.list", scopes=("usergroups:read",))
async def usergroups_users_list(call: Call) -> JSON:
    group = call.world.usergroups.get(call.arg("usergroup", required=True) or "")
    if group is None:
        raise SlackError("no_such_subteam")
    if group.date_delete and not call.flag("include_disabled"):
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}
