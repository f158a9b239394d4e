"""The small Discord "world" the fake serves: one guild, its roles, channels, members and messages.

Everything here is plain, synchronous data. Mutating a :class:`World` directly changes what the fake
answers over REST and what the next ``GUILD_CREATE`` contains, but it does **not** tell a connected
bot anything. To change the world *and* send the gateway events real Discord would send, use the
methods of :class:`tests.fakediscord.FakeDiscord` (``add_member``, ``add_channel``, ``post_message``,
``archive_thread`` ...).

References to objects are accepted in several shapes (see :data:`UserRef`, :data:`ChannelRef`,
:data:`RoleRef`): the object itself, its snowflake id, or its name (``"alice"``, ``"general"``,
``"Facilitator"``).
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

JSON = dict[str, Any]

#: Discord's epoch (2015-01-01T00:00:00Z) in milliseconds.
DISCORD_EPOCH_MS = 1420070400000

#: Fixed ids of the default world, so bot configuration can be written before the fake starts.
GUILD_ID = 100000000000000001
BOT_USER_ID = 200000000000000001
APPLICATION_ID = BOT_USER_ID

#: Default attachment size limit sent in interactions (10 MiB, an unboosted guild).
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class ChannelType(IntEnum):
    """Discord channel types used by the fake."""

    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15


THREAD_TYPES = frozenset({ChannelType.ANNOUNCEMENT_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD})


class Perm:
    """Permission bits (https://discord.com/developers/docs/topics/permissions)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    CREATE_EVENTS = 1 << 44
    #: Every permission bit Discord currently defines (what an owner or administrator gets).
    ALL = (1 << 53) - 1

    #: Denied implicitly with Send Messages (developers/topics/permissions.mdx, "Implicit Permissions").
    IMPLIED_BY_SENDING = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS

    #: What @everyone gets in a freshly created guild (roughly).
    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | MENTION_EVERYONE
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
        | CREATE_EVENTS
    )
    #: The bot's managed role: enough to run a community bot, but not administrator.
    #: Without MANAGE_THREADS: posting in locked threads and archiving other members' threads fail.
    BOT_DEFAULT = EVERYONE_DEFAULT | MANAGE_MESSAGES | MANAGE_EVENTS


def now_utc() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    """Format like Discord does (``2024-01-02T03:04:05.678000+00:00``)."""
    return None if dt is None else dt.astimezone(UTC).isoformat(timespec="microseconds")


class SnowflakeGenerator:
    """Monotonic, realistic snowflakes: ``discord.utils.snowflake_time(id)`` gives their creation time."""

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._prefix = ((worker_id & 0x1F) << 17) | ((process_id & 0x1F) << 12)
        self._last = 0
        self._increment = 0
        self._lock = threading.Lock()

    def next(self, at: float | None = None) -> int:
        """A new snowflake, strictly greater than every one handed out before."""
        ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
        with self._lock:
            self._increment = (self._increment + 1) & 0xFFF
            candidate = (ms << 22) | self._prefix | self._increment
            if candidate <= self._last:
                candidate = self._last + 1
            self._last = candidate
            return candidate


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


