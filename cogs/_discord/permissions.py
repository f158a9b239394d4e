"""The bot's effective permissions in a channel, from discord.py's gateway cache.

Discord computes them from the server's roles and the channel's overwrites (developers/topics/
permissions.mdx, "Permission Overwrites"); discord.py does the same from what the gateway told it (the
server at start, then every channel, role and bot-member update), so checking costs no request. A thread
has its parent's.
``None`` means the bot cannot tell (the server or channel is not in its cache yet): callers then act and
let Discord's answer decide.
"""

from __future__ import annotations

import time
from typing import Any

import discord

from bot.domain.permissions import Permission, missing


def cached_channel(client: discord.Client, channel_id: int, *, community_id: int | None = None) -> Any:
    """A cached channel or thread (None: not cached, or a DM).

    Given the server it should be in, it is looked up there first, at once; otherwise discord.py's
    ``get_channel`` looks through every cached server, a cost that grows with the servers: a check made for
    each server (the settings of thousands at a sweep, each reminder) would grow with their square.
    """
    if community_id is not None:
        guild = client.get_guild(community_id)
        if guild is not None:
            channel = guild.get_channel_or_thread(channel_id)
            if channel is not None:
                return channel
    return client.get_channel(channel_id)


def guild_id_of(client: discord.Client, channel_id: int, *, community_id: int | None = None) -> int | None:
    """The server a cached channel or thread belongs to (None: not cached, or a DM). ``community_id``: the
    server it is expected in, looked at first (see ``cached_channel``)."""
    guild = getattr(cached_channel(client, channel_id, community_id=community_id), "guild", None)
    return None if guild is None else int(guild.id)


def granted_in(client: discord.Client, channel_id: int, *, community_id: int | None = None) -> int | None:
    channel: Any = cached_channel(client, channel_id, community_id=community_id)
    guild = getattr(channel, "guild", None)
    if channel is None or guild is None or guild.me is None:
        return None
    return int(channel.permissions_for(guild.me).value)


def missing_in(
    client: discord.Client, channel_id: int, needed: Permission, *, community_id: int | None = None
) -> Permission | None:
    """The needed permissions the bot lacks in the channel (empty: none), or None if it cannot tell."""
    granted = granted_in(client, channel_id, community_id=community_id)
    return None if granted is None else missing(needed, granted)


def missing_in_channel(channel: Any, needed: Permission) -> Permission | None:
    """The same for a channel or thread object already at hand (an archived thread fetched by id, say)."""
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None:
        return None
    try:
        granted = int(channel.permissions_for(guild.me).value)
    except discord.ClientException:  # a thread whose parent is not cached
        return None
    return missing(needed, granted)


def channel_in_guild(client: discord.Client, community_id: int, channel_id: int) -> bool | None:
    """Whether the channel (or thread) is one of the server's own; None when the server is not in the cache."""
    guild = client.get_guild(community_id)
    if guild is None or guild.unavailable:
        return None
    return guild.get_channel_or_thread(channel_id) is not None


def role_in_guild(client: discord.Client, community_id: int, role_id: int) -> bool | None:
    """Whether the role is one of the server's own, @everyone excepted; None when the server is not cached."""
    guild = client.get_guild(community_id)
    if guild is None or guild.unavailable:
        return None
    return role_id != community_id and guild.get_role(role_id) is not None


UNFOUND_ROLE_RETRY = 300.0  # seconds before a role found in no cached server is looked for again


class GuildPlaces:
    """``CommunityPlaces`` over the gateway cache: whose channels and roles are whose.

    The cache holds every channel, thread and role of the servers of this process's shards (the guilds intent).
    An id it holds in another server is foreign (False); an id it does not hold at all cannot be judged (None):
    deleted, or a server of another process's shards. (Posting checks more strictly: cogs/_discord/reminders.)
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._role_homes: dict[int, int] = {}
        self._unfound: dict[int, float] = {}  # role id -> when to look for it again

    def channel_is_own(self, community_id: int, channel_id: int) -> bool | None:
        # The community's own server first (at once); only an id not there is looked for in every server.
        holder = guild_id_of(self._client, channel_id, community_id=community_id)
        return None if holder is None else holder == community_id

    def role_is_own(self, community_id: int, role_id: int) -> bool | None:
        own = self._client.get_guild(community_id)
        if own is not None and own.get_role(role_id) is not None:
            return True  # the usual case, at once
        home = self._role_home(role_id)
        return None if home is None else home == community_id

    def _role_home(self, role_id: int) -> int | None:
        """The server holding the role. Roles are per server in the cache: a role not in its server's is looked
        for in every cached server, remembered once found (a role never moves), and not looked for again for a
        while when not found (deleted, or another process's)."""
        if role_id in self._role_homes:
            return self._role_homes[role_id]
        if time.monotonic() < self._unfound.get(role_id, 0.0):
            return None
        for guild in self._client.guilds:
            if guild.get_role(role_id) is not None:
                self._role_homes[role_id] = guild.id
                return guild.id
        self._unfound[role_id] = time.monotonic() + UNFOUND_ROLE_RETRY
        return None
