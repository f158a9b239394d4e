"""Display names: ``DisplayNames`` over discord.py, for named exports."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import discord

log = logging.getLogger(__name__)


class DiscordDisplayNames:
    """Members' display names as Discord has them now, for named exports (never stored)."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def display_names(self, guild_id: int, user_ids: Sequence[int]) -> Mapping[int, str]:
        guild = self._bot.get_guild(guild_id)
        if guild is None:
            return {}
        names: dict[int, str] = {}
        for user_id in user_ids:
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.NotFound:
                    continue  # left the server: the export shows no name
                except discord.HTTPException as error:
                    log.warning("could not look up member %s for a named export: %s", user_id, error.status)
                    continue
            names[user_id] = member.display_name
        return names