@dataclass(eq=False)
class User:
    """A Discord user account."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def display_name(self) -> str:
        return self.global_name or self.username

    def to_dict(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "collectibles": None,
            "display_name_styles": None,
        }
        if self.bot:
            data["bot"] = True
        return data

    def __repr__(self) -> str:
        return f"<User {self.username} id={self.id}>"


@dataclass(eq=False)
class Role:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_dict(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data

    def __repr__(self) -> str:
        return f"<Role {self.name} id={self.id}>"


@dataclass(eq=False)
class Member:
    """A user's membership of a guild.

    ``accepts_dms=False`` makes the fake answer the bot's DMs to this member with 403 code 50007.
    ``permissions_override`` replaces the computed ``member.permissions`` sent in interactions (to
    simulate Discord letting a command through, e.g. after a server admin changed command permissions).
    """

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=now_utc)
    accepts_dms: bool = True
    permissions_override: int | None = None
    locale: str = "en-GB"

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"

    def to_dict(self, *, include_user: bool = True) -> JSON:
        data: JSON = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if include_user:
            data["user"] = self.user.to_dict()
        return data

    def __repr__(self) -> str:
        return f"<Member {self.user.username} id={self.id} roles={self.roles}>"


@dataclass(eq=False)
class Channel:
    """A guild channel, a thread (``parent_id`` set) or a DM channel (``recipient_id`` set)."""

    id: int
    type: int
    name: str | None
    guild_id: int | None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    flags: int = 0
    permission_overwrites: list[JSON] = field(default_factory=list)
    # forum channels
    available_tags: list[JSON] = field(default_factory=list)
    default_auto_archive_duration: int | None = None
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: datetime | None = None
    archiver_id: int | None = None
    create_timestamp: datetime | None = None
    applied_tags: list[int] = field(default_factory=list)
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: dict[int, datetime] = field(default_factory=dict)
    # DMs
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    @property
    def is_forum(self) -> bool:
        return self.type == ChannelType.GUILD_FORUM

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def tag_named(self, name: str) -> JSON:
        """A forum tag of this channel by name (AssertionError if there is none)."""
        for tag in self.available_tags:
            if tag["name"] == name:
                return tag
        raise AssertionError(
            f"forum #{self.name} has no tag {name!r}; tags: {[t['name'] for t in self.available_tags]}"
        )

    def thread_metadata(self) -> JSON:
        return {
            "archived": self.archived,
            "archiver_id": None if self.archiver_id is None else str(self.archiver_id),
            "auto_archive_duration": self.auto_archive_duration,
            "archive_timestamp": iso(self.archive_timestamp or self.create_timestamp or now_utc()),
            "locked": self.locked,
            "invitable": self.invitable,
            "create_timestamp": iso(self.create_timestamp),
        }

    def to_dict(self, world: World | None = None) -> JSON:
        """The channel object as REST and the gateway return it."""
        last = None if self.last_message_id is None else str(self.last_message_id)
        if self.is_dm:
            recipients = []
            if world is not None and self.recipient_id is not None:
                recipients = [world.users[self.recipient_id].to_dict()]
            return {
                "id": str(self.id),
                "type": self.type,
                "last_message_id": last,
                "flags": 0,
                "recipients": recipients,
            }
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": None if self.guild_id is None else str(self.guild_id),
            "name": self.name,
            "parent_id": None if self.parent_id is None else str(self.parent_id),
            "flags": self.flags,
            "last_message_id": last,
            "rate_limit_per_user": self.rate_limit_per_user,
        }
        if self.is_thread:
            data.update(
                {
                    "owner_id": None if self.owner_id is None else str(self.owner_id),
                    "thread_metadata": self.thread_metadata(),
                    "message_count": self.message_count,
                    "member_count": len(self.member_ids),
                    "total_message_sent": self.total_message_sent,
                    "applied_tags": [str(t) for t in self.applied_tags],
                }
            )
            if world is not None and world.bot_user.id in self.member_ids:
                data["member"] = {
                    "id": str(self.id),
                    "user_id": str(world.bot_user.id),
                    "join_timestamp": iso(self.member_ids[world.bot_user.id]),
                    "flags": 0,
                }
            return data
        data.update(
            {
                "position": self.position,
                "permission_overwrites": list(self.permission_overwrites),
                "nsfw": self.nsfw,
                "topic": self.topic,
            }
        )
        if self.type == ChannelType.GUILD_FORUM:
            data.update(
                {
                    "available_tags": list(self.available_tags),
                    "default_reaction_emoji": None,
                    "default_thread_rate_limit_per_user": 0,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                    "default_auto_archive_duration": self.default_auto_archive_duration or 4320,
                }
            )
        elif self.default_auto_archive_duration is not None:
            data["default_auto_archive_duration"] = self.default_auto_archive_duration
        return data

    def __repr__(self) -> str:
        return f"<Channel #{self.name} id={self.id} type={self.type}>"


@dataclass(eq=False)
class Attachment:
    """A file attached to a message (uploaded by the bot or by a member)."""

    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        """The content decoded as UTF-8 (for .ics/.csv/.json uploads)."""
        return self.data.decode("utf-8")

    def to_dict(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type is not None:
            data["content_type"] = self.content_type
        if self.description is not None:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data

    def __repr__(self) -> str:
        return f"<Attachment {self.filename} {self.size} bytes>"


MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7


@dataclass(eq=False)
class Message:
    """A message in the world. Objects are live: edits through the API mutate them in place."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    timestamp: datetime = field(default_factory=now_utc)
    edited_timestamp: datetime | None = None
    type: int = 0
    flags: int = 0
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    nonce: str | int | None = None
    tts: bool = False
    pinned: bool = False
    mention_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    message_reference: JSON | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: JSON | None = None
    interaction: JSON | None = None
    thread_id: int | None = None
    poll: JSON | None = None
    deleted: bool = False
    #: The ``allowed_mentions`` it was sent with (an edit without them keeps them), and whether it came through an
    #: interaction or a webhook (whose default allowed mentions are users only).
    allowed_mentions: JSON | None = None
    sent_by_webhook: bool = False
    #: For messages created by an interaction response/follow-up: the interaction id.
    interaction_id: int | None = None
    #: How many times the message was edited.
    edits: int = 0
    #: Position in its thread (threads only).
    position: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MESSAGE_FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred "Bot is thinking..." message."""
        return bool(self.flags & MESSAGE_FLAG_LOADING)

    @property
    def files(self) -> list[tuple[str, bytes]]:
        """``(filename, bytes)`` of every attachment."""
        return [(a.filename, a.data) for a in self.attachments]

    def file(self, filename: str | None = None) -> Attachment:
        """The attachment called ``filename`` (or the only one). AssertionError if missing."""
        if filename is None:
            assert len(self.attachments) == 1, f"expected exactly one attachment, got {self.attachments}"
            return self.attachments[0]
        for att in self.attachments:
            if att.filename == filename:
                return att
        raise AssertionError(f"no attachment {filename!r} in message {self.id}: {self.attachments}")

    def walk_components(self) -> Iterator[JSON]:
        """Every component, depth first (action rows, containers, sections and their children)."""
        yield from walk_components(self.components)

    def find_component(self, custom_id: str) -> JSON | None:
        """The component with this custom_id, if any."""
        for comp in self.walk_components():
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    @property
    def buttons(self) -> list[JSON]:
        """Every button (type 2) component."""
        return [c for c in self.walk_components() if c.get("type") == 2]

    @property
    def custom_ids(self) -> list[str]:
        """custom_ids of every interactive component."""
        return [c["custom_id"] for c in self.walk_components() if "custom_id" in c]

    @property
    def embed_text(self) -> str:
        """All visible text of the embeds joined (title, description, fields, footer), for assertions."""
        parts: list[str] = []
        for e in self.embeds:
            for key in ("title", "description"):
                if e.get(key):
                    parts.append(str(e[key]))
            for f in e.get("fields") or []:
                parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
            if (e.get("footer") or {}).get("text"):
                parts.append(e["footer"]["text"])
            if (e.get("author") or {}).get("name"):
                parts.append(e["author"]["name"])
        return "\n".join(parts)

    @property
    def text(self) -> str:
        """Content, embed text and text-display components joined: everything a reader sees."""
        parts = [self.content] if self.content else []
        if self.embeds:
            parts.append(self.embed_text)
        parts.extend(str(c.get("content", "")) for c in self.walk_components() if c.get("type") == 10)
        return "\n".join(parts)

    def to_dict(self, world: World, *, include_content: bool = True, include_nonce: bool = False) -> JSON:
        """The message object as REST returns it (gateway events add ``guild_id``/``member``).

        ``nonce`` only where the docs put it (``include_nonce``): in the Create Message answer and the MESSAGE_CREATE
        event (resources/message.mdx, Create Message: "Value will appear in the Message Create event"), never
        on a message fetched later."""
        mentions = []
        for uid in self.mention_ids:
            user = world.users.get(uid)
            if user is not None:
                mentions.append(user.to_dict())
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": self.content if include_content else "",
            "author": self.author.to_dict(),
            "timestamp": iso(self.timestamp),
            "edited_timestamp": iso(self.edited_timestamp),
            "tts": self.tts,
            "mention_everyone": self.mention_everyone,
            "mentions": mentions,
            "mention_roles": [str(r) for r in self.mention_role_ids],
            "attachments": [a.to_dict() for a in self.attachments] if include_content else [],
            "embeds": list(self.embeds) if include_content else [],
            "components": list(self.components) if include_content else [],
            "pinned": self.pinned,
            "flags": self.flags,
        }
        if self.nonce is not None and include_nonce:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.interaction is not None:
            data["interaction"] = self.interaction
        if self.poll is not None and include_content:
            data["poll"] = self.poll
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
            ref_id = self.message_reference.get("message_id")
            ref = world.messages.get(int(ref_id)) if ref_id is not None else None
            if ref is not None and self.type in (19, 21):
                data["referenced_message"] = None if ref.deleted else ref.to_dict(world)
        if self.thread_id is not None and self.thread_id in world.channels:
            data["thread"] = world.channels[self.thread_id].to_dict(world)
        if self.position is not None:
            data["position"] = self.position
        return data

    def __repr__(self) -> str:
        return f"<Message id={self.id} channel={self.channel_id} author={self.author.username} {self.content[:40]!r}>"


def walk_components(components: list[JSON]) -> Iterator[JSON]:
    """Depth-first walk over a component tree (rows, containers, sections, labels, accessories)."""
    for comp in components:
        yield comp
        children = comp.get("components")
        if isinstance(children, list):
            yield from walk_components(children)
        inner = comp.get("component")
        if isinstance(inner, dict):
            yield from walk_components([inner])
        accessory = comp.get("accessory")
        if isinstance(accessory, dict):
            yield from walk_components([accessory])


def with_component_ids(components: list[JSON]) -> list[JSON]:
    """A copy of a message's components with every ``id`` set, as Discord stores them
    (components/reference.mdx: "The id must be unique within the message and is generated sequentially if
    left empty. Generation of ids won't use another id that exists in the message ... an id of 0 ... will be
    treated as empty and replaced")."""
    copied: list[JSON] = copy.deepcopy(components)
    for comp in walk_components(copied):
        emoji = comp.get("emoji")
        if isinstance(emoji, dict):
            # A unicode emoji comes back as {"name": ...}: the null id and default flags are not echoed.
            comp["emoji"] = {k: v for k, v in emoji.items() if v is not None and not (k == "animated" and not v)}
    used = {c["id"] for c in walk_components(copied) if isinstance(c.get("id"), int) and c["id"] > 0}
    next_id = 1
    for comp in walk_components(copied):
        if isinstance(comp.get("id"), int) and comp["id"] > 0:
            continue
        while next_id in used:
            next_id += 1
        comp["id"] = next_id
        used.add(next_id)
    return copied


@dataclass(eq=False)
class Guild:
    """A guild with its roles, members and channel ids."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    preferred_locale: str = "en-GB"
    description: str | None = None
    #: False once the bot was removed from the guild (``fake.remove_bot_from_guild``): the gateway tells it
    #: nothing more about the guild and its REST routes answer 403 code 50001 Missing Access.
    bot_present: bool = True

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def shard_id(self, num_shards: int) -> int:
        """The shard that receives this guild's events (events/gateway.mdx, "Sharding Formula")."""
        return (self.id >> 22) % num_shards

    def to_dict(self, *, with_counts: bool = False) -> JSON:
        """The guild object as ``GET /guilds/{id}`` returns it."""
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "description": self.description,
            "home_header": None,
            "splash": None,
            "discovery_splash": None,
            "features": [],
            "banner": None,
            "owner_id": str(self.owner_id),
            "application_id": None,
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 1,
            "roles": [r.to_dict() for r in self.roles.values()],
            "default_message_notifications": 1,
            "mfa_level": 0,
            "explicit_content_filter": 2,
            "max_presences": None,
            "max_members": 25000000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "rules_channel_id": None,
            "safety_alerts_channel_id": None,
            "public_updates_channel_id": None,
            "premium_progress_bar_enabled": False,
            "nsfw": False,
            "nsfw_level": 0,
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
            "inventory_settings": None,
            "embed_enabled": False,
            "embed_channel_id": None,
        }
        if with_counts:
            data["approximate_member_count"] = len(self.members)
            data["approximate_presence_count"] = 0
        return data


