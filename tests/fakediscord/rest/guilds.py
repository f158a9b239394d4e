"""REST routes on guild members.

Docs: resources/guild.mdx (Get Guild Member).
"""

from __future__ import annotations

from typing import Any

from ..core import Part
from ..records import ApiError
from ..transport import Ctx, RouteSpec


class GuildRoutes(Part):
    """REST routes on guild members."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
        ]

    async def _get_member(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member.to_dict()
