"""The Socket Mode websocket (https://docs.slack.dev/apis/events-api/using-socket-mode).

What it follows, by section of that page:
- "Call the apps.connections.open endpoint": the app-level token gets a single-use ``wss`` URL (here ``ws://``
  on loopback) carrying a ticket; connecting with a spent or unknown ticket is refused.
- "Connect to the WebSocket": on connect Slack sends ``{"type": "hello", "num_connections", "debug_info",
  "connection_info": {"app_id"}}``. Up to 10 connections may be open at once; each envelope goes to one of them.
- "Receive events": envelopes ``{"envelope_id", "type": "events_api" | "interactive" | "slash_commands",
  "payload", "accepts_response_payload"}``; Events API envelopes also carry ``retry_attempt`` and
  ``retry_reason``.
- "Acknowledge events": the app answers ``{"envelope_id", "payload"?}`` on the socket; a payload is honoured
  only where ``accepts_response_payload`` is true (slash command replies, ``response_action`` of a view
  submission).
- Not acknowledged in 3 seconds: Events API envelopes are sent again with ``retry_attempt`` + 1 and
  ``retry_reason: "timeout"`` (docs.slack.dev/apis/events-api "Error handling"/"Retries": up to 3 retries;
  real Slack waits ~1 and ~5 minutes between them, the fake ``retry_delay`` seconds). Slash commands and
  interactions are never retried: the member sees an error (docs.slack.dev/interactivity/
  implementing-slash-commands "Responding to commands": a reply later than 3000 ms shows the user
  ``operation_timeout``), recorded on the envelope as ``timed_out``; an ack arriving after that changes nothing
  the member sees (its reply or ``response_action`` is not applied).
- "Disconnects": ``{"type": "disconnect", "reason": "warning" | "refresh_requested" | "link_disabled",
  "debug_info": {"host"}}``, after which Slack closes the socket and the app opens a new URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from .world import APP_ID, JSON

if TYPE_CHECKING:
    from .core import FakeCore

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 10  # "using-socket-mode": "up to 10 simultaneous WebSocket connections"


@dataclass
class Envelope:
    """One envelope and what became of it."""

    type: str
    payload: JSON
    accepts_response_payload: bool
    envelope_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    retry_attempt: int = 0
    retry_reason: str = ""
    sent_at: float = 0.0
    acked_at: float | None = None
    ack_payload: JSON | None = None
    timed_out: bool = False
    deliveries: int = 0
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    #: Called once with the envelope when the ack arrives (the driver applies response payloads).
    on_ack: Callable[[Envelope], None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_dict(self) -> JSON:
        data: JSON = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            data["retry_attempt"] = self.retry_attempt
            data["retry_reason"] = self.retry_reason
        return data


@dataclass
class Connection:
    id: int
    ws: web.WebSocketResponse
    opened_at: float = field(default_factory=time.monotonic)


class SocketHub:
    """The Socket Mode side of the fake: tickets, connections, envelopes and their acks."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core
        #: docs: acknowledge "within 3 seconds"; tests may shorten it.
        self.ack_timeout = 3.0
        self.max_retries = 3
        self.retry_delay = 0.0
        self.tickets: dict[str, float] = {}
        self.connections: list[Connection] = []
        self.connects = 0
        self.envelopes: list[Envelope] = []
        self._by_id: dict[str, Envelope] = {}
        self._next = 0
        self._conn_ids = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.problems: list[str] = []

    # ---- tickets ------------------------------------------------------------------------------
    def new_url(self) -> str:
        ticket = uuid.uuid4().hex
        self.tickets[ticket] = time.monotonic()
        host = self.core.base_url.replace("http://", "ws://")
        return f"{host}/link/?ticket={ticket}&app_id={APP_ID}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self.tickets.pop(ticket, None) is None:
            return web.Response(status=401, text="invalid ticket")
        if len(self.connections) >= MAX_CONNECTIONS:
            return web.Response(status=429, text="too many websockets")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._conn_ids += 1
        conn = Connection(self._conn_ids, ws)
        self.connections.append(conn)
        self.connects += 1
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.connections),
                    "debug_info": {"host": "applink-fake-1", "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self.core.notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            with contextlib.suppress(ValueError):
                self.connections.remove(conn)
            self.core.notify()
        return ws

    def _on_text(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            self.problems.append(f"the app sent a non-JSON socket message: {text[:200]!r}")
            return
        envelope = self._by_id.get(str(data.get("envelope_id", "")))
        if envelope is None:
            self.problems.append(f"the app acknowledged an unknown envelope: {text[:200]!r}")
            return
        if envelope.acked.is_set():
            return  # a second ack of the same envelope changes nothing
        payload = data.get("payload")
        if payload is not None and not envelope.accepts_response_payload and payload != {}:
            self.problems.append(
                f"the app put a payload in the ack of a {envelope.type} envelope that accepts none: {payload!r}"
            )
        envelope.acked_at = time.monotonic()
        envelope.ack_payload = payload if isinstance(payload, dict) else None
        envelope.acked.set()
        if envelope.timed_out:
            # Too late: the member was already shown the error (the module docstring; for a view submission,
            # docs.slack.dev/tools/bolt-python/concepts/acknowledge: "3 seconds to respond before Slack registers a
            # timeout error"), and what the ack says (a reply, a response_action) is not applied.
            self.core.notify()
            return
        if envelope.on_ack is not None:
            try:
                envelope.on_ack(envelope)
            except Exception as exc:
                self.core.internal_errors.append(f"applying the ack of {envelope.type}: {exc!r}")
        self.core.notify()

    # ---- delivery -----------------------------------------------------------------------------
    async def wait_for_connection(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.connections:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no Socket Mode connection (is the app's AsyncSocketModeHandler connected?)")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.core.changed.wait(), min(left, 0.05))

    def send(self, type_: str, payload: JSON, *, accepts_response_payload: bool) -> Envelope:
        """Deliver an envelope now (in the background); the returned envelope records its ack."""
        envelope = Envelope(type_, payload, accepts_response_payload)
        self.envelopes.append(envelope)
        self._by_id[envelope.envelope_id] = envelope
        task = asyncio.get_running_loop().create_task(self._deliver(envelope))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return envelope

    async def _deliver(self, envelope: Envelope) -> None:
        try:
            retries = self.max_retries if envelope.type == "events_api" else 0
            for attempt in range(retries + 1):
                if attempt:
                    envelope.retry_attempt = attempt
                    envelope.retry_reason = "timeout"
                    if self.retry_delay:
                        await asyncio.sleep(self.retry_delay)
                conn = self._pick()
                if conn is not None:
                    envelope.sent_at = time.monotonic()
                    envelope.deliveries += 1
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await conn.ws.send_str(json.dumps(envelope.to_dict()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(envelope.acked.wait(), self.ack_timeout)
                if envelope.acked.is_set():
                    return
            envelope.timed_out = True
        except Exception as exc:  # the fake's own failure: reported at teardown
            self.core.internal_errors.append(f"socket delivery: {exc!r}")
            raise
        finally:
            envelope.done.set()
            self.core.notify()

    def _pick(self) -> Connection | None:
        live = [c for c in self.connections if not c.ws.closed]
        if not live:
            return None
        self._next = (self._next + 1) % len(live)
        return live[self._next]

    # ---- disconnects --------------------------------------------------------------------------
    async def disconnect(self, reason: str = "refresh_requested", *, close: bool = True) -> None:
        """Send ``disconnect`` on every connection, then (``close``) close them as Slack does once the app has
        had a moment to open a new one (the page: the app should "be ready to receive and connect to new
        WebSocket URLs"; Slack closes the old socket shortly after the message, here after the app reconnected or
        one second)."""
        old = list(self.connections)
        before = self.connects
        for conn in old:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(
                    json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}})
                )
        if close:
            deadline = time.monotonic() + 1.0
            while self.connects == before and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.core.changed.wait(), 0.05)
            for conn in old:
                await conn.ws.close()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close()
        self.connections.clear()

    # ---- queries ------------------------------------------------------------------------------
    def of_type(self, type_: str) -> list[Envelope]:
        return [e for e in self.envelopes if e.type == type_]

    def envelope(self, envelope_id: str) -> Envelope | None:
        return self._by_id.get(envelope_id)
