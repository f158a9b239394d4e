"""/export answers|audit. Named exports need a second press: the confirmation button carries the whole
request (week, format, who asked, when) in its custom_id, so it needs no memory, and it expires after 10
minutes.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.domain.errors import NotFoundError, UserFacingError
from bot.domain.exports import ExportFormat
from bot.services.exports import ExportDelivery, ExportRequest
from bot.tree import send_private
from cogs._base import WeekOption, WorkshopCog, cog_of, guild_id_of
from cogs._checks import organisers_only, require_organiser
from cogs._render import paginate, valid_weeks_text
from cogs._uploads import file_limit
from cogs._views import PersistentButton
from cogs.organiser._text import (
    AUDIT_SHOWN,
    FORMAT_LABELS,
    NAMED_EXPORT_TTL,
    audit_line,
    delivery_text,
    plural,
)
from cogs.programme import EMBED_COLOUR, week_autocomplete

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


class NamedExportButton(
    PersistentButton,
    template=(
        r"export:named:(?P<week>[0-9]{1,4}):(?P<format>csv|json|xlsx|markdown):(?P<user>\d{1,20}):(?P<issued>\d{1,12})"
    ),
):
    """Confirms a named export. Everything it needs is in its custom_id; it expires after 10 minutes."""

    not_owner_text = "Only the organiser who asked for this export can confirm it."

    def __init__(self, week: int | None, fmt: ExportFormat, user_id: int, issued: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Export with names",
                style=discord.ButtonStyle.danger,
                custom_id=f"export:named:{week or 0}:{fmt.value}:{user_id}:{issued}",
            )
        )
        self.week = week
        self.format = fmt
        self.user_id = user_id
        self.owner_id = user_id
        self.issued = issued

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NamedExportButton:
        week = int(match["week"])
        return cls(week or None, ExportFormat(match["format"]), int(match["user"]), int(match["issued"]))

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await cog_of(interaction, ExportCog).confirm_named_export(interaction, self)


class CancelNamedExportButton(PersistentButton, template=r"export:named-cancel"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="export:named-cancel")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelNamedExportButton:
        return cls()

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.edit_message(content="Named export cancelled; nothing was exported.", view=None)


class ExportCog(WorkshopCog):
    export = app_commands.Group(
        name="export",
        description="Organisers: export members' answers, or see who exported what",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(NamedExportButton, CancelNamedExportButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(NamedExportButton, CancelNamedExportButton)

    @export.command(name="answers", description="Organisers: export answers as a file, pseudonymous by default")
    @app_commands.describe(
        format="The file format",
        week="Only this week (leave out for every week)",
        identities="pseudonymous (default), or named: adds Discord ids and display names",
    )
    @app_commands.choices(
        format=[app_commands.Choice(name=label, value=fmt.value) for fmt, label in FORMAT_LABELS.items()],
        identities=[
            app_commands.Choice(name="pseudonymous (default)", value="pseudonymous"),
            app_commands.Choice(name="named: Discord ids and display names", value="named"),
        ],
    )
    @app_commands.autocomplete(week=week_autocomplete)
    @organisers_only("export answers")
    async def export_answers(
        self,
        interaction: discord.Interaction[Any],
        format: str,
        week: WeekOption | None = None,
        identities: str = "pseudonymous",
    ) -> None:
        guild_id = guild_id_of(interaction)
        try:
            fmt = ExportFormat(format)
        except ValueError:
            raise UserFacingError(f"'{format}' is not an export format.") from None
        if identities == "named":
            await self._ask_named_confirmation(interaction, guild_id, fmt, week)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = ExportRequest(guild_id, fmt, week=week, actor_id=interaction.user.id)
        await self._deliver_export(interaction, request)

    async def _ask_named_confirmation(
        self, interaction: discord.Interaction[Any], guild_id: int, fmt: ExportFormat, week: int | None
    ) -> None:
        programme = await self.bot.services.programme.require(guild_id)
        if week is not None and programme.session_for_week(week) is None:
            valid = valid_weeks_text(programme)
            raise NotFoundError(f"There is no week {week} in this programme. Valid weeks: {valid}.")
        issued = int(self.bot.clock().timestamp())
        view = discord.ui.View(timeout=None)
        view.add_item(NamedExportButton(week, fmt, interaction.user.id, issued))
        view.add_item(CancelNamedExportButton())
        scope = "every week" if week is None else f"week {week}"
        await send_private(
            interaction,
            f"⚠️ A **named** export ({scope}, {FORMAT_LABELS[fmt]}) puts each member's Discord id and display name "
            "next to their answers, which are political opinions. Only export names if you need them; keep the "
            "file safe and delete it when done. The export is recorded in /export audit as named.\n"
            "Press **Export with names** within 10 minutes to go ahead.",
            view=view,
        )

    async def confirm_named_export(self, interaction: discord.Interaction[Any], button: NamedExportButton) -> None:
        await require_organiser(interaction, "export answers")
        issued = datetime.fromtimestamp(button.issued, tz=UTC)
        if self.bot.clock() - issued > NAMED_EXPORT_TTL:
            await interaction.response.edit_message(
                content="This confirmation has expired; nothing was exported. Run /export answers again.", view=None
            )
            return
        await interaction.response.edit_message(content="Confirmed: preparing the named export…", view=None)
        request = ExportRequest(
            guild_id_of(interaction), button.format, week=button.week, named=True, actor_id=interaction.user.id
        )
        await self._deliver_export(interaction, request)

    async def _deliver_export(self, interaction: discord.Interaction[Any], request: ExportRequest) -> None:
        limit = file_limit(interaction)  # the server's upload limit, but never over Discord's 25 MiB a request
        async with self.bot.services.exports.export_for_upload(request, upload_limit=limit) as delivery:
            await send_delivery(interaction, delivery, delivery_text(request, delivery, limit))

    @export.command(name="audit", description="Organisers: who exported answers, when, and how")
    @organisers_only("see the export audit")
    async def export_audit(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        entries, total = await self.bot.services.exports.audit(guild_id, limit=AUDIT_SHOWN)
        if not entries:
            await send_private(interaction, "No answers have been exported from this server yet.")
            return
        heading = (
            f"The latest {len(entries)} of {total} exports, newest first:"
            if total > len(entries)
            else (f"{plural(total, 'export')}, newest first:")
        )
        pages = paginate([audit_line(entry) for entry in entries])
        embed = discord.Embed(title="Export audit", description=pages[0], colour=EMBED_COLOUR)
        await send_private(interaction, heading, embed=embed)


async def send_delivery(interaction: discord.Interaction[Any], delivery: ExportDelivery, text: str) -> None:
    """The delivery's files as private follow-ups: ``text`` with the first, a part number with the others."""
    for index, path in enumerate(delivery.files):
        content = text if index == 0 else f"Part {index + 1} of {len(delivery.files)}: `{path.name}`"
        await interaction.followup.send(
            content,
            file=discord.File(path, filename=path.name),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
