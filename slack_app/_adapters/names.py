"""Display names: ``DisplayNames`` over ``users.info`` (Tier 4), for named exports; kept a short while, never stored."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.domain.clock import Clock, system_clock
from bot.domain.platform_ids import int_to_slack_id
from slack_app._adapters._web import TRANSIENT_ERRORS, SlackWeb, error_code

log = logging.getLogger(__name__)

NAME_TTL = timedelta(minutes=10)  # a name changed in Slack shows in exports made ten minutes later


class SlackDisplayNames:
    """Members' names as Slack shows them: the profile's display name, else the full name, else the handle."""

    def __init__(self, web: SlackWeb, *, clock: Clock = system_clock, ttl: timedelta = NAME_TTL) -> None:
        self._web = web
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[int, tuple[datetime, str | None]] = {}

    async def display_names(self, community_id: int, user_ids: Sequence[int]) -> Mapping[int, str]:
        names: dict[int, str] = {}
        for user_id in user_ids:
            name = await self._name(user_id)
            if name is not None:
                names[user_id] = name
        return names

    async def _name(self, user_id: int) -> str | None:
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            user = int_to_slack_id(user_id)
        except ValueError:
            return None  # not a Slack member
        try:
            response = await self._web.call("users.info", lambda: self._web.client.users_info(user=user))
        except SlackApiError as error:
            if error_code(error) != "user_not_found":
                log.warning("could not look up a member for a named export: %s", error_code(error))
                return None  # not cached: the next export asks again
            name = None  # no longer in the workspace: the export shows no name
        except TRANSIENT_ERRORS as error:
            log.warning("could not look up a member for a named export: %s", type(error).__name__)
            return None
        else:
            name = display_name(response.get("user") or {})
        self._cache[user_id] = (now, name)
        return name


def display_name(user: Mapping[str, object]) -> str | None:
    profile = user.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    for candidate in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None
