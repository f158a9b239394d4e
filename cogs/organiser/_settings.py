"""/setup: show this server's settings, or change them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands

from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.errors import NotFoundError, SettingsError
from bot.domain.permissions import missing
from bot.domain.reminders import parse_offsets
from bot.services.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from bot.services.session_events import events_permissions
from bot.tree import send_private
from cogs._base import WorkshopCog, guild_id_of
from cogs._checks import organisers_only
from cogs._render import EMBED_DESCRIPTION_LIMIT, valid_weeks_text
from cogs.organiser._text import (
    CLEARABLE,
    MAX_ANSWER_WINDOW_HOURS,
    MAX_LINK_LENGTH,
    REMIND_INTERESTED,
    REMINDER_DM_CHOICES,
    SWITCH_LABELS,
    https_link,
    retention_text,
    settings_lines,
)
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
        week: int | None = None,
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
        changes: dict[str, Any] = {}
        notes: list[str] = []
        if reminder_channel is not None:
            changes["reminder_channel_id"] = reminder_channel.id
            notes += self._posting_problems(reminder_channel)
        if reminder_times is not None:
            changes["reminder_offsets"] = parse_offsets(reminder_times)
        for name, role in (
            ("ping_role_id", ping_role),
            ("facilitator_role_id", facilitator_role),
            ("organiser_role_id", organiser_role),
        ):
            if role is not None:
                if role.is_default():
                    raise SettingsError(
                        f"@everyone cannot be the {name.removesuffix('_role_id')} role: choose a role given to "
                        "some members only. Nothing was changed."
                    )
                changes[name] = role.id
        if discussion_channel is not None:
            changes["discussion_channel_id"] = discussion_channel.id
        if answer_window_hours is not None:
            if not 0 <= answer_window_hours <= MAX_ANSWER_WINDOW_HOURS:
                raise SettingsError(
                    f"The answer window must be 0 to {MAX_ANSWER_WINDOW_HOURS} hours (28 days). Nothing was changed."
                )
            changes["answer_window"] = timedelta(hours=answer_window_hours)
        if retention_days is not None:
            if not MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS:
                raise SettingsError(
                    f"Retention must be {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days after the last session. "
                    "Nothing was changed."
                )
            changes["retention"] = timedelta(days=retention_days)
        if events is not None:
            changes["events_enabled"] = events
            if events:
                notes += self._events_problems(interaction)
        if reminder_dms_to is not None:
            if reminder_dms_to not in REMINDER_DM_CHOICES:
                raise SettingsError(f"'{reminder_dms_to}' is not a choice for reminder DMs. Nothing was changed.")
            changes["remind_interested"] = reminder_dms_to == REMIND_INTERESTED
        link = https_link(meeting_link) if meeting_link is not None else None
        week_link: tuple[int, str | None] | None = None
        if clear is not None:
            if clear not in CLEARABLE:
                raise SettingsError(f"'{clear}' is not a setting that can be cleared. Nothing was changed.")
            setting = CLEARABLE[clear]
            if setting in changes or (setting == "meeting_link" and link is not None):
                raise SettingsError(f"You asked to both set and clear the {clear}. Nothing was changed.")
            if setting == "meeting_link" and week is not None:
                week_link = (week, None)
            else:
                changes[setting] = None
        if link is not None:
            if week is not None:
                week_link = (week, link)
            else:
                changes["meeting_link"] = link
        if week is not None and week_link is None:
            raise SettingsError(
                "week only applies to a meeting link: give meeting_link (or clear: meeting link) with it. "
                "Nothing was changed."
            )
        programme = await services.programme.get(guild_id)
        if week_link is not None and (programme is None or programme.session_for_week(week_link[0]) is None):
            valid = f" Valid weeks: {valid_weeks_text(programme)}." if programme else ""
            raise NotFoundError(f"There is no week {week_link[0]} in this programme.{valid} Nothing was changed.")

        if not changes and week_link is None:
            await self._show_settings(interaction, guild_id, "Settings for this server:")
            return
        if changes:
            await services.settings.update(guild_id, **changes)
        if week_link is not None:
            await services.programme.set_week_meeting_link(guild_id, *week_link)
        if "retention" in changes:
            await services.retention.check(guild_id)
        changed = [name for name, setting in CLEARABLE.items() if setting in changes]
        changed += [label for setting, label in SWITCH_LABELS.items() if setting in changes]
        if week_link is not None:
            changed.append(f"meeting link for week {week_link[0]}")
        heading = f"Saved: {', '.join(changed)}."
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
        await send_private(interaction, heading[:MESSAGE_LIMIT], embed=embed)
