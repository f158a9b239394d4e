"""What every cog shares: typed access to the bot, and private-reply helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserFacingError
from bot.domain.programme import MAX_WEEK

if TYPE_CHECKING:
    from bot.client import WorkshopBot

CogT = TypeVar("CogT", bound=commands.Cog)
# A week option as Discord sees it: the parsers' bounds, so a typed week is never out of range (10^20...).
WeekOption = app_commands.Range[int, 1, MAX_WEEK]


class WorkshopCog(commands.Cog):
    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    """The server an interaction came from; the bot's commands only make sense inside one."""
    if interaction.guild_id is None:
        raise UserFacingError("This command works inside the workshop's Discord server, not in direct messages.")
    return interaction.guild_id


def workshop_bot(interaction: discord.Interaction[Any]) -> WorkshopBot:
    return interaction.client  # type: ignore[no-any-return]


def cog_of(interaction: discord.Interaction[Any], cls: type[CogT]) -> CogT:
    """The loaded cog of this class, for persistent buttons that outlive a cog reload."""
    cog = workshop_bot(interaction).get_cog(cls.__cog_name__)
    if not isinstance(cog, cls):
        raise UserFacingError("This part of the bot is not available right now; please try again later.")
    return cog
