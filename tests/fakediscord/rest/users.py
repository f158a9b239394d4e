"""REST routes for users and the bot's application (what discord.py reads at login).

Docs: resources/user.mdx (Get Current User, Get User), resources/application.mdx (Get Current
Application).
"""

from __future__ import annotations

import time
from typing import Any

from ..core import Part
from ..records import ApiError
from ..transport import Ctx, RouteSpec


class UserRoutes(Part):
    """REST routes for users and the bot's application (what discord.py reads at login)."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
        ]

    async def _get_me(self, ctx: Ctx) -> Any:
        # discord.py logs in with this call: READYs and command syncs before it belong to an earlier client.
        self.core.login_at = time.monotonic()
        data = self.world.bot_user.to_dict()
        data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return data

    async def _get_user(self, ctx: Ctx) -> Any:
        user = self.world.users.get(ctx.snowflake("user_id"))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user.to_dict()

    async def _get_application(self, ctx: Ctx) -> Any:
        owner = self.world.users[self.world.guild.owner_id]
        bot = self.world.bot_user
        flags = (1 << 13) | (1 << 15) | (1 << 19) if self.gateway.privileged_allowed else 0
        return {
            "id": str(self.world.application_id),
            "name": bot.username,
            "icon": None,
            "description": "A fake application",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": flags,
            "flags_new": str(flags),
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": [],
            "approximate_user_authorization_count": 0,
            "owner": owner.to_dict(),
            "team": None,
            "bot": bot.to_dict(),
            "rpc_origins": [],
            "tags": [],
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.world.bot_guilds()),
            "approximate_user_install_count": 0,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "event_webhooks_url": None,
            "event_webhooks_status": 1,
            "event_webhooks_types": [],
        }
