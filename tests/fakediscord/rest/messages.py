"""REST routes on messages.

Docs: resources/message.mdx (Get Channel Messages, Create Message, Edit Message, Delete Message).
"""

from __future__ import annotations

import time
from typing import Any

from .. import limits, payloads
from ..core import NONCE_WINDOW_SECONDS, Part
from ..records import ApiError, field_error, invalid_form_body
from ..transport import Ctx, RouteSpec
from ..world import (
    Perm,
)


class MessageRoutes(Part):
    """REST routes on messages."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
        ]

    async def _list_messages(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            # resources/message.mdx, Get Channel Messages: View Channel is required; "If the current user is
            # missing the READ_MESSAGE_HISTORY permission in the channel, then no messages will be returned."
            self.core.require_view(channel)
            if not self.core.bot_permissions(channel) & Perm.READ_MESSAGE_HISTORY:
                return []
        limit = max(1, min(100, int(ctx.query.get("limit", "50") or 50)))
        msgs = self.world.messages_in(channel)
        if "before" in ctx.query:
            before = int(ctx.query["before"])
            msgs = [m for m in msgs if m.id < before][-limit:]
        elif "after" in ctx.query:
            after = int(ctx.query["after"])
            msgs = [m for m in msgs if m.id > after][:limit]
        elif "around" in ctx.query:
            around = int(ctx.query["around"])
            older = [m for m in msgs if m.id < around][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in msgs if m.id >= around][: limit - len(older)]
            msgs = older + newer
        else:
            msgs = msgs[-limit:]
        return [payloads.rest_message(self.core, m) for m in reversed(msgs)]

    async def _get_message(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            # resources/message.mdx, Get Channel Message: View Channel and Read Message History.
            self.core.require(channel, Perm.READ_MESSAGE_HISTORY)
        return payloads.rest_message(self.core, self.core.message_or_404(channel, ctx.snowflake("message_id")))

    async def _create_message(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        body = ctx.obj
        self.core.check_can_post(channel, files=bool(ctx.files))
        limits.check_message(body, files=len(ctx.files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel.id, str(nonce))
            seen = self.core.nonces.get(key)
            if seen is not None and time.monotonic() - seen[0] < NONCE_WINDOW_SECONDS:
                # resources/message.mdx, Create Message, ``enforce_nonce``: "If another message was created by the
                # same author with the same nonce, that message will be returned". A message since deleted is
                # not returned (it is gone): the repeat makes a new one.
                original = self.world.messages.get(seen[1])
                if original is not None and not original.deleted:
                    return original.to_dict(self.world, include_nonce=True)
        msg_type = 0
        reference = body.get("message_reference")
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            if not channel.is_dm:
                # resources/message.mdx, Create Message: a reply needs Read Message History.
                self.core.require(channel, Perm.READ_MESSAGE_HISTORY)
            ref_channel = int(reference.get("channel_id") or channel.id)
            ref = self.world.messages.get(int(reference["message_id"]))
            if ref is None or ref.deleted or ref.channel_id != ref_channel:
                if reference.get("fail_if_not_exists", True):
                    raise invalid_form_body(
                        field_error(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
                    )
            else:
                msg_type = 19
        msg = self.core.new_message(channel, self.world.bot_user, body, ctx.files, type=msg_type)
        if msg_type == 19 and isinstance(reference, dict):
            msg.message_reference = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id") or channel.id),
                "guild_id": None if channel.guild_id is None else str(channel.guild_id),
            }
        if nonce is not None:
            self.core.nonces[(channel.id, str(nonce))] = (time.monotonic(), msg.id)
        self.core.unarchive_to_post(channel)
        self.core.post(msg)
        return msg.to_dict(self.world, include_nonce=True)

    async def _edit_message(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            self.core.require_view(channel)
        msg = self.core.message_or_404(channel, ctx.snowflake("message_id"))
        if msg.author is not self.world.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if channel.is_thread:
            # topics/threads.mdx: no editing messages in archived threads, nor in locked ones without
            # Manage Threads.
            if channel.locked and not self.core.bot_permissions(channel) & Perm.MANAGE_THREADS:
                raise ApiError(403, 160005, "Thread is locked")
            if channel.archived:
                raise ApiError(400, 50083, "Thread is archived")
        self.core.apply_edit(msg, ctx.obj, ctx.files)
        self.core.updated(msg)
        return msg.to_dict(self.world)

    async def _delete_message(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            self.core.require_view(channel)
        msg = self.core.message_or_404(channel, ctx.snowflake("message_id"))
        if msg.author is not self.world.bot_user:
            # resources/message.mdx, Delete Message: another user's message needs Manage Messages.
            self.core.require(channel, Perm.MANAGE_MESSAGES)
        self.core.deleted(msg)
        return None
