"""The driver, part 2: members write, edit and delete messages, join channels, and read conversations as
they see them."""

from __future__ import annotations

import uuid

from ..web.chat import store
from ..world import Channel, Message, User
from .interactions import Part


class MemberDriver(Part):
    def _conversation(self, channel: str | Channel, user: User) -> Channel:
        """A channel by name or id; ``"@bot"``/``"dm"``: the member's DM with the app."""
        if isinstance(channel, str) and channel in ("@bot", "dm"):
            return self.core.world.open_dm(user.id)
        return self.core.world.channel(channel)

    async def post_message(
        self,
        user: str | User,
        channel: str | Channel,
        text: str,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> Message:
        """``user`` writes ``text`` in a channel (a member of it), their DM with the app (``"dm"``), or a thread
        (``thread_ts`` of its parent). The app gets the ``message`` event when it may (events.py)."""
        world = self.core.world
        member = world.user(user)
        where = self._conversation(channel, member)
        if member.id not in where.members:
            raise AssertionError(f"{member.name} is not in #{where.name}; Slack would not let them post there")
        if thread_ts is not None and thread_ts not in world.messages[where.id]:
            raise AssertionError(f"no message {thread_ts} in {where.name} to reply to")
        message = Message(
            channel=where.id,
            ts=world.new_ts(),
            user=member.id,
            text=text,
            thread_ts=thread_ts,
            reply_broadcast=broadcast,
            via="member",
            client_msg_id=str(uuid.uuid4()),
        )
        if thread_ts is not None:
            parent = world.messages[where.id][thread_ts]
            message.thread_ts = parent.thread_ts or parent.ts
        return store(self.core, message)

    async def edit_message(self, message: Message, text: str) -> Message:
        """The author edits their message: ``message_changed`` reaches the app."""
        previous = message.to_dict(self.core.world)
        message.text = text
        message.edited = {"user": message.user, "ts": self.core.world.new_ts()}
        self.core.events.message_changed(message, previous)
        self.core.notify()
        return message

    async def delete_message(self, message: Message) -> None:
        """The author deletes their message: ``message_deleted`` reaches the app."""
        previous = message.to_dict(self.core.world)
        message.deleted = True
        self.core.events.message_deleted(message, previous)
        self.core.notify()

    async def join_channel(self, user: str | User, channel: str | Channel) -> None:
        """``member_joined_channel`` (when the app is in the channel)."""
        member = self.core.world.user(user)
        where = self.core.world.channel(channel)
        where.members.add(member.id)
        self.core.events.member_joined_channel(member.id, where)
        self.core.notify()

    # ---- reading ------------------------------------------------------------------------------
    def messages_in(self, channel: str | Channel, *, as_user: str | User | None = None) -> list[Message]:
        """A conversation's top-level messages, oldest first, as ``as_user`` sees them (with the ephemeral
        messages shown to them); without ``as_user``, the history everyone sees."""
        world = self.core.world
        viewer = world.user(as_user) if as_user is not None else None
        where = self._conversation(channel, viewer) if viewer is not None else world.channel(channel)
        out = []
        for m in world.messages[where.id].values():
            if m.deleted or (m.is_reply and not m.reply_broadcast):
                continue
            if m.ephemeral_to is not None and (viewer is None or m.ephemeral_to != viewer.id):
                continue
            out.append(m)
        return out

    def dm_with(self, user: str | User) -> list[Message]:
        """The member's DM with the app, as they see it."""
        member = self.core.world.user(user)
        return self.messages_in(self.core.world.open_dm(member.id), as_user=member)

    def thread(self, channel: str | Channel, thread_ts: str) -> list[Message]:
        return self.core.world.thread(channel, thread_ts)

    def latest(self, channel: str | Channel, *, as_user: str | User | None = None) -> Message:
        msgs = self.messages_in(channel, as_user=as_user)
        if not msgs:
            raise AssertionError(f"no messages in {channel}")
        return msgs[-1]
