"""Deliberation in Discord: /deliberate open|close|results|moderate, and the private voting flow.

A conversation has one post in the channel with a Vote button. Pressing it opens a private message showing one
statement at a time with Agree / Disagree / Pass / Write a statement; each vote moves that message on to the next
statement. Every button and the statement form are stateless (their custom_ids carry the conversation and the
statement), so they keep working after a restart: see cogs/_views.py and cogs/_answer_modal.py for why.
Nothing here shows who wrote a statement or who voted; nothing members wrote can ping anyone.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.deliberation.display import results_json, shown_results
from bot.domain.deliberation.opinion_map import map_png
from bot.domain.errors import UserFacingError
from bot.tree import report_error, send_private
from cogs._base import WeekOption, WorkshopCog, guild_id_of
from cogs._checks import facilitators_only, organisers_only, require_facilitator
from cogs._modal_payload import submitted_text
from cogs.deliberation._common import (
    MAX_SEED_FILE,
    NONE,
    OPEN_MODAL,
    PROMPT_INPUT_ID,
    SEEDS_INPUT_ID,
    STATEMENT_MODAL,
)
from cogs.deliberation._moderation import ModerateButton, moderation_step
from cogs.deliberation._post import VoteButton, post_text, post_view
from cogs.deliberation._results import conversation_autocomplete, is_facilitator_here, results_text
from cogs.deliberation._voting import CastButton, ChangeButton, WriteButton, handle_statement_submit

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)

# --- the cog --------------------------------------------------------------------------------------------------


class DeliberationCog(WorkshopCog):
    deliberate = app_commands.Group(
        name="deliberate", description="Conversations where members vote on each other's statements", guild_only=True
    )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton, CastButton, WriteButton, ChangeButton, ModerateButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton, CastButton, WriteButton, ChangeButton, ModerateButton)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Statement and opening forms, including forms opened before a restart."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        custom_id = data.get("custom_id") if isinstance(data, dict) else None
        if not isinstance(custom_id, str):
            return
        try:
            if match := STATEMENT_MODAL.fullmatch(custom_id):
                await handle_statement_submit(interaction, int(match["conversation"]))
            elif match := OPEN_MODAL.fullmatch(custom_id):
                await require_facilitator(interaction, "open conversations")
                prompt = submitted_text(data, PROMPT_INPUT_ID)
                seeds = submitted_text(data, SEEDS_INPUT_ID)
                await self._open(interaction, int(match["week"]), prompt, seeds, match["auto"] == "1")
        except Exception as error:
            await report_error(interaction, error)

    @deliberate.command(name="open", description="Open a conversation on a week's prompt, with a Vote button")
    @app_commands.describe(
        week="The programme week it belongs to",
        prompt="The question members respond to",
        seeds="Optional: a text file of seed statements, one a line (without it, a form asks for them)",
        auto_accept="Show members' statements for voting at once (default), or hold them for moderation",
    )
    @facilitators_only("open conversations")
    async def open(
        self,
        interaction: discord.Interaction[Any],
        week: WeekOption,
        prompt: app_commands.Range[str, 1, 1000],
        seeds: discord.Attachment | None = None,
        auto_accept: bool = True,
    ) -> None:
        if seeds is None:
            await interaction.response.send_modal(OpenModal(week, prompt, auto_accept))
            return
        if seeds.size > MAX_SEED_FILE:
            raise UserFacingError(f"The seed file is {seeds.size:,} bytes; the limit is {MAX_SEED_FILE:,}.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        raw = await seeds.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserFacingError(
                "The seed file is not UTF-8 text: save it as plain text, one statement a line."
            ) from None
        await self._open(interaction, week, prompt, text, auto_accept)

    async def _open(
        self, interaction: discord.Interaction[Any], week: int, prompt: str, seeds: str, auto: bool
    ) -> None:
        guild_id = guild_id_of(interaction)
        service = self.bot.services.deliberation
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        conversation = await service.open(guild_id, week=week, prompt=prompt, seeds=seeds, auto_accept=auto)
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise UserFacingError("Open conversations from a text channel: the Vote post goes there.")
        post = await channel.send(post_text(conversation), view=post_view(conversation.id), allowed_mentions=NONE)
        await service.set_post(conversation.id, post.channel.id, post.id)
        count = len(await service.statements(conversation.id))
        await send_private(
            interaction,
            f"Opened **{conversation.name}** with {count} seed statements: members vote with the button on the post. "
            f"Close it with /deliberate close conversation:{conversation.number}.",
        )

    @deliberate.command(name="close", description="Close a conversation: no more votes or statements")
    @app_commands.describe(conversation="The conversation's number")
    @app_commands.autocomplete(conversation=conversation_autocomplete)
    @facilitators_only("close conversations")
    async def close(self, interaction: discord.Interaction[Any], conversation: app_commands.Range[int, 1]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.bot.services.deliberation.close(guild_id, conversation)
        if closed.channel_id is not None and closed.post_id is not None:
            try:
                message = self.bot.get_partial_messageable(closed.channel_id).get_partial_message(closed.post_id)
                await message.edit(content=post_text(closed), view=None, allowed_mentions=NONE)
            except discord.HTTPException:
                log.warning("could not mark the post of conversation %d closed", closed.id)
        await send_private(interaction, f"Closed **{closed.name}**. /deliberate results shows where it ended.")

    @deliberate.command(
        name="results", description="A conversation's opinion groups and common ground (only you see it)"
    )
    @app_commands.describe(conversation="The conversation's number")
    @app_commands.autocomplete(conversation=conversation_autocomplete)
    async def results(self, interaction: discord.Interaction[Any], conversation: app_commands.Range[int, 1]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the analysis and the map take a moment
        service = self.bot.services.deliberation
        found = await service.conversation(guild_id, conversation)
        results = await service.results(found.id)
        shown = shown_results(results.analysis, {i: s.text for i, s in results.statements.items()})
        text = results_text(found, shown)
        files = []
        if results.analysis.grouped:
            png = await asyncio.to_thread(map_png, results.analysis, shown)
            files.append(discord.File(io.BytesIO(png), filename="opinion-map.png"))
        if await is_facilitator_here(interaction):
            # Facilitators and organisers also get the figures as JSON: statements and their vote counts.
            document = results_json(found.name, found.week, found.prompt, found.state.value, shown, self.bot.clock())
            files.append(discord.File(io.BytesIO(document), filename=f"conversation-{found.number}.json"))
        await interaction.followup.send(text, files=files, ephemeral=True, allowed_mentions=NONE)

    @deliberate.command(name="moderate", description="Accept or reject statements waiting for moderation")
    @app_commands.describe(conversation="The conversation's number")
    @app_commands.autocomplete(conversation=conversation_autocomplete)
    @organisers_only("moderate statements")
    async def moderate(self, interaction: discord.Interaction[Any], conversation: app_commands.Range[int, 1]) -> None:
        service = self.bot.services.deliberation
        found = await service.conversation(guild_id_of(interaction), conversation)
        content, view = await moderation_step(service, found.id)
        if view is None:
            await send_private(interaction, content)
        else:
            await interaction.response.send_message(content, view=view, ephemeral=True, allowed_mentions=NONE)


class OpenModal(discord.ui.Modal):
    """Seed statements for a new conversation, typed; the prompt rides along in the form, so it is stateless."""

    def __init__(self, week: int, prompt: str, auto_accept: bool) -> None:
        super().__init__(
            title=f"Open a conversation (week {week})", custom_id=f"deliberate:open:{week}:{int(auto_accept)}"
        )
        self.add_item(
            discord.ui.Label(
                text="Prompt",
                component=discord.ui.TextInput(
                    custom_id=PROMPT_INPUT_ID, style=discord.TextStyle.paragraph, default=prompt, max_length=1000
                ),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Seed statements (optional)",
                description="One a line; members vote on these first.",
                component=discord.ui.TextInput(
                    custom_id=SEEDS_INPUT_ID, style=discord.TextStyle.paragraph, required=False, max_length=4000
                ),
            )
        )
        self.stop()  # a description only: the submission arrives at on_interaction


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(DeliberationCog(bot))
