"""chat.* methods (docs.slack.dev/reference/methods/chat.postMessage, chat.postEphemeral, chat.update,
chat.delete, chat.getPermalink) and the message checks they share."""

from __future__ import annotations

import json
from typing import Any

from ..blockkit import message_blocks_errors
from ..core import Call, FakeCore, SlackError, web_method
from ..world import JSON, TEAM_DOMAIN, Channel, Message

#: docs.slack.dev/messaging/message-metadata "Metadata limits"... the payload must be a JSON object of an
#: ``event_type`` string and an ``event_payload`` object; the whole metadata is limited in size.
MAX_METADATA_BYTES = 8_000


def check_content(
    core: FakeCore, text: str | None, blocks: Any, *, required: bool = True, refuse_long: bool = True
) -> None:
    """The text and blocks rules of the chat methods ("Arguments" text/blocks; "Errors"): ``no_text`` when
    neither is given; text over 40,000 characters is ``msg_too_long`` for chat.update and chat.postEphemeral
    (their "Errors"), while chat.postMessage truncates it ("Truncating content": "Slack will truncate messages
    containing more than 40,000 characters"; its current "Errors" list has no msg_too_long); ``invalid_blocks``
    for blocks that break Block Kit's rules (blockkit.py)."""
    if required and not text and not blocks:
        raise SlackError("no_text")
    if refuse_long and text is not None and len(text) > core.MAX_TEXT:
        raise SlackError("msg_too_long")
    if blocks is not None:
        errors = message_blocks_errors(blocks)
        if errors:
            raise SlackError(
                "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )


def parse_blocks(call: Call) -> Any:
    try:
        return call.json_arg("blocks")
    except SlackError:
        raise SlackError("invalid_blocks_format") from None


def parse_metadata(call: Call) -> JSON | None:
    """``metadata`` (docs.slack.dev/messaging/message-metadata): ``{"event_type", "event_payload"}``; errors
    ``invalid_metadata_format`` (not JSON) and ``invalid_metadata_schema`` (wrong shape)."""
    raw = call.args.get("metadata")
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("event_type"), str)
        or not isinstance(raw.get("event_payload", {}), dict)
    ):
        raise SlackError("invalid_metadata_schema")
    if len(json.dumps(raw)) > MAX_METADATA_BYTES:
        raise SlackError("metadata_too_large")
    return {"event_type": raw["event_type"], "event_payload": raw.get("event_payload", {})}


def target_channel(call: Call) -> Channel:
    """chat.postMessage "channel": a conversation id, or a user id for the app's DM with that user."""
    ref = call.arg("channel")
    if ref and ref.startswith(("U", "W")) and ref in call.world.users:
        return call.world.open_dm(ref)
    by_name = call.world.maybe_channel(ref) if ref and ref not in call.world.channels else None
    if by_name is not None and not by_name.is_im:
        # "An encoded ID or channel name": #general or general.
        call.args["channel"] = by_name.id
    channel = call.channel()
    if channel.is_archived:
        raise SlackError("is_archived")
    if (
        not channel.is_im
        and call.world.bot.id not in channel.members
        and "chat:write.public" not in call.core.bot_scopes
    ):
        # "not_in_channel": "Cannot post user messages to a channel they are not in." (chat:write.public lifts it
        # for public channels.)
        raise SlackError("not_in_channel")
    return channel


def store(core: FakeCore, message: Message) -> Message:
    """Store a message, send its event, wake waiters."""
    core.world.add_message(message)
    core.events.message_posted(message)
    for listener in core.message_listeners:
        listener(message)
    core.notify()
    return message


