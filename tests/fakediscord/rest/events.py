"""REST routes on guild scheduled events.

Docs: resources/guild-scheduled-event.mdx.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..core import Part
from ..records import JSON, ApiError, field_error, invalid_form_body
from ..transport import Ctx, RouteSpec
from ..world import (
    Guild,
    Perm,
    now_utc,
)


class ScheduledEventRoutes(Part):
    """REST routes on guild scheduled events."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._get_event),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._edit_event),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._delete_event),
        ]

    def _event_or_404(self, ctx: Ctx) -> tuple[Guild, JSON]:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        event = guild.scheduled_events.get(ctx.snowflake("guild_scheduled_event_id"))
        if event is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        return guild, event

    def _check_event(self, event: JSON) -> None:
        errors: JSON = {}
        if not 1 <= len(str(event.get("name") or "")) <= 100:
            errors.update(field_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        entity_type = event.get("entity_type")
        if entity_type == 3:
            location = (event.get("entity_metadata") or {}).get("location")
            if not location:
                errors.update(
                    field_error(["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required")
                )
            if not event.get("scheduled_end_time"):
                errors.update(field_error(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required"))
        elif event.get("channel_id") is None:
            errors.update(field_error(["channel_id"], "BASE_TYPE_REQUIRED", "This field is required"))
        start = event.get("scheduled_start_time")
        try:
            start_dt = datetime.fromisoformat(str(start))
        except ValueError:
            errors.update(field_error(["scheduled_start_time"], "DATE_TYPE_PARSE", "Could not parse date"))
        else:
            end = event.get("scheduled_end_time")
            if event.get("status", 1) == 1 and start_dt < now_utc() - timedelta(minutes=1):
                errors.update(
                    field_error(
                        ["scheduled_start_time"],
                        "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                        "Cannot schedule event in the past.",
                    )
                )
            if end and datetime.fromisoformat(str(end)) <= start_dt:
                errors.update(
                    field_error(
                        ["scheduled_end_time"], "GUILD_SCHEDULED_EVENT_END_BEFORE_START", "End must be after start"
                    )
                )
        if errors:
            raise invalid_form_body(errors)

    async def _list_events(self, ctx: Ctx) -> Any:
        return list(self.core.guild_or_404(ctx.snowflake("guild_id")).scheduled_events.values())

    async def _get_event(self, ctx: Ctx) -> Any:
        return self._event_or_404(ctx)[1]

    async def _create_event(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        if not self.world.base_permissions(self.world.bot_member(guild.id)) & (Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS):
            raise ApiError(403, 50013, "Missing Permissions")
        body = ctx.obj
        event_id = self.world.new_id()
        event: JSON = {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "channel_id": None if body.get("channel_id") is None else str(body["channel_id"]),
            "creator_id": str(self.world.bot_user.id),
            "creator": self.world.bot_user.to_dict(),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self._check_event(event)
        guild.scheduled_events[event_id] = event
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        self.notifier.notify()
        return event

    async def _edit_event(self, ctx: Ctx) -> Any:
        _, event = self._event_or_404(ctx)
        updated = {**event, **{k: v for k, v in ctx.obj.items() if k in event or k == "entity_metadata"}}
        if "channel_id" in ctx.obj and ctx.obj["channel_id"] is not None:
            updated["channel_id"] = str(ctx.obj["channel_id"])
        if updated.get("status", 1) == 1:
            self._check_event(updated)
        event.clear()
        event.update(updated)
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        self.notifier.notify()
        return event

    async def _delete_event(self, ctx: Ctx) -> Any:
        guild, event = self._event_or_404(ctx)
        del guild.scheduled_events[int(event["id"])]
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)
        self.notifier.notify()
        return None
