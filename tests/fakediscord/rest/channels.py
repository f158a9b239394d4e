"""REST routes on a channel itself: get and modify.

Docs: resources/channel.mdx (Get Channel, Modify Channel).
"""

from __future__ import annotations

from typing import Any

from ..core import FakeCore, Part, as_list
from ..records import ApiError
from ..transport import Ctx, RouteSpec
from ..world import (
    Perm,
)
from .threads import ThreadRoutes


class ChannelRoutes(Part):
    """REST routes on a channel itself: get and modify."""

    def __init__(self, core: FakeCore, threads: ThreadRoutes) -> None:
        super().__init__(core)
        #: Modifying a thread is a PATCH /channels/{id} too.
        self.threads = threads

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._patch_channel),
        ]

    async def _get_channel(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            self.core.require_view(channel)
        return channel.to_dict(self.world)

    async def _patch_channel(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        body = ctx.obj
        if channel.is_thread:
            return self.threads.patch_thread(channel, body)
        if channel.is_dm:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.core.require(channel, Perm.MANAGE_CHANNELS)
        if "name" in body:
            channel.name = str(body["name"])
        if "topic" in body:
            channel.topic = body["topic"]
        if "nsfw" in body:
            channel.nsfw = bool(body["nsfw"])
        if "rate_limit_per_user" in body:
            channel.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
        if "default_auto_archive_duration" in body:
            channel.default_auto_archive_duration = body["default_auto_archive_duration"]
        if "available_tags" in body and channel.is_forum:
            tags = []
            for tag in as_list(body["available_tags"]):
                tags.append(
                    {
                        "id": str(tag.get("id") or self.world.new_id()),
                        "name": tag.get("name"),
                        "moderated": bool(tag.get("moderated", False)),
                        "emoji_id": tag.get("emoji_id"),
                        "emoji_name": tag.get("emoji_name"),
                    }
                )
            channel.available_tags = tags
        self.gateway.dispatch("CHANNEL_UPDATE", channel.to_dict(self.world))
        return channel.to_dict(self.world)
