"""One way to call Slack's Web API for every adapter: paced (``_pacing``), 429 ``Retry-After`` honoured, and
Slack's errors read in one place.

slack_sdk's own ``AsyncRateLimitErrorRetryHandler`` would sleep and retry a 429 too, but only for the one call
that met it; here the pause is recorded for the whole method (or channel), so the calls queued behind it wait
as well, and a reminder send can hand the pause to the reminder service instead of sleeping in the fan-out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from slack_app._adapters._pacing import Pacer, SlackLimits

log = logging.getLogger(__name__)

RATELIMITED = "ratelimited"
DEFAULT_RETRY_AFTER = 1.0  # seconds, when a 429 carries no Retry-After header
CHANNELS_PAGE = 200
LONGEST_INLINE_WAIT = 60.0  # a 429 asking for longer is not waited for inside one call
# Failures with no answer from Slack (checked after SlackApiError, which is a SlackClientError too).
TRANSIENT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, SlackClientError)
# Slack's "try again later" errors (docs.slack.dev/reference/methods/*, "Errors": common to every method).
SERVER_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the bot is in the workspace (``auth.test``)."""

    user_id: str
    bot_id: str | None
    team_id: str


def error_code(error: SlackApiError) -> str:
    """Slack's error string (``not_in_channel``, ``ratelimited``...) of a refused call."""
    response = error.response
    try:
        return str(response.get("error") or f"http_{response.status_code}")
    except AttributeError:
        return "unknown"


def is_rate_limited(error: SlackApiError) -> bool:
    return getattr(error.response, "status_code", None) == 429 or error_code(error) == RATELIMITED


def retry_after(error: SlackApiError) -> float | None:
    """The seconds a 429 asks the bot to wait (the ``Retry-After`` header); None when it is not a 429."""
    if not is_rate_limited(error):
        return None
    headers = getattr(error.response, "headers", None) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def needed_scope(error: SlackApiError) -> str | None:
    """The scope a ``missing_scope`` error names (``needed``)."""
    try:
        needed = error.response.get("needed")
    except AttributeError:
        return None
    return str(needed) if needed else None


def is_transient(error: BaseException) -> bool:
    """A failure another attempt may get past: Slack unavailable, or the network."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return is_rate_limited(error) or status >= 500 or error_code(error) in SERVER_ERRORS
    return isinstance(error, TRANSIENT_ERRORS)


class SlackWeb:
    """The adapters' shared caller: ``call(method, request)`` waits for the method's (and the channel's) turn,
    runs the request, and on a 429 records the pause and tries again (``retries`` times) if the wait is short."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        limits: SlackLimits | None = None,
        pacer: Pacer | None = None,
        retries: int = 2,
    ) -> None:
        self.client = client
        self.limits = limits or SlackLimits()
        self.pacer = pacer or Pacer()
        self._retries = retries
        self._identity: Identity | None = None

    async def call(
        self,
        method: str,
        request: Callable[[], Awaitable[AsyncSlackResponse]],
        *,
        channel: str | None = None,
        retry_rate_limited: bool = True,
        retry_unavailable: int = 0,
    ) -> AsyncSlackResponse:
        """Run ``request`` (a call of ``method``); ``channel``: the channel a post goes to (paced per channel).

        A 429 is waited out and tried again (``retries`` times) unless ``retry_rate_limited`` is off; Slack
        unavailable (5xx, the network) is tried again ``retry_unavailable`` times, a second later, then two...
        (for reads whose failure would cost more than the wait: the outbox check).
        """
        keys = self._keys(method, channel)
        limited = unavailable = 0
        while True:
            for key, interval, burst in keys:
                await self.pacer.wait(key, interval, burst)
            try:
                return await request()
            except SlackApiError as error:
                pause = retry_after(error)
                if pause is None:
                    if not is_transient(error) or unavailable >= retry_unavailable:
                        raise
                    unavailable += 1
                    await self.pacer.rest(float(unavailable))
                    continue
                for key, _, _ in keys:
                    self.pacer.pause(key, pause)
                limited += 1
                if not retry_rate_limited or limited > self._retries or pause > LONGEST_INLINE_WAIT:
                    raise
                log.info("Slack rate-limited %s; trying again in %.1f s", method, pause)
            except TRANSIENT_ERRORS:
                if unavailable >= retry_unavailable:
                    raise
                unavailable += 1
                await self.pacer.rest(float(unavailable))

    def _keys(self, method: str, channel: str | None) -> list[tuple[str, float, int]]:
        keys: list[tuple[str, float, int]] = []
        interval = self.limits.method_interval(method)
        if interval is not None:
            keys.append((method, interval, self.limits.method_burst(method)))
        if channel is not None:
            keys.append((f"post:{channel}", self.limits.post_interval, 1))
        return keys

    async def identity(self) -> Identity:
        """The bot's own ids, asked once (``auth.test``)."""
        if self._identity is None:
            response = await self.call("auth.test", lambda: self.client.auth_test())
            self._identity = Identity(
                user_id=str(response["user_id"]),
                bot_id=str(response["bot_id"]) if response.get("bot_id") else None,
                team_id=str(response["team_id"]),
            )
        return self._identity

    async def dm_channel(self, user: str, cache: dict[str, str], *, retry_unavailable: int = 0) -> str:
        """The bot's DM channel with a member (``conversations.open``, Tier 3), remembered: it never changes."""
        channel = cache.get(user)
        if channel is None:
            response = await self.call(
                "conversations.open",
                lambda: self.client.conversations_open(users=user),
                retry_unavailable=retry_unavailable,
            )
            channel = str(_field(response, "channel")["id"])
            cache[user] = channel
        return channel

    async def member_channels(self) -> list[str]:
        """The channels the bot is a member of (``users.conversations``, every page)."""
        channels: list[str] = []
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": True,
                "limit": CHANNELS_PAGE,
            }
            if cursor:
                arguments["cursor"] = cursor
            page = await self.call(
                "users.conversations", functools.partial(self.client.users_conversations, **arguments)
            )
            channels += [str(c["id"]) for c in page.get("channels") or ()]
            cursor = next_cursor(page)
            if not cursor:
                return channels


def next_cursor(page: Any) -> str | None:
    """The cursor of the next page (docs.slack.dev/apis/web-api/pagination), None after the last."""
    return (page.get("response_metadata") or {}).get("next_cursor") or None


def _field(response: AsyncSlackResponse, name: str) -> Any:
    value = response.get(name)
    if value is None:
        raise SlackClientError(f"Slack's answer has no {name!r}")
    return value


def is_own_message(message: dict[str, Any], me: Identity) -> bool:
    """Whether a message read back from Slack was posted by this bot."""
    return (me.bot_id is not None and message.get("bot_id") == me.bot_id) or message.get("user") == me.user_id
