"""``/workshop reminders [on|off]``: a member opts in to reminder DMs, or out, or sees their setting. The
wording is the domain's (bot.domain.reminder_text.status_text), as on Discord, except why a reminder DM was
refused, which is Slack's own; the App Home toggle calls the same service."""

from __future__ import annotations

from bot.domain.errors import UserFacingError
from bot.domain.reminder_text import status_text
from slack_app._commands import Call, Router, Subcommand
from slack_app._render import shorten

CHOICES = {"on": True, "off": False}
# A DM is refused for good when the app's Messages tab is off (chat.postMessage's messages_tab_disabled,
# slack_app/_adapters/reminders.py): no setting of the member's fixes it, only the app's configuration.
DMS_CLOSED_STATUS = (
    "Your last reminder could not be delivered by direct message: Slack does not let this app write to members "
    "while its Messages tab is turned off. Whoever manages the app in this workspace can turn it on (the app's "
    "settings: App Home > Messages Tab)."
)


async def reminders_command(call: Call) -> None:
    service = call.services.reminders
    if not call.args:
        status = await service.dm_reminder_status(call.community_id, call.member_id)
    else:
        choice = call.args[0].lower()
        if choice not in CHOICES:
            raise UserFacingError(f"`{shorten(call.args[0], 20)}` is not a choice: `/workshop reminders on` or `off`.")
        status = await service.set_dm_reminders(call.community_id, call.member_id, CHOICES[choice])
    await call.say(status_text(status, dms_closed=DMS_CLOSED_STATUS))


def register(router: Router) -> None:
    router.add(Subcommand("reminders", "[on|off]", "a direct message before each session, or none", reminders_command))