@web_method("chat.postMessage", scopes=("chat:write",))
async def post_message(call: Call) -> JSON:
    channel = target_channel(call)
    text = call.arg("text")
    blocks = parse_blocks(call)
    check_content(call.core, text, blocks, refuse_long=False)
    if text is not None:
        text = text[: call.core.MAX_TEXT]
    metadata = parse_metadata(call)
    thread_ts = call.arg("thread_ts")
    if thread_ts is not None:
        parent = call.world.messages[channel.id].get(thread_ts)
        if parent is None or parent.deleted:
            # The page is silent on a thread_ts that names no message; the fake refuses it with the error
            # conversations.replies uses for an unknown ts, so a bot's bad reference shows in tests.
            raise SlackError("thread_not_found")
        if parent.is_reply:
            thread_ts = parent.thread_ts  # docs: "Avoid using a reply's ts value; use its parent instead."
    message = Message(
        channel=channel.id,
        ts=call.world.new_ts(),
        user=call.world.bot.id,
        text=text or "",
        blocks=blocks,
        thread_ts=thread_ts,
        metadata=metadata,
        bot_id=call.world.bot.bot_id,
        reply_broadcast=call.flag("reply_broadcast"),
    )
    store(call.core, message)
    return {"ok": True, "channel": channel.id, "ts": message.ts, "message": message.to_dict(call.world)}


@web_method("chat.postEphemeral", scopes=("chat:write",))
async def post_ephemeral(call: Call) -> JSON:
    """An ephemeral message, seen by ``user`` only, not kept in history; errors ``user_not_in_channel``."""
    channel = target_channel(call)
    user = call.user()
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    text = call.arg("text")
    blocks = parse_blocks(call)
    check_content(call.core, text, blocks)
    message = Message(
        channel=channel.id,
        ts=call.world.new_ts(),
        user=call.world.bot.id,
        text=text or "",
        blocks=blocks,
        thread_ts=call.arg("thread_ts"),
        bot_id=call.world.bot.bot_id,
        ephemeral_to=user.id,
    )
    store(call.core, message)
    return {"ok": True, "message_ts": message.ts}


def own_message(call: Call, *, ts_name: str = "ts", error: str) -> tuple[Channel, Message]:
    channel = call.channel()
    ts = call.arg(ts_name)
    message = call.world.messages[channel.id].get(ts or "")
    if message is None or message.deleted or message.ephemeral_to is not None:
        raise SlackError("message_not_found")
    if message.user != call.world.bot.id:
        # "cant_update_message" / "cant_delete_message": a bot may change only its own messages.
        raise SlackError(error)
    return channel, message


@web_method("chat.update", scopes=("chat:write",))
async def update(call: Call) -> JSON:
    channel, message = own_message(call, error="cant_update_message")
    previous = message.to_dict(call.world)
    text = call.arg("text")
    blocks = parse_blocks(call)
    check_content(call.core, text, blocks, required=False)
    metadata = parse_metadata(call)
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = blocks
    if metadata is not None:
        message.metadata = metadata
    message.edited = {"user": call.world.bot.id, "ts": call.world.new_ts()}
    call.core.events.message_changed(message, previous)
    call.core.notify()
    # The published description (web-api, chat.update's success schema) types the answer's message.blocks as
    # an object, which no Block Kit array is: the answer leaves blocks out rather than break the description.
    answer = {k: v for k, v in message.to_dict(call.world).items() if k != "blocks"}
    return {"ok": True, "channel": channel.id, "ts": message.ts, "text": message.text, "message": answer}


@web_method("chat.delete", scopes=("chat:write",))
async def delete(call: Call) -> JSON:
    channel, message = own_message(call, error="cant_delete_message")
    previous = message.to_dict(call.world)
    message.deleted = True
    call.core.events.message_deleted(message, previous)
    call.core.notify()
    return {"ok": True, "channel": channel.id, "ts": message.ts}


@web_method("chat.getPermalink")
async def get_permalink(call: Call) -> JSON:
    channel = call.channel()
    ts = call.arg("message_ts", required=True) or ""
    message = call.world.messages[channel.id].get(ts)
    if message is None or message.deleted:
        raise SlackError("message_not_found")
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}
