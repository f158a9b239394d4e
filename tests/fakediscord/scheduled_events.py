"""Guild scheduled events in the fake: the object, its status over time, and the users marked Interested.

Docs: developers/resources/guild-scheduled-event.mdx ("Guild Scheduled Event Object", "Guild Scheduled Event
Status Update Automation"); developers/events/gateway-events.mdx ("Guild Scheduled Event Create" ... "User
Remove").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from .records import JSON
from .world import iso, now_utc

if TYPE_CHECKING:
    from .core import FakeCore


class EventStatus:
    """ "Guild Scheduled Event Status"."""

    SCHEDULED = 1
    ACTIVE = 2
    COMPLETED = 3
    CANCELED = 4


class EntityType:
    """ "Guild Scheduled Event Entity Types"."""

    STAGE_INSTANCE = 1
    VOICE = 2
    EXTERNAL = 3


GUILD_ONLY = 2  # "Guild Scheduled Event Privacy Level"
#: Create Guild Scheduled Event: "A guild can have a maximum of 100 events with SCHEDULED or ACTIVE status".
MAX_UNCOMPLETED_EVENTS = 100
#: topics/opcodes-and-status-codes.mdx, JSON error codes: 30038.
MAX_EVENTS_CODE = 30038
MAX_EVENTS_MESSAGE = "Maximum number of uncompleted guild scheduled events reached (100)"


@dataclass(eq=False)
class ScheduledEvent:
    id: int
    guild_id: int
    creator_id: int | None
    name: str
    description: str | None
    start: datetime
    end: datetime | None
    entity_type: int = EntityType.EXTERNAL
    channel_id: int | None = None
    location: str | None = None
    status: int = EventStatus.SCHEDULED
    privacy_level: int = GUILD_ONLY
    #: Users marked Interested, by id (Get Guild Scheduled Event Users returns them in ascending id order).
    user_ids: set[int] = field(default_factory=set)
    deleted: bool = False

    def advance(self, now: datetime | None = None) -> bool:
        """ "Guild Scheduled Event Status Update Automation": an EXTERNAL event becomes ACTIVE at its start and
        COMPLETED at its end. Applied lazily, whenever the event is looked at. True if the status changed."""
        now = now or now_utc()
        before = self.status
        if self.entity_type == EntityType.EXTERNAL:
            if self.status == EventStatus.SCHEDULED and now >= self.start:
                self.status = EventStatus.ACTIVE
            if self.status == EventStatus.ACTIVE and self.end is not None and now >= self.end:
                self.status = EventStatus.COMPLETED
        return self.status != before

    @property
    def uncompleted(self) -> bool:
        return self.status in (EventStatus.SCHEDULED, EventStatus.ACTIVE)

    def to_dict(self, core: FakeCore, *, with_user_count: bool = False) -> JSON:
        creator = core.world.users.get(self.creator_id or 0)
        data: JSON = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": None if self.channel_id is None else str(self.channel_id),
            "creator_id": None if self.creator_id is None else str(self.creator_id),
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": iso(self.start),
            "scheduled_end_time": iso(self.end),
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": self.location} if self.location is not None else None,
            "image": None,
            "recurrence_rule": None,
            # Not in the docs' table, but required by the OpenAPI document's ExternalScheduledEventResponse.
            "guild_scheduled_event_exceptions": [],
        }
        if creator is not None:
            data["creator"] = creator.to_dict()
        if with_user_count:
            data["user_count"] = len(self.user_ids)
        return data


def events_in(core: FakeCore, guild_id: int) -> list[ScheduledEvent]:
    """The guild's live (not deleted) events, their status brought up to date, oldest first."""
    found = [e for e in core.scheduled_events_of(guild_id) if not e.deleted]
    for event in found:
        event.advance(core.event_clock())
    return sorted(found, key=lambda e: e.id)


def guild_create_events(core: FakeCore, guild_id: int) -> list[JSON]:
    """GUILD_CREATE's ``guild_scheduled_events`` (gateway-events.mdx, "Guild Create")."""
    return [e.to_dict(core) for e in events_in(core, guild_id)]
