"""REST route telling a bot how to connect: Get Gateway Bot.

Docs: events/gateway.mdx ("Get Gateway Bot", "Session Start Limit Object", "Sharding"). ``shards`` is the
recommended count (``core.recommended_shards``, what AutoShardedBot uses when given no ``shard_count``);
``session_start_limit.remaining`` counts down with every IDENTIFY that started a session.
"""

from __future__ import annotations

from typing import Any

from ..core import Part
from ..transport import Ctx, RouteSpec

#: events/gateway.mdx, Get Gateway Bot example and "Sharding for Large Bots": 1000 session starts a day.
SESSION_START_TOTAL = 1000
#: The limit resets once a day; the example answers 14,400,000 ms.
SESSION_START_RESET_AFTER_MS = 14_400_000


class GatewayRoutes(Part):
    """GET /gateway/bot."""

    def routes(self) -> list[RouteSpec]:
        return [("GET", "/gateway/bot", self._get_gateway_bot)]

    async def _get_gateway_bot(self, ctx: Ctx) -> Any:
        used = self.gateway.session_starts
        return {
            "url": self.core.gateway_url,
            "shards": self.core.recommended_shards,
            "session_start_limit": {
                "total": SESSION_START_TOTAL,
                "remaining": max(0, SESSION_START_TOTAL - used),
                "reset_after": SESSION_START_RESET_AFTER_MS,
                "max_concurrency": self.core.max_concurrency,
            },
        }
