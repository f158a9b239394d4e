"""Members answer the prompts (/answer, Answer buttons) and manage their own data (/mydata). All private."""

from __future__ import annotations

import io
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import NotFoundError
from bot.domain.member_data import MemberData, erasure_question, erasure_result, export_summary, show_pages
from cogs._answer_modal import answer_modal_prompt_id, handle_answer_submit, open_answer_modal
from cogs._base import WeekOption, WorkshopCog, guild_id_of, workshop_bot
from cogs._render import prompt_choices
from cogs._views import PersistentButton, pager, register_pages, unregister_pages
from cogs.programme import EMBED_COLOUR, require_week, week_autocomplete

EXPORT_FILENAME = "my-workshop-data.json"


async def prompt_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[int]]:
    """The prompts of the week already chosen in the same command."""
    if interaction.guild_id is None:
        return []
    try:
        week = int(interaction.namespace.week)
    except (TypeError, ValueError):
        return []  # no week chosen yet
    programme = await workshop_bot(interaction).services.programme.get(interaction.guild_id)
    session = programme.session_for_week(week) if programme else None
    return [app_commands.Choice(name=name, value=number) for name, number in prompt_choices(session, current)]


# --- /mydata show pages ----------------------------------------------------------------------------------


def mydata_page(data: MemberData, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
    pages = show_pages(data)
    page = max(0, min(page, len(pages) - 1))
    embed = discord.Embed(title="What we hold about you", description=pages[page], colour=EMBED_COLOUR)
    footer = "Only you can see this. /mydata export for a copy of everything, /mydata delete to erase it."
    embed.set_footer(text=footer if len(pages) == 1 else f"Page {page + 1} of {len(pages)} · {footer}")
    return embed, pager("mydata", page, len(pages))


async def render_mydata_page(
    interaction: discord.Interaction[Any], page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """Always the data of whoever clicks, never anyone else's."""
    data = await workshop_bot(interaction).services.answers.member_data(guild_id_of(interaction), interaction.user.id)
    return mydata_page(data, page)


# --- /mydata delete confirmation -------------------------------------------------------------------------


class EraseButton(
    PersistentButton,
    template=r"mydata:erase:(?P<user_id>[0-9]{1,20}):(?P<choice>yes|no)",
):
    """Confirm or cancel /mydata delete. Only the member it was asked for can answer it."""

    not_owner_text = "Only the member who asked to delete their data can confirm it."

    def __init__(self, user_id: int, choice: str) -> None:
        confirm = choice == "yes"
        super().__init__(
            discord.ui.Button(
                label="Delete everything" if confirm else "Keep my data",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"mydata:erase:{user_id}:{choice}",
            )
        )
        self.user_id = user_id
        self.owner_id = user_id
        self.confirm = confirm

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> EraseButton:
        return cls(int(match["user_id"]), match["choice"])

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        if not self.confirm:
            await interaction.response.edit_message(content="Nothing was deleted.", view=None)
            return
        guild_id = guild_id_of(interaction)
        await interaction.response.defer()
        report = await workshop_bot(interaction).services.answers.erase_member(guild_id, self.user_id)
        await interaction.edit_original_response(content=erasure_result(report), view=None)


def erase_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EraseButton(user_id, "yes"))
    view.add_item(EraseButton(user_id, "no"))
    return view


class AnswersCog(WorkshopCog):
    mydata = app_commands.Group(
        name="mydata", description="See, export or delete what the bot holds about you", guild_only=True
    )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(EraseButton)
        register_pages("mydata", render_mydata_page)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(EraseButton)
        unregister_pages("mydata")

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Every answer form submission, including forms opened before a restart (see cogs._answer_modal)."""
        prompt_id = answer_modal_prompt_id(interaction)
        if prompt_id is not None:
            await handle_answer_submit(interaction, prompt_id)

    @app_commands.command(name="answer", description="Answer one of a week's prompts, or change your answer")
    @app_commands.describe(
        week="The week number (start typing to search by title)", prompt="Which of the week's prompts"
    )
    @app_commands.autocomplete(week=week_autocomplete, prompt=prompt_autocomplete)
    @app_commands.guild_only()
    async def answer(self, interaction: discord.Interaction[Any], week: WeekOption, prompt: int) -> None:
        guild_id = guild_id_of(interaction)
        prompt_id = await self.bot.services.answers.prompt_id(guild_id, week, prompt)
        if prompt_id is None:
            await self._explain_no_such_prompt(guild_id, week, prompt)
        else:
            await open_answer_modal(interaction, prompt_id)

    async def _explain_no_such_prompt(self, guild_id: int, week: int, prompt: int) -> None:
        """Raise the NotFoundError that says what exists instead (the programme is read only here)."""
        programme = await self.bot.services.programme.require(guild_id)
        session = require_week(programme, week)
        count = len(session.prompts)
        if count == 0:
            raise NotFoundError(f"Week {week} has no prompts to answer.")
        valid = "prompt 1" if count == 1 else f"prompts 1 to {count}"
        raise NotFoundError(f"Week {week} has {valid}, not {prompt}. Pick one from the list.")

    @mydata.command(name="show", description="Your answers, by week and prompt (only you see them)")
    async def mydata_show(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # reads can queue behind big writes
        data = await self.bot.services.answers.member_data(guild_id, interaction.user.id)
        embed, view = mydata_page(data, 0)
        if view is None:
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=True)

    @mydata.command(name="export", description="Everything the bot holds about you, as a JSON file")
    async def mydata_export(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data, document = await self.bot.services.answers.export_member_data(guild_id, interaction.user.id)
        await interaction.followup.send(
            export_summary(data),
            file=discord.File(io.BytesIO(document), filename=EXPORT_FILENAME),
            ephemeral=True,
        )

    @mydata.command(name="delete", description="Erase your answers and everything else the bot holds about you")
    async def mydata_delete(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self.bot.services.answers.erasure_preview(guild_id, interaction.user.id)
        if preview.nothing:
            await interaction.followup.send(erasure_question(preview), ephemeral=True)
            return
        await interaction.followup.send(erasure_question(preview), view=erase_view(interaction.user.id), ephemeral=True)


async def setup(bot: Any) -> None:
    await bot.add_cog(AnswersCog(bot))
