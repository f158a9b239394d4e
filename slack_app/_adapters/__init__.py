"""How the bot meets Slack, in one place: the adapters the core's services reach a Slack workspace through.

- ``reminders.SlackReminderSender``: the reminder service's ``ReminderSender`` (channel posts and DMs, each
  carrying its claim in message metadata, and the outbox check that looks for it);
- ``threads.SlackThreadGateway``: the thread service's ``ThreadGateway`` (parent messages, replies read back);
- ``names.SlackDisplayNames``: the export service's ``DisplayNames``;
- ``notices.SlackRetentionNotices`` and ``notices.SlackWelcome``: ``RetentionNotifier`` and ``WelcomePoster``;
- ``files.SlackFiles``: files (exports, reports, calendars) into a member's DM, for the front end's commands.

Every call goes through one ``_web.SlackWeb``: paced under Slack's documented limits (``_pacing``), 429
``Retry-After`` honoured, Slack's errors read in one place. ``build_slack_adapters`` is what the Slack front
end's client (bot/slack_client.py) calls once, at construction; the core gets them with the front end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock, system_clock
from slack_app._adapters._pacing import Pacer, SlackLimits
from slack_app._adapters._web import SlackWeb
from slack_app._adapters.files import FileDeliveryError, SlackFiles
from slack_app._adapters.names import SlackDisplayNames
from slack_app._adapters.notices import SlackRetentionNotices, SlackWelcome
from slack_app._adapters.reminders import EVENT_TYPE, SlackReminderSender
from slack_app._adapters.threads import SlackThreadGateway

if TYPE_CHECKING:
    from bot.core import PlatformAdapters

__all__ = [
    "EVENT_TYPE",
    "FileDeliveryError",
    "Pacer",
    "SlackAdapterSet",
    "SlackDisplayNames",
    "SlackFiles",
    "SlackLimits",
    "SlackReminderSender",
    "SlackRetentionNotices",
    "SlackThreadGateway",
    "SlackWeb",
    "SlackWelcome",
    "build_slack_adapter_set",
    "build_slack_adapters",
]


@dataclass(frozen=True, slots=True)
class SlackAdapterSet:
    """The core's adapters, and what the front end itself uses with them (files, the thread gateway's
    channel memory), sharing one pacer and one cache of DM channels."""

    adapters: PlatformAdapters
    files: SlackFiles
    threads: SlackThreadGateway
    web: SlackWeb


def build_slack_adapter_set(
    client: AsyncWebClient,
    *,
    clock: Clock = system_clock,
    limits: SlackLimits | None = None,
    pacer: Pacer | None = None,
) -> SlackAdapterSet:
    from bot.core import PlatformAdapters  # the core's type; imported here so that the adapters load alone

    web = SlackWeb(client, limits=limits, pacer=pacer)
    dm_channels: dict[str, str] = {}
    threads = SlackThreadGateway(web)
    adapters = PlatformAdapters(
        threads=threads,
        reminders=SlackReminderSender(web, dm_channels=dm_channels),
        names=SlackDisplayNames(web, clock=clock),
        retention=SlackRetentionNotices(web, dm_channels=dm_channels),
        welcome=SlackWelcome(web),
        events=None,  # Slack has no scheduled events
    )
    return SlackAdapterSet(adapters=adapters, files=SlackFiles(web, dm_channels=dm_channels), threads=threads, web=web)


def build_slack_adapters(
    client: AsyncWebClient,
    *,
    clock: Clock = system_clock,
    limits: SlackLimits | None = None,
    pacer: Pacer | None = None,
) -> PlatformAdapters:
    """The core's adapters for one Slack workspace (CONTRACT.md), built once by the Slack front end's client."""
    return build_slack_adapter_set(client, clock=clock, limits=limits, pacer=pacer).adapters
