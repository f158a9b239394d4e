"""Whether a user is a member of a server, asked the same way in every process (issue 20, item 6).

Interactions that only read and write the database are served by whichever process receives them: a DM reaches
shard 0 only, whichever shard's process holds the server in its cache. So membership is asked over REST, not
read from the cache. (Outside ``cogs._discord``, which imports the views that use this.)
"""

from __future__ import annotations

import discord

UNKNOWN_MEMBER = 10007  # developers/topics/opcodes-and-status-codes.mdx, JSON error codes


async def is_member(client: discord.Client, guild_id: int, user_id: int) -> bool | None:
    """Whether the user is a member of the server (None: the bot is not in it), asked over REST: it answers the
    same in every process, whichever shard's cache holds the server (a DM reaches shard 0 only). A member this
    process has cached is one without asking: the request is only for what the cache cannot tell."""
    guild = client.get_guild(guild_id)
    if guild is not None and guild.get_member(user_id) is not None:
        return True
    try:
        await client.http.get_member(guild_id, user_id)
    except discord.NotFound as error:
        return False if error.code == UNKNOWN_MEMBER else None  # else Unknown Guild
    except discord.Forbidden:  # Missing Access: the bot is not in the server
        return None
    return True
