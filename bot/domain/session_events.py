"""Sessions as Discord scheduled events: what each event should say, and the plan that brings Discord's
events in step with the programme.

Discord's rules (developers/resources/guild-scheduled-event.mdx): a name of 1-100 characters, a description
of at most 1,000, an EXTERNAL event needs a location of 1-100 characters and an end time, and a server may
have at most 100 events that are scheduled or active ("Create Guild Scheduled Event"). Pure: no discord, no
I/O; the service (bot/services/session_events.py) fetches, stores and applies.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.answers import shorten
from bot.domain.programme import SessionRecord

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 1000
LOCATION_LIMIT = 100
MAX_UNCOMPLETED_EVENTS = 100  # "A guild can have a maximum of 100 events with SCHEDULED or ACTIVE status"
FALLBACK_LOCATION = "Online"
ELLIPSIS = "…"
# The last line of every description: the pointer to /session, and the marker that finds the bot's own event
# for a week again after a lost response or a restart (the name and start may have been edited by hand).
POINTER = "Prompts and answers: /session week:{week}"
_MARKER = re.compile(r"/session week:(\d+)\s*$")


def event_url(community_id: int, event_id: int) -> str:
    """The link Discord's client opens the event with."""
    return f"https://discord.com/events/{community_id}/{event_id}"


class RemoteStatus(enum.Enum):
    """Discord's event status ("Guild Scheduled Event Status")."""

    SCHEDULED = 1
    ACTIVE = 2
    COMPLETED = 3
    CANCELED = 4

    @property
    def uncompleted(self) -> bool:
        return self in (RemoteStatus.SCHEDULED, RemoteStatus.ACTIVE)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """What the event of one session should be."""

    week: int
    name: str
    description: str
    start: datetime
    end: datetime
    location: str

    @property
    def fingerprint(self) -> str:
        """Stored with the event id: what the bot last set, to tell a programme change from an edit by hand."""
        text = "\x1f".join([self.name, self.description, self.start.isoformat(), self.end.isoformat(), self.location])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    """An event as Discord has it."""

    id: int
    name: str
    description: str
    start: datetime
    end: datetime | None
    location: str | None
    status: RemoteStatus
    created_by_bot: bool

    def matches(self, spec: EventSpec) -> bool:
        return (
            self.name == spec.name
            and self.description == spec.description
            and self.start == spec.start
            and self.end == spec.end
            and self.location == spec.location
        )

    @property
    def marked_week(self) -> int | None:
        """The week named by the bot's pointer line, if the description still ends with it."""
        found = _MARKER.search(self.description)
        return int(found.group(1)) if found else None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    week: int
    event_id: int
    fingerprint: str


def event_spec(session: SessionRecord, *, default_link: str | None = None) -> EventSpec:
    """The event for a session: "Week N: title", the topic and prompts, the meeting link as the location when
    it fits in 100 characters (else the location's name)."""
    name = shorten(f"Week {session.week}: {session.title}", NAME_LIMIT)
    link = session.meeting_link or default_link
    if link and len(link) <= LOCATION_LIMIT:
        location = link
    else:
        location = shorten(session.location, LOCATION_LIMIT) or FALLBACK_LOCATION
    return EventSpec(
        week=session.week,
        name=name,
        description=event_description(session.week, session.description, [p.text for p in session.prompts]),
        start=session.start,
        end=session.end,
        location=location,
    )