#: A user given as the object, its id, or its username.
UserRef = User | Member | int | str
#: A channel given as the object, its id, or its name.
ChannelRef = Channel | int | str
#: A role given as the object, its id, or its name.
RoleRef = Role | int | str
#: A guild given as the object, its id, or its name.
GuildRef = Guild | int | str

_MENTION_USER = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE = re.compile(r"<@&(\d+)>")


def apply_overwrites(base: int, member: Member, overwrites: list[JSON]) -> int:
    """``compute_overwrites`` of developers/topics/permissions.mdx ("Permission Overwrites"), in its order:
    @everyone deny then allow, the member's roles (denies and allows combined), then the member."""
    by_id = {int(o["id"]): o for o in overwrites}
    perms = base
    everyone = by_id.get(member.guild_id)
    if everyone is not None:
        perms &= ~int(everyone["deny"])
        perms |= int(everyone["allow"])
    allow = deny = 0
    for role_id in member.roles:
        role_overwrite = by_id.get(role_id)
        if role_overwrite is not None and role_overwrite.get("type", 0) == 0:
            allow |= int(role_overwrite["allow"])
            deny |= int(role_overwrite["deny"])
    perms &= ~deny
    perms |= allow
    own = by_id.get(member.id)
    if own is not None and own.get("type") == 1:
        perms &= ~int(own["deny"])
        perms |= int(own["allow"])
    return perms


