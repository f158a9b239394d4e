"""Answering a modal's submission with its outcome: in the ack when the work is quick, else after a "working" view.

Slack waits 3 seconds for a view_submission's ack (docs.slack.dev/tools/bolt-python/concepts/acknowledge: "you
only have 3 seconds to respond"), and the ack may replace the submitted view (``response_action: update``,
docs.slack.dev/surfaces/modals "Updating views after a submission"). The ack travels on the Socket Mode socket and a
``views.update`` over HTTP: sent close together, either may reach Slack first, and a "Saving…" ack applied after the
result would hide it. So the outcome goes in the ack whenever the work finishes within ``ACK_BUDGET`` of the
envelope's arrival (slack_app/_arrival.py: what the listener checked before the work, such as the member's role,
has spent part of it); only slower work acks a "working" view and replaces it with ``views.update`` when done,
never sooner than ``ACK_SETTLE`` after that ack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from slack_app._arrival import arrived
from slack_app._context import update_view
from slack_app._render import MODAL_TITLE_LIMIT, plain, sections

log = logging.getLogger(__name__)

#: Seconds from the envelope's arrival within which the outcome may still go in the ack: Slack allows 3 from sending
#: the envelope, and its way to the bot and the ack's way back need the rest.
ACK_BUDGET = 2.0
#: Seconds between a "working" ack and the update that replaces it, at the least, so the ack has reached Slack.
ACK_SETTLE = 0.5
FAILED = "Sorry, something went wrong on our side."


async def ack_with_outcome(
    ack: AsyncAck,
    client: AsyncWebClient,
    view_id: object,
    work: Awaitable[View],
    *,
    working: View,
    failed: View | None = None,
) -> None:
    """Ack the submission of ``view_id`` with the view ``work`` makes, or, past ``ACK_BUDGET`` from the envelope's
    arrival, with ``working`` and then update it to the outcome. The work always runs to its end, even if the member
    closes the modal.

    ``work`` words its own refusals; anything it raises besides is logged and shown as ``failed`` (by default a
    "went wrong" notice under the working view's title)."""
    loop = asyncio.get_running_loop()
    left = arrived() + ACK_BUDGET - loop.time()  # 0 or less: the checks before the work spent it all
    task = asyncio.ensure_future(_outcome(work, failed or _failure(working)))
    try:
        outcome = await asyncio.wait_for(asyncio.shield(task), max(left, 0.0))
    except TimeoutError:
        await ack(response_action="update", view=working)
        acked = loop.time()
        outcome = await task
        # Work that ends just past the budget would send its update right behind the ack, on another connection.
        await asyncio.sleep(max(0.0, acked + ACK_SETTLE - loop.time()))
        await update_view(client, view_id, outcome)
        return
    await ack(response_action="update", view=outcome)


async def _outcome(work: Awaitable[View], failed: View) -> View:
    try:
        return await work
    except Exception:
        log.exception("a modal's submission failed")
        return failed


def _failure(working: View) -> View:
    return View(
        type="modal",
        callback_id=working.callback_id,
        title=plain(getattr(working.title, "text", None) or "Not done", MODAL_TITLE_LIMIT),
        close=plain("Close"),
        blocks=sections(FAILED),
    )
