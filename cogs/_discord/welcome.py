"""The welcome: ``WelcomePoster`` over discord.py, one short message when the bot joins a server."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import discord

from bot.domain.communities import WELCOME_TEXT
from cogs._discord.permissions import missing_in_channel
from cogs._discord.reminders import POSTING

log = logging.getLogger(__name__)


def _candidates(guild: discord.Guild) -> Iterator[discord.TextChannel]:
    """The server's system channel (where Discord greets new members), then its text channels, top first."""
    if isinstance(guild.system_channel, discord.TextChannel):
        yield guild.system_channel
    yield from (channel for channel in guild.text_channels if channel != guild.system_channel)


class WelcomeMessages:
    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def post_welcome(self, community_id: int) -> bool:
        guild = self._bot.get_guild(community_id)
        if guild is None:
            return False
        for channel in _candidates(guild):
            lacking = missing_in_channel(channel, POSTING)
            if lacking is None or lacking:
                continue  # not allowed there (or the bot cannot tell): the next channel
            try:
                await channel.send(WELCOME_TEXT, allowed_mentions=discord.AllowedMentions.none())
            except (discord.Forbidden, discord.NotFound):
                continue
            log.info("posted the welcome message in server %s", community_id)
            return True
        log.info("server %s has no channel the bot may post in: no welcome message", community_id)
        return False
