"""Joining and leaving servers, handed to the community service: the bot greets a server it joins (once)
and keeps a removed server's data for the grace period (see bot/services/communities.py)."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from cogs._base import WorkshopCog


class CommunitiesCog(WorkshopCog):
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Servers the bot was added to while it was down are served from now on (and not greeted: only a
        # join Discord reports as it happens is).
        await self.bot.services.communities.present(guild.id for guild in self.bot.guilds)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.services.communities.joined(guild.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.bot.services.communities.left(guild.id)


async def setup(bot: Any) -> None:
    await bot.add_cog(CommunitiesCog(bot))
