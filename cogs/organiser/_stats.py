"""/stats: participation per week, small counts hidden, with a chart of answers per week as a PNG."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands

from bot.domain.stats_text import stats_footer
from cogs._base import WorkshopCog, guild_id_of
from cogs._checks import organisers_only
from cogs._render import paginate
from cogs.organiser._text import (
    retention_text,
    stats_lines,
)
from cogs.programme import EMBED_COLOUR

log = logging.getLogger(__name__)

CHART_FILE = "participation.png"
CHART_DESCRIPTION = "Bar chart of answers per week; the figures are in the message text."


class StatsCog(WorkshopCog):
    @app_commands.command(name="stats", description="Organisers: participation per week (small counts hidden)")
    @app_commands.guild_only()
    @organisers_only("see participation figures")
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        programme = await self.bot.services.programme.require(guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the chart takes a moment to draw
        report = await self.bot.services.stats.report(guild_id)
        chart = await self.bot.services.report.participation_png(guild_id)
        lines = stats_lines(report)
        retention = retention_text(await self.bot.services.retention.schedule(guild_id))
        if retention:
            lines = [retention, "", *lines]
        pages = paginate(lines, per_page=200)
        footer = stats_footer(report.threshold)
        for number, page in enumerate(pages):
            embed = discord.Embed(
                title=f"Participation: {programme.title}" if number == 0 else None,
                description=page,
                colour=EMBED_COLOUR,
            )
            extra: dict[str, Any] = {}
            if number == len(pages) - 1:
                embed.set_footer(text=footer)
                # The picture of the text above, for those who would rather look; the text stays the accessible one.
                extra["file"] = discord.File(io.BytesIO(chart), filename=CHART_FILE, description=CHART_DESCRIPTION)
            await interaction.followup.send(embed=embed, ephemeral=True, **extra)
