"""The driver, part 3: members click Interested; organisers edit or delete events by hand in Discord.

Docs: developers/events/gateway-events.mdx ("Guild Scheduled Event User Add", "... User Remove", "... Update",
"... Delete"); developers/resources/guild-scheduled-event.mdx.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core import Part
from ..scheduled_events import ScheduledEvent, events_in
from ..world import GUILD_ID, UserRef

EventRef = ScheduledEvent | int


class EventDriver(Part):
    """Acts on guild scheduled events as members and organisers would in Discord's client."""

    def scheduled_events(self, guild_id: int = GUILD_ID, *, include_finished: bool = False) -> list[ScheduledEvent]:
        """The guild's events (scheduled or active only, unless ``include_finished``), oldest first."""
        return [e for e in events_in(self.core, guild_id) if include_finished or e.uncompleted]

    def scheduled_event(self, ref: EventRef) -> ScheduledEvent:
        if isinstance(ref, ScheduledEvent):
            return ref
        try:
            return self.core.scheduled_events[ref]
        except KeyError:
            raise AssertionError(f"no scheduled event {ref}") from None

    def _user_event(self, name: str, member: UserRef, event: ScheduledEvent) -> None:
        self.gateway.dispatch(
            name,
            {
                "guild_scheduled_event_id": str(event.id),
                "user_id": str(self.world.user(member).id),
                "guild_id": str(event.guild_id),
            },
        )
        self.notifier.notify()

    def lose_next_event_create(self, count: int = 1, *, status: int = 503) -> None:
        """The next ``count`` Create Guild Scheduled Event calls create the event (with its gateway event) and
        then answer ``status`` instead of the event: a response lost on the way. 503 reaches discord.py's caller
        at once; 500/502 make discord.py retry the POST."""
        self.core.lost_event_creates.extend([status] * count)

    def mark_interested(self, member: UserRef, event: EventRef) -> None:
        """The member clicks Interested: GUILD_SCHEDULED_EVENT_USER_ADD."""
        found = self.scheduled_event(event)
        found.user_ids.add(self.world.user(member).id)
        self._user_event("GUILD_SCHEDULED_EVENT_USER_ADD", member, found)

    def unmark_interested(self, member: UserRef, event: EventRef) -> None:
        """The member clicks Interested again: GUILD_SCHEDULED_EVENT_USER_REMOVE."""
        found = self.scheduled_event(event)
        found.user_ids.discard(self.world.user(member).id)
        self._user_event("GUILD_SCHEDULED_EVENT_USER_REMOVE", member, found)

    def edit_event_by_hand(self, event: EventRef, **changes: Any) -> ScheduledEvent:
        """An organiser edits the event in Discord (``name``, ``description``, ``start``, ``end``,
        ``location``): GUILD_SCHEDULED_EVENT_UPDATE."""
        found = self.scheduled_event(event)
        for key, value in changes.items():
            if key not in ("name", "description", "start", "end", "location"):
                raise AssertionError(f"cannot edit {key!r} of an event")
            if key in ("start", "end") and not isinstance(value, datetime):
                raise AssertionError(f"{key} takes an aware datetime")
            setattr(found, key, value)
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", found.to_dict(self.core))
        self.notifier.notify()
        return found

    def delete_event_by_hand(self, event: EventRef) -> None:
        """An organiser deletes the event in Discord: GUILD_SCHEDULED_EVENT_DELETE."""
        found = self.scheduled_event(event)
        found.deleted = True
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", found.to_dict(self.core))
        self.notifier.notify()
