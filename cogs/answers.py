"""Members answer the prompts (/answer, Answer buttons) and manage their own data (/mydata). All private."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.answers import shorten
from bot.domain.errors import NotFoundError
from bot.domain.member_data import (
    NOTHING_ANYWHERE,
    ErasureReport,
    community_label,
    erasure_choice,
    erasure_question,
    erasure_question_everywhere,
    erasure_result,
    erasure_result_everywhere,
    export_summary_everywhere,
    show_pages_everywhere,
)
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


# --- /mydata: every community holding the member's data ------------------------------------------------


def community_names(interaction: discord.Interaction[Any], community_ids: Iterable[int]) -> dict[int, str]:
    """The names of the servers this process knows (its shards' servers); the others are named by their id."""
    client = interaction.client
    found = {community_id: client.get_guild(community_id) for community_id in community_ids}
    return {community_id: guild.name for community_id, guild in found.items() if guild is not None}


async def mydata_pages(interaction: discord.Interaction[Any]) -> list[str]:
    found = await workshop_bot(interaction).services.answers.member_data_everywhere(interaction.user.id)
    return show_pages_everywhere(found, community_names(interaction, (d.community_id for d in found)))


def mydata_page(pages: list[str], page: int) -> tuple[discord.Embed, discord.ui.View | None]:
    page = max(0, min(page, len(pages) - 1))
    embed = discord.Embed(title="What we hold about you", description=pages[page], colour=EMBED_COLOUR)
    footer = "Only you can see this. /mydata export for a copy of everything, /mydata delete to erase it."
    embed.set_footer(text=footer if len(pages) == 1 else f"Page {page + 1} of {len(pages)} · {footer}")
    return embed, pager("mydata", page, len(pages))


async def render_mydata_page(
    interaction: discord.Interaction[Any], page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """Always the data of whoever clicks, never anyone else's."""
    return mydata_page(await mydata_pages(interaction), page)


# --- /mydata delete: which server, then a confirmation ----------------------------------------------------

ALL = "all"
MAX_SERVER_BUTTONS = 23  # with "All servers" and "Keep my data": Discord's 25 buttons a message


class EraseButton(
    PersistentButton,
    # Without a scope: a question asked before /mydata reached every server, about the server it was asked in.
    template=r"mydata:erase:(?P<user_id>[0-9]{1,20}):(?:(?P<scope>[0-9]{1,20}|all):)?(?P<choice>yes|no|ask)",
):
    """Choose a server (or all) and confirm or cancel /mydata delete. Only the member it was asked for can answer."""

    not_owner_text = "Only the member who asked to delete their data can confirm it."

    def __init__(self, user_id: int, scope: str | None, choice: str, *, label: str | None = None) -> None:
        styles = {"yes": discord.ButtonStyle.danger, "no": discord.ButtonStyle.secondary}
        labels = {"yes": "Delete everything", "no": "Keep my data"}
        custom_id = f"mydata:erase:{user_id}:{scope}:{choice}" if scope else f"mydata:erase:{user_id}:{choice}"
        super().__init__(
            discord.ui.Button(
                label=label or labels.get(choice, "Choose"),
                style=styles.get(choice, discord.ButtonStyle.primary),
                custom_id=custom_id,
            )
        )
        self.user_id = user_id
        self.owner_id = user_id
        self.scope = scope
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> EraseButton:
        return cls(int(match["user_id"]), match["scope"], match["choice"])

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        if self.choice == "no":
            await interaction.response.edit_message(content="Nothing was deleted.", view=None)
            return
        scope = self.scope or str(guild_id_of(interaction))
        await interaction.response.defer()
        if self.choice == "ask":
            content, view = await erasure_confirmation(interaction, self.user_id, scope)
        else:
            content, view = await erase(interaction, self.user_id, scope), None
        await interaction.edit_original_response(content=content, view=view)


async def erase(interaction: discord.Interaction[Any], user_id: int, scope: str) -> str:
    """Erase the member's data in one server (``scope``, its id) or in all; what was deleted, to tell them."""
    answers = workshop_bot(interaction).services.answers
    if scope == ALL:
        reports = [(c, await answers.erase_member(c, user_id)) for c in await answers.member_communities(user_id)]
        return erasure_result_everywhere(reports, community_names(interaction, (c for c, _ in reports)))
    community_id = int(scope)
    report = await answers.erase_member(community_id, user_id)
    return erasure_result(report, community_label(community_id, community_names(interaction, [community_id])))


def confirm_view(user_id: int, scope: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EraseButton(user_id, scope, "yes"))
    view.add_item(EraseButton(user_id, scope, "no"))
    return view


async def held_reports(interaction: discord.Interaction[Any], user_id: int) -> list[tuple[int, ErasureReport]]:
    answers = workshop_bot(interaction).services.answers
    reports = [(c, await answers.erasure_preview(c, user_id)) for c in await answers.member_communities(user_id)]
    return [(c, report) for c, report in reports if not report.nothing]


async def erasure_confirmation(
    interaction: discord.Interaction[Any], user_id: int, scope: str
) -> tuple[str, discord.ui.View | None]:
    """The question for one server (or all), with its Delete / Keep buttons (none when nothing is held)."""
    reports = await held_reports(interaction, user_id)
    names = community_names(interaction, (c for c, _ in reports))
    if scope == ALL:
        if not reports:
            return NOTHING_ANYWHERE + " There is nothing to delete.", None
        return erasure_question_everywhere(reports, names), confirm_view(user_id, ALL)
    community_id = int(scope)
    report = next((r for c, r in reports if c == community_id), ErasureReport(0, 0, False, False, 0))
    question = erasure_question(report, community_label(community_id, names))
    return question, None if report.nothing else confirm_view(user_id, scope)


async def erasure_start(interaction: discord.Interaction[Any], user_id: int) -> tuple[str, discord.ui.View | None]:
    """/mydata delete: nothing held, one server's question, or the choice of server (or all) when several."""
    reports = await held_reports(interaction, user_id)
    if not reports:
        return NOTHING_ANYWHERE + " There is nothing to delete.", None
    if len(reports) == 1:
        return await erasure_confirmation(interaction, user_id, str(reports[0][0]))
    names = community_names(interaction, (c for c, _ in reports))
    view = discord.ui.View(timeout=None)
    for community_id, _ in reports[:MAX_SERVER_BUTTONS]:
        label = community_label(community_id, names)
        view.add_item(EraseButton(user_id, str(community_id), "ask", label=shorten(f"Delete in {label}", 80)))
    view.add_item(EraseButton(user_id, ALL, "ask", label="Delete in every server"))
    view.add_item(EraseButton(user_id, None, "no"))
    return erasure_choice(reports, names), view


class AnswersCog(WorkshopCog):
    # In servers and in DMs with the bot: a member's rights over their data do not depend on where they ask.
    mydata = app_commands.Group(
        name="mydata",
        description="See, export or delete what the bot holds about you",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
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
        # The form in one read (the modal must be the first response, within Discord's 3 seconds).
        form = await self.bot.services.answers.form_in_week(guild_id, week, prompt, interaction.user.id)
        if form is None:
            await self._explain_no_such_prompt(guild_id, week, prompt)
        else:
            await open_answer_modal(interaction, form.context.prompt.id, form=form)

    async def _explain_no_such_prompt(self, guild_id: int, week: int, prompt: int) -> None:
        """Raise the NotFoundError that says what exists instead (the programme is read only here)."""
        programme = await self.bot.services.programme.require(guild_id)
        session = require_week(programme, week)
        count = len(session.prompts)
        if count == 0:
            raise NotFoundError(f"Week {week} has no prompts to answer.")
        valid = "prompt 1" if count == 1 else f"prompts 1 to {count}"
        raise NotFoundError(f"Week {week} has {valid}, not {prompt}. Pick one from the list.")

    @mydata.command(name="show", description="Your answers in every server, by week and prompt (only you see them)")
    async def mydata_show(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # reads can queue behind big writes
        embed, view = mydata_page(await mydata_pages(interaction), 0)
        if view is None:
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=True)

    @mydata.command(name="export", description="Everything the bot holds about you, in every server, as a JSON file")
    async def mydata_export(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        answers = self.bot.services.answers
        names = community_names(interaction, await answers.member_communities(interaction.user.id))
        found, document = await answers.export_member_data_everywhere(interaction.user.id, names)
        await interaction.followup.send(
            export_summary_everywhere(found, names),
            file=discord.File(io.BytesIO(document), filename=EXPORT_FILENAME),
            ephemeral=True,
        )

    @mydata.command(name="delete", description="Erase what the bot holds about you, in one server or all")
    async def mydata_delete(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        content, view = await erasure_start(interaction, interaction.user.id)
        if view is None:
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.followup.send(content, view=view, ephemeral=True)


async def setup(bot: Any) -> None:
    await bot.add_cog(AnswersCog(bot))
