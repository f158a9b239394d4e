"""REST routes on threads and forum posts.

Docs: resources/channel.mdx (Start Thread from Message, Start Thread without Message, Start Thread in
Forum or Media Channel, List Public Archived Threads),
resources/guild.mdx (List Active Guild Threads), topics/threads.mdx.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .. import limits
from ..core import Part, as_list
from ..records import JSON, ApiError, UploadedFile, field_error, invalid_form_body
from ..transport import Ctx, Reply, RouteSpec
from ..world import (
    Channel,
    ChannelType,
    Perm,
    iso,
    now_utc,
    snowflake_time,
)


class ThreadRoutes(Part):
    """REST routes on threads and forum posts."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self._create_thread),
            ("GET", "/channels/{channel_id}/threads/archived/public", self._archived_threads),
            ("GET", "/guilds/{guild_id}/threads/active", self._active_threads),
        ]

    def patch_thread(self, thread: Channel, body: JSON) -> JSON:
        """Modify Channel on a thread: the rules of topics/threads.mdx ("Editing & Deleting Threads")."""
        self.core.require_view(thread)
        perms = self.core.bot_permissions(thread)
        manage = bool(perms & Perm.MANAGE_THREADS)
        owner = thread.owner_id == self.world.bot_user.id
        unarchiving = body.get("archived") is False
        if thread.archived and not unarchiving and set(body) - {"archived", "locked"}:
            raise ApiError(400, 50083, "Thread is archived")
        if "locked" in body and bool(body["locked"]) != thread.locked and not manage:
            raise ApiError(403, 50013, "Missing Permissions")
        if unarchiving and thread.locked and not manage:
            raise ApiError(403, 50013, "Missing Permissions")
        if (set(body) - {"archived", "locked"} or "archived" in body) and not (owner or manage):
            raise ApiError(403, 50013, "Missing Permissions")
        if "auto_archive_duration" in body and body["auto_archive_duration"] not in limits.AUTO_ARCHIVE_DURATIONS:
            raise invalid_form_body(
                field_error(
                    ["auto_archive_duration"], "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
                )
            )
        if "name" in body:
            thread.name = str(body["name"])
        if "auto_archive_duration" in body:
            thread.auto_archive_duration = int(body["auto_archive_duration"])
        if "locked" in body:
            thread.locked = bool(body["locked"])
        if "invitable" in body:
            thread.invitable = bool(body["invitable"])
        if "rate_limit_per_user" in body:
            thread.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
        if "applied_tags" in body:
            self.core.check_tags(thread, body["applied_tags"], ["applied_tags"])
            thread.applied_tags = [int(t) for t in as_list(body["applied_tags"])]
        unarchived = thread.archived and body.get("archived") is False
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = now_utc()
            thread.archiver_id = self.world.bot_user.id if thread.archived else None
        self.core.thread_update(thread)
        if unarchived:
            self.core.thread_member_update(thread)
        return thread.to_dict(self.world)

    def _thread_fields(self, body: JSON) -> tuple[str, int | None]:
        """A new thread's name and auto-archive duration, with Discord's checks."""
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise invalid_form_body(
                field_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in limits.AUTO_ARCHIVE_DURATIONS:
            raise invalid_form_body(
                field_error(
                    ["auto_archive_duration"], "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
                )
            )
        return name, duration

    async def _create_thread(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        body = ctx.obj
        if channel.is_thread or channel.is_dm or channel.type == ChannelType.GUILD_CATEGORY:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        name, duration = self._thread_fields(body)
        if channel.is_forum:
            return self._create_forum_post(channel, body, ctx.files)
        ttype = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        self.core.require(
            channel, Perm.CREATE_PRIVATE_THREADS if ttype == ChannelType.PRIVATE_THREAD else Perm.CREATE_PUBLIC_THREADS
        )
        thread = self.world.new_thread(
            channel,
            name,
            type=ttype,
            auto_archive_duration=int(duration or channel.default_auto_archive_duration or 1440),
            invitable=bool(body.get("invitable", True)),
        )
        thread.rate_limit_per_user = int(body.get("rate_limit_per_user") or 0)
        self.core.thread_created(thread)
        if ttype == ChannelType.PUBLIC_THREAD:
            self.core.thread_system_message(thread, self.world.bot_user, starter=None)
        return Reply(201, thread.to_dict(self.world))

    def _create_forum_post(self, forum: Channel, body: JSON, files: list[UploadedFile]) -> Reply:
        self.core.require(forum, Perm.SEND_MESSAGES)
        message_body = body.get("message")
        if not isinstance(message_body, dict):
            raise invalid_form_body(field_error(["message"], "BASE_TYPE_REQUIRED", "This field is required"))
        limits.check_message(message_body, root=["message"], files=len(files))
        tags = as_list(body.get("applied_tags"))
        thread_id = self.world.new_id()
        thread = self.world.new_thread(
            forum,
            str(body["name"]),
            thread_id=thread_id,
            auto_archive_duration=int(body.get("auto_archive_duration") or forum.default_auto_archive_duration or 4320),
        )
        try:
            self.core.check_tags(thread, tags, ["applied_tags"])
        except ApiError:
            del self.world.channels[thread.id]
            raise
        thread.applied_tags = [int(t) for t in tags]
        thread.rate_limit_per_user = int(body.get("rate_limit_per_user") or 0)
        starter = self.core.new_message(thread, self.world.bot_user, message_body, files, message_id=thread_id)
        forum.last_message_id = thread.id
        self.core.thread_created(thread)
        self.core.post(starter)
        data = thread.to_dict(self.world)
        data["message"] = starter.to_dict(self.world)
        return Reply(201, data)

    async def _thread_from_message(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            self.core.require_view(channel)
        msg = self.core.message_or_404(channel, ctx.snowflake("message_id"))
        body = ctx.obj
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if msg.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        self.core.require(channel, Perm.CREATE_PUBLIC_THREADS)
        name, duration = self._thread_fields(body)
        ttype = (
            ChannelType.ANNOUNCEMENT_THREAD
            if channel.type == ChannelType.GUILD_ANNOUNCEMENT
            else ChannelType.PUBLIC_THREAD
        )
        thread = self.world.new_thread(
            channel, name, type=ttype, thread_id=msg.id, auto_archive_duration=int(duration or 1440)
        )
        msg.thread_id = thread.id
        self.core.thread_created(thread)
        self.core.updated(msg)
        self.core.thread_system_message(thread, self.world.bot_user, starter=msg)
        return Reply(201, thread.to_dict(self.world))

    def _thread_members_payload(self, threads: Iterable[Channel]) -> list[JSON]:
        bot_id = self.world.bot_user.id
        return [
            {"id": str(t.id), "user_id": str(bot_id), "join_timestamp": iso(t.member_ids[bot_id]), "flags": 0}
            for t in threads
            if bot_id in t.member_ids
        ]

    async def _active_threads(self, ctx: Ctx) -> Any:
        guild = self.core.guild_or_404(ctx.snowflake("guild_id"))
        threads = [
            c
            for c in self.world.channels.values()
            if c.is_thread and c.guild_id == guild.id and not c.archived and self.core.bot_can_view(c)
        ]
        return {
            "threads": [t.to_dict(self.world) for t in threads],
            "members": self._thread_members_payload(threads),
            "has_more": False,
        }

    async def _archived_threads(self, ctx: Ctx) -> Any:
        channel = self.core.channel_or_404(ctx.snowflake("channel_id"))
        self.core.require(channel, Perm.READ_MESSAGE_HISTORY)
        threads = [
            c
            for c in self.world.threads_in(channel)
            if c.archived and c.type in (ChannelType.PUBLIC_THREAD, ChannelType.ANNOUNCEMENT_THREAD)
        ]
        threads.sort(key=lambda t: t.archive_timestamp or now_utc(), reverse=True)
        before = ctx.query.get("before")
        if before:
            cutoff = datetime.fromisoformat(before) if not before.isdigit() else snowflake_time(int(before))
            threads = [t for t in threads if (t.archive_timestamp or now_utc()) < cutoff]
        limit = int(ctx.query.get("limit") or 50)
        page = threads[:limit]
        return {
            "threads": [t.to_dict(self.world) for t in page],
            "members": self._thread_members_payload(page),
            "has_more": len(threads) > limit,
        }
