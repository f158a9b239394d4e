"""Per-server settings: what /setup stores, over the defaults from the environment.

A channel or role id belongs to one server. The deployment's defaults that name one (REMINDER_CHANNEL_ID,
PING_ROLE_ID, FACILITATOR_ROLE_ID, ORGANISER_ROLE_ID) apply to the server they belong to only: GUILD_ID's when it
is set, else the server found holding the id (``places``); every other server starts without them. A role equal
to the server's own id is @everyone, and is never in force, whoever stored it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class ServerDefaults:
    """Values from the environment that apply where a server has not set its own."""

    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    reminder_channel_id: int | None = None
    ping_role_id: int | None = None
    facilitator_role_id: int | None = None
    organiser_role_id: int | None = None
    # GUILD_ID: the one server the channel and role defaults belong to. None: each belongs to the server found
    # holding its id (``effective_settings``' places).
    home_community_id: int | None = None

    def placed_ids(self) -> dict[str, int]:
        """The defaults that name a channel or role, and their ids (those that are set)."""
        found = {name: getattr(self, name) for name in PLACED_DEFAULTS}
        return {name: value for name, value in found.items() if value is not None}


# The defaults that name a channel or a role, with the environment variable each comes from.
PLACED_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "reminder_channel_id": "REMINDER_CHANNEL_ID",
        "ping_role_id": "PING_ROLE_ID",
        "facilitator_role_id": "FACILITATOR_ROLE_ID",
        "organiser_role_id": "ORGANISER_ROLE_ID",
    }
)
CHANNEL_SETTINGS = ("reminder_channel_id", "discussion_channel_id")
ROLE_SETTINGS = ("ping_role_id", "facilitator_role_id", "organiser_role_id")


class Withholding(enum.Enum):
    """Why a channel or role setting is not in force for a server."""

    ELSEWHERE = "elsewhere"  # a deployment default that belongs to another server (or none found yet)
    EVERYONE = "everyone"  # a role that is the server's own id: @everyone
    FOREIGN = "foreign"  # an id the platform knows as another server's (or none of this server's)


@dataclass(frozen=True, slots=True)
class Withheld:
    setting: str  # a ServerSettings field, such as "reminder_channel_id"
    why: Withholding
    from_defaults: bool  # the deployment's value (.env), not one /setup stored

    @property
    def variable(self) -> str:
        """The environment variable of a default (REMINDER_CHANNEL_ID), else the setting's name."""
        return PLACED_DEFAULTS.get(self.setting, self.setting) if self.from_defaults else self.setting


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
    withheld: tuple[Withheld, ...] = ()  # channel and role settings not in force here, and why


_NO_PLACES: Mapping[str, int] = MappingProxyType({})


def default_applies(name: str, community_id: int, defaults: ServerDefaults, places: Mapping[str, int]) -> bool:
    """Whether the default ``name`` (one of PLACED_DEFAULTS) belongs to ``community_id``."""
    home = defaults.home_community_id
    owner = home if home is not None else places.get(name)
    return owner == community_id


def effective_settings(
    community_id: int,
    stored: StoredServerSettings,
    defaults: ServerDefaults,
    places: Mapping[str, int] = _NO_PLACES,
) -> ServerSettings:
    """The settings in force: what the server stored, else the defaults that belong to it.

    ``places`` maps a placed default (PLACED_DEFAULTS) to the server found holding its id, for a deployment
    without GUILD_ID.
    """
    withheld: list[Withheld] = []

    def pick(name: str) -> int | None:
        own = getattr(stored, name)
        from_defaults = own is None
        value = own
        if from_defaults:
            value = getattr(defaults, name, None)
            if value is not None and not default_applies(name, community_id, defaults, places):
                withheld.append(Withheld(name, Withholding.ELSEWHERE, from_defaults=True))
                return None
        if value is not None and name in ROLE_SETTINGS and value == community_id:
            withheld.append(Withheld(name, Withholding.EVERYONE, from_defaults=from_defaults))
            return None
        return value  # type: ignore[no-any-return]

    return ServerSettings(
        community_id=community_id,
        reminder_offsets=stored.reminder_offsets or defaults.reminder_offsets,
        reminder_channel_id=pick("reminder_channel_id"),
        ping_role_id=pick("ping_role_id"),
        facilitator_role_id=pick("facilitator_role_id"),
        organiser_role_id=pick("organiser_role_id"),
        discussion_channel_id=stored.discussion_channel_id,
        meeting_link=stored.meeting_link,
        answer_window=stored.answer_window,
        retention=stored.retention,
        events_enabled=bool(stored.events_enabled),
        remind_interested=bool(stored.remind_interested),
        withheld=tuple(withheld),
    )


def withhold(settings: ServerSettings, name: str, why: Withholding, *, from_defaults: bool) -> ServerSettings:
    """``settings`` without the channel or role setting ``name``, noting why."""
    changes: dict[str, Any] = {
        name: None,
        "withheld": (*settings.withheld, Withheld(name, why, from_defaults=from_defaults)),
    }
    return dataclasses.replace(settings, **changes)


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(StoredServerSettings))
