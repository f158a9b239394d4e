"""Replies in prompt threads, as Slack's ``message`` events bring them: new replies become answers, edits
(``message_changed``) update them, deletions (``message_deleted``) remove them
(docs.slack.dev/reference/events/message and its subtypes ``message_changed``, ``message_deleted``).

Registered by the Slack front end's client (``register(app, services)``); the threads service decides what is
an answer (an open prompt thread that tells members replies are collected). Members' text is never logged.
The catch-up after downtime is the service's (``ThreadService.catch_up``), over the thread gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from slack_bolt.async_app import AsyncApp

from bot.domain.platform_ids import slack_id_to_int, slack_ts_to_int
from bot.services.threads import ThreadService
from slack_app._adapters._text import unescape
from slack_app._adapters.threads import SlackThreadGateway, ts_time

log = logging.getLogger(__name__)

# A member's own message: plain, or a reply also sent to the channel. Other subtypes are joins, bot posts,
# channel notices... (docs.slack.dev/reference/events/message, "Message subtypes").
REPLY_SUBTYPES = frozenset({None, "thread_broadcast"})


class HasThreads(Protocol):
    @property
    def threads(self) -> ThreadService: ...


def register(app: AsyncApp, services: HasThreads, *, gateway: SlackThreadGateway | None = None) -> None:
    """Listen to message events for the threads service; ``gateway`` learns each thread's channel from them."""

    async def on_message(event: dict[str, Any]) -> None:
        await handle_message_event(services.threads, event, gateway=gateway)

    app.event("message")(on_message)


async def handle_message_event(
    threads: ThreadService, event: Mapping[str, Any], *, gateway: SlackThreadGateway | None = None
) -> None:
    subtype = event.get("subtype")
    try:
        if subtype in REPLY_SUBTYPES:
            await _new_reply(threads, event, gateway)
        elif subtype == "message_changed":
            await _edited(threads, event)
        elif subtype == "message_deleted":
            await _deleted(threads, event)
    except ValueError:
        log.warning("a message event with ids the bot cannot read was ignored (subtype %s)", subtype)


def _thread_of(message: Mapping[str, Any]) -> str | None:
    """The thread a message replies in; None for a message outside threads, or a thread's parent."""
    thread_ts = message.get("thread_ts")
    if not thread_ts or thread_ts == message.get("ts"):
        return None
    return str(thread_ts)


def _by_member(message: Mapping[str, Any]) -> bool:
    return bool(message.get("user")) and not message.get("bot_id") and message.get("subtype") in REPLY_SUBTYPES


async def _new_reply(threads: ThreadService, event: Mapping[str, Any], gateway: SlackThreadGateway | None) -> None:
    thread_ts = _thread_of(event)
    if thread_ts is None or not _by_member(event):
        return
    if gateway is not None and event.get("channel"):
        gateway.remember(thread_ts, str(event["channel"]))
    await threads.record_reply(
        thread_id=slack_ts_to_int(thread_ts),
        message_id=slack_ts_to_int(str(event["ts"])),
        author_id=slack_id_to_int(str(event["user"])),
        raw_text=unescape(str(event.get("text") or "")),
        at=ts_time(str(event["ts"])),
    )


async def _edited(threads: ThreadService, event: Mapping[str, Any]) -> None:
    message: Mapping[str, Any] = event.get("message") or {}
    thread_ts = _thread_of(message)
    if thread_ts is None or not _by_member(message):
        return
    edited = (message.get("edited") or {}).get("ts") or event.get("event_ts") or event.get("ts")
    at: datetime = ts_time(str(edited))
    await threads.revise_reply(
        thread_id=slack_ts_to_int(thread_ts),
        message_id=slack_ts_to_int(str(message["ts"])),
        author_id=slack_id_to_int(str(message["user"])),
        raw_text=unescape(str(message.get("text") or "")),
        at=at,
    )


async def _deleted(threads: ThreadService, event: Mapping[str, Any]) -> None:
    previous: Mapping[str, Any] = event.get("previous_message") or {}
    deleted_ts = event.get("deleted_ts") or previous.get("ts")
    if not deleted_ts or _thread_of({"thread_ts": previous.get("thread_ts"), "ts": deleted_ts}) is None:
        return  # not a reply in a thread (a thread's parent deleted keeps its replies' answers)
    await threads.remove_replies([slack_ts_to_int(str(deleted_ts))])
