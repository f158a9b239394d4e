"""Joining and leaving servers, handed to the community service: the bot greets a server it joins (once)
and keeps a removed server's data for the grace period (see bot/services/communities.py)."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.domain.communities import Shard
from cogs._base import WorkshopCog


class CommunitiesCog(WorkshopCog):
    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        # At each (re)connection of a shard that identified afresh (the first start, or a session Discord
        # invalidated; discord.py fires on_ready only once): servers the bot was added to meanwhile are served
        # from now on (and not greeted: only a join Discord reports as it happens is), and servers that removed
        # it meanwhile, which READY no longer lists, are recorded as left (events/gateway-events.mdx, "Ready":
        # "guilds the user is in").
        listed = [guild.id for guild in self.bot.guilds if guild.shard_id == shard_id]
        shard = Shard(shard_id, self.bot.shard_count or 1)
        await self.bot.services.communities.reconcile(listed, shard=shard)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.services.communities.joined(guild.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.bot.services.communities.left(guild.id)


async def setup(bot: Any) -> None:
    await bot.add_cog(CommunitiesCog(bot))
