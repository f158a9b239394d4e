"""REST route for opening a DM channel with a user.

Docs: resources/user.mdx (Create DM).
"""

from __future__ import annotations

from typing import Any

from ..core import Part
from ..records import ApiError
from ..transport import Ctx, RouteSpec


class DmRoutes(Part):
    """REST route for opening a DM channel with a user."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("POST", "/users/@me/channels", self._open_dm),
        ]

    async def _open_dm(self, ctx: Ctx) -> Any:
        raw = ctx.obj.get("recipient_id")
        try:
            user = self.world.users[int(str(raw))]
        except (TypeError, ValueError, KeyError):
            raise ApiError(400, 50033, "Invalid Recipient(s)") from None
        return self.world.dm_channel(user).to_dict(self.world)
