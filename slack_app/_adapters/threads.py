"""The thread gateway: ``ThreadGateway`` over Slack's Web API.

A Slack thread is a parent message and the replies under it (docs.slack.dev/messaging/#threading): the bot
posts one parent message per prompt in the discussion channel, and the thread's id is that message's ``ts``
(encoded as every Slack ts is, bot/domain/platform_ids.py). The service names a thread by that id alone, so the
gateway remembers each thread's channel, and after a restart finds it again among the channels the bot is in
(``users.conversations``, then ``conversations.replies`` in each until one has the parent): a look that happens
once per thread and process, never on the reply path.

What Slack cannot do: lock or archive a thread. ``lock_and_archive`` therefore locks nothing; members can still
reply in a closed thread, and the service no longer records what they write.

Errors become the service's: ``thread_not_found`` is a thread deleted by hand (``ThreadGoneError``); what an
organiser can fix (the bot not in the channel, a scope missing, the channel archived) is
``BotLacksPermissionError`` with the fix, and a read the bot cannot trust is never an empty history.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import UserFacingError
from bot.domain.permissions import Permission
from bot.domain.platform_ids import int_to_slack_id, int_to_slack_ts, slack_id_to_int, slack_ts_to_int
from bot.domain.reminder_text import AnswerButtonSpec
from bot.services.threads import (
    BotLacksPermissionError,
    CatchUpTrouble,
    ChannelKind,
    CreatedThread,
    DiscordThreadState,
    ProblemWording,
    Starter,
    Summary,
    ThreadGoneError,
    ThreadHistory,
    ThreadMessage,
    ThreadsAction,
    ThreadsRefusal,
)
from slack_app._adapters._text import fallback_text, message_blocks, unescape
from slack_app._adapters._thread_text import starter_text, summary_text
from slack_app._adapters._web import TRANSIENT_ERRORS, SlackWeb, error_code, is_transient, needed_scope

log = logging.getLogger(__name__)

REPLIES_PAGE = 200  # messages a conversations.replies page asks for
# Members' own replies: a plain message, or one also sent to the channel (docs.slack.dev/reference/events/message,
# "Message subtypes"); joins, bot messages, file comments and the like are not answers.
MEMBER_SUBTYPES = frozenset({None, "thread_broadcast"})
GONE = frozenset({"thread_not_found", "message_not_found"})
NOT_ALLOWED = {
    "not_in_channel": "the bot is not a member of {where}: invite it there with /invite",
    "channel_not_found": "the bot cannot see {where} (a private channel it is not in, or a deleted one)",
    "is_archived": "{where} is archived",
    "missing_scope": "the app lacks the scope {scope}: reinstall it from the manifest",
    "restricted_action": "the workspace does not let the bot post in {where}",
}


def ts_time(ts: str) -> datetime:
    """When a message was posted: its ts is seconds since 1970, UTC."""
    return datetime.fromtimestamp(float(ts), UTC)


class SlackThreadGateway:
    def __init__(self, web: SlackWeb) -> None:
        self._web = web
        self._channels: dict[str, str] = {}  # thread (parent ts) -> its channel

    @property
    def client(self) -> AsyncWebClient:
        return self._web.client

    def remember(self, thread_ts: str, channel: str) -> None:
        """A thread's channel, learnt from an event (the listeners call this): no look needed later."""
        self._channels[thread_ts] = channel

    # --- channels --------------------------------------------------------------------------------------

    async def channel_kind(self, community_id: int, channel_id: int) -> ChannelKind | None:
        try:
            channel = int_to_slack_id(channel_id)
        except ValueError:
            return None
        try:
            info = await self._info(channel)
        except SlackApiError:
            return None
        team = info.get("context_team_id")
        if team and _team_int(str(team)) not in (None, community_id):
            return None  # a channel of another workspace is as good as missing here
        if info.get("is_im") or info.get("is_mpim") or info.get("is_archived"):
            return ChannelKind.OTHER
        return ChannelKind.TEXT

    async def _info(self, channel: str) -> dict[str, Any]:
        response = await self._web.call("conversations.info", lambda: self.client.conversations_info(channel=channel))
        return dict(response.get("channel") or {})

    async def missing_permissions(self, channel_id: int, needed: Permission) -> Permission | None:
        """Slack has no per-channel permissions: what matters is that the bot is a member (scopes are the
        check command's). All of ``needed`` is missing when it is not; None when the channel is unknown."""
        try:
            channel = await self._channel_of(channel_id)
            info = await self._info(channel)
        except (SlackApiError, BotLacksPermissionError, ThreadGoneError, *TRANSIENT_ERRORS):
            return None
        if not info.get("is_member") or info.get("is_archived"):
            return needed
        return Permission(0)

    async def _channel_of(self, channel_or_thread_id: int) -> str:
        """The channel of an id the service uses for either a channel or a thread."""
        try:
            return int_to_slack_id(channel_or_thread_id)
        except ValueError:
            return await self._thread_channel(int_to_slack_ts(channel_or_thread_id))

    def catch_up_problem(
        self,
        trouble: CatchUpTrouble,
        *,
        parent_id: int,
        thread_id: int,
        missing: Permission | None = None,
        error: str | None = None,
    ) -> ProblemWording:
        return catch_up_problem(trouble, parent_id=parent_id, thread_id=thread_id, missing=missing, error=error)

    def threads_refused(
        self, action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool = False
    ) -> str:
        return threads_refused(action, channel_id=channel_id, missing=missing, week=week, forum=forum)

    def threads_refusal(
        self, refusal: ThreadsRefusal, *, community_id: int, week: int, channel_id: int | None = None
    ) -> str:
        return threads_refusal(refusal, week=week, channel_id=channel_id)

    def reads_message_content(self, thread_id: int) -> bool:
        return True  # Slack's message events and histories carry the text (with the history scopes)

    # --- opening ---------------------------------------------------------------------------------------

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        channel = int_to_slack_id(channel_id)
        text = starter_text(starter)
        buttons = (AnswerButtonSpec(starter.prompt.id, "Answer"),)
        try:
            response = await self._web.call(
                "chat.postMessage",
                lambda: self.client.chat_postMessage(
                    channel=channel,
                    text=fallback_text(text),
                    blocks=message_blocks(text, buttons),
                    unfurl_links=False,
                    unfurl_media=False,
                ),
                channel=channel,
            )
        except SlackApiError as error:
            raise _not_allowed(error, _where(channel), "open threads") from None
        ts = str(response["ts"])
        self._channels[ts] = channel
        message_id = slack_ts_to_int(ts)
        return CreatedThread(thread_id=message_id, starter_channel_id=channel_id, starter_message_id=message_id)

    async def create_forum_post(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        raise UserFacingError("Slack has no forum channels: choose a channel for the discussion threads.")

    async def thread_state(self, thread_id: int) -> DiscordThreadState:
        """Slack threads are never archived or locked; ThreadGoneError when its parent message was deleted."""
        ts = int_to_slack_ts(thread_id)
        channel = await self._thread_channel(ts)
        try:
            await self._replies(channel, ts, limit=1)
        except SlackApiError as error:
            if error_code(error) in GONE:
                raise ThreadGoneError(thread_id) from None  # in the channel it was posted in: deleted by hand
            raise _unreadable(error, _where(channel)) from None
        return DiscordThreadState(archived=False, locked=False)

    async def unarchive(self, thread_id: int, *, unlock: bool) -> None:
        return None  # nothing to undo: see thread_state

    async def edit_starter(self, channel_id: int, message_id: int, starter: Starter) -> None:
        channel, ts = int_to_slack_id(channel_id), int_to_slack_ts(message_id)
        text = starter_text(starter)
        buttons = (AnswerButtonSpec(starter.prompt.id, "Answer"),)
        try:
            await self._web.call(
                "chat.update",
                lambda: self.client.chat_update(
                    channel=channel, ts=ts, text=fallback_text(text), blocks=message_blocks(text, buttons)
                ),
            )
        except SlackApiError as error:
            if error_code(error) in GONE:
                raise ThreadGoneError(message_id) from None
            raise _not_allowed(error, _where(channel), "update its question") from None

    # --- closing ---------------------------------------------------------------------------------------

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        ts = int_to_slack_ts(thread_id)
        channel = await self._thread_channel(ts)
        # A reply to a deleted parent would not land in its thread: look first (raises ThreadGoneError).
        await self.thread_state(thread_id)
        text = summary_text(summary)
        try:
            await self._web.call(
                "chat.postMessage",
                lambda: self.client.chat_postMessage(
                    channel=channel, thread_ts=ts, text=fallback_text(text), blocks=message_blocks(text)
                ),
                channel=channel,
            )
        except SlackApiError as error:
            if error_code(error) in GONE:
                raise ThreadGoneError(thread_id) from None
            raise _not_allowed(error, _where(channel), "post the summary") from None

    async def lock_and_archive(self, thread_id: int) -> bool:
        return False  # Slack cannot lock or archive a thread (see the module's docstring)

    # --- reading back ----------------------------------------------------------------------------------

    async def thread_history(self, thread_id: int, *, limit: int) -> ThreadHistory:
        """Members' replies, oldest first. A page that fails after the first leaves the history incomplete
        (nothing is removed on it); a first page refused is ``BotLacksPermissionError``, never empty."""
        ts = int_to_slack_ts(thread_id)
        channel = await self._thread_channel(ts)
        messages: list[ThreadMessage] = []
        read = 0
        cursor: str | None = None
        first = True
        while True:
            try:
                page = await self._replies(channel, ts, cursor=cursor, limit=min(REPLIES_PAGE, limit - read + 1))
            except (SlackApiError, *TRANSIENT_ERRORS) as error:
                if first:
                    if isinstance(error, SlackApiError) and error_code(error) in GONE:
                        raise ThreadGoneError(thread_id) from None
                    raise _unreadable(error, _where(channel)) from None
                log.warning("thread %s: a page of its replies could not be read; the history is partial", ts)
                return ThreadHistory(tuple(messages), complete=False)
            first = False
            for message in page.get("messages") or ():
                if message.get("ts") == ts:
                    continue  # the parent message, returned first on every page
                read += 1
                if read > limit:
                    return ThreadHistory(tuple(messages), complete=False)
                if _is_reply(message):
                    messages.append(_thread_message(message))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return ThreadHistory(tuple(messages), complete=True)

    async def message_deleted(self, thread_id: int, message_id: int) -> bool:
        """True only when Slack shows the thread (its parent) and, asked for the message's own instant, not it."""
        try:
            ts, reply = int_to_slack_ts(thread_id), int_to_slack_ts(message_id)
            channel = await self._thread_channel(ts)
            parent = await self._replies(channel, ts, limit=1)
            if not any(m.get("ts") == ts for m in parent.get("messages") or ()):
                return False
            around = await self._replies(channel, ts, oldest=reply, latest=reply, inclusive=True, limit=10)
        except (SlackApiError, BotLacksPermissionError, ThreadGoneError, ValueError, *TRANSIENT_ERRORS):
            return False  # no evidence either way
        return all(m.get("ts") != reply for m in around.get("messages") or ())

    async def _replies(self, channel: str, ts: str, **arguments: Any) -> Any:
        arguments = {k: v for k, v in arguments.items() if v is not None}
        return await self._web.call(
            "conversations.replies", lambda: self.client.conversations_replies(channel=channel, ts=ts, **arguments)
        )

    # --- which channel a thread is in ------------------------------------------------------------------

    async def _thread_channel(self, ts: str) -> str:
        """The channel of the thread whose parent is ``ts``: remembered, or looked for in the channels of other
        threads first, then in every channel the bot is in.

        Not found anywhere is BotLacksPermissionError, never ThreadGoneError: without knowing the channel, a
        parent deleted by hand cannot be told from a channel the bot was removed from, and "gone" would make
        the service forget the thread.
        """
        known = self._channels.get(ts)
        if known is not None:
            return known
        tried: set[str] = set()
        try:
            for channel in dict.fromkeys(self._channels.values()):
                if await self._has_thread(channel, ts, tried):
                    return channel
            for channel in await self._web.member_channels():
                if channel not in tried and await self._has_thread(channel, ts, tried):
                    return channel
        except (SlackApiError, *TRANSIENT_ERRORS) as error:
            raise _unreadable(error, "the discussion channel") from None
        raise BotLacksPermissionError(
            "The bot cannot find a discussion thread in any channel it is in: its first message was deleted, or the "
            "bot was removed from the channel (invite it back with /invite)."
        )

    async def _has_thread(self, channel: str, ts: str, tried: set[str]) -> bool:
        tried.add(channel)
        try:
            page = await self._replies(channel, ts, limit=1)
        except SlackApiError as error:
            if is_transient(error):
                raise
            return False  # thread_not_found here, or a channel the bot may not read
        if any(m.get("ts") == ts for m in page.get("messages") or ()):
            self._channels[ts] = channel
            return True
        return False


def _is_reply(message: dict[str, Any]) -> bool:
    return message.get("subtype") in MEMBER_SUBTYPES and not message.get("bot_id") and bool(message.get("user"))


def _thread_message(message: dict[str, Any]) -> ThreadMessage:
    edited = (message.get("edited") or {}).get("ts")
    return ThreadMessage(
        id=slack_ts_to_int(str(message["ts"])),
        author_id=slack_id_to_int(str(message["user"])),
        text=unescape(str(message.get("text") or "")),
        created_at=ts_time(str(message["ts"])),
        edited_at=ts_time(str(edited)) if edited else None,
    )


def _where(channel: str) -> str:
    """A channel in the bot's words: the neutral <#id> token, which the front end renders as Slack's link (a
    link written here would be escaped there)."""
    return f"<#{slack_id_to_int(channel)}>"


def _team_int(team: str) -> int | None:
    try:
        return slack_id_to_int(team)
    except ValueError:
        return None


def _not_allowed(error: SlackApiError, where: str, doing: str) -> BotLacksPermissionError:
    code = error_code(error)
    template = NOT_ALLOWED.get(code)
    if template is None:
        return BotLacksPermissionError(f"Slack refused to let the bot {doing} ({code}).")
    reason = template.format(where=where, scope=needed_scope(error) or "it needs")
    return BotLacksPermissionError(f"The bot cannot {doing}: {reason}.")


def _unreadable(error: BaseException, where: str) -> BotLacksPermissionError:
    if isinstance(error, SlackApiError):
        code = error_code(error)
        template = NOT_ALLOWED.get(code)
        reason = template.format(where=where, scope=needed_scope(error) or "it needs") if template else code
        return BotLacksPermissionError(f"The bot cannot read the thread's replies: {reason}.")
    return BotLacksPermissionError(f"Slack could not be reached to read the thread's replies ({type(error).__name__}).")


# --- What the catch-up reports to organisers, in Slack's words ----------------------------------------------
# Slack has no per-channel permissions: the bot reads a channel's threads when it is a member of it and the app
# has the history scope (docs.slack.dev/reference/methods/conversations.replies: not_in_channel, missing_scope).
# A thread has no link of its own: its channel (the neutral <#id>, which the front end renders as <#C…>) names it.

READ_FIX = (
    "Invite the bot to {where} (/invite there) and make sure the app has the channels:history scope "
    "(groups:history for a private channel; reinstall it from its manifest if not)"
)


def catch_up_problem(
    trouble: CatchUpTrouble,
    *,
    parent_id: int,
    thread_id: int,
    missing: Permission | None = None,
    error: str | None = None,
) -> ProblemWording:
    where = f"<#{parent_id}>"  # the front end renders it as Slack's link
    if trouble is CatchUpTrouble.MISSING_PERMISSIONS:
        return ProblemWording(
            f"The bot cannot read the prompt threads in {where}: it is not a member of the channel (or the "
            "channel is archived), so replies written, edited or deleted while it was offline were not caught "
            "up. No answer was removed.",
            f"Invite the bot to {where} (/invite there), or unarchive it: it catches up as soon as it may read them.",
        )
    if trouble is CatchUpTrouble.UNREADABLE:
        return ProblemWording(
            f"{error or 'The bot cannot read the replies of a prompt thread.'} No answer was removed.",
            f"{READ_FIX.format(where=where)}: it catches up as soon as it may read them.",
        )
    return ProblemWording(
        f"Slack's replies of a prompt thread in {where} left out replies that still exist, so the bot could not "
        "tell which replies were deleted while it was offline. No answer was removed.",
        f"{READ_FIX.format(where=where)}; restarting the bot tries again.",
    )


# --- Why /workshop threads open or close did nothing, in Slack's words -----------------------------------------
# ``missing_permissions`` reports everything missing when the bot is not a member of the channel or the channel
# is archived (Slack has no per-channel permissions): the fix is the membership, not a permission's name.


def threads_refused(action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool) -> str:
    where = f"<#{channel_id}>"  # the front end renders it as Slack's link
    command = f"`/workshop threads {action.value} {week}`"
    fix = f"Invite the bot to {where} (/invite there), or unarchive it, then run {command}"
    if action is ThreadsAction.OPEN:
        return (
            f"The bot cannot open threads in {where}: it is not a member of the channel, or the channel is "
            f"archived. Nothing was created. {fix} again."
        )
    return (
        f"The bot cannot close the threads in {where}: it is not a member of the channel, or the channel is "
        f"archived, so it cannot post their summaries. Nothing was closed. {fix} again."
    )


# --- Why /workshop threads did nothing for the channel or the week, in Slack's words ----------------------------
# ``channel_kind`` finds no channel when Slack does not show it to the bot (deleted, or a private channel the bot is
# not in: conversations.info's channel_not_found), and one that cannot hold threads when it is archived or a DM.
# Slack has no forum channels, and its command is /workshop's.

SETUP = "`/workshop setup`"


def threads_refusal(refusal: ThreadsRefusal, *, week: int, channel_id: int | None) -> str:
    run_elsewhere = (
        f"Run `/workshop threads open {week}` in a channel the bot is a member of (invite it there with /invite), "
        f"or ask an organiser to set a discussion channel with {SETUP}."
    )
    if refusal is ThreadsRefusal.NOTHING_TO_CLOSE:
        return f"Week {week} has no threads to close. Open them with `/workshop threads open {week}`."
    if refusal is ThreadsRefusal.IN_A_THREAD:
        return f"Threads cannot be opened inside a thread. {run_elsewhere}"
    if refusal is ThreadsRefusal.NOT_HERE:
        return (
            f"Threads cannot be opened here: a direct message or an archived channel cannot hold them. {run_elsewhere}"
        )
    setting = f"The discussion channel set with {SETUP} (<#{channel_id}>)"  # the front end renders Slack's link
    if refusal is ThreadsRefusal.DISCUSSION_GONE:
        return (
            f"{setting} no longer exists, or the bot cannot see it (a private channel it is not a member of). "
            f"Nothing was created. An organiser can invite the bot there with /invite, or choose another channel "
            f"with {SETUP}."
        )
    return (
        f"{setting} is archived, or is not a channel. Nothing was created. An organiser can unarchive it, or "
        f"choose another channel with {SETUP}."
    )
