"""The Slack front end's client: slack-bolt's AsyncApp on slack_sdk's AsyncWebClient, over Socket Mode.

``SlackFrontEnd`` is built before the core (its adapters go into the core's ports), then started with it:
``auth.test`` names the workspace, which becomes a community (its ``T…`` id as a neutral id, see
bot/domain/platform_ids.py); the listeners are registered with the core's services; the Socket Mode
connection opens (``apps.connections.open`` at SLACK_API_URL, then its websocket), so no public URL is needed.
One workspace per process, by its tokens; several workspaces installed by OAuth would need an installation
store and an ``authorize`` function instead of the one bot token (see the README, "Slack").
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import slack_app
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import slack_id_to_int
from slack_app import threads as thread_listeners
from slack_app._adapters import SlackLimits, build_slack_adapter_set
from slack_app._arrival import ArrivalStampingHandler
from slack_app._context import FileSender, SlackContext
from slack_app._roles import Roles

if TYPE_CHECKING:
    from bot.config import Secret, Settings
    from bot.core import Core, PlatformAdapters

log = logging.getLogger(__name__)

TOKEN_REFUSALS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
TOKEN_REFUSED = "Slack refused the bot token: check SLACK_BOT_TOKEN (the app's OAuth & Permissions page, xoxb-…)"


class SlackFrontEnd:
    """The Slack front end of one workspace (CONTRACT.md): construct, hand ``adapters`` to the core, start."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock, limits: SlackLimits | None = None) -> None:
        """``limits``: the rates the adapters keep to (Slack's documented ones unless given: tests and benchmarks
        compress time with them, as the local Slack does)."""
        self.settings = settings
        self.clock = clock
        self.client = AsyncWebClient(token=_reveal(settings.slack_bot_token), base_url=settings.slack_api_url)
        # Socket Mode requests come over the app's own websocket: there is no HTTP request to verify.
        self.app = AsyncApp(client=self.client, request_verification_enabled=False, name="workshop-bot")
        # The core's ports for this workspace, and the files and thread gateway the listeners use with them.
        built = build_slack_adapter_set(self.client, clock=clock, limits=limits)
        self.adapters: PlatformAdapters = built.adapters
        self._files: FileSender = built.files
        self._thread_gateway = built.threads
        self._handler: ArrivalStampingHandler | None = None
        self.team_id: str | None = None
        self.community_id: int | None = None
        self.context: SlackContext | None = None  # what the listeners share, once started

    async def start(self, core: Core) -> None:
        """auth.test, the workspace as a community, the listeners, then the Socket Mode connection."""
        try:
            auth = await self.client.auth_test()
        except SlackApiError as error:
            if error.response.get("error") in TOKEN_REFUSALS:
                raise UserFacingError(TOKEN_REFUSED) from None
            raise UserFacingError(
                f"Slack answered auth.test with {error.response.get('error')}: try again in a minute"
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise UserFacingError(
                f"cannot reach Slack at {self.settings.slack_api_url} ({type(error).__name__}): check this "
                "machine's internet connection, DNS, firewall and proxy (and SLACK_API_URL if set)"
            ) from None
        self.team_id = str(auth["team_id"])
        self.community_id = slack_id_to_int(self.team_id)
        services = core.services
        await services.communities.present([self.community_id])
        log.info("Slack: serving workspace %s as bot user %s", self.team_id, auth.get("user_id"))

        front = SlackContext(
            services=services,
            settings=self.settings,
            clock=self.clock,
            client=self.client,
            team_id=self.team_id,
            bot_user_id=str(auth.get("user_id") or ""),
            roles=Roles(self.client, services.settings),
            files=self._files,
            app_token=_reveal(self.settings.slack_app_token),
        )
        self.context = front
        slack_app.register(self.app, front)
        thread_listeners.register(self.app, services, gateway=self._thread_gateway)
        community_id = self.community_id

        @self.app.event("app_uninstalled")
        async def uninstalled(event: dict[str, Any]) -> None:
            await services.communities.left(community_id)

        app_token = _reveal(self.settings.slack_app_token)
        # Bolt's handler, noting when each envelope arrived: forms' ack budgets count from then (slack_app/_arrival.py)
        self._handler = ArrivalStampingHandler(self.app, app_token, web_client=self.client)
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]
            self._handler = None


def _reveal(secret: Secret | None) -> str | None:
    """A token from the settings, revealed only to hand it to slack_sdk."""
    return None if secret is None else secret.reveal()
