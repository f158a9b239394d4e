"""REST routes on the guild, its channels, roles and members.

Docs: resources/guild.mdx (Get Guild, Get Guild Channels, Get Guild Roles, List/Search Guild Members,
Get Guild Member, Add/Remove Guild Member Role).
"""

from __future__ import annotations

from typing import Any

from ..core import Part
from ..records import ApiError
from ..transport import Ctx, RouteSpec
from ..world import (
    Perm,
)


class GuildRoutes(Part):
    """REST routes on the guild, its channels, roles and members."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._guild_roles),
            ("GET", "/guilds/{guild_id}/members", self._list_members),
            ("GET", "/guilds/{guild_id}/members/search", self._search_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._add_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._remove_member_role),
        ]

    async def _get_guild(self, ctx: Ctx) -> Any:
        return self.core.guild_or_404(ctx.snowflake("guild_id")).to_dict(with_counts=ctx.flag("with_counts"))

    async def _guild_channels(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        return [self.world.channels[c].to_dict(self.world) for c in guild.channel_ids if c in self.world.channels]

    async def _guild_roles(self, ctx: Ctx) -> Any:
        return [r.to_dict() for r in self.core.guild_or_404(ctx.snowflake("guild_id")).roles.values()]

    async def _list_members(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        if not self.gateway.privileged_allowed:
            raise ApiError(403, 50001, "Missing Access")
        limit = max(1, min(1000, int(ctx.query.get("limit") or 1)))
        after = int(ctx.query.get("after") or 0)
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.to_dict() for m in members[:limit]]

    async def _search_members(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        query = ctx.query.get("query", "").lower()
        limit = max(1, min(1000, int(ctx.query.get("limit") or 1)))
        found = [
            m
            for m in guild.members.values()
            if m.user.username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
        ]
        return [m.to_dict() for m in found[:limit]]

    async def _get_member(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member.to_dict()

    async def _add_member_role(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        role = guild.roles.get(ctx.snowflake("role_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        if not self.world.base_permissions(self.world.bot_member(guild.id)) & Perm.MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        if role.id not in member.roles:
            member.roles.append(role.id)
            self.core.member_update(member)
        return None

    async def _remove_member_role(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        if not self.world.base_permissions(self.world.bot_member(guild.id)) & Perm.MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        role_id = ctx.snowflake("role_id")
        if role_id in member.roles:
            member.roles.remove(role_id)
            self.core.member_update(member)
        return None
