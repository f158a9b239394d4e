"""When the Socket Mode envelope being handled reached the bot: as near as the bot can see to the start of Slack's
3 seconds for its ack.

Slack times an interaction's ack from when it sent the envelope (docs.slack.dev/tools/bolt-python/concepts/
acknowledge: "you only have 3 seconds to respond"), and a view_submission's payload carries no time of its own. So
the front end's Socket Mode handler stamps each envelope as it takes it, before bolt's middleware and the listener's
own checks (a role look-up, a settings read) spend any of those seconds, and ``arrived()`` in a listener reads that
stamp. slack_sdk handles each envelope in a task of its own (``SocketModeClient.run_message_listeners``) and bolt
starts the listener in a task from it, which inherits the stamp (contextvars), so every envelope has its own.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

_ARRIVED: ContextVar[float | None] = ContextVar("slack_envelope_arrived", default=None)


class ArrivalStampingHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, which first notes when the envelope arrived (the event loop's clock)."""

    # The aiohttp client, as bolt's own AsyncSocketModeHandler.handle narrows its base's argument.
    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        _ARRIVED.set(asyncio.get_running_loop().time())
        await super().handle(client, req)


def arrived() -> float:
    """The event loop's time when the envelope being handled reached the bot; now, for code run outside one."""
    stamp = _ARRIVED.get()
    return asyncio.get_running_loop().time() if stamp is None else stamp
