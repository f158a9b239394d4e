"""The fake's shared state and the steps every part of it takes (REST routes, the driver, the gateway).

:class:`FakeCore` owns the world, the gateway, the registries (interactions, commands, attachments,
nonces) and the helpers that change the world the way Discord does and tell the bot about it
(``post``, ``updated``, ``deleted``, ``thread_update``...) or refuse with Discord's errors
(``channel_or_404``, ``require``, ``check_can_post``...). :class:`Part` is the base of every piece
that works on a core (route groups, driver).
"""

from __future__ import annotations

import asyncio
import mimetypes
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import limits, payloads
from .gateway import Gateway, GatewaySession
from .records import (
    API_PREFIX,
    JSON,
    ApiError,
    RecordedRequest,
    Stats,
    UploadedFile,
    field_error,
    invalid_form_body,
)
from .waiting import Notifier
from .world import (
    ATTACHMENT_SIZE_LIMIT,
    GUILD_ID,
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Perm,
    User,
    World,
    iso,
    now_utc,
    walk_components,
    with_component_ids,
)

if TYPE_CHECKING:
    from .interactions import Interaction
    from .scheduled_events import ScheduledEvent

#: How long a nonce is remembered for ``enforce_nonce`` de-duplication (Discord: "a few minutes").
NONCE_WINDOW_SECONDS = 300.0
INTERACTION_TOKEN_TTL = 15 * 60.0


def truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


