"""REST routes answering interactions: the callback, follow-ups and the original response.

Docs: interactions/receiving-and-responding.mdx (Create Interaction Response, Followup Messages).
These routes take the interaction token, not the bot token.
"""

from __future__ import annotations

import time
from typing import Any

from .. import limits
from ..core import INTERACTION_TOKEN_TTL, Part
from ..interactions import CallbackType, Interaction, InteractionCallback, InteractionType
from ..records import JSON, ApiError, UploadedFile, field_error, invalid_form_body
from ..transport import Ctx, RouteSpec
from ..world import (
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    Member,
    Message,
)


class InteractionRoutes(Part):
    """REST routes answering interactions: the callback, follow-ups and the original response."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup_create),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._webhook_message_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._webhook_message_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._webhook_message_delete),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_delete),
        ]

    def _interaction_message(
        self, i: Interaction, body: JSON, files: list[UploadedFile], *, flags: int, original: bool
    ) -> Message:
        channel = self.world.channels.get(i.channel_id) or self.world.dm_channel(i.user.id)
        msg_type = 0
        if original:
            msg_type = {InteractionType.APPLICATION_COMMAND: 20}.get(i.type, 0)
            if i.type == InteractionType.APPLICATION_COMMAND and int(i.payload["data"].get("type", 1)) != 1:
                msg_type = 23
        msg = self.core.new_message(channel, self.world.bot_user, body, files, type=msg_type, flags=flags, webhook=True)
        msg.webhook_id = self.world.application_id
        msg.application_id = self.world.application_id
        msg.interaction_id = i.id
        user = i.user.user if isinstance(i.user, Member) else i.user
        metadata = self._metadata(i)
        if not original and i.original is not None:
            metadata["original_response_message_id"] = str(i.original.id)
        msg.interaction_metadata = metadata
        legacy: JSON = {"id": str(i.id), "type": i.type, "name": i.name, "user": user.to_dict()}
        if isinstance(i.user, Member):
            legacy["member"] = i.user.to_dict(include_user=False)
        msg.interaction = legacy
        return msg

    def _metadata(self, i: Interaction) -> JSON:
        """resources/message.mdx, "Message Interaction Metadata Object": a modal submit's carries the
        metadata of the interaction that opened the modal (``triggering_interaction_metadata``)."""
        user = i.user.user if isinstance(i.user, Member) else i.user
        metadata: JSON = {
            "id": str(i.id),
            "type": i.type,
            "user": user.to_dict(),
            "authorizing_integration_owners": i.payload.get("authorizing_integration_owners", {}),
        }
        if i.type == InteractionType.APPLICATION_COMMAND:
            metadata["name"] = i.name
            metadata["command_type"] = int(i.payload["data"].get("type", 1))
        if i.type == InteractionType.MESSAGE_COMPONENT and i.component_message is not None:
            metadata["interacted_message_id"] = str(i.component_message.id)
        if i.type == InteractionType.MODAL_SUBMIT and i.opened_by is not None:
            metadata["triggering_interaction_metadata"] = self._metadata(i.opened_by)
        return metadata

    def _interaction_by_token(self, ctx: Ctx) -> Interaction:
        i = self.core.interactions_by_token.get(ctx.params["webhook_token"])
        if i is None or ctx.params["webhook_id"] != str(self.world.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        if i.expired or time.monotonic() - i.created > INTERACTION_TOKEN_TTL:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if not i.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        return i

    async def _interaction_callback(self, ctx: Ctx) -> Any:
        i = (
            self.core.interactions_by_id.get(int(ctx.params["interaction_id"]))
            if ctx.params["interaction_id"].isdigit()
            else None
        )
        if i is None or i.token != ctx.params["interaction_token"] or i.expired:
            raise ApiError(404, 10062, "Unknown interaction")
        if i.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        deadline = self.core.interaction_ack_deadline
        if deadline is not None and time.monotonic() - i.created > deadline:
            i.expired = True
            raise ApiError(404, 10062, "Unknown interaction")
        body = ctx.obj
        ctype = int(body.get("type") or 0)
        raw_data = body.get("data")
        data: JSON = raw_data if isinstance(raw_data, dict) else {}
        allowed = {
            InteractionType.APPLICATION_COMMAND: {4, 5, 9, 12},
            InteractionType.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE: {8},
            InteractionType.MODAL_SUBMIT: {4, 5, 6, 7},
        }.get(i.type, set())
        if ctype not in allowed or (ctype in (6, 7) and i.component_message is None):
            raise invalid_form_body(
                field_error(["type"], "INTERACTION_CALLBACK_TYPE_INVALID", f"Callback type {ctype} is not valid here")
            )
        message: Message | None = None
        if ctype == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
            limits.check_message(data, root=["data"], files=len(ctx.files))
            ephemeral = bool(int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
            channel = self.world.channels.get(i.channel_id)
            if channel is not None and not channel.is_dm and channel.is_thread and channel.archived:
                # Interaction responses are allowed in archived threads (Discord unarchives them).
                pass
            message = self._interaction_message(
                i, data, ctx.files, flags=int(data.get("flags") or 0) & limits.SETTABLE_MESSAGE_FLAGS, original=True
            )
            i.original = message
            self.core.post(message, ephemeral=ephemeral)
        elif ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
            flags = MESSAGE_FLAG_LOADING | (int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
            message = self._interaction_message(i, {}, [], flags=flags, original=True)
            i.original = message
            self.core.post(message, ephemeral=bool(flags & MESSAGE_FLAG_EPHEMERAL))
        elif ctype == CallbackType.DEFERRED_UPDATE_MESSAGE:
            i.original = i.component_message
        elif ctype == CallbackType.UPDATE_MESSAGE:
            assert i.component_message is not None
            self.core.apply_edit(i.component_message, data, ctx.files, root=["data"])
            i.original = message = i.component_message
            self.core.updated(message)
        elif ctype == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            limits.check_autocomplete(data)
        elif ctype == CallbackType.MODAL:
            limits.check_modal(data)
        i.callbacks.append(InteractionCallback(type=ctype, data=data, time=time.monotonic()))
        self.notifier.notify()
        if not ctx.flag("with_response"):
            return None
        # interactions/receiving-and-responding.mdx, "Interaction Callback Response Object": the resource's
        # message is "only present if type is either CHANNEL_MESSAGE_WITH_SOURCE or UPDATE_MESSAGE".
        interaction: JSON = {"id": str(i.id), "type": i.type}
        if message is not None:
            interaction.update(
                {
                    "response_message_id": str(message.id),
                    "response_message_loading": message.loading,
                    "response_message_ephemeral": message.ephemeral,
                }
            )
        if message is None or ctype not in (CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, CallbackType.UPDATE_MESSAGE):
            return {"interaction": interaction}
        return {"interaction": interaction, "resource": {"type": ctype, "message": message.to_dict(self.world)}}

    async def _followup_create(self, ctx: Ctx) -> Any:
        i = self._interaction_by_token(ctx)
        body = ctx.obj
        limits.check_message(body, files=len(ctx.files))
        flags = int(body.get("flags") or 0) & limits.SETTABLE_MESSAGE_FLAGS
        original = i.original
        if original is not None and original.loading and not i.followups:
            # The first follow-up after a deferral replaces the "thinking" message (keeping its ephemerality).
            ephemeral_bit = original.flags & MESSAGE_FLAG_EPHEMERAL
            self.core.apply_edit(original, {k: v for k, v in body.items() if k != "flags"}, ctx.files)
            original.flags = (flags & ~MESSAGE_FLAG_EPHEMERAL) | ephemeral_bit
            msg = original
            self.core.updated(msg)
        else:
            msg = self._interaction_message(i, body, ctx.files, flags=flags, original=False)
            self.core.post(msg, ephemeral=msg.ephemeral)
        i.followups.append(msg)
        self.notifier.notify()
        if not ctx.flag("wait"):
            return None
        return msg.to_dict(self.world)

    def _webhook_target(self, ctx: Ctx) -> tuple[Interaction, Message]:
        i = self._interaction_by_token(ctx)
        mid = ctx.params.get("message_id")
        if mid is None or mid == "@original":
            target = i.original
        else:
            target = next(
                (m for m in [*i.all_messages, i.component_message] if m is not None and str(m.id) == mid), None
            )
        if target is None or target.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return i, target

    async def _webhook_message_get(self, ctx: Ctx) -> Any:
        return self._webhook_target(ctx)[1].to_dict(self.world)

    async def _webhook_message_edit(self, ctx: Ctx) -> Any:
        i, msg = self._webhook_target(ctx)
        self.core.apply_edit(msg, ctx.obj, ctx.files)
        if msg is i.original:
            i.original_edits += 1
        self.core.updated(msg)
        return msg.to_dict(self.world)

    async def _webhook_message_delete(self, ctx: Ctx) -> Any:
        _, msg = self._webhook_target(ctx)
        self.core.deleted(msg)
        return None
