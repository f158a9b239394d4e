"""Per-server settings: what /setup stores, over the defaults from the environment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ServerDefaults:
    """Values from the environment that apply where a server has not set its own."""

    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    reminder_channel_id: int | None = None
    ping_role_id: int | None = None
    facilitator_role_id: int | None = None
    organiser_role_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredServerSettings:
    """What a server set with /setup; None means "not set here"."""

    reminder_channel_id: int | None = None
    reminder_offsets: tuple[timedelta, ...] | None = None
    ping_role_id: int | None = None
    facilitator_role_id: int | None = None
    organiser_role_id: int | None = None
    discussion_channel_id: int | None = None
    meeting_link: str | None = None
    answer_window: timedelta | None = None
    retention: timedelta | None = None
    events_enabled: bool | None = None
    remind_interested: bool | None = None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The settings in force for one server."""

    community_id: int
    reminder_offsets: tuple[timedelta, ...]
    reminder_channel_id: int | None
    ping_role_id: int | None
    facilitator_role_id: int | None
    organiser_role_id: int | None
    discussion_channel_id: int | None
    meeting_link: str | None
    answer_window: timedelta | None  # None: answers are always on time
    retention: timedelta | None  # None: answers are kept until deleted
    events_enabled: bool = False  # sessions as Discord scheduled events (off by default)
    remind_interested: bool = False  # DM reminders also to members marked Interested (not only /reminders)


def effective_settings(community_id: int, stored: StoredServerSettings, defaults: ServerDefaults) -> ServerSettings:
    return ServerSettings(
        community_id=community_id,
        reminder_offsets=stored.reminder_offsets or defaults.reminder_offsets,
        reminder_channel_id=stored.reminder_channel_id or defaults.reminder_channel_id,
        ping_role_id=stored.ping_role_id or defaults.ping_role_id,
        facilitator_role_id=stored.facilitator_role_id or defaults.facilitator_role_id,
        organiser_role_id=stored.organiser_role_id or defaults.organiser_role_id,
        discussion_channel_id=stored.discussion_channel_id,
        meeting_link=stored.meeting_link,
        answer_window=stored.answer_window,
        retention=stored.retention,
        events_enabled=bool(stored.events_enabled),
        remind_interested=bool(stored.remind_interested),
    )


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(StoredServerSettings))