class FakeCore:
    """Everything the fake knows, and the Discord-like steps shared by its REST routes and its driver."""

    def __init__(self, world: World | None = None, *, host: str = "127.0.0.1") -> None:
        self.world = world or World()
        self.host = host
        self.port = 0
        self.notifier = Notifier()
        self.stats = Stats()
        #: Every HTTP request the bot made, in order (the transport records them).
        self.requests: list[RecordedRequest] = []
        #: Tracebacks of exceptions inside the fake itself (a bug in the fake fails the test at teardown).
        self.server_errors: list[str] = []
        self.gateway = Gateway(self)
        #: Seconds a bot has to send the first callback (Discord: 3 s). None disables the check.
        self.interaction_ack_deadline: float | None = 3.0
        #: Bytes of files one request may upload, also sent to the bot as interactions' attachment_size_limit.
        self.attachment_size_limit = ATTACHMENT_SIZE_LIMIT
        self.interactions: list[Interaction] = []
        self.interactions_by_id: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.command_ids: dict[tuple[int | None, str, int], int] = {}
        self.commands_put_at: dict[int | None, float] = {}
        #: GET /gateway/bot's recommended ``shards`` and ``session_start_limit.max_concurrency``
        #: (events/gateway.mdx, "Get Gateway Bot", "Max Concurrency"; concurrency is reported, not enforced).
        self.recommended_shards = 1
        self.max_concurrency = 1
        #: Bulk overwrites (PUT) received per scope: None for global commands, else the guild id.
        self.command_puts: dict[int | None, int] = {}
        #: When the latest client logged in (GET /users/@me); earlier READYs and syncs do not count.
        self.login_at = float("-inf")
        self.nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self.attachments: dict[int, Attachment] = {}
        #: The only bot token accepted (REST 401, gateway close 4004 for any other); None accepts any token.
        self.valid_token: str | None = None
        #: False (Discord's documented behaviour): the bot posting in an archived, unlocked thread unarchives
        #: it. True: the post is refused with 400 code 50083 "Thread is archived", as some bots report.
        self.strict_archived_threads = False
        #: Guild scheduled events by id (scheduled_events.py).
        self.scheduled_events: dict[int, ScheduledEvent] = {}
        self._events_by_guild: dict[int, list[ScheduledEvent]] = {}
        self._events_indexed = 0
        #: The time scheduled events' status automation follows (a test's clock for a programme in the past).
        self.event_clock: Callable[[], datetime] = now_utc
        #: Creates that succeed but whose response is lost (``fake.lose_next_event_create``).
        self.lost_event_creates: list[int] = []
        #: Bot tasks started by ``run_bot``: waits fail fast when one dies.
        self.client_tasks: list[asyncio.Task[Any]] = []

    # =================================================================================== addresses
    @property
    def http_base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What to put in ``discord.http.Route.BASE``."""
        return f"{self.http_base}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """What to put in ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (as a ``yarl.URL``)."""
        return f"ws://{self.host}:{self.port}/gateway"

    def ready_payload(self, session: GatewaySession, shard: Any, guilds: list[Guild]) -> JSON:
        return payloads.ready(self, session, shard, guilds)

    def guild_create_payload(self, guild: Guild, session: GatewaySession) -> JSON:
        return payloads.guild_create(self, guild, session)

    # =================================================================================== diagnostics

    def client_checks(self) -> list[Callable[[], None]]:
        """Checks run by every wait: fail fast if a bot started by :meth:`run_bot` has died."""

        def check() -> None:
            for task in self.client_tasks:
                if task.done():
                    exc = None if task.cancelled() else task.exception()
                    raise AssertionError(f"the bot task ended while waiting: {exc!r}") from exc

        return [check]

    def describe_recent(self, n: int = 8) -> str:
        """The last requests (for timeout messages)."""
        recent = self.requests[-n:]
        lines = [f"{r.method} {r.url} -> {r.status}" for r in recent]
        errors = f" Fake internal errors: {len(self.server_errors)}." if self.server_errors else ""
        return "Recent requests: " + ("; ".join(lines) if lines else "none") + "." + errors

    def record_server_error(self, where: str) -> None:
        self.server_errors.append(f"{where}:\n{traceback.format_exc()}")

    # =================================================================================== lookups

    def registered_commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands the bot registered for a guild (default guild when None)."""
        return list(self.commands.get(guild_id or GUILD_ID, []))

    def global_commands(self) -> list[JSON]:
        """Global commands the bot registered (tests usually assert this stays empty)."""
        return list(self.commands.get(None, []))

    def command(self, name: str, *, guild_id: int | None = None, type: int = 1) -> JSON:
        """A registered command by top-level name (guild first, then global)."""
        for cmd in [*self.registered_commands(guild_id), *self.global_commands()]:
            if cmd["name"] == name and int(cmd.get("type", 1)) == type:
                return cmd
        names = [c["name"] for c in [*self.registered_commands(guild_id), *self.global_commands()]]
        raise AssertionError(f"no registered command {name!r} (type {type}); registered: {names}")

    def scheduled_events_of(self, guild_id: int) -> list[ScheduledEvent]:
        """The guild's scheduled events (deleted ones too), from an index rebuilt when events were added, so each
        of a thousand GUILD_CREATEs does not scan every guild's events."""
        if self._events_indexed != len(self.scheduled_events):
            self._events_by_guild = {}
            for event in self.scheduled_events.values():
                self._events_by_guild.setdefault(event.guild_id, []).append(event)
            self._events_indexed = len(self.scheduled_events)
        return self._events_by_guild.get(guild_id, [])

    def message(self, message_id: int) -> Message:
        try:
            return self.world.messages[message_id]
        except KeyError:
            raise AssertionError(f"no message {message_id}") from None

    def channel_or_404(self, channel_id: int) -> Channel:
        channel = self.world.channels.get(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        if channel.guild_id is not None and not self.world.bot_in(channel.guild_id):
            raise ApiError(403, 50001, "Missing Access")
        return channel

    def guild_or_404(self, guild_id: int) -> Guild:
        """The guild, 404 code 10004 "Unknown Guild" when there is none, or 403 code 50001 "Missing Access" when
        the bot is not in it (topics/opcodes-and-status-codes.mdx, JSON error codes; the docs do not name the
        error for a guild the bot was removed from: 50001 is what Discord answers)."""
        guild = self.world.guilds.get(guild_id)
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if not guild.bot_present:
            raise ApiError(403, 50001, "Missing Access")
        return guild

    def message_or_404(self, channel: Channel, message_id: int) -> Message:
        msg = self.world.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def require_bot_connected(self) -> None:
        if not self.gateway.live_sessions():
            raise AssertionError("the bot is not connected to the fake gateway (await fake.wait_until_ready() first)")

    # =================================================================================== Discord's checks

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in a channel or thread (overwrites included); everything in a DM."""
        if channel.guild_id is None:
            return Perm.ALL
        return self.world.permissions_in(self.world.bot_member(channel.guild_id), channel)

    def bot_can_view(self, channel: Channel) -> bool:
        """Whether the bot can see the channel: what it is told about over the gateway depends on it
        (topics/threads.mdx: "Clients will not be informed of a thread through the gateway if they do
        not have permission to view that thread")."""
        return bool(self.bot_permissions(channel) & Perm.VIEW_CHANNEL)

    def require_view(self, channel: Channel) -> None:
        """403 code 50001 "Missing Access" when the bot cannot view the channel: without View Channel
        nothing else in it is allowed (topics/permissions.mdx, "Implicit Permissions")."""
        if not self.bot_can_view(channel):
            raise ApiError(403, 50001, "Missing Access")

    def require(self, channel: Channel, perm: int) -> None:
        """50001 without View Channel, else 403 code 50013 "Missing Permissions" without ``perm``
        (topics/opcodes-and-status-codes.mdx, JSON error codes)."""
        self.require_view(channel)
        if not self.bot_permissions(channel) & perm:
            raise ApiError(403, 50013, "Missing Permissions")

    def check_can_post(self, channel: Channel, *, files: bool = False) -> None:
        """Discord's checks before the bot posts a message in ``channel``."""
        if channel.is_dm:
            recipient = self.world.users.get(channel.recipient_id or 0)
            if recipient is None or recipient.bot:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            shares = [g for g in self.world.bot_guilds() if recipient.id in g.members]
            if not shares or not any(g.members[recipient.id].accepts_dms for g in shares):
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        if channel.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_CATEGORY):
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.is_thread:
            self.require(channel, Perm.SEND_MESSAGES_IN_THREADS)
            if channel.locked and not self.bot_permissions(channel) & Perm.MANAGE_THREADS:
                raise ApiError(403, 160005, "Thread is locked")
            # topics/threads.mdx, "Active & Archived Threads": "Sending a message will automatically unarchive
            # the thread, unless the thread has been locked by a moderator" (see ``unarchive_to_post``).
            if channel.archived and (channel.locked or self.strict_archived_threads):
                raise ApiError(400, 50083, "Thread is archived")
        else:
            self.require(channel, Perm.SEND_MESSAGES)
        if files:
            self.require(channel, Perm.ATTACH_FILES)

    def check_tags(self, thread: Channel, tags: Any, path: list[str | int]) -> None:
        parent = self.world.channels.get(thread.parent_id or 0)
        known = {str(t["id"]) for t in (parent.available_tags if parent is not None else [])}
        tag_list = as_list(tags)
        if len(tag_list) > 5:
            raise invalid_form_body(field_error(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
        for i, tag in enumerate(tag_list):
            if str(tag) not in known:
                raise invalid_form_body(field_error([*path, i], "INVALID_FORUM_TAG", "Unknown tag"))

    # =================================================================================== building messages

    def store_attachment(
        self,
        channel_id: int,
        filename: str,
        data: bytes,
        *,
        content_type: str | None = None,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> Attachment:
        att_id = self.world.new_id()
        ctype = content_type or mimetypes.guess_type(filename)[0]
        att = Attachment(
            id=att_id,
            filename=filename,
            data=data,
            url=f"{self.world.cdn_base}/{channel_id}/{att_id}/{filename}",
            content_type=ctype,
            description=description,
            ephemeral=ephemeral,
        )
        self.attachments[att_id] = att
        return att

    def attachments_for(
        self, body: JSON, files: list[UploadedFile], channel_id: int, existing: list[Attachment] | None = None
    ) -> list[Attachment] | None:
        """The attachment list after a create/edit. None means "unchanged" (edit without attachments/files)."""
        if sum(len(f.data) for f in files) > self.attachment_size_limit:
            raise ApiError(413, 40005, "Request entity too large")
        by_field = {f.field: f for f in files}
        old = {a.id: a for a in existing or []}
        specs = body.get("attachments")
        if specs is None:
            if not files:
                return None
            new = [self.store_attachment(channel_id, f.filename, f.data, content_type=f.content_type) for f in files]
            return [*(existing or []), *new]
        result: list[Attachment] = []
        for i, spec in enumerate(as_list(specs)):
            raw_id = spec.get("id") if isinstance(spec, dict) else None
            try:
                att_id = int(raw_id) if raw_id is not None else i
            except (TypeError, ValueError):
                raise invalid_form_body(
                    field_error(["attachments", i, "id"], "NUMBER_TYPE_COERCE", "Invalid id")
                ) from None
            if att_id in old:
                att = old[att_id]
                if isinstance(spec, dict) and spec.get("description") is not None:
                    att.description = spec["description"]
                result.append(att)
                continue
            upload = by_field.get(f"files[{att_id}]")
            if upload is None:
                raise invalid_form_body(
                    field_error(["attachments", i], "ATTACHMENT_NOT_FOUND", f"Attachment {att_id} was not uploaded")
                )
            result.append(
                self.store_attachment(
                    channel_id,
                    str(spec.get("filename") or upload.filename),
                    upload.data,
                    content_type=upload.content_type,
                    description=spec.get("description"),
                )
            )
        return result

    def new_message(
        self,
        channel: Channel,
        author: User,
        body: JSON,
        files: list[UploadedFile],
        *,
        type: int = 0,
        flags: int | None = None,
        message_id: int | None = None,
        webhook: bool = False,
    ) -> Message:
        """A message built from a create body (not stored). ``webhook``: sent through an interaction or a webhook,
        whose default ``allowed_mentions`` differ from a regular message's."""
        content = body.get("content")
        content = "" if content is None else str(content)
        components = with_component_ids(as_list(body.get("components")))
        allowed = body.get("allowed_mentions")
        users, roles, everyone = self.pings(channel, author, content, components, allowed, webhook=webhook)
        msg = Message(
            id=message_id or self.world.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=content,
            type=type,
            flags=int(body.get("flags") or 0) & limits.SETTABLE_MESSAGE_FLAGS if flags is None else flags,
            embeds=[{"type": "rich", **e} for e in as_list(body.get("embeds"))],
            components=components,
            nonce=body.get("nonce"),
            tts=bool(body.get("tts")),
            mention_ids=users,
            mention_role_ids=roles,
            mention_everyone=everyone,
            poll=body.get("poll"),
            allowed_mentions=allowed if isinstance(allowed, dict) else None,
            sent_by_webhook=webhook,
        )
        msg.attachments = self.attachments_for(body, files, channel.id) or []
        return msg

    def pings(
        self, channel: Channel, author: User, content: str, components: list[JSON], allowed: Any, *, webhook: bool
    ) -> tuple[list[int], list[int], bool]:
        """The users, roles and @everyone a message pings (its ``mentions``, ``mention_roles``,
        ``mention_everyone``), per resources/message.mdx, "Allowed Mentions Object": mentions in the content or
        its components count only when ``allowed_mentions`` allows them (by default every type in a regular
        message, only users in an interaction's or a webhook's: "Default Settings for Allowed Mentions"); a role
        only when it is mentionable or the sender has MENTION_EVERYONE; @everyone and @here only with
        MENTION_EVERYONE, in a guild."""
        shown = [content, *(str(c.get("content") or "") for c in walk_components(components) if c.get("type") == 10)]
        users, roles, everyone = self.world.parse_mentions("\n".join(shown))
        parse, only_users, only_roles = limits.allowed_mention_rules(allowed, webhook=webhook)
        guild = self.world.guild_of(channel)
        member = None if guild is None else guild.members.get(author.id)
        may_mention_everyone = member is not None and bool(
            self.world.permissions_in(member, channel) & Perm.MENTION_EVERYONE
        )
        pinged_users = [u for u in users if "users" in parse or u in only_users]
        pinged_roles = [
            r
            for r in roles
            if guild is not None
            and r in guild.roles
            and r != guild.id
            and ("roles" in parse or r in only_roles)
            and (guild.roles[r].mentionable or may_mention_everyone)
        ]
        return pinged_users, pinged_roles, everyone and "everyone" in parse and may_mention_everyone

    def apply_edit(
        self, msg: Message, body: JSON, files: list[UploadedFile], *, root: list[str | int] | None = None
    ) -> None:
        """PATCH semantics: present fields replace, ``attachments`` lists what to keep."""
        limits.check_message(body, root=root, files=len(files), existing=True)
        attachments = self.attachments_for(body, files, msg.channel_id, msg.attachments)
        content = msg.content
        if "content" in body:
            content = "" if body["content"] is None else str(body["content"])
        embeds = msg.embeds
        if "embeds" in body:
            embeds = [{"type": "rich", **e} for e in as_list(body["embeds"])]
        components = msg.components
        if "components" in body:
            components = with_component_ids(as_list(body["components"]))
        new_attachments = msg.attachments if attachments is None else attachments
        if not (content or embeds or components or new_attachments or msg.poll):
            raise ApiError(400, 50006, "Cannot send an empty message")
        msg.content = content
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"] if isinstance(body["allowed_mentions"], dict) else None
        msg.mention_ids, msg.mention_role_ids, msg.mention_everyone = self.pings(
            self.world.channels[msg.channel_id],
            msg.author,
            content,
            components,
            msg.allowed_mentions,
            webhook=msg.sent_by_webhook,
        )
        msg.embeds = embeds
        msg.components = components
        msg.attachments = new_attachments
        if body.get("flags") is not None:
            keep = msg.flags & (MESSAGE_FLAG_EPHEMERAL | limits.FLAG_IS_COMPONENTS_V2)
            msg.flags = keep | (int(body["flags"]) & (limits.FLAG_SUPPRESS_EMBEDS | limits.FLAG_IS_COMPONENTS_V2))
        if msg.loading:
            msg.flags &= ~MESSAGE_FLAG_LOADING
        else:
            msg.edited_timestamp = now_utc()
        msg.edits += 1

    # =================================================================================== changes the bot is told about

    def post(self, msg: Message, *, ephemeral: bool = False) -> Message:
        """Store a new message and tell the bot (MESSAGE_CREATE) unless it is ephemeral."""
        self.world.add_message(msg, in_history=not ephemeral)
        if not ephemeral:
            channel = self.world.channels.get(msg.channel_id)
            if channel is not None and channel.is_thread:
                channel.member_ids.setdefault(msg.author.id, now_utc())
            if self._bot_sees(msg):
                self.gateway.dispatch("MESSAGE_CREATE", payloads.message_event(self, msg, created=True))
        self.notifier.notify()
        return msg

    def updated(self, msg: Message) -> None:
        if not msg.ephemeral and self._bot_sees(msg):
            self.gateway.dispatch("MESSAGE_UPDATE", payloads.message_event(self, msg))
        self.notifier.notify()

    def deleted(self, msg: Message) -> None:
        msg.deleted = True
        channel = self.world.channels.get(msg.channel_id)
        if channel is not None and channel.is_thread and msg.id != channel.id and not msg.ephemeral:
            channel.message_count = max(0, channel.message_count - 1)
        if not msg.ephemeral and self._bot_sees(msg):
            data: JSON = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data)
        self.notifier.notify()

    def _bot_sees(self, msg: Message) -> bool:
        channel = self.world.channels.get(msg.channel_id)
        return channel is None or self.bot_can_view(channel)

    def thread_created(self, thread: Channel) -> None:
        """THREAD_CREATE (``newly_created``), if the bot can see the thread (topics/threads.mdx)."""
        if self.bot_can_view(thread):
            self.gateway.dispatch("THREAD_CREATE", payloads.thread_event(self, thread, newly_created=True))
        self.notifier.notify()

    def unarchive_to_post(self, channel: Channel) -> None:
        """A message posted in an archived (unlocked) thread unarchives it (topics/threads.mdx)."""
        if channel.is_thread and channel.archived:
            self.unarchive(channel, by=None)

    def unarchive(self, thread: Channel, *, by: User | None) -> None:
        """Unarchive, then THREAD_UPDATE and THREAD_MEMBER_UPDATE in that order (topics/threads.mdx,
        "Unarchiving a Thread")."""
        thread.archived = False
        thread.archive_timestamp = now_utc()
        thread.archiver_id = None if by is None else by.id
        self.thread_update(thread)
        self.thread_member_update(thread)

    def thread_member_update(self, thread: Channel) -> None:
        """THREAD_MEMBER_UPDATE for the bot, if it is a member of the thread."""
        bot_id = self.world.bot_user.id
        if bot_id in thread.member_ids and self.bot_can_view(thread):
            data = {
                "id": str(thread.id),
                "user_id": str(bot_id),
                "join_timestamp": iso(thread.member_ids[bot_id]),
                "flags": 0,
                "guild_id": str(thread.guild_id),
            }
            self.gateway.dispatch("THREAD_MEMBER_UPDATE", data)

    def thread_system_message(self, thread: Channel, creator: User, *, starter: Message | None) -> Message:
        """The message Discord adds when a thread starts (resources/message.mdx, "Thread Created messages" and
        "Thread starter messages"; topics/threads.mdx, "New Message Types"): from a message, a
        THREAD_STARTER_MESSAGE (21) opening the thread and pointing back at it; without one, a public thread
        gets a THREAD_CREATED (18) in the parent, its content the thread's name, pointing at the thread."""
        if starter is not None:
            msg = Message(
                id=self.world.new_id(),
                channel_id=thread.id,
                guild_id=thread.guild_id,
                author=creator,
                type=21,
                message_reference={
                    "type": 0,
                    "message_id": str(starter.id),
                    "channel_id": str(starter.channel_id),
                    "guild_id": None if thread.guild_id is None else str(thread.guild_id),
                },
            )
        else:
            msg = Message(
                id=self.world.new_id(),
                channel_id=thread.parent_id or 0,
                guild_id=thread.guild_id,
                author=creator,
                type=18,
                content=thread.name or "",
                message_reference={
                    "type": 0,
                    "channel_id": str(thread.id),
                    "guild_id": None if thread.guild_id is None else str(thread.guild_id),
                },
            )
        return self.post(msg)

    def thread_update(self, thread: Channel) -> None:
        if self.bot_can_view(thread):
            self.gateway.dispatch("THREAD_UPDATE", payloads.thread_event(self, thread))
        self.notifier.notify()

    def member_update(self, member: Member) -> None:
        data = member.to_dict()
        data["guild_id"] = str(member.guild_id)
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", data)
        self.notifier.notify()


class Part:
    """A piece of the fake that works on a :class:`FakeCore` (a group of REST routes, the driver)."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core

    @property
    def world(self) -> World:
        return self.core.world

    @property
    def gateway(self) -> Gateway:
        return self.core.gateway

    @property
    def notifier(self) -> Notifier:
        return self.core.notifier
