"""Retention notices (``RetentionNotifier``) and the welcome (``WelcomePoster``) over Slack's Web API."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.domain.communities import WELCOME_TEXT
from bot.domain.discord_text import timestamp
from bot.domain.platform_ids import int_to_slack_id, slack_id_to_int
from bot.services.reminders import ChannelRefused
from slack_app._adapters._text import fallback_text, message_blocks, to_mrkdwn
from slack_app._adapters._web import TRANSIENT_ERRORS, SlackWeb, error_code, needed_scope, next_cursor
from slack_app._adapters.reminders import CHANNEL_FIXES

log = logging.getLogger(__name__)

USERS_PAGE = 200  # users.list members per page (Tier 2)

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
    """The week's warning and the 'deleted' notice in the reminder channel (where members see them too, as on
    Discord), and the warning also in a DM to each organiser: the workspace's admins and owners and the members
    of the organiser user group (a workspace on a plan without user groups still has admins)."""

    def __init__(self, web: SlackWeb, *, dm_channels: dict[str, str] | None = None) -> None:
        self._web = web
        self._dm_channels = dm_channels if dm_channels is not None else {}

    async def retention_warning(
        self,
        community_id: int,
        channel_id: int,
        organiser_role_id: int | None,
        deletes_at: datetime,
        retention: timedelta,
    ) -> None:
        await self._own_workspace(community_id, channel_id)
        days = retention.days
        content = (
            f"**Organisers:** the answers members gave in this workspace's workshop programme will be "
            f"deleted on {timestamp(deletes_at)} ({timestamp(deletes_at, 'R')}), {days} day{'s' if days != 1 else ''} "
            "after the last session, as set with `/workshop setup`. To keep a copy, use `/workshop export` before "
            "then; to keep them longer, change the retention in `/workshop setup`."
        )
        text = to_mrkdwn(content)
        told = 0
        for organiser in await self._organisers(organiser_role_id):
            try:
                channel = await self._web.dm_channel(organiser, self._dm_channels)
                await self._web.call("chat.postMessage", self._message(channel, text), channel=channel)
                told += 1
            except (SlackApiError, *TRANSIENT_ERRORS) as error:
                log.warning("could not tell an organiser about retention by DM: %s", type(error).__name__)
        log.info("retention warning sent to %d organiser(s) by DM", told)
        await self._post(community_id, channel_id, text)

    async def _organisers(self, group_id: int | None) -> list[str]:
        """Admins and owners (``users.list``), then the organiser group's members (``usergroups.users.list``);
        never bots or deactivated accounts. What cannot be read is logged and left out."""
        found: dict[str, None] = {}
        try:
            cursor: str | None = None
            while True:
                request = functools.partial(self._web.client.users_list, limit=USERS_PAGE, cursor=cursor)
                page = await self._web.call("users.list", request)
                for user in page.get("members") or ():
                    if _is_admin(user):
                        found[str(user["id"])] = None
                cursor = next_cursor(page)
                if not cursor:
                    break
        except (SlackApiError, *TRANSIENT_ERRORS) as error:
            log.warning("could not list the workspace's admins for the retention warning: %s", type(error).__name__)
        if group_id is not None:
            try:
                group = int_to_slack_id(group_id)
                page = await self._web.call(
                    "usergroups.users.list", lambda: self._web.client.usergroups_users_list(usergroup=group)
                )
                found.update((str(user), None) for user in page.get("users") or ())
            except (ValueError, SlackApiError, *TRANSIENT_ERRORS) as error:
                log.warning("could not list the organiser group for the retention warning: %s", type(error).__name__)
        return list(found)

    def _message(self, channel: str, text: str) -> Any:
        return functools.partial(
            self._web.client.chat_postMessage,
            channel=channel,
            text=fallback_text(text),
            blocks=message_blocks(text),
            unfurl_links=False,
        )

    async def retention_done(self, community_id: int, channel_id: int, deleted: int) -> None:
        await self._own_workspace(community_id, channel_id)
        await self._post(
            community_id,
            channel_id,
            to_mrkdwn(
                "As set by this workspace's retention period, the answers given in the workshop programme have now "
                "been deleted."
            ),
        )

    async def _own_workspace(self, community_id: int, channel_id: int) -> None:
        """This adapter speaks for the one workspace its token is installed in: another community's notice is
        not its to send, to organisers or to any channel."""
        if slack_id_to_int((await self._web.identity()).team_id) != community_id:
            raise _not_own(channel_id)

    async def _own_channel(self, community_id: int, channel_id: int) -> str:
        """The channel, if it is one of the workspace's own, whatever its settings say: a Slack channel (not
        another platform's id, which a copied database can hold) that ``conversations.info`` places in the workspace
        (``context_team_id``, docs.slack.dev/reference/objects/conversation-object: an org-wide token also sees
        the other workspaces' channels of its organisation)."""
        try:
            channel = int_to_slack_id(channel_id)
        except ValueError:
            raise _not_own(channel_id) from None
        try:
            response = await self._web.call(
                "conversations.info", lambda: self._web.client.conversations_info(channel=channel)
            )
        except SlackApiError as error:
            raise _refused(channel_id, error) from error
        team = (response.get("channel") or {}).get("context_team_id")
        if team and _workspace(str(team)) != community_id:
            raise _not_own(channel_id)
        return channel

    async def _post(self, community_id: int, channel_id: int, text: str) -> None:
        channel = await self._own_channel(community_id, channel_id)
        try:
            await self._web.call(
                "chat.postMessage",
                lambda: self._web.client.chat_postMessage(
                    channel=channel, text=fallback_text(text), blocks=message_blocks(text), unfurl_links=False
                ),
                channel=channel,
            )
        except SlackApiError as error:
            raise _refused(channel_id, error) from error


def _refused(channel_id: int, error: SlackApiError) -> ChannelRefused:
    code = error_code(error)
    where = f"<#{channel_id}>"  # the front end renders it as Slack's link
    fix = CHANNEL_FIXES.get(code, "Make sure the bot is a member of {where} and may post there")
    return ChannelRefused(
        channel_id,
        None,
        f"Slack refused the post ({code})",
        where=where,
        fix=fix.format(where=where, scope=needed_scope(error) or "chat:write"),
    )


def _not_own(channel_id: int) -> ChannelRefused:
    """The stored reminder channel is another community's (another workspace's, or another platform's): not
    named as a link, which would show this workspace's organisers someone else's channel."""
    return ChannelRefused(
        channel_id,
        None,
        "it is not one of this workspace's channels",
        where="the reminder channel",
        fix="Choose one of this workspace's channels as the reminder channel in `/workshop setup`",
    )


def _workspace(team: str) -> int | None:
    try:
        return slack_id_to_int(team)
    except ValueError:
        return None


def _is_admin(user: dict[str, Any]) -> bool:
    return bool(user.get("is_admin") or user.get("is_owner")) and not user.get("is_bot") and not user.get("deleted")


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
