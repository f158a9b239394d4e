"""Retention notices (``RetentionNotifier``) and the welcome (``WelcomePoster``) over Slack's Web API."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.domain.communities import WELCOME_TEXT
from bot.domain.discord_text import timestamp
from bot.domain.platform_ids import int_to_slack_id
from bot.services.reminders import ChannelRefused
from slack_app._adapters._text import fallback_text, message_blocks, to_mrkdwn
from slack_app._adapters._web import TRANSIENT_ERRORS, SlackWeb, error_code

log = logging.getLogger(__name__)

# The welcome's Discord wording names its commands; on Slack they are subcommands of /workshop.
SLACK_WELCOME_TEXT = (
    WELCOME_TEXT.replace("someone with Manage Server", "a workspace admin or an organiser")
    .replace("`/setup`", "`/workshop setup`")
    .replace("`/import`", "`/workshop import`")
    .replace("`/programme`", "`/workshop programme`")
    .replace("`/next`", "`/workshop next`")
    .replace("`/answer`", "`/workshop answer`")
    .replace("the roles", "the user groups")
    .replace("this server's", "this workspace's")
)


class SlackRetentionNotices:
    """The week's warning, addressed to the organiser user group, and the 'deleted' notice, in the reminder
    channel (the same place as on Discord, where organisers and members both see it)."""

    def __init__(self, web: SlackWeb) -> None:
        self._web = web

    async def retention_warning(
        self, channel_id: int, organiser_role_id: int | None, deletes_at: datetime, retention: timedelta
    ) -> None:
        days = retention.days
        mention = f"<@&{organiser_role_id}> " if organiser_role_id else ""
        content = (
            f"{mention}**Organisers:** the answers members gave in this workspace's workshop programme will be "
            f"deleted on {timestamp(deletes_at)} ({timestamp(deletes_at, 'R')}), {days} day{'s' if days != 1 else ''} "
            "after the last session, as set with `/workshop setup`. To keep a copy, use `/workshop export` before "
            "then; to keep them longer, change the retention in `/workshop setup`."
        )
        await self._post(channel_id, to_mrkdwn(content, ping_group_id=organiser_role_id))

    async def retention_done(self, channel_id: int, deleted: int) -> None:
        await self._post(
            channel_id,
            to_mrkdwn(
                "As set by this workspace's retention period, the answers given in the workshop programme have now "
                "been deleted."
            ),
        )

    async def _post(self, channel_id: int, text: str) -> None:
        channel = int_to_slack_id(channel_id)
        try:
            await self._web.call(
                "chat.postMessage",
                lambda: self._web.client.chat_postMessage(
                    channel=channel, text=fallback_text(text), blocks=message_blocks(text), unfurl_links=False
                ),
                channel=channel,
            )
        except SlackApiError as error:
            raise ChannelRefused(channel_id, None, f"Slack refused the post ({error_code(error)})") from error


class SlackWelcome:
    """One short message when the app is installed: in the first channel the bot is a member of that takes it.

    A Slack app joins no channel by itself, so a fresh install may have nowhere to post: then nothing is posted
    (the App Home says the same to whoever opens it).
    """

    def __init__(self, web: SlackWeb) -> None:
        self._web = web

    async def post_welcome(self, community_id: int) -> bool:
        text = to_mrkdwn(SLACK_WELCOME_TEXT)
        try:
            channels = await self._web.member_channels()
        except (SlackApiError, *TRANSIENT_ERRORS) as error:
            log.warning("could not list the bot's channels for the welcome: %s", type(error).__name__)
            return False
        for channel in channels:
            try:
                post = functools.partial(
                    self._web.client.chat_postMessage,
                    channel=channel,
                    text=fallback_text(text),
                    blocks=message_blocks(text),
                )
                await self._web.call("chat.postMessage", post, channel=channel)
            except SlackApiError:
                continue  # not allowed there: the next channel
            log.info("posted the welcome message in workspace %s", community_id)
            return True
        log.info("workspace %s has no channel the bot may post in: no welcome message", community_id)
        return False