class World:
    """The state of the fake Discord: users, one default guild, channels, threads, DMs and messages.

    The default world (``World()``) has guild :data:`GUILD_ID` ("Workshop") with roles @everyone,
    "Facilitator", "Organiser" (MANAGE_GUILD) and the bot's managed role; text channels "general"
    and "reminders", forum "discussion"; members alice, bob, carol, fay (Facilitator),
    olga (Organiser), owner (the guild owner, no roles) and the bot.
    """

    def __init__(self, *, bot_name: str = "WorkshopBot", populate: bool = True) -> None:
        self.snowflakes = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self._channel_messages: dict[int, list[Message]] = {}
        self._dm_by_user: dict[int, int] = {}
        #: Thread ids by guild, so a GUILD_CREATE does not scan every channel of every guild.
        self._threads_by_guild: dict[int, list[int]] = {}
        #: How many guilds ``add_guild`` has made (their ids follow :data:`GUILD_ID`'s, see ``next_guild_id``).
        self._guilds_made = 0
        self.application_id = APPLICATION_ID
        self.bot_user = User(id=BOT_USER_ID, username=bot_name, bot=True)
        self.users[self.bot_user.id] = self.bot_user
        self.cdn_base = "http://127.0.0.1:0/attachments"
        if populate:
            self._populate()

    # ----------------------------------------------------------------------------------- setup
    def _populate(self) -> None:
        owner = self.add_user("owner", global_name="Guild Owner")
        guild = Guild(id=GUILD_ID, name="Workshop", owner_id=owner.id)
        guild.roles[guild.id] = Role(id=guild.id, name="@everyone", permissions=Perm.EVERYONE_DEFAULT, position=0)
        self.guilds[guild.id] = guild
        self.add_role("Facilitator", permissions=Perm.EVERYONE_DEFAULT, color=0x2ECC71, hoist=True)
        self.add_role(
            "Organiser", permissions=Perm.EVERYONE_DEFAULT | Perm.MANAGE_GUILD | Perm.MANAGE_EVENTS, color=0xE67E22
        )
        bot_role = self.add_role(f"{self.bot_user.username}", permissions=Perm.BOT_DEFAULT)
        bot_role.managed = True
        bot_role.bot_id = self.bot_user.id
        self.add_member(owner)
        self.add_member(self.bot_user, roles=[bot_role])
        for name in ("alice", "bob", "carol"):
            self.add_member(name)
        self.add_member("fay", roles=["Facilitator"])
        self.add_member("olga", roles=["Organiser"])
        self.add_channel("general", topic="General chat")
        self.add_channel("reminders", topic="Session reminders")
        self.add_channel("discussion", ChannelType.GUILD_FORUM, topic="One post per prompt")

    @property
    def guild(self) -> Guild:
        """The default guild."""
        return self.guilds[GUILD_ID]

    def new_id(self) -> int:
        """A fresh snowflake."""
        return self.snowflakes.next()

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        """Create a user account (not a guild member)."""
        user = User(id=self.new_id(), username=username, global_name=global_name or username.title(), bot=bot)
        self.users[user.id] = user
        return user

    def add_role(
        self,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        guild_id: int | None = None,
    ) -> Role:
        """Create a role in the guild (positioned above the existing ones)."""
        guild = self.guilds[guild_id or GUILD_ID]
        role = Role(
            id=self.new_id(),
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        return role

    def add_member(
        self,
        user: User | str,
        *,
        roles: list[RoleRef] | tuple[RoleRef, ...] = (),
        nick: str | None = None,
        accepts_dms: bool = True,
        guild_id: int | None = None,
    ) -> Member:
        """Add a member (creating the user when given a username)."""
        guild = self.guilds[guild_id or GUILD_ID]
        if isinstance(user, str):
            user = self.add_user(user)
        role_ids = [self.role(r, guild_id=guild.id).id for r in roles]
        member = Member(user=user, guild_id=guild.id, roles=role_ids, nick=nick, accepts_dms=accepts_dms)
        guild.members[user.id] = member
        return member

    def add_channel(
        self,
        name: str,
        type: int = ChannelType.GUILD_TEXT,
        *,
        topic: str | None = None,
        parent_id: int | None = None,
        guild_id: int | None = None,
    ) -> Channel:
        """Add a guild channel (text by default; ``ChannelType.GUILD_FORUM`` for a forum)."""
        guild = self.guilds[guild_id or GUILD_ID]
        channel = Channel(
            id=self.new_id(),
            type=int(type),
            name=name,
            guild_id=guild.id,
            parent_id=parent_id,
            position=len(guild.channel_ids),
            topic=topic,
        )
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        self._channel_messages[channel.id] = []
        return channel

    def add_forum_tag(self, forum: ChannelRef, name: str, *, moderated: bool = False, emoji: str | None = None) -> JSON:
        """Add an available tag to a forum channel; returns the tag object."""
        channel = self.channel(forum)
        assert channel.is_forum, f"{channel} is not a forum"
        tag = {
            "id": str(self.new_id()),
            "name": name,
            "moderated": moderated,
            "emoji_id": None,
            "emoji_name": emoji,
        }
        channel.available_tags.append(tag)
        return tag

    def new_thread(
        self,
        parent: ChannelRef,
        name: str,
        *,
        owner: UserRef | None = None,
        type: int = ChannelType.PUBLIC_THREAD,
        thread_id: int | None = None,
        auto_archive_duration: int = 1440,
        applied_tags: list[int] | None = None,
        invitable: bool = True,
    ) -> Channel:
        """Create a thread under ``parent`` (silently). Its owner becomes its first member."""
        parent_channel = self.channel(parent)
        owner_user = self.user(owner) if owner is not None else self.bot_user
        created = now_utc()
        thread = Channel(
            id=thread_id if thread_id is not None else self.new_id(),
            type=int(type),
            name=name,
            guild_id=parent_channel.guild_id,
            parent_id=parent_channel.id,
            owner_id=owner_user.id,
            auto_archive_duration=auto_archive_duration,
            archive_timestamp=created,
            create_timestamp=created,
            applied_tags=list(applied_tags or []),
            invitable=invitable,
            rate_limit_per_user=0,
        )
        thread.member_ids[owner_user.id] = created
        self.channels[thread.id] = thread
        if thread.guild_id is not None:
            self._threads_by_guild.setdefault(thread.guild_id, []).append(thread.id)
        self._channel_messages[thread.id] = []
        return thread

    def next_guild_id(self) -> int:
        """A fresh guild id whose timestamp part is one millisecond after the previous guild's, so that
        ``(guild_id >> 22) % num_shards`` (events/gateway.mdx, "Sharding Formula") spreads consecutive
        guilds evenly over the shards, as guilds created at different times are on Discord. Ids are
        deterministic: the n-th guild made gets the same id (and shard) in every run."""
        while True:
            self._guilds_made += 1
            guild_id = ((GUILD_ID >> 22) + self._guilds_made) << 22 | 1
            if guild_id not in self.guilds:
                return guild_id

    def add_guild(
        self,
        name: str,
        *,
        guild_id: int | None = None,
        owner: UserRef | None = None,
        channels: Iterable[str] = ("general",),
        members: Iterable[UserRef] = (),
        bot_permissions: int = Perm.BOT_DEFAULT,
    ) -> Guild:
        """Create a guild the bot is in (silently: ``fake.add_guild`` also sends GUILD_CREATE to a running bot).

        It gets an @everyone role, the bot's managed role (``bot_permissions``), the bot and an owner as
        members (a new user ``owner-<id>`` unless ``owner`` is given), one text channel per name in
        ``channels`` and the ``members``: a name that is an existing username is that user (so "alice" can be
        in several guilds), any other name a new user. Cheap enough for a thousand guilds."""
        gid = guild_id if guild_id is not None else self.next_guild_id()
        if gid in self.guilds:
            raise AssertionError(f"guild {gid} exists already")
        owner_user = self.user(owner) if owner is not None else self.add_user(f"owner-{gid}", global_name="Owner")
        guild = Guild(id=gid, name=name, owner_id=owner_user.id)
        guild.roles[gid] = Role(id=gid, name="@everyone", permissions=Perm.EVERYONE_DEFAULT, position=0)
        self.guilds[gid] = guild
        bot_role = self.add_role(self.bot_user.username, permissions=bot_permissions, guild_id=gid)
        bot_role.managed = True
        bot_role.bot_id = self.bot_user.id
        self.add_member(owner_user, guild_id=gid)
        self.add_member(self.bot_user, roles=[bot_role], guild_id=gid)
        for ref in members:
            self.add_member(self._existing_or_new_user(ref), guild_id=gid)
        for channel_name in channels:
            self.add_channel(channel_name, guild_id=gid)
        return guild

    def add_guilds(self, count: int, *, name: str = "Group {n}", **kwargs: Any) -> list[Guild]:
        """``count`` guilds made by :meth:`add_guild` (``name`` formatted with ``n`` = 1, 2, ...)."""
        return [self.add_guild(name.format(n=n), **kwargs) for n in range(1, count + 1)]

    def _existing_or_new_user(self, ref: UserRef) -> User:
        if isinstance(ref, str):
            found = next((u for u in self.users.values() if u.username == ref), None)
            return found if found is not None else self.add_user(ref)
        return self.user(ref)

    def guild_ref(self, ref: GuildRef) -> Guild:
        """Resolve a guild by object, id or name."""
        if isinstance(ref, Guild):
            return ref
        if isinstance(ref, int):
            try:
                return self.guilds[ref]
            except KeyError:
                raise AssertionError(f"no guild with id {ref}") from None
        for guild in self.guilds.values():
            if guild.name == ref:
                return guild
        raise AssertionError(f"no guild named {ref!r}")

    def channel_in(self, guild: GuildRef, name: str) -> Channel:
        """A guild's channel by name (``channel("general")`` finds the default guild's)."""
        found = self.guild_ref(guild)
        for channel_id in found.channel_ids:
            channel = self.channels.get(channel_id)
            if channel is not None and channel.name == name:
                return channel
        raise AssertionError(f"guild {found.name} has no channel named {name!r}")

    def bot_in(self, guild_id: int | None) -> bool:
        """Whether the bot is a member of the guild (False for unknown guilds)."""
        guild = self.guilds.get(guild_id or 0)
        return guild is not None and guild.bot_present

    def bot_guilds(self) -> list[Guild]:
        """The guilds the bot is in, in creation order."""
        return [g for g in self.guilds.values() if g.bot_present]

    def threads_of(self, guild_id: int) -> list[Channel]:
        """Every thread of a guild (not deleted), oldest first."""
        ids = self._threads_by_guild.get(guild_id, [])
        return sorted((self.channels[t] for t in ids if t in self.channels), key=lambda c: c.id)

    def dm_channel(self, user: UserRef) -> Channel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        target = self.user(user)
        existing = self._dm_by_user.get(target.id)
        if existing is not None:
            return self.channels[existing]
        channel = Channel(id=self.new_id(), type=ChannelType.DM, name=None, guild_id=None, recipient_id=target.id)
        self.channels[channel.id] = channel
        self._channel_messages[channel.id] = []
        self._dm_by_user[target.id] = channel.id
        return channel

    # ----------------------------------------------------------------------------------- lookups
    def user(self, ref: UserRef) -> User:
        """Resolve a user reference (User, Member, id or username)."""
        if isinstance(ref, User):
            return ref
        if isinstance(ref, Member):
            return ref.user
        if isinstance(ref, int):
            try:
                return self.users[ref]
            except KeyError:
                raise AssertionError(f"no user with id {ref}") from None
        for user in self.users.values():
            if user.username == ref:
                return user
        raise AssertionError(f"no user named {ref!r}; users: {sorted(u.username for u in self.users.values())}")

    def member(self, ref: UserRef, *, guild_id: int | None = None) -> Member:
        """Resolve a member of the guild."""
        if isinstance(ref, Member):
            return ref
        user = self.user(ref)
        guild = self.guilds[guild_id or GUILD_ID]
        try:
            return guild.members[user.id]
        except KeyError:
            raise AssertionError(f"{user} is not a member of guild {guild.name}") from None

    def maybe_member(self, user_id: int, guild_id: int | None = None) -> Member | None:
        guild = self.guilds.get(guild_id or GUILD_ID)
        return None if guild is None else guild.members.get(user_id)

    def channel(self, ref: ChannelRef) -> Channel:
        """Resolve a channel, thread or DM channel (by object, id or name)."""
        if isinstance(ref, Channel):
            return ref
        if isinstance(ref, int):
            try:
                return self.channels[ref]
            except KeyError:
                raise AssertionError(f"no channel with id {ref}") from None
        matches = [c for c in self.channels.values() if c.name == ref]
        if not matches:
            names = sorted(str(c.name) for c in self.channels.values() if c.name)
            raise AssertionError(f"no channel named {ref!r}; channels: {names}")
        # prefer guild channels over threads of the same name
        matches.sort(key=lambda c: (c.is_thread, c.id))
        return matches[0]

    def role(self, ref: RoleRef, *, guild_id: int | None = None) -> Role:
        """Resolve a role by object, id or name."""
        if isinstance(ref, Role):
            return ref
        guild = self.guilds[guild_id or GUILD_ID]
        if isinstance(ref, int):
            try:
                return guild.roles[ref]
            except KeyError:
                raise AssertionError(f"no role with id {ref}") from None
        for role in guild.roles.values():
            if role.name == ref:
                return role
        raise AssertionError(f"no role named {ref!r}; roles: {[r.name for r in guild.roles.values()]}")

    def guild_of(self, channel: Channel) -> Guild | None:
        return None if channel.guild_id is None else self.guilds.get(channel.guild_id)

    # ----------------------------------------------------------------------------------- messages
    def add_message(self, message: Message, *, in_history: bool = True) -> Message:
        """Store a message; ``in_history=False`` for ephemeral messages (not in channel history)."""
        self.messages[message.id] = message
        if in_history:
            self._channel_messages.setdefault(message.channel_id, []).append(message)
            channel = self.channels.get(message.channel_id)
            if channel is not None:
                channel.last_message_id = message.id
                if channel.is_thread:
                    message.position = channel.total_message_sent
                    # Discord's counts leave out the initial message: a forum post's starter (its id is the
                    # thread's) or a THREAD_STARTER_MESSAGE (resources/channel.mdx, message_count).
                    if message.id != channel.id and message.type != 21:
                        channel.message_count += 1
                        channel.total_message_sent += 1
        return message

    def messages_in(self, channel: ChannelRef, *, include_deleted: bool = False) -> list[Message]:
        """Messages in a channel/thread/DM, oldest first (ephemeral messages are never here)."""
        ch = self.channel(channel)
        msgs = self._channel_messages.get(ch.id, [])
        return [m for m in msgs if include_deleted or not m.deleted]

    def threads_in(self, channel: ChannelRef) -> list[Channel]:
        """Threads (and forum posts) whose parent is ``channel``, oldest first."""
        ch = self.channel(channel)
        return sorted((c for c in self.channels.values() if c.is_thread and c.parent_id == ch.id), key=lambda c: c.id)

    def parse_mentions(self, content: str) -> tuple[list[int], list[int], bool]:
        """User ids, role ids and @everyone (or @here) written in message content: what may ping, before
        ``allowed_mentions`` and permissions decide (``FakeCore.pings``)."""
        users = [int(m) for m in _MENTION_USER.findall(content) if int(m) in self.users]
        roles = [int(m) for m in _MENTION_ROLE.findall(content)]
        everyone = "@everyone" in content or "@here" in content
        return list(dict.fromkeys(users)), list(dict.fromkeys(roles)), everyone

    # ----------------------------------------------------------------------------------- permissions
    def base_permissions(self, member: Member) -> int:
        """Guild-level permissions of a member (owner and administrators get everything).

        developers/topics/permissions.mdx, "Permission Overwrites": ``compute_base_permissions``.
        """
        guild = self.guilds[member.guild_id]
        if member.id == guild.owner_id:
            return Perm.ALL
        perms = guild.everyone.permissions
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        return perms

    def permissions_in(self, member: Member, channel: Channel) -> int:
        """A member's permissions in a guild channel or thread, as Discord computes them.

        developers/topics/permissions.mdx: "Permission Overwrites" (@everyone, then the member's roles
        combined, then the member; Administrator and the owner get everything), "Implicit Permissions"
        (no View Channel: nothing; no Send Messages: no Mention Everyone, TTS, Attach Files, Embed Links),
        "Inherited Permissions (Threads)" (a thread takes its parent's; Send Messages in Threads, not Send
        Messages, is what talking there needs) and topics/threads.mdx (a private thread is visible only
        to its members and to those with Manage Threads).
        """
        base = self.base_permissions(member)
        if base & Perm.ADMINISTRATOR:
            return Perm.ALL
        parent = self.channels.get(channel.parent_id or 0) if channel.is_thread else channel
        perms = apply_overwrites(base, member, parent.permission_overwrites if parent is not None else [])
        if not perms & Perm.VIEW_CHANNEL:
            return 0
        private = channel.type == ChannelType.PRIVATE_THREAD
        if private and member.id not in channel.member_ids and not perms & Perm.MANAGE_THREADS:
            return 0
        sending = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if not perms & sending:
            perms &= ~Perm.IMPLIED_BY_SENDING
        return perms

    def overwrite_target(self, target: RoleRef | UserRef, guild_id: int | None = None) -> tuple[int, int]:
        """(id, type) of an overwrite target: a role (type 0) or a member (type 1); names try roles first."""
        if isinstance(target, Role):
            return target.id, 0
        if isinstance(target, User | Member):
            return self.user(target).id, 1
        guild = self.guilds[guild_id or GUILD_ID]
        if isinstance(target, int):
            return (target, 0) if target in guild.roles else (self.user(target).id, 1)
        if any(r.name == target for r in guild.roles.values()):
            return self.role(target, guild_id=guild.id).id, 0
        return self.user(target).id, 1

    def set_overwrite(self, channel: ChannelRef, target: RoleRef | UserRef, *, allow: int = 0, deny: int = 0) -> JSON:
        """Set (replace) the channel's overwrite for a role or member (silently); returns the overwrite."""
        ch = self.channel(channel)
        target_id, kind = self.overwrite_target(target, ch.guild_id)
        overwrite = {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
        ch.permission_overwrites = [o for o in ch.permission_overwrites if o["id"] != str(target_id)]
        ch.permission_overwrites.append(overwrite)
        return overwrite

    def remove_overwrite(self, channel: ChannelRef, target: RoleRef | UserRef) -> None:
        ch = self.channel(channel)
        target_id, _ = self.overwrite_target(target, ch.guild_id)
        ch.permission_overwrites = [o for o in ch.permission_overwrites if o["id"] != str(target_id)]

    def bot_member(self, guild_id: int | None = None) -> Member:
        return self.member(self.bot_user, guild_id=guild_id)
