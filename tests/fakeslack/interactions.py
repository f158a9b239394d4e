"""What one member action (a slash command, a click, a modal submission) led to, as the member sees it."""

# Every wait here takes an explicit ``timeout`` and fails with a readable AssertionError (ASYNC109 does not apply).

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .socket import Envelope
from .world import JSON, Channel, Message, User, View

if TYPE_CHECKING:
    from .core import FakeCore

T = TypeVar("T")


async def wait_until(core: FakeCore, probe: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Wait until ``probe()`` returns something other than None (re-checked whenever the fake changes)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(core.changed.wait(), min(left, 0.05))


@dataclass
class Interaction:
    """A member's action and everything the app did in answer that the member can see."""

    core: FakeCore
    kind: str
    user: User
    channel: Channel | None
    envelope: Envelope
    trigger_id: str | None = None
    response_url: str | None = None
    #: Views opened or pushed with this action's trigger_id.
    views: list[View] = field(default_factory=list)
    #: Messages posted through this action's response_url (or the ack's reply), in order.
    responses: list[Message] = field(default_factory=list)
    #: Every message the member could see appear in the action's conversation or their DM with the app
    #: after the action (ephemeral ones to them included).
    seen: list[Message] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    # ---- the ack ------------------------------------------------------------------------------
    async def acked(self, timeout: float = 5.0) -> JSON | None:
        """Wait for the app's acknowledgement; its payload (None if it had none). Fails if it never came in
        time (Slack would have shown the member ``operation_timeout``)."""
        await wait_until(
            self.core, lambda: True if self.envelope.done.is_set() else None, timeout=timeout, what="the ack"
        )
        if self.envelope.timed_out:
            raise AssertionError(f"the app did not acknowledge the {self.kind} envelope within the ack timeout")
        return self.envelope.ack_payload

    @property
    def ack_seconds(self) -> float | None:
        """Seconds from sending the envelope to its ack."""
        if self.envelope.acked_at is None:
            return None
        return self.envelope.acked_at - self.envelope.sent_at

    # ---- what the member sees -----------------------------------------------------------------
    async def view(self, timeout: float = 5.0) -> View:
        """The first view opened with this action's trigger_id."""
        return await wait_until(
            self.core,
            lambda: self.views[0] if self.views else None,
            timeout=timeout,
            what=f"a view opened by {self.kind}",
        )

    async def reply(self, timeout: float = 5.0) -> Message:
        """The first message the member sees in answer: the ack's reply, a response_url post, an ephemeral
        message, or a message in the conversation or their DM."""
        return await wait_until(
            self.core, lambda: self.seen[0] if self.seen else None, timeout=timeout, what=f"a reply to {self.kind}"
        )

    async def replies(self, count: int, timeout: float = 5.0) -> list[Message]:
        return await wait_until(
            self.core,
            lambda: list(self.seen) if len(self.seen) >= count else None,
            timeout=timeout,
            what=f"{count} replies",
        )

    def texts(self) -> list[str]:
        return [m.text for m in self.seen]

    def _offer(self, message: Message) -> None:
        """Called for every message stored after the action: keep those the member sees here."""
        if message.ephemeral_to not in (None, self.user.id):
            return
        channel = self.core.world.channels.get(message.channel)
        here = self.channel is not None and message.channel == self.channel.id
        dm = channel is not None and channel.is_im and channel.im_user == self.user.id
        if here or dm:
            self.seen.append(message)
