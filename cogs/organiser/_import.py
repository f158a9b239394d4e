"""/import: a preview of what an uploaded programme changes, then Confirm or Cancel.

Where a pending import lives between the preview and Confirm: in memory (``PendingImports``), under a random
token carried in the buttons' custom_ids, for 15 minutes. The buttons are DynamicItems, so after a restart
(or once the 15 minutes are up) pressing Confirm says the preview expired and to upload the file again,
rather than failing silently; nothing is written until Confirm.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.utils import escape_markdown

from bot.domain.clock import Clock
from bot.domain.errors import ImportConflictError, UserFacingError
from bot.domain.import_preview import import_warnings, plain, start_weekday_warning
from bot.domain.importing import ImportPlan, carry_over_week_links
from bot.domain.parsers import MAX_FILE_BYTES, parse_programme_file
from bot.domain.programme import Programme, redate
from bot.tree import NotAllowedError, fit_message, send_private
from cogs._base import WorkshopCog, cog_of, guild_id_of
from cogs._checks import organisers_only, require_organiser
from cogs._views import PersistentButton
from cogs.organiser._text import (
    IMPORT_PREVIEW_TTL,
    PREVIEW_BUDGET,
    plural,
    preview_header,
    preview_lines,
    start_date,
)
from cogs.programme import EMBED_COLOUR

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingImport:
    guild_id: int
    user_id: int
    filename: str
    programme: Programme
    plan: ImportPlan
    expires_at: datetime


class PendingImports:
    """Previewed imports waiting for Confirm, in memory only (see the module docstring)."""

    def __init__(self, clock: Clock, ttl: timedelta = IMPORT_PREVIEW_TTL) -> None:
        self._clock = clock
        self._ttl = ttl
        self._pending: dict[str, PendingImport] = {}

    def add(self, guild_id: int, user_id: int, filename: str, programme: Programme, plan: ImportPlan) -> str:
        self._drop_expired()
        token = secrets.token_urlsafe(12)
        self._pending[token] = PendingImport(guild_id, user_id, filename, programme, plan, self._clock() + self._ttl)
        return token

    def get(self, token: str) -> PendingImport | None:
        self._drop_expired()
        return self._pending.get(token)

    def discard(self, token: str) -> None:
        self._pending.pop(token, None)

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._pending)

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, p in self._pending.items() if p.expires_at <= now]:
            del self._pending[token]


EXPIRED_IMPORT = (
    "This import preview has expired (after 15 minutes, or because the bot restarted). Nothing was imported: "
    "upload the file again with /import."
)


class ImportButton(
    PersistentButton,
    template=r"import:(?P<action>confirm|cancel):(?P<token>[A-Za-z0-9_-]{1,40})",
):
    def __init__(self, action: str, token: str, *, answers_lost: int = 0) -> None:
        if action == "confirm":
            label = f"Confirm and delete {plural(answers_lost, 'answer')}" if answers_lost else "Confirm import"
            style = discord.ButtonStyle.danger if answers_lost else discord.ButtonStyle.success
        else:
            label, style = "Cancel", discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"import:{action}:{token}"))
        self.action = action
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ImportButton:
        return cls(match["action"], match["token"])

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        # Whose preview it is lives with the pending import, not in the custom_id: the cog checks it.
        cog = cog_of(interaction, ImportCog)
        if self.action == "confirm":
            await cog.confirm_import(interaction, self.token)
        else:
            await cog.cancel_import(interaction, self.token)


def import_view(token: str, answers_lost: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ImportButton("confirm", token, answers_lost=answers_lost))
    view.add_item(ImportButton("cancel", token))
    return view


class ImportCog(WorkshopCog):
    def __init__(self, bot: WorkshopBot) -> None:
        super().__init__(bot)
        self.pending_imports = PendingImports(bot.clock)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ImportButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ImportButton)

    @app_commands.command(name="import", description="Organisers: import a programme file, with a preview first")
    @app_commands.describe(
        file="The programme: a .toml file or the published listing as text (at most 1 MB)",
        start="Move the programme so its first session is on this date (YYYY-MM-DD)",
    )
    @app_commands.guild_only()
    @organisers_only("import a programme")
    async def import_programme(
        self, interaction: discord.Interaction[Any], file: discord.Attachment, start: str | None = None
    ) -> None:
        guild_id = guild_id_of(interaction)
        new_start = start_date(start) if start is not None else None
        if file.size > MAX_FILE_BYTES:
            raise UserFacingError(
                f"{file.filename} is {file.size:,} bytes; a programme file can be at most {MAX_FILE_BYTES:,} bytes."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        # Parsing a 1 MB file and rendering a long preview take a while: in a thread, so the bot keeps answering.
        programme = await asyncio.to_thread(
            parse_programme_file, data, filename=file.filename, default_timezone=self.bot.settings.timezone
        )
        warnings: list[str] = []
        if new_start is not None:
            weekday_warning = start_weekday_warning(programme, new_start)
            warnings += [weekday_warning] if weekday_warning else []
            programme = redate(programme, new_start)
        current = await self.bot.services.programme.get(guild_id)
        programme = carry_over_week_links(current, programme)
        plan = await self.bot.services.programme.preview(guild_id, programme)
        warnings += import_warnings(current, programme, escape=escape_markdown)
        if not plan.changes_anything:
            await send_private(interaction, f"Nothing to import: {file.filename} is the same as the current programme.")
            return
        token = self.pending_imports.add(guild_id, interaction.user.id, file.filename, programme, plan)
        lines = await asyncio.to_thread(preview_lines, current, programme, plan)
        description = preview_header(programme, plan, file.filename, warnings) + "\n\n"
        shown: list[str] = []
        for line in lines:
            if len(description) + sum(len(s) + 1 for s in shown) + len(line) > PREVIEW_BUDGET:
                break
            shown.append(line)
        extra: dict[str, Any] = {}
        if len(shown) < len(lines):
            shown.append(f"…and {len(lines) - len(shown)} more: every session is in the attached preview.")
            full = "\n".join(plain(line) for line in lines) + "\n"
            extra["file"] = discord.File(io.BytesIO(full.encode()), filename="import-preview.txt")
        embed = discord.Embed(title="Import preview", description=description + "\n".join(shown), colour=EMBED_COLOUR)
        embed.set_footer(text="This preview expires in 15 minutes.")
        await interaction.followup.send(
            embed=embed, view=import_view(token, plan.answers_lost), ephemeral=True, **extra
        )

    async def confirm_import(self, interaction: discord.Interaction[Any], token: str) -> None:
        pending = self.pending_imports.get(token)
        if pending is None:
            await interaction.response.edit_message(content=EXPIRED_IMPORT, embed=None, view=None)
            return
        if interaction.user.id != pending.user_id:
            raise NotAllowedError("Only the organiser who uploaded this programme can confirm it.")
        await require_organiser(interaction, "import a programme")
        self.pending_imports.discard(token)  # one press imports once
        await interaction.response.defer()
        programme_service = self.bot.services.programme
        try:
            # Checked inside the import's own transaction: answers given since the preview stop it.
            plan = await programme_service.import_programme(
                pending.guild_id, pending.programme, expected_answers_lost=pending.plan.answers_lost
            )
        except ImportConflictError:
            now = await programme_service.preview(pending.guild_id, pending.programme)
            await self._import_outdated(interaction, now.answers_lost)
            return
        log.info("programme imported through /import by user %s in guild %s", interaction.user.id, pending.guild_id)
        await interaction.edit_original_response(
            content=fit_message(
                f"Imported **{escape_markdown(pending.programme.title)}** from `{pending.filename}`: "
                f"{plan.summary(done=True)}."
            ),
            embed=None,
            view=None,
            attachments=[],
        )

    async def _import_outdated(self, interaction: discord.Interaction[Any], answers_lost: int) -> None:
        await interaction.edit_original_response(
            content=(
                "Answers changed since the preview: this import would now delete "
                f"{plural(answers_lost, 'answer')}. Nothing was imported; run /import again for an up-to-date "
                "preview."
            ),
            embed=None,
            view=None,
            attachments=[],
        )

    async def cancel_import(self, interaction: discord.Interaction[Any], token: str) -> None:
        pending = self.pending_imports.get(token)
        if pending is not None and interaction.user.id != pending.user_id:
            raise NotAllowedError("Only the organiser who uploaded this programme can cancel it.")
        self.pending_imports.discard(token)
        await interaction.response.edit_message(
            content="Import cancelled; nothing was changed.", embed=None, view=None, attachments=[]
        )
