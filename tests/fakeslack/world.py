"""The workspace the local Slack models: team, users, channels and DMs, user groups, messages, files, views.

Ids have Slack's shape (docs.slack.dev/reference/objects: user ``U…``, channel ``C…``, DM ``D…``, user group
``S…``, file ``F…``, view ``V…``, team ``T…``, bot ``B…``, app ``A…``; ``ts`` strings ``"1712345678.123456"``,
unique per channel, docs.slack.dev/messaging/retrieving-messages "Individual messages"). Slack documents ids as
opaque strings; the fake's are an uppercase prefix and ten base-36 digits, which fit the OpenAPI document's
patterns (``^[UW][A-Z0-9]{2,}$``, ``^[CGD][A-Z0-9]{8,}$``) and the bot's id encoding (at most 12 characters).

``World`` methods change state silently; :class:`~tests.fakeslack.server.FakeSlack` and the driver also send the
events Slack would.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from typing import Any

from .objects import (
    APP_ID,
    BOT_ID,
    JSON,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Channel,
    File,
    Message,
    User,
    UserGroup,
    View,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "JSON",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "TEAM_NAME",
    "Channel",
    "File",
    "Message",
    "User",
    "UserGroup",
    "View",
    "World",
]

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _base36(n: int, width: int = 10) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
    return out.rjust(width, "0")


class World:
    """The workspace: everything Slack stores, addressed by id or by name."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)
        self._last_ts = 0
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        #: ``channel id -> ts -> message``, in posting order (dicts keep insertion order).
        self.messages: dict[str, dict[str, Message]] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self.files: dict[str, File] = {}
        self.views: dict[str, View] = {}
        #: The modal stack per user: view ids, root first (docs.slack.dev/surfaces/modals "The view stack").
        self.modal_stacks: dict[str, list[str]] = {}
        #: The published Home tab per user.
        self.home_views: dict[str, str] = {}
        #: Where files' private URLs point (the fake sets its own address).
        self.file_host = "https://files.slack.com"
        self.bot = self.add_user("workshopbot", "Workshop Bot", is_bot=True)
        self.bot.bot_id = BOT_ID
        self.populate()

    # ---- ids ----------------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return prefix + _base36(next(self._serial))

    def new_ts(self) -> str:
        """A message ``ts``: microseconds since the epoch, strictly increasing."""
        now = int(time.time() * 1_000_000)
        self._last_ts = max(now, self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    # ---- population -----------------------------------------------------------------------------
    def populate(self) -> None:
        """The default workspace (see README): members, an admin and the owner, three channels with the bot,
        one without, and the facilitator and organiser user groups."""
        for name in ("alice", "bob"):
            self.add_user(name, name.title())
        # One member elsewhere, so that "each reader sees their own zone" can be shown.
        self.add_user("carol", "Carol", tz="America/New_York", tz_label="Eastern Standard Time", tz_offset=-18000)
        self.add_user("fay", "Fay Facilitator")
        self.add_user("olga", "Olga Organiser")
        self.add_user("adam", "Adam Admin", is_admin=True)
        self.add_user("owner", "Olive Owner", is_admin=True, is_owner=True, is_primary_owner=True)
        humans = [u.id for u in self.users.values() if not u.is_bot]
        for name in ("general", "reminders", "discussion"):
            self.add_channel(name, members=[*humans, self.bot.id])
        self.add_channel("random", members=humans)
        self.add_usergroup("facilitators", "Facilitators", ["fay"])
        self.add_usergroup("organisers", "Organisers", ["olga"])

    def add_user(self, name: str, real_name: str | None = None, **flags: Any) -> User:
        user = User(id=self.new_id("U"), name=name, real_name=real_name or name.title(), **flags)
        self.users[user.id] = user
        return user

    def add_channel(self, name: str, *, members: Iterable[str] = (), is_private: bool = False) -> Channel:
        # Private channels have C ids too nowadays (docs.slack.dev/reference/objects/conversation-object).
        channel = Channel(
            id=self.new_id("C"),
            name=name,
            is_private=is_private,
            members={self.user(m).id for m in members},
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    def add_members(self, count: int, *, prefix: str = "member", channels: Iterable[str] = ()) -> list[User]:
        """``count`` more members (``member1``…), added to ``channels`` (for fan-out tests and benchmarks)."""
        users = [self.add_user(f"{prefix}{n}", f"Member {n}") for n in range(1, count + 1)]
        for name in channels:
            self.channel(name).members.update(u.id for u in users)
        return users

    def add_usergroup(self, handle: str, name: str, members: list[str]) -> UserGroup:
        group = UserGroup(
            id=self.new_id("S"),
            handle=handle,
            name=name,
            users=[self.user(m).id for m in members],
            created_by=self.user("owner").id,
        )
        self.usergroups[group.id] = group
        return group

    def open_dm(self, user_ref: str) -> Channel:
        """The bot's DM with a user, made on first use (conversations.open)."""
        user = self.user(user_ref)
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user.id:
                return channel
        channel = Channel(
            id=self.new_id("D"), name=user.id, is_im=True, im_user=user.id, members={user.id, self.bot.id}
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    # ---- lookups ------------------------------------------------------------------------------
    def user(self, ref: str | User) -> User:
        """A user by object, id or name (``"alice"``); KeyError if none."""
        if isinstance(ref, User):
            return ref
        if ref in self.users:
            return self.users[ref]
        for user in self.users.values():
            if user.name == ref:
                return user
        raise KeyError(f"no user {ref!r}")

    def maybe_user(self, ref: str) -> User | None:
        try:
            return self.user(ref)
        except KeyError:
            return None

    def channel(self, ref: str | Channel) -> Channel:
        """A channel by object, id, name (``"general"``/``"#general"``); KeyError if none."""
        if isinstance(ref, Channel):
            return ref
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if not channel.is_im and channel.name == name:
                return channel
        raise KeyError(f"no channel {ref!r}")

    def maybe_channel(self, ref: str) -> Channel | None:
        try:
            return self.channel(ref)
        except KeyError:
            return None

    def usergroup(self, ref: str) -> UserGroup:
        if ref in self.usergroups:
            return self.usergroups[ref]
        for group in self.usergroups.values():
            if group.handle == ref:
                return group
        raise KeyError(f"no user group {ref!r}")

    def message(self, channel: str | Channel, ts: str) -> Message | None:
        return self.messages.get(self.channel(channel).id, {}).get(ts)

    def add_file(self, owner: str, filename: str, data: bytes, *, title: str = "") -> File:
        """A file a member uploaded (for instance through a modal's file input)."""
        file = File(
            id=self.new_id("F"),
            filename=filename,
            length=len(data),
            user=self.user(owner).id,
            title=title,
            data=data,
            completed=True,
        )
        self.files[file.id] = file
        return file

    # ---- messages -----------------------------------------------------------------------------
    def add_message(self, message: Message) -> Message:
        """Store a message; a reply is linked to its parent (which must exist)."""
        self.messages[message.channel][message.ts] = message
        if message.is_reply and message.ephemeral_to is None:
            assert message.thread_ts is not None
            parent = self.messages[message.channel][message.thread_ts]
            parent.replies.append(message.ts)
            if parent.thread_ts is None:
                parent.thread_ts = parent.ts
        return message

    def history(self, channel: str | Channel) -> list[Message]:
        """The channel's top-level messages (and broadcast replies), oldest first, deleted ones left out."""
        msgs = self.messages[self.channel(channel).id].values()
        return [m for m in msgs if not m.deleted and m.ephemeral_to is None and (not m.is_reply or m.reply_broadcast)]

    def thread(self, channel: str | Channel, thread_ts: str) -> list[Message]:
        """A thread's parent and its replies, oldest first (deleted ones left out)."""
        msgs = self.messages[self.channel(channel).id]
        parent = msgs.get(thread_ts)
        if parent is None:
            return []
        replies = [msgs[r] for r in parent.replies if not msgs[r].deleted]
        return ([parent] if not parent.deleted else []) + replies
