"""What every Slack listener shares: the core's services, the Web API client and the workspace served.

Built once by ``bot.slack_client.SlackFrontEnd.start`` (after ``auth.test`` named the workspace) and handed to
each area's ``register``: adapters and context are injected one way, at construction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import slack_id_to_int

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Services
    from slack_app._roles import Roles


class FileSender(Protocol):
    """Delivers a file to a member's DM (slack-delivery's adapter: files.getUploadURLExternal, then
    files.completeUploadExternal)."""

    async def send_file(self, user_id: int, path: Path, *, title: str, comment: str | None = None) -> str: ...


@dataclass(frozen=True)
class SlackContext:
    services: Services  # the core's use cases
    settings: Settings
    clock: Clock
    client: AsyncWebClient
    team_id: str  # the workspace this process serves (auth.test)
    bot_user_id: str
    roles: Roles
    files: FileSender  # delivers files to a member's DM (the adapters' SlackFiles)
    app_token: str | None = None  # Socket Mode's token: the Health part checks it reaches Slack

    @property
    def community_id(self) -> int:
        return slack_id_to_int(self.team_id)

    def community_of(self, team_id: str | None) -> int:
        """The community of a request; a request from another workspace (an Enterprise Grid sibling, a
        shared channel's guests) is refused rather than served from this workspace's data."""
        if team_id is not None and team_id != self.team_id:
            raise UserFacingError("This bot serves another Slack workspace: ask its organisers there.")
        return self.community_id


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace of a slash command, action or view payload (their shapes differ)."""
    if isinstance(body.get("team_id"), str):
        return str(body["team_id"])
    team = body.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), str):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("team_id"), str):
        return str(user["team_id"])
    return None


def user_of(body: dict[str, Any]) -> str:
    if isinstance(body.get("user_id"), str):
        return str(body["user_id"])
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return str(user["id"])
    raise UserFacingError("Slack did not say who sent this.")


log = logging.getLogger(__name__)


async def update_view(client: AsyncWebClient, view_id: object, view: View) -> None:
    """Replace a modal the bot opened or acknowledged; one the member closed meanwhile is left closed (Slack
    answers ``not_found``: the result was saved or refused all the same, and the member will see it when they
    next look)."""
    try:
        await client.views_update(view_id=str(view_id), view=view)
    except SlackApiError as error:
        if error.response.get("error") != "not_found":
            raise
        log.info("a modal was closed before the bot could update it")
