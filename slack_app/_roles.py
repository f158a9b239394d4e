"""Who is who in a workspace: organisers are workspace admins and owners (``users.info``: is_admin, is_owner,
is_primary_owner) plus the members of the organiser user group; facilitators are the members of the facilitator
user group, plus organisers. The groups are chosen in setup and stored as neutral ids (bot.domain.platform_ids).

Group members are read with ``usergroups.users.list`` and kept for a short time, so a command does not cost
two Web API calls each time; a change in Slack shows within ``ttl`` seconds.
"""

from __future__ import annotations

import enum
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.platform_ids import int_to_slack_id

log = logging.getLogger(__name__)

GROUP_TTL = 30.0


class Role(enum.IntEnum):
    MEMBER = 0
    FACILITATOR = 1
    ORGANISER = 2


class Roles:
    def __init__(self, client: AsyncWebClient, settings: Any, *, ttl: float = GROUP_TTL) -> None:
        self._client = client
        self._settings = settings  # the core's ServerSettingsService
        self._ttl = ttl
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def role_of(self, community_id: int, user_id: str) -> Role:
        if await self.is_workspace_admin(user_id):
            return Role.ORGANISER
        settings = await self._settings.get(community_id)
        if settings.organiser_role_id is not None and user_id in await self.members(settings.organiser_role_id):
            return Role.ORGANISER
        if settings.facilitator_role_id is not None and user_id in await self.members(settings.facilitator_role_id):
            return Role.FACILITATOR
        return Role.MEMBER

    async def is_workspace_admin(self, user_id: str) -> bool:
        response = await self._client.users_info(user=user_id)
        user = response.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def members(self, group_id: int) -> frozenset[str]:
        """The members of a user group (none when Slack no longer knows it: the check reports that)."""
        slack_id = int_to_slack_id(group_id)
        cached = self._groups.get(slack_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            response = await self._client.usergroups_users_list(usergroup=slack_id)
            users = frozenset(str(u) for u in response.get("users") or ())
        except SlackApiError as error:
            log.warning("cannot read user group %s: %s", slack_id, error.response.get("error"))
            users = frozenset()
        self._groups[slack_id] = (now, users)
        return users

    def forget(self) -> None:
        """Drop the cached groups (after setup changed them)."""
        self._groups.clear()
