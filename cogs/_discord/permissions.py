"""The bot's effective permissions in a channel, from discord.py's gateway cache.

Discord computes them from the server's roles and the channel's overwrites (developers/topics/
permissions.mdx, "Permission Overwrites"); discord.py does the same from what the gateway told it (the
server at start, then every channel, role and bot-member update), so checking costs no request. A thread
has its parent's.
``None`` means the bot cannot tell (the server or channel is not in its cache yet): callers then act and
let Discord's answer decide.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.domain.permissions import Permission, missing


def guild_id_of(client: discord.Client, channel_id: int) -> int | None:
    """The server a cached channel or thread belongs to (None: not cached, or a DM)."""
    guild = getattr(client.get_channel(channel_id), "guild", None)
    return None if guild is None else int(guild.id)


def granted_in(client: discord.Client, channel_id: int) -> int | None:
    channel: Any = client.get_channel(channel_id)
    guild = getattr(channel, "guild", None)
    if channel is None or guild is None or guild.me is None:
        return None
    return int(channel.permissions_for(guild.me).value)


def missing_in(client: discord.Client, channel_id: int, needed: Permission) -> Permission | None:
    """The needed permissions the bot lacks in the channel (empty: none), or None if it cannot tell."""
    granted = granted_in(client, channel_id)
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


class GuildPlaces:
    """``CommunityPlaces`` over the gateway cache: which channels and roles are a server's own.

    The cache holds every channel, thread and role of the servers of this process's shards (the guilds intent);
    a server it does not hold (another process's, or not loaded yet) cannot be judged: None.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def _guild(self, community_id: int) -> discord.Guild | None:
        guild = self._client.get_guild(community_id)
        return None if guild is None or guild.unavailable else guild

    def channel_is_own(self, community_id: int, channel_id: int) -> bool | None:
        guild = self._guild(community_id)
        if guild is None:
            other = guild_id_of(self._client, channel_id)
            return None if other is None else other == community_id
        return guild.get_channel_or_thread(channel_id) is not None

    def role_is_own(self, community_id: int, role_id: int) -> bool | None:
        guild = self._guild(community_id)
        if guild is None:
            return None
        return guild.get_role(role_id) is not None
