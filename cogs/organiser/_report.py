"""/report [week:]: the programme report as one HTML file, sent privately like an export and audited."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.services.report import ReportRequest
from cogs._base import WorkshopCog, guild_id_of
from cogs._checks import organisers_only
from cogs._uploads import file_limit
from cogs.organiser._export import send_delivery
from cogs.organiser._text import report_delivery_text
from cogs.programme import week_autocomplete


class ReportCog(WorkshopCog):
    @app_commands.command(
        name="report", description="Organisers: the programme report (charts and answers) as one HTML file"
    )
    @app_commands.describe(week="Only this week's answers (leave out for every week; the charts cover them all)")
    @app_commands.autocomplete(week=week_autocomplete)
    @app_commands.guild_only()
    @organisers_only("get the programme report")
    async def report(self, interaction: discord.Interaction[Any], week: int | None = None) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the charts and answers take a moment
        request = ReportRequest(guild_id, week=week, actor_id=interaction.user.id)
        limit = file_limit(interaction)
        async with self.bot.services.report.report_for_upload(request, upload_limit=limit) as delivery:
            await send_delivery(interaction, delivery, report_delivery_text(week, delivery, limit))
