"""The reminder sender: ``ReminderSender`` over Slack's Web API, the only code that turns the reminder service's
messages into Slack posts, and Slack's errors into "refused" (do not retry) or "failed" (retry later).

Exactly once across crashes. Discord drops a resend that carries the same nonce; Slack has no such thing. So
every reminder post carries message metadata (docs.slack.dev/messaging/message-metadata): ``event_type``
``workshop_reminder`` and an ``event_payload`` with the ledger's nonce for that delivery and the digest of its
text. When a process dies between claiming a delivery and recording it sent, the reminder service's outbox
check calls ``find_in_channel`` / ``find_in_dms``, which read the target's messages since the last reminder
the ledger knows was sent (``conversations.history`` with ``include_all_metadata``) and look for the bot's own
message with that nonce: found, it is recorded as sent; not found, it is sent again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.platform_ids import int_to_slack_id, int_to_slack_ts, slack_id_to_int, slack_ts_to_int
from bot.domain.reminders import DMS_CLOSED
from bot.services.reminders import (
    ChannelRefused,
    DeliveryFailed,
    DeliveryRefused,
    OutboxUnreadable,
    OutgoingMessage,
    content_digest,
)
from slack_app._adapters._text import fallback_text, message_blocks, to_mrkdwn
from slack_app._adapters._web import (
    TRANSIENT_ERRORS,
    SlackWeb,
    error_code,
    is_own_message,
    is_transient,
    needed_scope,
    retry_after,
)

log = logging.getLogger(__name__)

EVENT_TYPE = "workshop_reminder"  # the metadata's event_type on every reminder post
HISTORY_PAGE = 200  # messages a conversations.history page asks for (Slack's recommended most)
HISTORY_PAGES = 5  # pages read at most per look: a crash leaves one send in flight, near the newest messages
LOOK_RETRIES = 3  # a look Slack could not answer (5xx, the network) is tried again after 1, 2 and 3 s

# Errors that mean the bot may not post in a channel, which an organiser can fix (invite the bot, grant the
# scope, unarchive or choose another channel): docs.slack.dev/reference/methods/chat.postMessage, "Errors".
CHANNEL_REFUSALS = {
    "not_in_channel": "the bot is not a member of the channel: invite it with /invite",
    "channel_not_found": "the channel does not exist or is private without the bot in it",
    "is_archived": "the channel is archived",
    "missing_scope": "the app lacks a scope",
    "restricted_action": "the workspace does not let the bot post there",
    "restricted_action_read_only_channel": "the channel is read-only",
    "restricted_action_thread_only_channel": "the channel takes thread replies only",
}
# Errors of a DM that no attempt can get past (conversations.open and chat.postMessage, "Errors").
DM_REFUSALS = {
    "cannot_dm_bot": "the member is a bot",
    "user_disabled": "the member's account is deactivated",
    "user_not_found": "the member is no longer in the workspace",
    "user_not_visible": "the member cannot be seen by the bot",
    "messages_tab_disabled": DMS_CLOSED,  # the app's Messages tab is off: it cannot write to members
}
NOT_A_MEMBER = "the member is not one of this workspace's"  # another workspace's, or another platform's id
OUTBOX_UNREADABLE = {
    "not_in_channel": "the bot is not a member of the channel",
    "channel_not_found": "the channel does not exist or is private without the bot in it",
    "missing_scope": "the app lacks a scope to read its history",
}


class SlackReminderSender:
    """Sends reminders as the bot: Block Kit with Answer buttons, no unfurls, the claim's metadata on each."""

    def __init__(self, web: SlackWeb, *, dm_channels: dict[str, str] | None = None) -> None:
        self._web = web
        self._dm_channels = dm_channels if dm_channels is not None else {}  # member -> the bot's DM with them
        self._own_channels: set[str] = set()  # channels conversations.info placed in this workspace: they stay there

    @property
    def client(self) -> AsyncWebClient:
        return self._web.client

    def drops_resends(self, target_id: int) -> bool:
        # chat.postMessage takes no nonce or idempotency key (its arguments in slack-api-spec/web-api, and
        # docs.slack.dev/reference/methods/chat.postMessage): a resend is a second message, so a post whose outcome
        # is unknown is sent again only after a look has shown it was not posted.
        return False

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        try:
            channel = await self._own_channel(message.community_id, channel_id)
            return await self._post(channel, message, nonce)
        except SlackApiError as error:
            code = error_code(error)
            if code in CHANNEL_REFUSALS:
                raise _channel_refused(channel_id, code, needed_scope(error)) from error
            raise _translate(error) from error
        except TRANSIENT_ERRORS as error:
            raise DeliveryFailed(type(error).__name__) from error

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        try:
            await self._own_workspace(message.community_id)
            user = int_to_slack_id(user_id)
        except ValueError:
            raise DeliveryRefused(NOT_A_MEMBER) from None
        try:
            channel = await self._web.dm_channel(user, self._dm_channels)
            return await self._post(channel, message, nonce, dm=True)
        except SlackApiError as error:
            code = error_code(error)
            if code in DM_REFUSALS:
                raise DeliveryRefused(DM_REFUSALS[code]) from error
            if code == "channel_not_found" and self._dm_channels.pop(user, None) is not None:
                raise DeliveryFailed("the DM channel the bot remembered is gone; it is opened again") from error
            if code == "missing_scope":  # an organiser can grant it: retried with the service's back-off
                raise DeliveryFailed(f"the app lacks the scope {needed_scope(error) or 'im:write'}") from error
            raise _translate(error) from error
        except TRANSIENT_ERRORS as error:
            raise DeliveryFailed(type(error).__name__) from error

    # --- whose channel: a community's reminders go to its own channels only --------------------------------

    async def _own_workspace(self, community_id: int | None) -> None:
        """This sender speaks for the one workspace its token is installed in: another community's reminder (of
        another workspace, or a Discord server's) is not its to send. Raises ValueError; DeliveryFailed or
        DeliveryRefused when Slack cannot say which workspace the token is installed in (``auth.test``, asked once)."""
        if community_id is None:
            return
        try:
            identity = await self._web.identity()
        except SlackApiError as error:
            raise _translate(error) from error
        except TRANSIENT_ERRORS as error:
            raise DeliveryFailed(type(error).__name__) from error
        if slack_id_to_int(identity.team_id) != community_id:
            raise ValueError(f"community {community_id} is not this workspace")

    async def _own_channel(self, community_id: int | None, channel_id: int) -> str:
        """The channel, if it is one of the community's own whatever its settings say (a copied database, or a bug,
        can store another community's): this workspace's community, and a Slack channel (not a Discord id) that
        ``conversations.info`` places in this workspace (``context_team_id``, docs.slack.dev/reference/objects/
        conversation-object: an org-wide token also sees the other workspaces' channels of its organisation).
        Raises ChannelRefused, reported to organisers as any refused reminder channel is; SlackApiError.

        A message without a community (the sender driven directly) is not checked: the core's router sends none."""
        if community_id is None:
            return int_to_slack_id(channel_id)
        try:
            await self._own_workspace(community_id)
            channel = int_to_slack_id(channel_id)
        except ValueError:
            raise _not_own(channel_id) from None
        if channel in self._own_channels:
            return channel
        response = await self._web.call("conversations.info", lambda: self.client.conversations_info(channel=channel))
        team = (response.get("channel") or {}).get("context_team_id")
        if team and _workspace(str(team)) != community_id:
            raise _not_own(channel_id)
        self._own_channels.add(channel)
        return channel

    async def _post(self, channel: str, message: OutgoingMessage, nonce: str, *, dm: bool = False) -> int:
        # DMs never ping; a channel post pings only the group the message names.
        text = to_mrkdwn(message.content, ping_group_id=None if dm else message.ping_role_id)
        payload = {"nonce": nonce, "digest": content_digest(message.content)}
        metadata = {"event_type": EVENT_TYPE, "event_payload": payload}
        response = await self._web.call(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=fallback_text(text),
                blocks=message_blocks(text, message.answer_buttons),
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
            channel=channel,
            retry_rate_limited=False,  # the reminder service owns the retry (and pauses the fan-out)
        )
        return slack_ts_to_int(str(response["ts"]))

    # --- the outbox check ------------------------------------------------------------------------------

    async def find_in_channel(
        self, channel_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        try:
            channel = await self._own_channel(community_id, channel_id)
        except ChannelRefused:
            # Never posted there: this sender posts in a community's own channels only (and a resend is refused).
            return None
        except SlackApiError as error:
            looked = _unreadable(error)
            raise (
                _outbox_unreadable(channel_id, looked) if isinstance(looked, OutboxUnreadable) else looked
            ) from error
        except TRANSIENT_ERRORS as error:
            raise DeliveryFailed(type(error).__name__) from error
        try:
            return await self._find(channel, nonce, digest, after)
        except OutboxUnreadable as unreadable:
            raise _outbox_unreadable(channel_id, unreadable) from unreadable

    async def find_in_dms(
        self, user_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        try:
            await self._own_workspace(community_id)
            user = int_to_slack_id(user_id)
        except ValueError:
            raise DeliveryRefused(NOT_A_MEMBER) from None
        try:
            channel = await self._web.dm_channel(user, self._dm_channels, retry_unavailable=LOOK_RETRIES)
            return await self._find(channel, nonce, digest, after)
        except SlackApiError as error:
            code = error_code(error)
            if code in DM_REFUSALS:
                raise DeliveryRefused(DM_REFUSALS[code]) from error
            raise _dm_outbox_unreadable(_unreadable(error)) from error
        except OutboxUnreadable as unreadable:
            raise _dm_outbox_unreadable(unreadable) from unreadable
        except TRANSIENT_ERRORS as error:
            raise DeliveryFailed(type(error).__name__) from error

    async def _find(self, channel: str, nonce: str, digest: str, after: int | None) -> int | None:
        """The ts of the bot's message in ``channel`` after ``after`` carrying this claim, or None.

        Reads newest first, page after page, until the bot's newest reminder post there: this claim's (found),
        or an earlier one (so this one was never posted). A history too long to reach either is unreadable
        rather than "not found", which would send the reminder a second time.
        """
        try:
            me = await self._web.identity()
            oldest = int_to_slack_ts(after) if after is not None else None
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = await self._history(channel, oldest, cursor)
                for message in page.get("messages") or ():  # newest first
                    if not is_own_message(message, me) or _claim_of(message) is None:
                        continue
                    if _carries(message, nonce, digest):
                        return slack_ts_to_int(str(message["ts"]))
                    # The newest reminder the bot posted here is another one. Nothing is sent to a target while
                    # a claim on it is unsettled, so this claim's post would be newer: it was never posted.
                    return None
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or not cursor:
                    return None
        except SlackApiError as error:
            raise _unreadable(error) from error
        except TRANSIENT_ERRORS as error:
            raise DeliveryFailed(type(error).__name__) from error
        raise OutboxUnreadable(f"more than {HISTORY_PAGE * HISTORY_PAGES} messages since the last reminder")

    async def _history(self, channel: str, oldest: str | None, cursor: str | None) -> Any:
        arguments: dict[str, Any] = {"channel": channel, "limit": HISTORY_PAGE, "include_all_metadata": True}
        if oldest is not None:
            arguments["oldest"] = oldest
        if cursor is not None:
            arguments["cursor"] = cursor
        # Slack unavailable for a moment is tried again: a look that fails soon after a crash means a resend.
        return await self._web.call(
            "conversations.history",
            lambda: self.client.conversations_history(**arguments),
            retry_unavailable=LOOK_RETRIES,
        )


def _claim_of(message: dict[str, Any]) -> dict[str, Any] | None:
    """The claim a reminder post carries (its metadata's payload); None for any other message."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    return payload if isinstance(payload, dict) else {}


def _carries(message: dict[str, Any], nonce: str, digest: str) -> bool:
    payload = _claim_of(message) or {}
    return bool(payload.get("nonce") == nonce or payload.get("digest") == digest)


def _translate(error: SlackApiError) -> DeliveryRefused | DeliveryFailed:
    """Slack's other errors as the service's: failed (retried later) when another attempt may work."""
    code = error_code(error)
    if is_transient(error):
        return DeliveryFailed(f"Slack: {code}", retry_after=retry_after(error))
    return DeliveryRefused(f"rejected by Slack ({code})")


def _unreadable(error: SlackApiError) -> OutboxUnreadable | DeliveryFailed:
    code = error_code(error)
    if is_transient(error):
        return DeliveryFailed(f"Slack: {code}", retry_after=retry_after(error))
    reason = OUTBOX_UNREADABLE.get(code, f"Slack refused to show the history ({code})")
    if code == "missing_scope" and needed_scope(error):
        reason += f" ({needed_scope(error)})"
    return OutboxUnreadable(reason, lacks=reason if code in OUTBOX_UNREADABLE else None)


# --- How a refusal reads on Slack: what an organiser does in Slack. A channel is named by the neutral <#id>
# token, which Slack's front end renders as Slack's link (<#C…>, slack_app._render.from_domain). ------------
# Slack has no per-channel permissions: the bot posts where it is a member, with the scopes the app was installed
# with (docs.slack.dev/reference/methods/chat.postMessage, "Errors"). So the fix is to invite it or reinstall.

CHANNEL_FIXES = {
    "not_in_channel": "Invite the bot to {where} (/invite @ the bot there, or the channel's Integrations tab)",
    "channel_not_found": "Invite the bot to {where} if it is private, or choose a channel that exists",
    "is_archived": "Unarchive {where}",
    "missing_scope": "Reinstall the app with the {scope} scope (its manifest lists it)",
    "restricted_action": "Ask a workspace admin to let the bot post in {where}",
    "restricted_action_read_only_channel": "Let the bot post in {where} (the channel's posting permissions)",
    "restricted_action_thread_only_channel": "Let the bot post in {where} (the channel's posting permissions)",
}


def _channel_refused(channel_id: int, code: str, scope: str | None) -> ChannelRefused:
    where = f"<#{channel_id}>"  # the front end renders it as Slack's link (<#C…>)
    reason = CHANNEL_REFUSALS[code]
    if code == "missing_scope":
        reason += f" ({scope or 'chat:write'})"
    return ChannelRefused(
        channel_id,
        None,
        f"{reason} ({code})",
        where=where,
        problem=f"The bot cannot post reminders in {where}: {reason.partition(': ')[0]}.",
        fix=CHANNEL_FIXES[code].format(where=where, scope=scope or "chat:write"),
    )


def _not_own(channel_id: int) -> ChannelRefused:
    """The stored reminder channel is another community's (another workspace's, or another platform's): not named
    as a link, which would show this workspace's organisers someone else's channel."""
    return ChannelRefused(
        channel_id,
        None,
        "it is not one of this workspace's channels",
        where="the reminder channel",
        problem="The bot cannot post reminders in the reminder channel: it is not one of this workspace's channels.",
        fix="Choose one of this workspace's channels as the reminder channel in `/workshop setup`",
        foreign=True,
    )


def _workspace(team: str) -> int | None:
    try:
        return slack_id_to_int(team)
    except ValueError:
        return None


def _dm_outbox_unreadable(unreadable: OutboxUnreadable | DeliveryFailed) -> OutboxUnreadable | DeliveryFailed:
    if not isinstance(unreadable, OutboxUnreadable):
        return unreadable  # Slack unavailable for now: the service looks again
    return OutboxUnreadable(
        unreadable.reason,
        lacks=unreadable.lacks,
        fix=(
            "Make sure the app has the im:history scope (reinstall it from its manifest if not), so that the bot can "
            "check its direct messages by itself next time."
        ),
    )


def _outbox_unreadable(channel_id: int, unreadable: OutboxUnreadable) -> OutboxUnreadable:
    where = f"<#{channel_id}>"  # the front end renders it as Slack's link (<#C…>)
    return OutboxUnreadable(
        unreadable.reason,
        where=where,
        lacks=unreadable.lacks,
        fix=(
            f"Make sure the bot is a member of {where} (invite it there) and the app has the channels:history "
            "scope (groups:history for a private channel; reinstall the app from its manifest if not), so that it "
            "can check by itself next time."
        ),
    )
