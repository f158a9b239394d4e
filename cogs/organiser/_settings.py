"""/setup: show this server's settings, or change them."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.domain.discord_text import MESSAGE_LIMIT, timestamp
from bot.domain.errors import SettingsError
from bot.domain.permissions import missing
from bot.domain.settings_rules import (
    CLEARABLE,
    MAX_ANSWER_WINDOW_HOURS,
    MAX_LINK_LENGTH,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    SetupContext,
    SetupRequest,
    plan_settings_change,
)
from bot.preflight.running import running_report
from bot.services.session_events import events_permissions
from bot.tree import send_private
from cogs._base import WeekOption, WorkshopCog, guild_id_of
from cogs._checks import organisers_only
from cogs._render import EMBED_DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT
from cogs.organiser._text import REMIND_INTERESTED, REMINDER_DM_CHOICES, retention_text, settings_lines
from cogs.programme import EMBED_COLOUR, week_autocomplete

log = logging.getLogger(__name__)


class SettingsCog(WorkshopCog):
    @app_commands.command(name="setup", description="Organisers: show this server's settings, or change them")
    @app_commands.describe(
        reminder_channel="Where reminders are posted",
        reminder_times="How long before each session to remind, such as 24h,1h,15m",
        ping_role="The role reminders mention",
        facilitator_role="Members with this role can run discussion threads",
        organiser_role="Members with this role can use the organiser commands",
        discussion_channel="Where prompt threads are opened (a text or forum channel)",
        meeting_link="The https link to join sessions (for one week if you also give week)",
        week="The week meeting_link (or clear: meeting link) is for; leave out for the whole programme",
        answer_window_hours="Hours after a session ends during which answers count as on time (0 to 672)",
        retention_days="Days after the last session after which answers are deleted (1 to 3650)",
        events="Show each session in the server's Events list, where members can click Interested",
        reminder_dms_to="Who gets reminder DMs: members who asked with /reminders, or also those Interested",
        clear="Reset one setting (to the bot's default, or to none)",
    )
    @app_commands.choices(
        clear=[app_commands.Choice(name=name, value=name) for name in CLEARABLE],
        reminder_dms_to=[app_commands.Choice(name=label, value=value) for value, label in REMINDER_DM_CHOICES.items()],
    )
    @app_commands.autocomplete(week=week_autocomplete)
    @app_commands.guild_only()
    @organisers_only("change the server's settings")
    async def setup_command(
        self,
        interaction: discord.Interaction[Any],
        reminder_channel: discord.TextChannel | None = None,
        reminder_times: app_commands.Range[str, 1, 100] | None = None,
        ping_role: discord.Role | None = None,
        facilitator_role: discord.Role | None = None,
        organiser_role: discord.Role | None = None,
        discussion_channel: discord.TextChannel | discord.ForumChannel | None = None,
        meeting_link: app_commands.Range[str, 1, MAX_LINK_LENGTH] | None = None,
        week: WeekOption | None = None,
        answer_window_hours: app_commands.Range[int, 0, MAX_ANSWER_WINDOW_HOURS] | None = None,
        retention_days: app_commands.Range[int, MIN_RETENTION_DAYS, MAX_RETENTION_DAYS] | None = None,
        events: bool | None = None,
        reminder_dms_to: str | None = None,
        clear: str | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        # Saving may re-plan reminders and post a retention warning before the reply: defer first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        if reminder_dms_to is not None and reminder_dms_to not in REMINDER_DM_CHOICES:
            raise SettingsError(f"'{reminder_dms_to}' is not a choice for reminder DMs. Nothing was changed.")
        request = SetupRequest(
            reminder_channel_id=reminder_channel.id if reminder_channel else None,
            reminder_times=reminder_times,
            ping_role_id=ping_role.id if ping_role else None,
            facilitator_role_id=facilitator_role.id if facilitator_role else None,
            organiser_role_id=organiser_role.id if organiser_role else None,
            discussion_channel_id=discussion_channel.id if discussion_channel else None,
            meeting_link=meeting_link,
            week=week,
            answer_window_hours=answer_window_hours,
            retention_days=retention_days,
            clear=clear,
            events_enabled=events,
            remind_interested=None if reminder_dms_to is None else reminder_dms_to == REMIND_INTERESTED,
        )
        programme = await services.programme.get(guild_id)
        context = SetupContext(
            community_id=guild_id,
            weeks=tuple(programme.weeks) if programme else None,
            last_session_end=max((s.end for s in programme.sessions), default=None) if programme else None,
        )
        change = plan_settings_change(request, context)  # every rule, before anything is saved
        if change.is_empty:
            await self._show_settings(interaction, guild_id, "Settings for this server:")
            return
        notes = self._posting_problems(reminder_channel) if reminder_channel is not None else []
        if change.settings.get("events_enabled"):
            notes += self._events_problems(interaction)
        if change.settings:
            await services.settings.update(guild_id, **change.settings)
        if change.week_link is not None:
            await services.programme.set_week_meeting_link(guild_id, *change.week_link)
        if "retention" in change.settings:
            await services.retention.check(guild_id)
        heading = f"Saved: {', '.join(change.changed_labels())}."
        if notes:
            heading += "\n" + "\n".join(notes)
        await self._show_settings(interaction, guild_id, heading)

    def _posting_problems(self, channel: discord.TextChannel) -> list[str]:
        me = channel.guild.me
        if me is None:
            return []
        permissions = channel.permissions_for(me)
        if permissions.view_channel and permissions.send_messages:
            return []
        return [f"⚠️ The bot cannot post in {channel.mention} yet: give it View Channel and Send Messages there."]

    def _events_problems(self, interaction: discord.Interaction[Any]) -> list[str]:
        """Create Events and Manage Events are server-wide (developers/resources/guild-scheduled-event.mdx,
        "Guild Scheduled Event Permissions Requirements")."""
        me = interaction.guild.me if interaction.guild is not None else None
        if me is None:
            return []
        lacking = missing(events_permissions(), int(me.guild_permissions.value))
        if not lacking:
            return []
        return [
            f"⚠️ The bot cannot show sessions in the server's Events yet: give its role {lacking.label} "
            "(Server Settings > Roles). Everything else works as before; the events are made once it can."
        ]

    async def _show_settings(self, interaction: discord.Interaction[Any], guild_id: int, heading: str) -> None:
        services = self.bot.services
        settings = await services.settings.get(guild_id)
        stored = await services.settings.stored(guild_id)
        programme = await services.programme.get(guild_id)
        lines = settings_lines(settings, stored, programme)
        retention = retention_text(await services.retention.schedule(guild_id))
        if retention:
            lines += ["", retention]
        description = "\n".join(lines)
        if len(description) > EMBED_DESCRIPTION_LIMIT:
            description = description[: EMBED_DESCRIPTION_LIMIT - 1] + "…"
        embed = discord.Embed(title="Server settings", description=description, colour=EMBED_COLOUR)
        embeds = [embed]
        if interaction.guild is not None:
            embeds.append(await self._health(interaction.guild, room=EMBED_TOTAL_LIMIT - len(embed)))
        await send_private(interaction, heading[:MESSAGE_LIMIT], embeds=embeds)

    async def _health(self, guild: discord.Guild, *, room: int) -> discord.Embed:
        """The preflight check's findings, from the running bot's cache, with the problems it met while running.

        ``room``: characters left of the message's embed total; the summary stays when the lines are cut.
        """
        report = await running_report(self.bot, guild, time_text=timestamp)
        title = "Health"
        summary = f"\n\n**{report.summary()}**"
        lines = "\n".join(report.lines())
        budget = min(EMBED_DESCRIPTION_LIMIT, room - len(title)) - len(summary)
        if len(lines) > budget:
            lines = lines[: max(budget - 1, 0)] + "…"
        return discord.Embed(title=title, description=lines + summary, colour=EMBED_COLOUR)
