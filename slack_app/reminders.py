"""``/workshop reminders [on|off]``: a member opts in to reminder DMs, or out, or sees their setting. The
wording is the domain's (bot.domain.reminder_text.status_text), as on Discord; the App Home toggle calls the
same service."""

from __future__ import annotations

from bot.domain.errors import UserFacingError
from bot.domain.reminder_text import status_text
from slack_app._commands import Call, Router, Subcommand
from slack_app._render import shorten

CHOICES = {"on": True, "off": False}


async def reminders_command(call: Call) -> None:
    service = call.services.reminders
    if not call.args:
        status = await service.dm_reminder_status(call.community_id, call.member_id)
    else:
        choice = call.args[0].lower()
        if choice not in CHOICES:
            raise UserFacingError(f"`{shorten(call.args[0], 20)}` is not a choice: `/workshop reminders on` or `off`.")
        status = await service.set_dm_reminders(call.community_id, call.member_id, CHOICES[choice])
    await call.say(status_text(status))


def register(router: Router) -> None:
    router.add(Subcommand("reminders", "[on|off]", "a direct message before each session, or none", reminders_command))
