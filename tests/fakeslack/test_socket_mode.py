"""Socket Mode (docs.slack.dev/apis/events-api/using-socket-mode): hello, envelopes, acks, redelivery,
disconnects, with slack_sdk's own aiohttp SocketModeClient and bolt's AsyncSocketModeHandler."""

# slack_sdk's SocketModeClient.connect/close carry no annotations.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from tests.fakeslack import FakeSlack


class RawApp:
    """slack_sdk's SocketModeClient with a listener that records envelopes and acks as told."""

    def __init__(self, fake: FakeSlack, *, ack: bool = True, skip_first: bool = False) -> None:
        self.client = SocketModeClient(app_token=fake.app_token, web_client=fake.web_client())
        self.requests: list[SocketModeRequest] = []
        self.ack = ack
        self.skip_first = skip_first
        self.hellos: list[dict[str, Any]] = []
        self.client.socket_mode_request_listeners.append(self._on_request)  # type: ignore[arg-type]
        self.client.message_listeners.append(self._on_message)

    async def _on_message(self, client: Any, message: dict[str, Any], raw: str | None) -> None:
        if message.get("type") == "hello":
            self.hellos.append(message)

    async def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if self.skip_first and len(self.requests) == 1:
            return
        if self.ack:
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))


async def test_hello_and_event_redelivered_until_acked(fake_slack: FakeSlack) -> None:
    fake_slack.set_ack_timeout(0.2)
    raw = RawApp(fake_slack, skip_first=True)
    await raw.client.connect()
    try:
        await fake_slack.sockets.wait_for_connection()
        message = await fake_slack.post_message("alice", "general", "Hello")
        envelope = fake_slack.core.events.sent[-1][1]
        await asyncio.wait_for(envelope.done.wait(), 2)
        # The first delivery went unacknowledged: the same envelope came again with retry_attempt 1.
        assert [(r.retry_attempt, r.retry_reason) for r in raw.requests] == [(0, ""), (1, "timeout")]
        assert {r.envelope_id for r in raw.requests} == {envelope.envelope_id}
        assert raw.requests[0].payload["event"]["ts"] == message.ts
        assert envelope.deliveries == 2 and not envelope.timed_out
        assert raw.hellos and raw.hellos[0]["connection_info"]["app_id"].startswith("A")
    finally:
        await raw.client.close()


async def test_events_give_up_after_three_retries(fake_slack: FakeSlack) -> None:
    fake_slack.set_ack_timeout(0.05)
    raw = RawApp(fake_slack, ack=False)
    await raw.client.connect()
    try:
        await fake_slack.sockets.wait_for_connection()
        await fake_slack.post_message("alice", "general", "Anyone?")
        envelope = fake_slack.core.events.sent[-1][1]
        await asyncio.wait_for(envelope.done.wait(), 2)
        assert [r.retry_attempt for r in raw.requests] == [0, 1, 2, 3]
        assert envelope.timed_out
    finally:
        await raw.client.close()


async def test_slash_command_without_ack_is_not_retried(fake_slack: FakeSlack) -> None:
    # Slash commands and interactions are not redelivered: the member sees the command fail.
    fake_slack.set_ack_timeout(0.1)
    raw = RawApp(fake_slack, ack=False)
    await raw.client.connect()
    try:
        await fake_slack.sockets.wait_for_connection()
        i = await fake_slack.slash("alice", "/workshop", "help")
        with pytest.raises(AssertionError, match="did not acknowledge"):
            await i.acked(timeout=2)
        assert len(raw.requests) == 1 and raw.requests[0].accepts_response_payload
        assert raw.requests[0].payload["command"] == "/workshop"
    finally:
        await raw.client.close()


async def test_payload_in_an_ack_that_accepts_none_is_reported(fake_slack: FakeSlack) -> None:
    raw = RawApp(fake_slack, ack=False)
    await raw.client.connect()
    try:
        await fake_slack.sockets.wait_for_connection()
        await fake_slack.post_message("alice", "general", "Hi")
        envelope = fake_slack.core.events.sent[-1][1]
        await raw.client.send_socket_mode_response({"envelope_id": envelope.envelope_id, "payload": {"text": "no"}})
        await asyncio.wait_for(envelope.acked.wait(), 2)
        assert fake_slack.sockets.problems and "accepts none" in fake_slack.sockets.problems[0]
        fake_slack.sockets.problems.clear()
    finally:
        await raw.client.close()


async def test_bolt_reconnects_after_disconnect(fake_slack: FakeSlack) -> None:
    app = AsyncApp(client=fake_slack.web_client())

    @app.command("/workshop")
    async def workshop(ack: Any) -> None:
        await ack(text="pong")

    async with fake_slack.run_app(app):
        assert fake_slack.count("apps.connections.open") == 1
        await fake_slack.send_disconnect("refresh_requested")
        await fake_slack.wait_for_connects(2)
        assert fake_slack.count("apps.connections.open") == 2
        i = await fake_slack.slash("bob", "/workshop", "ping")
        assert (await i.acked()) == {"text": "pong"}
        assert i.ack_seconds is not None and i.ack_seconds < 3


async def test_spent_ticket_is_refused(fake_slack: FakeSlack) -> None:
    import aiohttp

    url = fake_slack.sockets.new_url()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "hello" and hello["num_connections"] == 1
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_bolt_reconnects_after_a_dropped_connection(fake_slack: FakeSlack) -> None:
    app = AsyncApp(client=fake_slack.web_client())

    @app.command("/workshop")
    async def workshop(ack: Any) -> None:
        await ack(text="still here")

    async with fake_slack.run_app(app):
        await fake_slack.drop_connections()
        await fake_slack.wait_for_connects(2, timeout=10)
        i = await fake_slack.slash("bob", "/workshop")
        assert await i.acked() == {"text": "still here"}
