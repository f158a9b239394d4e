"""Payload builders: the objects the fake sends over the gateway and REST, built from the world.

Each takes the :class:`~tests.fakediscord.core.FakeCore` and returns plain JSON. The gateway tailors
some per session (message content depends on the MESSAGE_CONTENT intent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .gateway import GatewaySession, Intents
from .scheduled_events import guild_create_events
from .world import JSON, Channel, Guild, Message, iso

if TYPE_CHECKING:
    from .core import FakeCore


def ready(core: FakeCore, session: GatewaySession, shard: Any, guilds: list[Guild]) -> JSON:
    """READY for a new session: its shard's guilds, unavailable until their GUILD_CREATE (events/gateway-events.mdx,
    "Ready": ``guilds`` and ``shard?``; events/gateway.mdx, "Guild Availability")."""
    flags = (1 << 13) | (1 << 15) | (1 << 19) if core.gateway.privileged_allowed else 0
    user = core.world.bot_user.to_dict()
    user.update({"verified": True, "mfa_enabled": False, "email": None, "bot": True})
    payload: JSON = {
        "v": 10,
        "user": user,
        "user_settings": {},
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "session_id": session.id,
        "session_type": "normal",
        "resume_gateway_url": core.gateway_url,
        "application": {"id": str(core.world.application_id), "flags": flags},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["fake"],
        "auth": {},
        "_trace": ["fakediscord"],
    }
    if shard is not None:
        payload["shard"] = shard
    return payload


def guild_create(core: FakeCore, guild: Guild, session: GatewaySession, *, joined: bool = False) -> JSON:
    """GUILD_CREATE: channels, active threads, roles and (members intent permitting) members.

    events/gateway-events.mdx, "Guild Create" is sent to backfill a guild READY listed as unavailable, and "when
    the current user joins a new Guild" (``joined``). The first carries ``unavailable: false`` (the guild became
    available); the second leaves ``unavailable`` out, which is how clients such as discord.py tell a join
    (``on_guild_join``) from a guild becoming available."""
    payload = guild.to_dict()
    bot = core.world.bot_member(guild.id)
    with_members = session.has(Intents.GUILD_MEMBERS)
    members = [m.to_dict() for m in guild.members.values()] if with_members else [bot.to_dict()]
    channels = [core.world.channels[c] for c in guild.channel_ids if c in core.world.channels]
    # Only the active threads the bot can see (topics/threads.mdx, "Gateway Events").
    threads = [c for c in core.world.threads_of(guild.id) if not c.archived and core.bot_can_view(c)]
    payload.update(
        {
            "joined_at": iso(bot.joined_at),
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(guild.members) if not session.has(Intents.GUILD_MEMBERS) else len(members),
            "members": members,
            "channels": [c.to_dict(core.world) for c in channels],
            "threads": [t.to_dict(core.world) for t in threads],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": guild_create_events(core, guild.id),
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "application_command_counts": {},
            "version": int(time.time() * 1000),
        }
    )
    if joined:
        del payload["unavailable"]
    return payload


def message_event(core: FakeCore, msg: Message, *, created: bool = False) -> Callable[[GatewaySession], JSON]:
    """MESSAGE_CREATE (``created``: with the nonce) or MESSAGE_UPDATE data, with content blanked as Discord does
    without MESSAGE_CONTENT."""

    def build(session: GatewaySession) -> JSON:
        include = content_visible(core, msg, has_intent=session.has(Intents.MESSAGE_CONTENT))
        data = msg.to_dict(core.world, include_content=include, include_nonce=created)
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            member = core.world.maybe_member(msg.author.id, msg.guild_id)
            if member is not None and msg.webhook_id is None:
                data["member"] = member.to_dict(include_user=False)
        return data

    return build


def content_visible(core: FakeCore, msg: Message, *, has_intent: bool) -> bool:
    if has_intent or msg.guild_id is None or msg.author is core.world.bot_user:
        return True
    return core.world.bot_user.id in msg.mention_ids


def rest_message(core: FakeCore, msg: Message) -> JSON:
    """A message as REST returns it (content hidden when the app lacks the privileged intent)."""
    include = content_visible(core, msg, has_intent=core.gateway.privileged_allowed)
    return msg.to_dict(core.world, include_content=include)


def thread_event(core: FakeCore, thread: Channel, *, newly_created: bool = False) -> JSON:
    data = thread.to_dict(core.world)
    if newly_created:
        data["newly_created"] = True
    return data
