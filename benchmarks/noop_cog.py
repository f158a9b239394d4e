"""A command that does nothing but answer: the baseline for interaction latency."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands


class NoopCog(commands.Cog):
    @app_commands.command(name="noop", description="Answers at once (benchmark baseline)")
    async def noop(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("ok", ephemeral=True)


async def setup(bot: Any) -> None:
    await bot.add_cog(NoopCog())
