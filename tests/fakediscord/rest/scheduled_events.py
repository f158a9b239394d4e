"""REST routes on guild scheduled events.

Docs: developers/resources/guild-scheduled-event.mdx (List Scheduled Events for Guild, Create, Get, Modify,
Delete, Get Guild Scheduled Event Users; "Field Requirements By Entity Type"; "Valid Guild Scheduled Event
Status Transitions"; "Guild Scheduled Event Permissions Requirements"); the error codes are
topics/opcodes-and-status-codes.mdx's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core import Part
from ..records import JSON, ApiError, field_error, invalid_form_body
from ..scheduled_events import (
    GUILD_ONLY,
    MAX_EVENTS_CODE,
    MAX_EVENTS_MESSAGE,
    MAX_UNCOMPLETED_EVENTS,
    EntityType,
    EventStatus,
    ScheduledEvent,
    events_in,
)
from ..transport import Ctx, RouteSpec
from ..world import Guild, Perm

_BASE = "/guilds/{guild_id}/scheduled-events"
#: "Valid Guild Scheduled Event Status Transitions".
_TRANSITIONS = {
    EventStatus.SCHEDULED: {EventStatus.ACTIVE, EventStatus.CANCELED},
    EventStatus.ACTIVE: {EventStatus.COMPLETED},
}


def _length_error(name: str, low: int, high: int) -> ApiError:
    return invalid_form_body(
        field_error([name], "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
    )


def _time(body: JSON, name: str) -> datetime:
    raw = body.get(name)
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise invalid_form_body(field_error([name], "DATE_TIME_TYPE_COERCE", "Could not parse date.")) from None
    if value.tzinfo is None:
        raise invalid_form_body(field_error([name], "DATE_TIME_TYPE_COERCE", "Could not parse date."))
    return value


def _not_in_the_past(start: datetime, now: datetime) -> None:
    """A SCHEDULED event starts in the future: an EXTERNAL event turns ACTIVE at its start, and one not begun
    is cancelled some hours after it ("Guild Scheduled Event Status Update Automation"), so Discord refuses
    to schedule one whose start has passed (the code is not documented: the one Discord answers)."""
    if start < now:
        raise invalid_form_body(
            field_error(
                ["scheduled_start_time"], "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
            )
        )


class ScheduledEventRoutes(Part):
    """List, create, get, modify, delete guild scheduled events, and page through their Interested users."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", _BASE, self._list),
            ("POST", _BASE, self._create),
            ("GET", _BASE + "/{event_id}", self._get),
            ("PATCH", _BASE + "/{event_id}", self._modify),
            ("DELETE", _BASE + "/{event_id}", self._delete),
            ("GET", _BASE + "/{event_id}/users", self._users),
        ]

    # ------------------------------------------------------------------------------- checks

    def _guild_permissions(self, guild: Guild) -> int:
        """ "Guild Scheduled Event Permissions Requirements": "The user's guild-level permissions must include"."""
        return self.world.base_permissions(self.world.bot_member(guild.id))

    def _require_create(self, guild: Guild) -> None:
        """EXTERNAL, "Create permissions": CREATE_EVENTS (else 403 50013 Missing Permissions)."""
        if not self._guild_permissions(guild) & Perm.CREATE_EVENTS:
            raise ApiError(403, 50013, "Missing Permissions")

    def _require_modify(self, guild: Guild, event: ScheduledEvent) -> None:
        """EXTERNAL, "Modify/Delete Permissions": "If the event was created by the current user, either
        CREATE_EVENTS or MANAGE_EVENTS. Otherwise, MANAGE_EVENTS"."""
        granted = self._guild_permissions(guild)
        own = event.creator_id == self.world.bot_user.id
        allowed = Perm.CREATE_EVENTS | Perm.MANAGE_EVENTS if own else Perm.MANAGE_EVENTS
        if not granted & allowed:
            raise ApiError(403, 50013, "Missing Permissions")

    def _event_or_404(self, ctx: Ctx) -> tuple[Guild, ScheduledEvent]:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        event = self.core.scheduled_events.get(ctx.snowflake("event_id"))
        if event is None or event.deleted or event.guild_id != guild.id:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        event.advance(self.core.event_clock())
        return guild, event

    @staticmethod
    def _check_fields(
        body: JSON, *, entity_type: int, start: datetime, end: datetime | None, location: str | None
    ) -> None:
        """Lengths (name 1-100, description 1-1000, location 1-100: "Guild Scheduled Event Structure", "Entity
        Metadata") and "Field Requirements By Entity Type" (EXTERNAL: no channel, a location, an end)."""
        if "name" in body and not 1 <= len(str(body["name"] or "")) <= 100:
            raise _length_error("name", 1, 100)
        description = body.get("description")
        if description is not None and not 1 <= len(str(description)) <= 1000:
            raise _length_error("description", 1, 1000)
        if entity_type == EntityType.EXTERNAL:
            if body.get("channel_id") is not None:
                raise invalid_form_body(
                    field_error(["channel_id"], "GUILD_SCHEDULED_EVENT_CHANNEL_ID_INVALID", "Must be null for EXTERNAL")
                )
            if location is None or not 1 <= len(location) <= 100:
                raise invalid_form_body(
                    field_error(
                        ["entity_metadata", "location"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                    )
                )
            if end is None:
                raise invalid_form_body(
                    field_error(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required")
                )
        if end is not None and end <= start:
            raise invalid_form_body(
                field_error(["scheduled_end_time"], "GUILD_SCHEDULED_EVENT_END_BEFORE_START", "End before start")
            )

    # ------------------------------------------------------------------------------- routes

    async def _list(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        with_count = ctx.flag("with_user_count")
        return [e.to_dict(self.core, with_user_count=with_count) for e in events_in(self.core, guild.id)]

    async def _create(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        self._require_create(guild)
        body = ctx.obj
        for required in ("name", "privacy_level", "scheduled_start_time", "entity_type"):
            if required not in body:
                raise invalid_form_body(field_error([required], "BASE_TYPE_REQUIRED", "This field is required"))
        entity_type = int(body["entity_type"])
        start = _time(body, "scheduled_start_time")
        end = _time(body, "scheduled_end_time") if body.get("scheduled_end_time") is not None else None
        metadata = body.get("entity_metadata") or {}
        location = metadata.get("location") if isinstance(metadata, dict) else None
        self._check_fields(body, entity_type=entity_type, start=start, end=end, location=location)
        _not_in_the_past(start, self.core.event_clock())
        if int(body["privacy_level"]) != GUILD_ONLY:
            raise invalid_form_body(field_error(["privacy_level"], "BASE_TYPE_CHOICES", "Value must be one of {2}."))
        if sum(1 for e in events_in(self.core, guild.id) if e.uncompleted) >= MAX_UNCOMPLETED_EVENTS:
            raise ApiError(400, MAX_EVENTS_CODE, MAX_EVENTS_MESSAGE)
        event = ScheduledEvent(
            id=self.world.new_id(),
            guild_id=guild.id,
            creator_id=self.world.bot_user.id,
            name=str(body["name"]),
            description=body.get("description"),
            start=start,
            end=end,
            entity_type=entity_type,
            channel_id=None,
            location=location,
        )
        self.core.scheduled_events[event.id] = event
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event.to_dict(self.core))
        self.notifier.notify()
        if self.core.lost_event_creates:
            # The event exists, but the bot never learns its id (``fake.lose_next_event_create``).
            raise ApiError(self.core.lost_event_creates.pop(0), 0, "Service Unavailable (response lost)")
        return event.to_dict(self.core)

    async def _get(self, ctx: Ctx) -> Any:
        _, event = self._event_or_404(ctx)
        return event.to_dict(self.core, with_user_count=ctx.flag("with_user_count"))

    async def _modify(self, ctx: Ctx) -> Any:
        guild, event = self._event_or_404(ctx)
        self._require_modify(guild, event)
        body = ctx.obj
        if not event.uncompleted:
            # "Once status is set to COMPLETED or CANCELED, the status can no longer be updated"; what Discord
            # answers to any other change of a finished event is not documented; chosen: the same refusal.
            raise invalid_form_body(
                field_error(["status"], "GUILD_SCHEDULED_EVENT_INVALID_STATUS", "The event has ended or was cancelled")
            )
        start = _time(body, "scheduled_start_time") if "scheduled_start_time" in body else event.start
        end = _time(body, "scheduled_end_time") if body.get("scheduled_end_time") is not None else event.end
        location = event.location
        if "entity_metadata" in body:
            metadata = body["entity_metadata"] or {}
            location = metadata.get("location") if isinstance(metadata, dict) else None
        self._check_fields(body, entity_type=event.entity_type, start=start, end=end, location=location)
        if event.status == EventStatus.SCHEDULED and start != event.start:
            _not_in_the_past(start, self.core.event_clock())
        status = event.status
        if "status" in body and int(body["status"]) != event.status:
            status = int(body["status"])
            if status not in _TRANSITIONS.get(event.status, set()):
                raise invalid_form_body(
                    field_error(["status"], "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "Invalid transition")
                )
        if "name" in body:
            event.name = str(body["name"])
        if "description" in body:
            event.description = body["description"]
        event.start, event.end, event.location, event.status = start, end, location, status
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event.to_dict(self.core))
        self.notifier.notify()
        return event.to_dict(self.core)

    async def _delete(self, ctx: Ctx) -> Any:
        guild, event = self._event_or_404(ctx)
        self._require_modify(guild, event)
        event.deleted = True
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event.to_dict(self.core))
        self.notifier.notify()
        return None

    async def _users(self, ctx: Ctx) -> Any:
        """Get Guild Scheduled Event Users: ``limit`` up to 100 (default 100), ascending by user id, ``before``
        wins over ``after``, ``with_member`` adds the guild member."""
        guild, event = self._event_or_404(ctx)
        try:
            limit = int(ctx.query.get("limit", "100"))
        except ValueError:
            raise invalid_form_body(field_error(["limit"], "NUMBER_TYPE_COERCE", "Value is not int.")) from None
        if not 1 <= limit <= 100:
            raise invalid_form_body(field_error(["limit"], "NUMBER_TYPE_MAX", "Must be between 1 and 100."))
        ids = sorted(event.user_ids)
        if ctx.query.get("before"):
            before = int(ctx.query["before"])
            ids = [i for i in ids if i < before][-limit:]
        elif ctx.query.get("after"):
            after = int(ctx.query["after"])
            ids = [i for i in ids if i > after][:limit]
        else:
            ids = ids[:limit]
        out = []
        for user_id in ids:
            # The docs' "Guild Scheduled Event User Structure", plus what the OpenAPI document's
            # ScheduledEventUserResponse requires: user_id, and response 1 (INTERESTED).
            entry: JSON = {
                "guild_scheduled_event_id": str(event.id),
                "user_id": str(user_id),
                "user": self.world.users[user_id].to_dict(),
                "response": 1,
            }
            member = guild.members.get(user_id)
            if ctx.flag("with_member") and member is not None:
                entry["member"] = member.to_dict(include_user=False)
            out.append(entry)
        return out