def event_description(week: int, topic: str, prompts: Sequence[str]) -> str:
    """The topic and the prompts, cut to fit 1,000 characters with the pointer to /session always last."""
    pointer = POINTER.format(week=week)
    parts = [topic.strip()] if topic.strip() else []
    if prompts:
        parts.append("\n".join(f"{number}. {text.strip()}" for number, text in enumerate(prompts, 1)))
    body = "\n\n".join(parts)
    room = DESCRIPTION_LIMIT - len(pointer) - 2
    if len(body) > room:
        body = body[: room - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return f"{body}\n\n{pointer}" if body else pointer


# ----------------------------------------------------------------------------------------------- the plan


class Reason(enum.Enum):
    NEW = "new"  # no event yet for this session
    CHANGED = "changed"  # the programme changed since the event was last set
    EDITED_BY_HAND = "edited by hand"  # someone changed the event in Discord: put back
    DELETED_BY_HAND = "deleted by hand"  # the event was deleted or cancelled in Discord: made again
    REMOVED = "removed"  # the session left the programme
    BEYOND_LIMIT = "beyond the limit"  # too many events: only the next sessions get one
    DUPLICATE = "duplicate"  # a second event of the bot's for the same week


@dataclass(frozen=True, slots=True)
class Create:
    spec: EventSpec
    reason: Reason


@dataclass(frozen=True, slots=True)
class Update:
    event_id: int
    spec: EventSpec
    reason: Reason


@dataclass(frozen=True, slots=True)
class Adopt:
    """An event of the bot's for this week that the database does not know (a lost response): stored, then
    updated if it differs."""

    event_id: int
    spec: EventSpec


@dataclass(frozen=True, slots=True)
class Cancel:
    event_id: int
    week: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class Forget:
    """A stored id with nothing left to do in Discord (the event is gone or finished)."""

    week: int


Action = Create | Update | Adopt | Cancel | Forget


@dataclass(frozen=True, slots=True)
class SyncPlan:
    actions: tuple[Action, ...] = ()
    beyond_limit: tuple[int, ...] = ()  # weeks with no event because of the limit
    keep: Mapping[int, int] = field(default_factory=dict)  # week -> event id already right

    @property
    def put_back(self) -> list[Action]:
        """What was changed in Discord by hand and is now put back (for the organiser)."""
        return [
            a
            for a in self.actions
            if isinstance(a, Create | Update) and a.reason in (Reason.EDITED_BY_HAND, Reason.DELETED_BY_HAND)
        ]


def plan_sync(
    specs: Iterable[EventSpec],
    stored: Iterable[StoredEvent],
    remote: Iterable[RemoteEvent],
    now: datetime,
    *,
    all_weeks: Iterable[int],
    limit: int = MAX_UNCOMPLETED_EVENTS,
) -> SyncPlan:
    """What to do so that every session that has not started has its event, within ``limit``.

    ``specs``: the events the programme wants (every session); ``all_weeks``: the programme's weeks, so that a
    stored event of a session that has started is left to Discord (which completes it) rather than cancelled.
    The programme wins over edits made by hand. Sessions beyond the limit get an event as others complete.
    """
    by_week_stored = {s.week: s for s in stored}
    remote_by_id = {r.id: r for r in remote}
    weeks = set(all_weeks)
    upcoming = sorted((s for s in specs if s.start > now), key=lambda s: (s.start, s.week))
    actions: list[Action] = []
    keep: dict[int, int] = {}
    claimed: set[int] = set()

    def live(event_id: int) -> RemoteEvent | None:
        event = remote_by_id.get(event_id)
        return event if event is not None and event.status.uncompleted else None

    # Events of sessions that are not upcoming: started ones are left alone; removed ones are cancelled.
    for week, stored_row in sorted(by_week_stored.items()):
        if any(s.week == week for s in upcoming):
            continue
        event = live(stored_row.event_id)
        claimed.add(stored_row.event_id)
        if week in weeks:
            if event is None:
                actions.append(Forget(week))
            continue  # started (or past): Discord completes it
        if event is not None and event.status is RemoteStatus.SCHEDULED:
            actions.append(Cancel(stored_row.event_id, week, Reason.REMOVED))
        actions.append(Forget(week))

    # Places under the limit already taken: other people's events, and the bot's events of sessions under way.
    upcoming_weeks = {s.week for s in upcoming}
    started = {row.event_id for week, row in by_week_stored.items() if week in weeks and week not in upcoming_weeks}
    stored_ids = {row.event_id for row in by_week_stored.values()}
    occupied = sum(
        1
        for r in remote_by_id.values()
        if r.status.uncompleted
        and (r.id in started or not r.created_by_bot or (r.marked_week is None and r.id not in stored_ids))
    )
    room = max(0, limit - occupied)
    within, beyond = upcoming[:room], upcoming[room:]

    for spec in within:
        row = by_week_stored.get(spec.week)
        event = live(row.event_id) if row is not None else None
        if row is not None:
            claimed.add(row.event_id)
        if row is not None and event is not None:
            if event.matches(spec):
                keep[spec.week] = event.id
            elif row.fingerprint == spec.fingerprint:
                actions.append(Update(event.id, spec, Reason.EDITED_BY_HAND))
            else:
                actions.append(Update(event.id, spec, Reason.CHANGED))
            continue
        adoptable = _find_adoptable(spec, remote_by_id.values(), claimed | stored_ids)
        if adoptable is not None:
            claimed.add(adoptable.id)
            actions.append(Adopt(adoptable.id, spec))
            continue
        actions.append(Create(spec, Reason.DELETED_BY_HAND if row is not None else Reason.NEW))

    for spec in beyond:
        row = by_week_stored.get(spec.week)
        if row is None:
            continue
        claimed.add(row.event_id)
        event = live(row.event_id)
        if event is not None and event.status is RemoteStatus.SCHEDULED:
            actions.append(Cancel(event.id, spec.week, Reason.BEYOND_LIMIT))
        actions.append(Forget(spec.week))

    # The bot's own marked events nobody claims: duplicates from a lost response, never left twice in the list.
    for event in sorted(remote_by_id.values(), key=lambda r: r.id):
        if (
            event.created_by_bot
            and event.status is RemoteStatus.SCHEDULED
            and event.id not in claimed
            and event.marked_week is not None
        ):
            actions.append(Cancel(event.id, event.marked_week, Reason.DUPLICATE))
    return SyncPlan(actions=tuple(actions), beyond_limit=tuple(s.week for s in beyond), keep=keep)


def _find_adoptable(spec: EventSpec, remote: Iterable[RemoteEvent], taken: set[int]) -> RemoteEvent | None:
    """The bot's own scheduled event for this week that nothing claims: by its marker, else by name and start."""
    candidates = [r for r in remote if r.created_by_bot and r.status is RemoteStatus.SCHEDULED and r.id not in taken]
    for event in sorted(candidates, key=lambda r: r.id):
        if event.marked_week == spec.week or (event.name == spec.name and event.start == spec.start):
            return event
    return None
