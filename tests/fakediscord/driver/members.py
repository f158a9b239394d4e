"""The driver, part 2: members post, edit and start threads; the guild changes around the bot.

Each call changes the world and sends the gateway events Discord would send.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from ..core import Part
from ..records import JSON
from ..world import (
    GUILD_ID,
    Channel,
    ChannelRef,
    ChannelType,
    GuildRef,
    Member,
    Message,
    Perm,
    Role,
    RoleRef,
    User,
    UserRef,
    iso,
    now_utc,
)


class MemberDriver(Part):
    """Acts as members (messages, threads) and as the server's admins (members, roles, channels)."""

    # =================================================================================== members

    def _member_message(
        self,
        channel: Channel,
        author: User,
        content: str,
        *,
        embeds: list[JSON] | None = None,
        attachments: Iterable[tuple[str, bytes]] = (),
        reply_to: Message | None = None,
        message_id: int | None = None,
    ) -> Message:
        msg = self.core.new_message(
            channel,
            author,
            {"content": content, "embeds": embeds or []},
            [],
            message_id=message_id,
            type=19 if reply_to is not None else 0,
        )
        msg.embeds = list(embeds or [])
        msg.attachments = [self.core.store_attachment(channel.id, name, data) for name, data in attachments]
        if reply_to is not None:
            msg.message_reference = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                "guild_id": None if reply_to.guild_id is None else str(reply_to.guild_id),
            }
        return msg

    async def post_message(
        self,
        channel: ChannelRef,
        user: UserRef,
        content: str = "",
        *,
        embeds: list[JSON] | None = None,
        attachments: Iterable[tuple[str, bytes]] = (),
        reply_to: Message | None = None,
    ) -> Message:
        """A member posts in a channel/thread/DM; the bot gets MESSAGE_CREATE (content hidden without the
        MESSAGE_CONTENT intent unless the bot is mentioned or it is a DM). Posting in an archived thread
        unarchives it (as the Discord client does); locked threads refuse."""
        ch = self.world.channel(channel)
        author = self.world.user(user)
        if ch.is_forum:
            raise AssertionError("members cannot post in a forum directly; use fake.create_thread()")
        if ch.is_dm and ch.recipient_id != author.id:
            raise AssertionError(f"{author.username} is not the recipient of DM channel {ch.id}")
        if not ch.is_dm:
            perms = self.world.permissions_in(self.world.member(author, guild_id=ch.guild_id), ch)
            needed = Perm.VIEW_CHANNEL | (Perm.SEND_MESSAGES_IN_THREADS if ch.is_thread else Perm.SEND_MESSAGES)
            if perms & needed != needed:
                raise AssertionError(f"{author.username} may not post in {ch}; Discord's client would not let them")
        if ch.is_thread:
            if ch.locked:
                raise AssertionError(f"{ch} is locked; members cannot post")
            if ch.archived:
                self.core.unarchive(ch, by=None)
        msg = self._member_message(ch, author, content, embeds=embeds, attachments=attachments, reply_to=reply_to)
        return self.core.post(msg)

    async def send_dm(self, user: UserRef, content: str, **kwargs: Any) -> Message:
        """``user`` sends the bot a DM."""
        return await self.post_message(self.world.dm_channel(user), user, content, **kwargs)

    async def edit_message(self, message: Message | int, content: str) -> Message:
        """The author edits a member message; the bot gets MESSAGE_UPDATE."""
        msg = message if isinstance(message, Message) else self.core.message(message)
        msg.content = content
        channel = self.world.channel(msg.channel_id)
        msg.mention_ids, msg.mention_role_ids, msg.mention_everyone = self.core.pings(
            channel, msg.author, content, msg.components, None, webhook=False
        )
        msg.edited_timestamp = now_utc()
        msg.edits += 1
        self.core.updated(msg)
        return msg

    async def delete_message(self, message: Message | int) -> None:
        """Delete any message; the bot gets MESSAGE_DELETE."""
        msg = message if isinstance(message, Message) else self.core.message(message)
        self.core.deleted(msg)

    async def create_thread(
        self,
        channel: ChannelRef,
        user: UserRef,
        name: str,
        *,
        content: str = "",
        from_message: Message | None = None,
        applied_tags: Iterable[str | int] = (),
        private: bool = False,
    ) -> Channel:
        """A member starts a thread (text channel; ``from_message`` for a message thread) or a forum post
        (forum: ``content`` is the starter message, ``applied_tags`` tag names or ids)."""
        ch = self.world.channel(channel)
        owner = self.world.user(user)
        if ch.is_forum:
            tag_ids = [int(ch.tag_named(t)["id"]) if isinstance(t, str) else int(t) for t in applied_tags]
            thread = self.world.new_thread(ch, name, owner=owner, applied_tags=tag_ids, auto_archive_duration=4320)
            starter = self._member_message(thread, owner, content or name, message_id=thread.id)
            self.core.thread_created(thread)
            self.core.post(starter)
            return thread
        if from_message is not None:
            thread = self.world.new_thread(ch, name, owner=owner, thread_id=from_message.id)
            from_message.thread_id = thread.id
            self.core.thread_created(thread)
            self.core.updated(from_message)
            self.core.thread_system_message(thread, owner, starter=from_message)
            return thread
        ttype = ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD
        thread = self.world.new_thread(ch, name, owner=owner, type=ttype)
        self.core.thread_created(thread)
        if ttype == ChannelType.PUBLIC_THREAD:
            self.core.thread_system_message(thread, owner, starter=None)
        return thread

    def archive_thread(self, thread: ChannelRef, *, locked: bool = False) -> Channel:
        """Archive (and optionally lock) a thread as Discord's auto-archive or a moderator would."""
        th = self.world.channel(thread)
        assert th.is_thread, f"{th} is not a thread"
        th.archived = True
        th.locked = th.locked or locked
        th.archive_timestamp = now_utc()
        self.core.thread_update(th)
        return th

    def unarchive_thread(self, thread: ChannelRef) -> Channel:
        """A moderator unarchives a thread (THREAD_UPDATE, then THREAD_MEMBER_UPDATE)."""
        th = self.world.channel(thread)
        self.core.unarchive(th, by=None)
        return th

    def lock_thread(self, thread: ChannelRef, locked: bool = True) -> Channel:
        th = self.world.channel(thread)
        th.locked = locked
        self.core.thread_update(th)
        return th

    # =================================================================================== guild changes

    def add_member(
        self,
        username: str | User,
        *,
        roles: Iterable[RoleRef] = (),
        accepts_dms: bool = True,
        nick: str | None = None,
        guild: GuildRef | None = None,
    ) -> Member:
        """A user joins the guild (the default one unless ``guild``): GUILD_MEMBER_ADD if the bot has the members
        intent, to the session of the guild's shard."""
        gid = self.world.guild_ref(guild).id if guild is not None else None
        member = self.world.add_member(username, roles=tuple(roles), accepts_dms=accepts_dms, nick=nick, guild_id=gid)
        data = member.to_dict()
        data["guild_id"] = str(member.guild_id)
        self.gateway.dispatch("GUILD_MEMBER_ADD", data)
        self.notifier.notify()
        return member

    def remove_member(self, user: UserRef, *, guild: GuildRef | None = None) -> None:
        """A member leaves the guild (the default one unless ``guild``): GUILD_MEMBER_REMOVE."""
        gid = self.world.guild_ref(guild).id if guild is not None else None
        member = self.world.member(user, guild_id=gid)
        del self.world.guilds[member.guild_id].members[member.id]
        self.gateway.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(member.guild_id), "user": member.user.to_dict()})
        self.notifier.notify()

    def set_member_roles(self, user: UserRef, roles: Iterable[RoleRef], *, guild: GuildRef | None = None) -> Member:
        """Replace a member's roles (GUILD_MEMBER_UPDATE; for the bot itself whatever its intents)."""
        member = self.world.member(user, guild_id=self.world.guild_ref(guild).id if guild is not None else None)
        with self._access_watch(member.guild_id):
            member.roles = [self.world.role(r, guild_id=member.guild_id).id for r in roles]
            self.core.member_update(member)
        return member

    def set_role_permissions(self, role: RoleRef, permissions: int) -> Role:
        """Change a role's guild-level permissions (GUILD_ROLE_UPDATE)."""
        target = self.world.role(role)
        guild_id = next(g.id for g in self.world.guilds.values() if target.id in g.roles)
        with self._access_watch(guild_id):
            target.permissions = permissions
            self.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": target.to_dict()})
        self.notifier.notify()
        return target

    def set_overwrite(
        self, channel: ChannelRef, target: RoleRef | UserRef, *, allow: int = 0, deny: int = 0
    ) -> Channel:
        """Set a channel's permission overwrite for a role or member (names try roles first; the
        @everyone overwrite is ``"@everyone"``). The bot gets CHANNEL_UPDATE with the new
        ``permission_overwrites`` (resources/channel.mdx, Edit Channel Permissions) and, when it gains
        sight of the channel, THREAD_LIST_SYNC (events/gateway-events.mdx, Thread List Sync)."""
        ch = self.world.channel(channel)
        if ch.is_thread or ch.is_dm:
            raise AssertionError(f"{ch}: overwrites belong to guild channels (threads take their parent's)")
        with self._access_watch(ch.guild_id):
            self.world.set_overwrite(ch, target, allow=allow, deny=deny)
            self.gateway.dispatch("CHANNEL_UPDATE", ch.to_dict(self.world))
        self.notifier.notify()
        return ch

    def remove_overwrite(self, channel: ChannelRef, target: RoleRef | UserRef) -> Channel:
        """Delete a channel's overwrite for a role or member (CHANNEL_UPDATE)."""
        ch = self.world.channel(channel)
        with self._access_watch(ch.guild_id):
            self.world.remove_overwrite(ch, target)
            self.gateway.dispatch("CHANNEL_UPDATE", ch.to_dict(self.world))
        self.notifier.notify()
        return ch

    @contextlib.contextmanager
    def _access_watch(self, guild_id: int | None) -> Iterator[None]:
        """Send THREAD_LIST_SYNC for the channels the bot can see after the change but not before
        (events/gateway-events.mdx, Thread List Sync: "Sent when the current user gains access to a
        channel"; topics/threads.mdx, "Gaining Access to Channels")."""
        guild = self.world.guilds.get(guild_id or GUILD_ID)
        if guild is None:
            yield
            return
        channels = [self.world.channels[c] for c in guild.channel_ids if c in self.world.channels]
        before = {c.id for c in channels if self.core.bot_can_view(c)}
        yield
        gained = [c for c in channels if c.id not in before and self.core.bot_can_view(c)]
        if not gained:
            return
        gained_ids = {c.id for c in gained}
        threads = [
            t
            for t in self.world.channels.values()
            if t.is_thread and t.parent_id in gained_ids and not t.archived and self.core.bot_can_view(t)
        ]
        bot_id = self.world.bot_user.id
        self.gateway.dispatch(
            "THREAD_LIST_SYNC",
            {
                "guild_id": str(guild.id),
                "channel_ids": [str(c.id) for c in gained],
                "threads": [t.to_dict(self.world) for t in threads],
                "members": [
                    {"id": str(t.id), "user_id": str(bot_id), "join_timestamp": iso(t.member_ids[bot_id]), "flags": 0}
                    for t in threads
                    if bot_id in t.member_ids
                ],
            },
        )

    def add_role(self, name: str, *, permissions: int = 0, color: int = 0, guild: GuildRef | None = None) -> Role:
        """Create a role in the guild (the default one unless ``guild``): GUILD_ROLE_CREATE."""
        gid = self.world.guild_ref(guild).id if guild is not None else GUILD_ID
        role = self.world.add_role(name, permissions=permissions, color=color, guild_id=gid)
        self.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(gid), "role": role.to_dict()})
        self.notifier.notify()
        return role

    def add_channel(
        self, name: str, type: int = ChannelType.GUILD_TEXT, *, topic: str | None = None, guild: GuildRef | None = None
    ) -> Channel:
        """Create a channel in the guild (the default one unless ``guild``): CHANNEL_CREATE."""
        gid = self.world.guild_ref(guild).id if guild is not None else None
        channel = self.world.add_channel(name, type, topic=topic, guild_id=gid)
        self.gateway.dispatch("CHANNEL_CREATE", channel.to_dict(self.world))
        self.notifier.notify()
        return channel

    def add_forum_tag(self, forum: ChannelRef, name: str, *, moderated: bool = False) -> JSON:
        """Add a tag to a forum (CHANNEL_UPDATE); returns the tag object (``int(tag["id"])``)."""
        tag = self.world.add_forum_tag(forum, name, moderated=moderated)
        self.gateway.dispatch("CHANNEL_UPDATE", self.world.channel(forum).to_dict(self.world))
        self.notifier.notify()
        return tag
