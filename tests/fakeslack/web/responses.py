"""Response URLs (docs.slack.dev/interactivity/handling-user-interaction "Message responses";
docs.slack.dev/interactivity/implementing-slash-commands "Sending delayed responses").

A POST of a message payload (JSON): ``text``/``blocks``, ``response_type`` ``ephemeral`` (default) or
``in_channel``, ``replace_original``, ``delete_original``, ``thread_ts``. Usable "up to 5 times within 30 minutes"
of the interaction. Errors come back as HTTP 404 ``expired_url``/``used_url`` and 400 ``no_text``/``invalid_blocks``
(the plain-text bodies Slack's hooks answer with).
"""

from __future__ import annotations

import json
import time

from aiohttp import web

from ..blockkit import message_blocks_errors
from ..core import FakeCore
from ..world import Message
from .chat import store


async def respond(core: FakeCore, request: web.Request) -> web.Response:
    entry = core.response_urls.get(request.match_info["rid"])
    if entry is None:
        return web.Response(status=404, text="no_service")
    if time.monotonic() - entry.issued > core.RESPONSE_URL_TTL:
        return web.Response(status=404, text="expired_url")
    if entry.uses >= core.RESPONSE_URL_USES:
        return web.Response(status=404, text="used_url")
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return web.Response(status=400, text="invalid_payload")
    if not isinstance(body, dict):
        return web.Response(status=400, text="invalid_payload")
    entry.uses += 1
    world = core.world
    if body.get("delete_original"):
        original = world.messages[entry.channel].get(entry.message_ts or "")
        if original is None:
            return web.Response(status=404, text="message_not_found")
        original.deleted = True
        core.notify()
        return web.Response(text="ok")
    text, blocks = body.get("text"), body.get("blocks")
    if not text and not blocks:
        return web.Response(status=400, text="no_text")
    if blocks is not None and message_blocks_errors(blocks):
        return web.Response(status=400, text="invalid_blocks")
    if body.get("replace_original") and entry.message_ts:
        original = world.messages[entry.channel].get(entry.message_ts)
        if original is not None and not original.deleted:
            original.text = text or ""
            original.blocks = blocks
            core.notify()
            if entry.interaction is not None:
                entry.interaction.responses.append(original)
            return web.Response(text="ok")
    in_channel = body.get("response_type") == "in_channel"
    message = Message(
        channel=entry.channel,
        ts=world.new_ts(),
        user=world.bot.id,
        text=text or "",
        blocks=blocks,
        thread_ts=body.get("thread_ts"),
        bot_id=world.bot.bot_id,
        ephemeral_to=None if in_channel else entry.user,
        via="response_url",
    )
    if message.thread_ts is not None and message.thread_ts not in world.messages[entry.channel]:
        message.thread_ts = None
    store(core, message)
    if entry.interaction is not None:
        entry.interaction.responses.append(message)
    return web.Response(text="ok")
