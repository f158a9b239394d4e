"""Facts about a server from a connected client's cache, for the preflight check and /setup's health section.

Effective permissions are discord.py's ``permissions_for``, which follows developers/topics/permissions.mdx
(base role permissions, then @everyone, role and member overwrites, Administrator, no access without View
Channel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import discord

from bot.domain.preflight import (
    ChannelFacts,
    ChannelKind,
    CommandFacts,
    Finding,
    IntentFacts,
    PreflightFacts,
    RoleFacts,
    Status,
)
from bot.domain.preflight.rules import withheld_findings
from bot.services.preflight import StoredFacts


def channel_facts(guild: discord.Guild, channel_id: int | None) -> ChannelFacts | None:
    if channel_id is None:
        return None
    channel = guild.get_channel(channel_id)
    if channel is None:
        return ChannelFacts(channel_id, None, ChannelKind.MISSING, 0)
    if isinstance(channel, discord.ForumChannel):
        kind = ChannelKind.FORUM
    elif isinstance(channel, discord.TextChannel):
        kind = ChannelKind.TEXT
    else:
        kind = ChannelKind.OTHER
    granted = channel.permissions_for(guild.me).value if guild.me is not None else 0
    return ChannelFacts(channel_id, channel.name, kind, granted)


def role_facts(guild: discord.Guild, role_id: int | None) -> RoleFacts | None:
    if role_id is None:
        return None
    role = guild.get_role(role_id)
    if role is None:
        return RoleFacts(role_id, None)
    return RoleFacts(role_id, role.name, role.mentionable)


async def registered_commands(client: discord.Client, guild_id: int | None) -> list[dict[str, Any]]:
    """The commands Discord has registered for this application in the development server (GET
    .../guilds/{id}/commands), or globally when there is none (GET .../commands)."""
    assert client.application_id is not None  # set at login
    if guild_id is None:
        return cast(list[dict[str, Any]], await client.http.get_global_commands(client.application_id))
    return cast(list[dict[str, Any]], await client.http.get_guild_commands(client.application_id, guild_id))


def facts_from_guild(
    guild_id: int,
    guild: discord.Guild | None,
    stored: StoredFacts,
    *,
    intent: IntentFacts,
    commands: CommandFacts,
    extra: Sequence[Finding] = (),
) -> PreflightFacts:
    settings = stored.settings
    return PreflightFacts(
        guild_id=guild_id,
        guild_name=guild.name if guild is not None else None,
        message_content=intent,
        commands=commands,
        now=stored.now,
        reminder_channel_id=settings.reminder_channel_id,
        reminder_channel=channel_facts(guild, settings.reminder_channel_id) if guild else None,
        discussion_channel_id=settings.discussion_channel_id,
        discussion_channel=channel_facts(guild, settings.discussion_channel_id) if guild else None,
        ping_role_id=settings.ping_role_id,
        ping_role=role_facts(guild, settings.ping_role_id) if guild else None,
        programme=stored.programme,
        next_reminder=stored.next_reminder,
        server_granted=int(guild.me.guild_permissions.value) if guild is not None and guild.me is not None else None,
        switched_on=frozenset({"events_enabled"}) if settings.events_enabled else frozenset(),
        extra=(*withheld_findings(settings), *extra),
        stored_read=stored.read,
    )


def failed_extensions(names: Sequence[str]) -> list[Finding]:
    return [
        Finding(
            Status.PROBLEM,
            f"part {name}",
            "failed to load: its commands do not work.",
            "see the bot's log for the error, fix it, and restart the bot.",
        )
        for name in names
    ]
