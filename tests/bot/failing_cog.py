"""A cog for tests only: commands that fail in the ways the error tree must handle."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserFacingError


class FailingCog(commands.Cog):
    def __init__(self) -> None:
        self.release = asyncio.Event()  # on the instance: load_extension imports a fresh module

    @app_commands.command(name="crash-after-defer", description="Defers, then fails unexpectedly")
    @app_commands.describe(note="Any text")
    async def crash_after_defer(self, interaction: discord.Interaction[Any], note: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise RuntimeError("boom")

    @app_commands.command(name="refuse-after-defer", description="Defers, then refuses with a user error")
    async def refuse_after_defer(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise UserFacingError("That cannot be done right now.")

    @app_commands.command(name="slow-refusal", description="Waits for the test, then refuses")
    async def slow_refusal(self, interaction: discord.Interaction[Any]) -> None:
        await self.release.wait()
        raise UserFacingError("Too late for this one.")


async def setup(bot: Any) -> None:
    await bot.add_cog(FailingCog())
