"""Members' view of the programme: /programme, /session, /next, /calendar. Replies are private."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar, cast

import discord
from discord import app_commands

from bot.domain.calendar import programme_to_ics
from bot.domain.discord_text import MESSAGE_LIMIT, timestamp
from bot.domain.errors import NotFoundError
from bot.domain.programme import ProgrammeRecord, SessionRecord, next_session
from bot.services.session_events import SessionEventInfo
from bot.tree import send_private
from cogs._base import WeekOption, WorkshopCog, cog_of, guild_id_of, workshop_bot
from cogs._render import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_LIMIT,
    EMBED_TOTAL_LIMIT,
    paginate,
    programme_lines,
    prompts_text,
    session_heading,
    session_when,
    status_moment,
    valid_weeks_text,
    week_choices,
)
from cogs._uploads import file_limit
from cogs._views import pager, register_pages, unregister_pages

T = TypeVar("T")

EMBED_COLOUR = discord.Colour.from_rgb(228, 0, 59)


async def week_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[int]]:
    bot = workshop_bot(interaction)
    if interaction.guild_id is None:
        return []
    programme = await bot.services.programme.get(interaction.guild_id)
    return [app_commands.Choice(name=name, value=week) for name, week in week_choices(programme, current)]


def require_week(programme: ProgrammeRecord, week: int) -> SessionRecord:
    session = programme.session_for_week(week)
    if session is None:
        raise NotFoundError(f"There is no week {week} in this programme. Valid weeks: {valid_weeks_text(programme)}.")
    return session


def session_messages(
    session: SessionRecord,
    *,
    heading: str | None = None,
    link: str | None = None,
    event: SessionEventInfo | None = None,
) -> list[Any]:
    """The session as one embed, with prompts that do not fit sent as follow-up text."""
    embed = discord.Embed(title=heading or session_heading(session), colour=EMBED_COLOUR)
    embed.add_field(name="When", value=session_when(session), inline=False)
    embed.add_field(name="Where", value=session.location[:EMBED_FIELD_LIMIT], inline=True)
    if link:
        embed.add_field(name="Join", value=link[:EMBED_FIELD_LIMIT], inline=True)
    if event is not None:
        embed.add_field(name="Discord event", value=event_text(event), inline=True)
    description = session.description
    if len(description) > EMBED_DESCRIPTION_LIMIT - 200:
        description = description[: EMBED_DESCRIPTION_LIMIT - 201] + "…"
    embed.description = description
    leftover: list[str] = []
    for index, line in enumerate(prompts_text(session)):
        value = line[:EMBED_FIELD_LIMIT]
        name = "Prompts" if index == 0 else "\u200b"  # one heading over the list
        if not leftover and len(embed) + len(value) + len(name) < EMBED_TOTAL_LIMIT - 100 and len(embed.fields) < 25:
            embed.add_field(name=name, value=value, inline=False)
        else:
            leftover.append(line)
    messages: list[Any] = [embed]
    chunk = ""
    for line in leftover:
        if len(chunk) + len(line) + 1 > MESSAGE_LIMIT:
            messages.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line[:MESSAGE_LIMIT]
    if chunk:
        messages.append(chunk)
    return messages


def event_text(event: SessionEventInfo) -> str:
    """How many are interested (Discord shows the same count on the event), and the link to click Interested."""
    who = "1 member is" if event.interested == 1 else f"{event.interested} members are"
    return f"{who} interested · [open the event]({event.url})"


async def send_session(
    interaction: discord.Interaction[Any], session: SessionRecord, *, heading: str | None = None
) -> None:
    bot = workshop_bot(interaction)
    settings = await bot.services.settings.get(session.community_id)
    link = session.meeting_link or settings.meeting_link
    event = await bot.services.events.info(session.community_id, session.week)
    first, *rest = session_messages(session, heading=heading, link=link, event=event)
    await interaction.response.send_message(embed=first, ephemeral=True)
    for extra in rest:
        await interaction.followup.send(extra, ephemeral=True)


class Renderings:
    """Renderings of a programme, made once per programme version, in a thread, and shared.

    What a member asks for (the calendar file, the programme's pages) is the same for everyone until the
    programme changes: ten members asking at once cost one rendering, and the event loop never does it.
    """

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Task[Any]] = {}

    async def get(self, key: Hashable, render: Callable[[], T]) -> T:
        if key in self._done:
            self._done.move_to_end(key)
            return cast(T, self._done[key])
        task = self._pending.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(asyncio.to_thread(render))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finish(key, done))
        return cast(T, await asyncio.shield(task))

    def _finish(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        self._pending.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._done[key] = task.result()
        while len(self._done) > self._size:
            self._done.popitem(last=False)


CALENDAR_COOLDOWN_SECONDS = 30.0


def _member_key(interaction: discord.Interaction[Any]) -> tuple[int | None, int]:
    return interaction.guild_id, interaction.user.id


async def render_programme_page(
    interaction: discord.Interaction[Any], page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    bot = workshop_bot(interaction)
    programme = await bot.services.programme.require(guild_id_of(interaction))
    renderings = cog_of(interaction, ProgrammeCog).renderings
    return await programme_page(programme, bot.clock(), page, renderings)


async def programme_page(
    programme: ProgrammeRecord, now: datetime, page: int, renderings: Renderings
) -> tuple[discord.Embed, discord.ui.View | None]:
    key = ("pages", programme.community_id, programme.version, status_moment(programme, now))
    pages = await renderings.get(key, lambda: paginate(programme_lines(programme, now)))
    page = max(0, min(page, len(pages) - 1))
    embed = discord.Embed(title=programme.title, description=pages[page], colour=EMBED_COLOUR)
    footer = "Times are shown in your own time zone."
    embed.set_footer(text=footer if len(pages) == 1 else f"Page {page + 1} of {len(pages)} · {footer}")
    return embed, pager("programme", page, len(pages))


class ProgrammeCog(WorkshopCog):
    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.renderings = Renderings()

    async def cog_load(self) -> None:
        register_pages("programme", render_programme_page)

    async def cog_unload(self) -> None:
        unregister_pages("programme")

    @app_commands.command(name="programme", description="Every session of the programme, with its time")
    @app_commands.guild_only()
    async def programme(self, interaction: discord.Interaction[Any]) -> None:
        programme = await self.bot.services.programme.require(guild_id_of(interaction))
        embed, view = await programme_page(programme, self.bot.clock(), 0, self.renderings)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="session", description="One session: its time, place, description and prompts")
    @app_commands.describe(week="The week number (start typing to search by title)")
    @app_commands.autocomplete(week=week_autocomplete)
    @app_commands.guild_only()
    async def session(self, interaction: discord.Interaction[Any], week: WeekOption) -> None:
        programme = await self.bot.services.programme.require(guild_id_of(interaction))
        await send_session(interaction, require_week(programme, week))

    @app_commands.command(name="next", description="The next session, with a countdown")
    @app_commands.guild_only()
    async def next(self, interaction: discord.Interaction[Any]) -> None:
        programme = await self.bot.services.programme.require(guild_id_of(interaction))
        if not programme.sessions:
            await interaction.response.send_message("The programme has no sessions yet.", ephemeral=True)
            return
        now = self.bot.clock()
        upcoming = next_session(programme.sessions, now)
        if upcoming is None:
            last = max(programme.sessions, key=lambda s: s.start)
            await interaction.response.send_message(
                f"The programme is over: the last session was {session_heading(last)} on {timestamp(last.start)}. "
                "Thank you for taking part!",
                ephemeral=True,
            )
            return
        await send_session(interaction, upcoming, heading=f"Next: {session_heading(upcoming)}")

    @app_commands.command(name="calendar", description="The programme as a calendar file (.ics) to import")
    @app_commands.guild_only()
    @app_commands.checks.cooldown(1, CALENDAR_COOLDOWN_SECONDS, key=_member_key)
    async def calendar(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        programme = await self.bot.services.programme.require(guild_id)
        settings = await self.bot.services.settings.get(guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock()
        data = await self.renderings.get(
            ("ics", guild_id, programme.version, settings.meeting_link),
            lambda: programme_to_ics(programme, now=now, default_link=settings.meeting_link),
        )
        limit = file_limit(interaction)
        if len(data) > limit:
            await send_private(
                interaction,
                f"The calendar of this programme is {len(data) / 1e6:.1f} MB, more than Discord lets the bot send "
                f"here ({limit / 1e6:.0f} MB). /programme lists every session.",
            )
            return
        await interaction.followup.send(
            f"{len(programme.sessions)} sessions of {programme.title}. Open the file to add them to your calendar; "
            "importing a newer file updates the same entries."[:MESSAGE_LIMIT],
            file=discord.File(io.BytesIO(data), filename="programme.ics"),
            ephemeral=True,
        )


async def setup(bot: Any) -> None:
    await bot.add_cog(ProgrammeCog(bot))
