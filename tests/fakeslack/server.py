"""FakeSlack: a local Slack (Web API, Socket Mode, response URLs, uploads) for an unmodified slack_sdk
AsyncWebClient and slack_bolt AsyncApp + AsyncSocketModeHandler, plus a driver acting as workspace members.

Typical use (the ``fake_slack`` fixture does the start/stop part)::

    client = fake.web_client()                       # AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    app = AsyncApp(client=client)
    ...                                              # the app's listeners
    async with fake.run_app(app):                    # AsyncSocketModeHandler(app, fake.app_token), connected
        i = await fake.slash("alice", "/workshop", "answer 3")
        view = await i.view()                        # the modal opened with the command's trigger_id
        s = await fake.submit_view("alice", {"answer": "My answer"})
        assert (await s.acked()) is None             # closed

The parts: ``core.py`` (state, tokens, scopes, triggers, response URLs), ``transport.py`` (HTTP, recording,
auth, 429s), ``web/`` (the methods, one module per family), ``socket.py`` (Socket Mode), ``events.py`` (Events
API events), ``payloads.py`` (what Slack sends), ``blockkit.py`` (Block Kit limits), ``driver/`` (members),
``openapi_check.py`` (validation against Slack's published descriptions).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import web as _methods  # noqa: F401 - registers every Web API method
from .core import FakeCore, RecordedCall
from .driver import Driver
from .interactions import Interaction
from .rendering import message_mentions, readable
from .socket import SocketHub
from .transport import Transport
from .web.files import download, receive_upload
from .web.responses import respond
from .world import Message, World

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient


class FakeSlack(Driver):
    def __init__(self) -> None:
        self.core = FakeCore()
        self.sockets = SocketHub(self.core)
        self.core.sockets = self.sockets
        self.transport = Transport(self.core)
        app = self.transport.app
        app.router.add_get("/link/", self.sockets.handle)
        app.router.add_post("/hooks/commands/{team}/{n}/{rid}", self._respond)
        app.router.add_post("/upload/v1/{ticket}", self._upload)
        app.router.add_get("/files-pri/{team}-{file_id}/{name}", self._download)
        app.router.add_get("/files-pri/{team}-{file_id}/download/{name}", self._download)
        self._runner: web.AppRunner | None = None
        self._interactions: list[Interaction] = []
        self.core.message_listeners.append(self._offer)
        self.port = 0

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        return await respond(self.core, request)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        return await receive_upload(self.core, request)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        return await download(self.core, request)

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self._runner = web.AppRunner(self.transport.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.core.base_url = f"http://127.0.0.1:{self.port}"
        self.core.world.file_host = self.core.base_url

    async def __aenter__(self) -> FakeSlack:
        """``async with FakeSlack() as fake:`` outside pytest (benchmarks, scripts)."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        await self.sockets.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- what tests configure -----------------------------------------------------------------
    @property
    def world(self) -> World:
        return self.core.world

    @property
    def api_url(self) -> str:
        """slack_sdk's ``base_url`` (with the trailing slash it expects)."""
        return f"{self.core.base_url}/api/"

    @property
    def bot_token(self) -> str:
        return self.core.bot_token

    @property
    def app_token(self) -> str:
        return self.core.app_token

    @property
    def bot_scopes(self) -> set[str]:
        """The bot token's granted scopes; change them to test ``missing_scope``."""
        return self.core.bot_scopes

    @property
    def rate_limits(self) -> Any:
        return self.core.rate_limits

    def set_ack_timeout(self, seconds: float, *, retry_delay: float = 0.0, max_retries: int = 3) -> None:
        """Shorten Slack's 3 s ack window (and the delay before redelivery) so a test need not wait."""
        self.sockets.ack_timeout = seconds
        self.sockets.retry_delay = retry_delay
        self.sockets.max_retries = max_retries

    def fail_next(
        self,
        method: str,
        error: str = "internal_error",
        *,
        count: int = 1,
        status: int = 200,
        retry_after: float | None = None,
        **extra: Any,
    ) -> None:
        """The next ``count`` calls of ``method`` fail with ``error`` and change nothing (``status=429`` with
        ``retry_after`` imitates a rate limit, ``status=500`` an outage; extra fields join the answer)."""
        from .core import Fault
        from .ratelimits import retry_after_header

        headers = {"Retry-After": retry_after_header(retry_after)} if retry_after is not None else {}
        self.core.faults.append(Fault(method, error, status, count, False, headers, dict(extra)))

    def lose_next(self, method: str, *, count: int = 1, status: int = 200, error: str = "fatal_error") -> None:
        """The next ``count`` calls of ``method`` take effect but their answer is lost: the app gets
        ``fatal_error``, which the method pages' common errors (and the Web API description's enums) describe as
        "It's possible some aspect of the operation succeeded before the error was raised"."""
        from .core import Fault

        self.core.faults.append(Fault(method, error, status, count, True))

    def set_trigger_ttl(self, seconds: float) -> None:
        """Shorten the 3 s a trigger_id lives, to test ``expired_trigger_id`` quickly."""
        self.core.trigger_ttl = seconds

    def revoke_tokens(self) -> None:
        """Tokens revoked: every token answers ``invalid_auth`` from now on (the app gets ``tokens_revoked``)."""
        self.core.events.tokens_revoked()
        self.core.revoked = True

    def uninstall(self) -> None:
        """The app is uninstalled: ``app_uninstalled`` (reference/events/app_uninstalled), then tokens are dead."""
        self.core.events.app_uninstalled()
        self.core.revoked = True

    def web_client(self, token: str | None = None) -> AsyncWebClient:
        """A slack_sdk AsyncWebClient pointed at the fake (the bot token by default)."""
        from slack_sdk.web.async_client import AsyncWebClient

        return AsyncWebClient(token=token or self.bot_token, base_url=self.api_url)

    @contextlib.asynccontextmanager
    async def run_app(self, app: AsyncApp, *, timeout: float = 5.0) -> AsyncIterator[AsyncSocketModeHandler]:
        """Connect ``app`` over Socket Mode (its client must point at the fake) and wait for ``hello``."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, self.app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await self.sockets.wait_for_connection(timeout)
            yield handler
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]

    async def wait_for_connection(self, timeout: float = 5.0) -> None:
        """Wait until the app has a Socket Mode connection (after its ``hello``)."""
        await self.sockets.wait_for_connection(timeout)

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Wait until the app has called ``method`` ``count`` times; the calls."""
        from .interactions import wait_until

        return await wait_until(
            self.core,
            lambda: calls if len(calls := self.calls_to(method)) >= count else None,
            timeout=timeout,
            what=f"{count} {method} calls",
        )

    async def wait_for_connects(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` Socket Mode connections have been made since the start (reconnects count)."""
        from .interactions import wait_until

        await wait_until(
            self.core,
            lambda: True if self.sockets.connects >= count and self.sockets.connections else None,
            timeout=timeout,
            what=f"{count} Socket Mode connections",
        )

    async def drop_connections(self) -> None:
        """Close every Socket Mode connection without a ``disconnect`` first (a network failure)."""
        for conn in list(self.sockets.connections):
            await conn.ws.close()

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's ``disconnect`` (using-socket-mode "Disconnects"), then the socket closes."""
        await self.sockets.disconnect(reason)

    # ---- queries ------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.core.calls if c.method == method]

    def count(self, method: str) -> int:
        """How many times the app called a Web API method."""
        return self.core.counts[method]

    @property
    def calls(self) -> list[RecordedCall]:
        return self.core.calls

    def problems(self, *, checker: Any = None) -> list[str]:
        """Everything the test should fail for: internal errors, unknown methods, socket misuse and (given a
        checker) calls or answers that do not fit Slack's published descriptions."""
        out = list(self.core.internal_errors)
        out.extend(f"the app called an unknown method {c.method}" for c in self.core.calls if c.unknown)
        out.extend(self.sockets.problems)
        out.extend(self.core.app_problems)
        if checker is not None:
            out.extend(checker.check_all(self.core.calls))
            sent = self.core.events.sent
            out.extend(checker.check_events([e for e, _ in sent], [env.payload for _, env in sent]))
        return out

    def read(self, message: Message, as_user: str, *, now: datetime | None = None) -> str:
        """What ``as_user`` reads in ``message``: text and block texts, mentions as names, ``<!date^…>`` in their
        time zone, escapes undone (rendering.py)."""
        return readable(message, self.world, self.world.user(as_user), now=now)

    def pings(self, message: Message) -> list[str]:
        """Whom ``message`` notifies: ``@U…``, ``!subteam^S…``, ``!here``, ``!channel``, ``!everyone``."""
        return message_mentions(message)

    # ---- driver bookkeeping -------------------------------------------------------------------
    def _track(self, interaction: Interaction) -> Interaction:
        self._interactions.append(interaction)
        del self._interactions[:-50]
        return interaction

    def _offer(self, message: Message) -> None:
        for interaction in self._interactions:
            interaction._offer(message)
