"""conversations.* methods (docs.slack.dev/reference/methods/conversations.open, .info, .history, .replies,
.members, .join), and users.conversations, which lists conversations as these do.

Scopes depend on the conversation's type ("Required scopes": channels:*, groups:*, im:*), so each handler
checks them once it knows the conversation. Pagination ("Pagination", docs.slack.dev/apis/web-api/pagination):
``limit`` (default 100 for history/replies/members, at most 1000 — history also documents 999 as the
practical maximum), ``cursor`` opaque, ``response_metadata.next_cursor`` empty on the last page, ``has_more``.
"""

from __future__ import annotations

import base64

from ..core import Call, SlackError, web_method
from ..world import JSON, Channel, Message

_READ = {"channels": "channels:read", "groups": "groups:read", "im": "im:read"}
_HISTORY = {"channels": "channels:history", "groups": "groups:history", "im": "im:history"}


def _cursor(offset: int) -> str:
    return base64.b64encode(f"next:{offset}".encode()).decode()


def _offset(call: Call) -> int:
    cursor = call.arg("cursor")
    if cursor is None:
        return 0
    try:
        text = base64.b64decode(cursor.encode()).decode()
        return int(text.removeprefix("next:"))
    except (ValueError, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None


def _limit(call: Call) -> int:
    limit = call.integer("limit", 100)
    if limit < 1:
        limit = 100
    return min(limit, 1000)


def _page(call: Call, items: list[Message], *, include_metadata: bool) -> JSON:
    start = _offset(call)
    limit = _limit(call)
    page = items[start : start + limit]
    more = start + limit < len(items)
    body: JSON = {
        "ok": True,
        "messages": [m.to_dict(call.world, include_metadata=include_metadata) for m in page],
        "has_more": more,
    }
    if call.method == "conversations.history":
        # The history answer always carries these (the Web API description requires them; pins are not modelled).
        body.update({"pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0})
    if more:
        body["response_metadata"] = {"next_cursor": _cursor(start + limit)}
    return body


def _between(call: Call, messages: list[Message]) -> list[Message]:
    """``oldest``/``latest`` bounds (exclusive unless ``inclusive``)."""
    oldest = call.arg("oldest")
    latest = call.arg("latest")
    inclusive = call.flag("inclusive")
    out = []
    for m in messages:
        ts = float(m.ts)
        if oldest is not None and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
            continue
        if latest is not None and (ts > float(latest) or (ts == float(latest) and not inclusive)):
            continue
        out.append(m)
    return out


def _readable(call: Call, channel: Channel) -> None:
    """History needs the bot in the conversation: ``not_in_channel`` otherwise (conversations.history "Errors").
    conversations.replies' page lists no error for this case; the fake answers the same ``not_in_channel``."""
    call.require_scope(_HISTORY[channel.kind])
    if call.world.bot.id not in channel.members:
        raise SlackError("not_in_channel")


@web_method("conversations.open", scopes=("channels:manage", "groups:write", "im:write", "mpim:write"))
async def open_(call: Call) -> JSON:
    """Open (or find) the app's DM with one user: ``users`` is a comma-separated list; one user gives a DM."""
    users = [u for u in (call.arg("users") or "").split(",") if u]
    if call.arg("channel"):
        channel = call.channel()
        return {"ok": True, "channel": {"id": channel.id}}
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise SlackError("not_enough_users" if len(users) < 2 else "invalid_arguments")
    user = call.world.users.get(users[0])
    if user is None:
        raise SlackError("user_not_found")
    if user.deleted:
        raise SlackError("user_disabled")  # "Errors": user_disabled, "The user has been disabled."
    existed = any(c.is_im and c.im_user == user.id for c in call.world.channels.values())
    channel = call.world.open_dm(user.id)
    body: JSON = {"ok": True, "channel": {"id": channel.id}}
    if call.flag("return_im"):
        body["channel"] = channel.to_dict(call.world.bot.id)
    if existed:
        body["already_open"] = True
        body["no_op"] = True
    return body


@web_method("conversations.info", scopes=("channels:read", "groups:read", "im:read", "mpim:read"))
async def info(call: Call) -> JSON:
    channel = call.channel()
    call.require_scope(_READ[channel.kind])
    return {"ok": True, "channel": channel.to_dict(call.world.bot.id)}


@web_method("conversations.history", scopes=("channels:history", "groups:history", "im:history", "mpim:history"))
async def history(call: Call) -> JSON:
    """Newest first. ``include_all_metadata`` returns each message's ``metadata`` (docs.slack.dev/messaging/
    message-metadata "Retrieving metadata": without it, metadata is left out)."""
    channel = call.channel()
    _readable(call, channel)
    messages = list(reversed(_between(call, call.world.history(channel))))
    messages = [m for m in messages if m.ephemeral_to is None]
    return _page(call, messages, include_metadata=call.flag("include_all_metadata"))


@web_method("conversations.replies", scopes=("channels:history", "groups:history", "im:history", "mpim:history"))
async def replies(call: Call) -> JSON:
    """The parent then its replies, oldest first; ``thread_not_found`` for an unknown ``ts``."""
    channel = call.channel()
    _readable(call, channel)
    ts = call.arg("ts", required=True) or ""
    message = call.world.messages[channel.id].get(ts)
    if message is None or message.deleted:
        raise SlackError("thread_not_found")
    root = message.thread_ts or message.ts
    thread = call.world.thread(channel, root)
    return _page(
        call,
        _between(call, thread) if (call.arg("oldest") or call.arg("latest")) else thread,
        include_metadata=call.flag("include_all_metadata"),
    )


@web_method("conversations.members", scopes=("channels:read", "groups:read", "im:read", "mpim:read"))
async def members(call: Call) -> JSON:
    channel = call.channel()
    call.require_scope(_READ[channel.kind])
    ids = sorted(channel.members)
    start, limit = _offset(call), _limit(call)
    body: JSON = {"ok": True, "members": ids[start : start + limit], "response_metadata": {"next_cursor": ""}}
    if start + limit < len(ids):
        body["response_metadata"] = {"next_cursor": _cursor(start + limit)}
    return body


@web_method("conversations.join", scopes=("channels:join",))
async def join(call: Call) -> JSON:
    """The bot joins a public channel (``method_not_supported_for_channel_type`` for DMs and private ones);
    ``already_in_channel`` comes back as a warning."""
    channel = call.channel()
    if channel.is_im or channel.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    body: JSON = {"ok": True}
    if call.world.bot.id in channel.members:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    else:
        channel.members.add(call.world.bot.id)
        call.core.events.member_joined_channel(call.world.bot.id, channel)
    body["channel"] = channel.to_dict(call.world.bot.id)
    call.core.notify()
    return body


# docs.slack.dev/reference/methods/users.conversations: "types" (comma-separated public_channel, private_channel,
# mpim, im; default public_channel), "exclude_archived", "user" (default: the calling user), "limit" (default
# 100, at most 999) and "cursor"; "Required scopes": channels:read, groups:read, im:read, mpim:read (the ones
# for the types asked for). Group DMs (mpim) are not modelled: asking for them lists none.
_TYPE_KIND = {"public_channel": "channels", "private_channel": "groups", "im": "im", "mpim": "mpim"}


@web_method("users.conversations", scopes=("channels:read", "groups:read", "im:read", "mpim:read"))
async def users_conversations(call: Call) -> JSON:
    types = [name.strip() for name in (call.arg("types") or "public_channel").split(",") if name.strip()]
    if not types or any(name not in _TYPE_KIND for name in types):
        raise SlackError("invalid_types")
    kinds = {_TYPE_KIND[name] for name in types}
    for kind in sorted(kinds - {"mpim"}):
        call.require_scope(_READ[kind])
    member = call.arg("user") or call.world.bot.id
    if member not in call.world.users and member != call.world.bot.id:
        raise SlackError("user_not_found")
    exclude_archived = call.flag("exclude_archived")
    listed = [
        channel
        for channel in call.world.channels.values()
        if channel.kind in kinds
        and member in channel.members
        and not (exclude_archived and channel.is_archived)
        # A private conversation is listed only where the bot can see it (as conversations.info answers).
        and (not (channel.is_private or channel.is_im) or call.world.bot.id in channel.members)
    ]
    start, limit = _offset(call), min(_limit(call), 999)
    body: JSON = {
        "ok": True,
        "channels": [channel.to_dict(call.world.bot.id) for channel in listed[start : start + limit]],
        "response_metadata": {"next_cursor": ""},
    }
    if start + limit < len(listed):
        body["response_metadata"] = {"next_cursor": _cursor(start + limit)}
    return body
