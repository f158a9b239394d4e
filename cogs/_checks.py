"""Permission checks in two layers.

``default_permissions`` on a command is only a hint: it hides the command from members without the
permission, but server admins can override it in Server Settings > Integrations. So every guarded command
also runs one of these checks inside the bot, on every use, against the member Discord sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.domain.server_settings import ServerSettings
from bot.tree import NotAllowedError
from cogs._base import workshop_bot

T = TypeVar("T")


def _has_role(member: discord.Member | discord.User, role_id: int | None, settings: ServerSettings) -> bool:
    """Whether the member has the role, which must be one of the server's own and never @everyone (whose id is
    the server's: every member has it). The settings service already leaves such ids out; this holds whatever
    hands the settings over."""
    if role_id is None or role_id == settings.community_id:
        return False
    guild = getattr(member, "guild", None)
    if guild is not None and guild.id != settings.community_id:
        return False  # a member of another server than the settings'
    return any(role.id == role_id and not role.is_default() for role in getattr(member, "roles", []))


def is_facilitator(member: discord.Member | discord.User, settings: ServerSettings) -> bool:
    permissions = getattr(member, "guild_permissions", None)
    if permissions is not None and (permissions.manage_threads or permissions.administrator):
        return True
    return _has_role(member, settings.facilitator_role_id, settings)


def is_organiser(member: discord.Member | discord.User, settings: ServerSettings) -> bool:
    permissions = getattr(member, "guild_permissions", None)
    if permissions is not None and (permissions.manage_guild or permissions.administrator):
        return True
    return _has_role(member, settings.organiser_role_id, settings)


async def require_facilitator(interaction: discord.Interaction[Any], action: str) -> None:
    """Raise NotAllowedError unless the member is a facilitator (or organiser)."""
    if interaction.guild_id is None:
        raise NotAllowedError("This works inside the workshop's server only.")
    settings = await workshop_bot(interaction).services.settings.get(interaction.guild_id)
    if not (is_facilitator(interaction.user, settings) or is_organiser(interaction.user, settings)):
        raise NotAllowedError(
            f"Only facilitators can {action}: you need the facilitator role or the Manage Threads permission."
        )


async def require_organiser(interaction: discord.Interaction[Any], action: str) -> None:
    """Raise NotAllowedError unless the member is an organiser."""
    if interaction.guild_id is None:
        raise NotAllowedError("This works inside the workshop's server only.")
    settings = await workshop_bot(interaction).services.settings.get(interaction.guild_id)
    if not is_organiser(interaction.user, settings):
        raise NotAllowedError(
            f"Only organisers can {action}: you need the organiser role or the Manage Server permission."
        )


def facilitators_only(action: str) -> Callable[[T], T]:
    """Decorator: the hint (Manage Threads) and the real check."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        await require_facilitator(interaction, action)
        return True

    def decorate(command: T) -> T:
        command = app_commands.default_permissions(manage_threads=True)(command)
        return app_commands.check(predicate)(command)

    return decorate


def organisers_only(action: str) -> Callable[[T], T]:
    """Decorator: the hint (Manage Server) and the real check."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        await require_organiser(interaction, action)
        return True

    def decorate(command: T) -> T:
        command = app_commands.default_permissions(manage_guild=True)(command)
        return app_commands.check(predicate)(command)

    return decorate
