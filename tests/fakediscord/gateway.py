"""The fake gateway: HELLO / heartbeat ACK / IDENTIFY / READY / GUILD_CREATE / RESUME over a JSON websocket.

Frames are sent as TEXT (the client's ``compress=zlib-stream`` request is ignored, which discord.py
accepts). Dispatches get increasing ``s`` per session and are kept so a RESUME can replay what the
client missed while disconnected.

Sharding (events/gateway.mdx, "Sharding"): any number of sessions live at once, each IDENTIFYed with or
without ``shard: [shard_id, num_shards]``. A session gets READY listing only the guilds of its shard
(``(guild_id >> 22) % num_shards == shard_id``), then one GUILD_CREATE each; a session without ``shard``
is shard ``[0, 1]`` and gets every guild. A dispatch about a guild goes to every live session whose shard
owns the guild (the docs allow several sessions with the same shard, and sessions with different
``num_shards``); one without a guild (DMs) only to sessions of shard 0. Every recorded event says which
session and shard it was delivered to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .records import RecordedEvent
from .world import JSON

if TYPE_CHECKING:
    from .core import FakeCore

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
#: events/gateway.mdx, "Sharding": "Each shard can only support a maximum of 2500 guilds".
MAX_GUILDS_PER_SESSION = 2500
#: events/gateway-events.mdx, "Request Guild Members": at most 100 members by ``user_ids`` or by a ``query``
#: prefix, up to 1000 members a chunk, a nonce of up to 32 bytes.
MEMBERS_BY_ID_MAX = 100
MEMBERS_BY_QUERY_MAX = 100
MEMBERS_PER_CHUNK = 1000
NONCE_MAX_BYTES = 32


class Intents:
    """Gateway intent bits."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


_GUILD_ONLY = {
    "CHANNEL_CREATE": Intents.GUILDS,
    "CHANNEL_UPDATE": Intents.GUILDS,
    "CHANNEL_DELETE": Intents.GUILDS,
    "THREAD_CREATE": Intents.GUILDS,
    "THREAD_UPDATE": Intents.GUILDS,
    "THREAD_DELETE": Intents.GUILDS,
    "THREAD_LIST_SYNC": Intents.GUILDS,
    "THREAD_MEMBER_UPDATE": Intents.GUILDS,
    "THREAD_MEMBERS_UPDATE": Intents.GUILDS,
    "GUILD_UPDATE": Intents.GUILDS,
    "GUILD_ROLE_CREATE": Intents.GUILDS,
    "GUILD_ROLE_UPDATE": Intents.GUILDS,
    "GUILD_ROLE_DELETE": Intents.GUILDS,
    "GUILD_MEMBER_ADD": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intents.GUILD_MEMBERS,
    "GUILD_SCHEDULED_EVENT_CREATE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_ADD": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": Intents.GUILD_SCHEDULED_EVENTS,
}
# (guild intent, DM intent)
_GUILD_OR_DM = {
    "MESSAGE_CREATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_DELETE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_DELETE_BULK": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "TYPING_START": (Intents.GUILD_MESSAGE_TYPING, Intents.DIRECT_MESSAGE_TYPING),
}


def required_intent(event: str, data: Any, bot_user_id: int | None = None) -> int:
    """The intent a session needs to receive ``event`` (0: always delivered)."""
    # events/gateway.mdx, "Caveats": GUILD_MEMBER_UPDATE is sent for current-user updates whatever the intents.
    own_update = event == "GUILD_MEMBER_UPDATE" and isinstance(data, dict) and bot_user_id is not None
    if own_update and str((data.get("user") or {}).get("id")) == str(bot_user_id):
        return 0
    if event in _GUILD_ONLY:
        return _GUILD_ONLY[event]
    pair = _GUILD_OR_DM.get(event)
    if pair is not None:
        return pair[0] if isinstance(data, dict) and data.get("guild_id") else pair[1]
    return 0


class GatewayConnection:
    """One websocket. Frames are queued and written in order by a writer task."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.dropped = False
        self.writer = asyncio.create_task(self._write(), name="fakediscord-gateway-writer")

    def send(self, payload: JSON) -> None:
        if not self.ws.closed:
            self.queue.put_nowait(json.dumps(payload))

    async def _write(self) -> None:
        while True:
            item = await self.queue.get()
            if item is None:
                return
            if self.ws.closed:
                continue
            try:
                await self.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int, message: str = "") -> None:
        self.queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self.writer, 1.0)
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=code, message=message.encode()), 1.0)


@dataclass(eq=False)
class GatewaySession:
    """A gateway session (survives reconnects via RESUME; ends when the client closes with 1000/1001)."""

    id: str
    intents: int
    identify: JSON
    identified_at: float
    seq: int = 0
    connection: GatewayConnection | None = None
    ready: bool = False
    ended: bool = False
    resumes: int = 0
    events: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=5000))
    #: ``[shard_id, num_shards]`` from IDENTIFY, None when the client did not shard.
    shard: tuple[int, int] | None = None

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)

    @property
    def shard_id(self) -> int:
        return 0 if self.shard is None else self.shard[0]

    @property
    def num_shards(self) -> int:
        return 1 if self.shard is None else self.shard[1]

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session receives events about ``guild_id`` (events/gateway.mdx, "Sharding Formula";
        events without a guild go to shard 0 only)."""
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.num_shards == self.shard_id

    @property
    def live(self) -> bool:
        return not self.ended


def invalid_shard(shard: Any) -> bool:
    """topics/opcodes-and-status-codes.mdx, 4010 "Invalid shard": ``shard`` is not ``[shard_id, num_shards]``
    with ``0 <= shard_id < num_shards`` (events/gateway-events.mdx, Identify: "array of two integers")."""
    if not isinstance(shard, list) or len(shard) != 2:
        return True
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in shard):
        return True
    shard_id, num_shards = shard
    return not (num_shards >= 1 and 0 <= shard_id < num_shards)


def event_guild_id(event: str, data: Any) -> int | None:
    """The guild a dispatch is about (None: DMs and events without a guild)."""
    if not isinstance(data, dict):
        return None
    raw = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else data.get("guild_id")
    try:
        return None if raw is None else int(raw)
    except (TypeError, ValueError):
        return None


class Gateway:
    """Gateway state and protocol for one fake (:class:`~tests.fakediscord.core.FakeCore`)."""

    def __init__(self, fake: FakeCore) -> None:
        self.fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.current: GatewaySession | None = None
        self.connections: list[GatewayConnection] = []
        self.privileged_allowed = True
        self.events: list[RecordedEvent] = []
        #: Every frame received from clients: (monotonic time, op, data without the token).
        self.received: list[tuple[float, int, Any]] = []
        self._closing: set[asyncio.Task[None]] = set()
        #: Guilds one session may handle before IDENTIFY is closed with 4011 "Sharding required".
        self.max_guilds_per_session = MAX_GUILDS_PER_SESSION
        #: IDENTIFYs that started a session (what ``session_start_limit.remaining`` counts down).
        self.session_starts = 0

    # ----------------------------------------------------------------------------------- dispatch
    def dispatch(
        self, event: str, data: JSON | Callable[[GatewaySession], JSON], *, guild_id: int | None = None
    ) -> RecordedEvent | None:
        """Send a dispatch to every live session that owns its guild (queued for RESUME if disconnected).

        The guild is ``guild_id`` or read from the payload (``guild_id``; ``id`` for GUILD_* events); without
        one the event goes to shard 0 (events/gateway.mdx, "Sharding"). Nothing is sent about a guild the
        bot is not in. ``data`` may be a callable taking the session, to tailor the payload to its intents.
        Returns the first recorded event, or None when no session got it.
        """
        first: RecordedEvent | None = None
        for session in self.live_sessions():
            payload = data(session) if callable(data) else data
            gid = guild_id if guild_id is not None else event_guild_id(event, payload)
            if gid is not None and not self.fake.world.bot_in(gid):
                return None
            if not session.owns(gid):
                continue
            need = required_intent(event, payload, self.fake.world.bot_user.id)
            if need and not session.has(need):
                continue
            rec = self._send_dispatch(session, event, payload)
            first = first or rec
        return first

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions not ended, oldest first."""
        return [s for s in self.sessions.values() if not s.ended]

    def _send_dispatch(self, session: GatewaySession, event: str, payload: Any) -> RecordedEvent:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": payload})
        session.events.append((session.seq, frame))
        conn = session.connection
        if conn is not None and not conn.ws.closed:
            conn.queue.put_nowait(frame)
        rec = RecordedEvent(
            name=event, data=payload, seq=session.seq, time=time.time(), session_id=session.id, shard=session.shard
        )
        self.events.append(rec)
        self.fake.stats.events_dispatched += 1
        self.fake.notifier.notify()
        return rec

    # ----------------------------------------------------------------------------------- websocket
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws)
        self.connections.append(conn)
        self.fake.stats.gateway_connections += 1
        conn.send(
            {"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fake"]}}
        )
        self.fake.notifier.notify()
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        await conn.close(4002, "Error while decoding payload.")
                        break
                    await self._on_frame(conn, frame)
                elif msg.type == WSMsgType.ERROR:
                    break
        except Exception:  # pragma: no cover - surfaced through fake.server_errors
            self.fake.record_server_error("gateway")
        finally:
            conn.queue.put_nowait(None)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                close_code = ws.close_code
                if not conn.dropped and close_code in (1000, 1001):
                    # A clean client close invalidates the session, as on Discord.
                    self._end(session)
            with contextlib.suppress(ValueError):
                self.connections.remove(conn)
            self.fake.notifier.notify()
        return ws

    async def _on_frame(self, conn: GatewayConnection, frame: JSON) -> None:
        op = frame.get("op")
        data = frame.get("d")
        logged = dict(data) if isinstance(data, dict) else data
        if isinstance(logged, dict) and "token" in logged:
            logged["token"] = "REDACTED"
        self.received.append((time.monotonic(), int(op) if isinstance(op, int) else -1, logged))
        if op == 1:  # HEARTBEAT
            self.fake.stats.heartbeats += 1
            conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:  # IDENTIFY
            await self._identify(conn, data or {})
        elif op == 6:  # RESUME
            self._resume(conn, data or {})
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            self._request_members(conn, data or {})
        # op 3 (presence) and 4 (voice state) are accepted and ignored.
        self.fake.notifier.notify()

    async def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        intents = int(data.get("intents", 0))
        self.fake.stats.identifies += 1
        valid = self.fake.valid_token
        if valid is not None and str(data.get("token", "")).removeprefix("Bot ") != valid:
            # topics/opcodes-and-status-codes.mdx, Gateway Close Event Codes: 4004 Authentication failed.
            await conn.close(4004, "Authentication failed.")
            return
        if intents & Intents.PRIVILEGED and not self.privileged_allowed:
            await conn.close(4014, "Disallowed intent(s).")
            return
        raw_shard = data.get("shard")
        if raw_shard is not None and invalid_shard(raw_shard):
            await conn.close(4010, "Invalid shard.")
            return
        shard = None if raw_shard is None else (int(raw_shard[0]), int(raw_shard[1]))
        identify = {k: v for k, v in data.items() if k != "token"}
        session = GatewaySession(
            id=secrets.token_hex(16),
            intents=intents,
            identify=identify,
            identified_at=time.monotonic(),
            shard=shard,
        )
        guilds = [g for g in self.fake.world.bot_guilds() if session.owns(g.id)]
        if len(guilds) > self.max_guilds_per_session:
            # topics/opcodes-and-status-codes.mdx, 4011 "Sharding required": "The session would have handled
            # too many guilds"; events/gateway.mdx, "Sharding": at most 2500 guilds a shard.
            await conn.close(4011, "Sharding required.")
            return
        self.session_starts += 1
        for old in self.live_sessions():
            # A session that lost its connection and was not resumed, of the same shard, or one this
            # connection carried before, is given up by a client that identifies afresh (a fake's choice:
            # Discord would let it time out). Sessions of other live connections go on (events/gateway.mdx,
            # "Sharding": "You can establish multiple sessions with the same [shard_id, num_shards]").
            orphaned = old.connection is None or old.connection.ws.closed
            if old.connection is conn or (orphaned and old.shard == shard):
                old.ended = True
        self.sessions[session.id] = session
        self.current = session
        session.connection = conn
        conn.session = session
        self._send_dispatch(session, "READY", self.fake.ready_payload(session, raw_shard, guilds))
        for guild in guilds:
            self._send_dispatch(session, "GUILD_CREATE", self.fake.guild_create_payload(guild, session))
        session.ready = True

    def _end(self, session: GatewaySession) -> None:
        session.ended = True
        if self.current is session:
            live = self.live_sessions()
            self.current = live[-1] if live else None

    def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.ended:
            self.fake.stats.invalid_sessions += 1
            conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        last_seen = int(data.get("seq") or 0)
        old = session.connection
        if old is not None and old is not conn:
            old.dropped = True
            task = asyncio.create_task(old.close(4000, "replaced"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        session.connection = conn
        conn.session = session
        for seq, frame in list(session.events):
            if seq > last_seen:
                conn.queue.put_nowait(frame)
        session.resumes += 1
        self.fake.stats.resumes += 1
        self._send_dispatch(session, "RESUMED", {"_trace": ["fake"]})

    def _request_members(self, conn: GatewayConnection, data: JSON) -> None:
        """Request Guild Members (op 8), answered by GUILD_MEMBERS_CHUNKs (events/gateway-events.mdx, "Request
        Guild Members" and "Guild Members Chunk"): one guild a request; ``user_ids`` (one snowflake or an array)
        returns at most 100 members and lists the rest it did not find in ``not_found``; a ``query`` prefix of
        the username returns at most ``limit`` (at most 100); the entire list (``query`` "" and ``limit`` 0)
        only with the GUILD_MEMBERS intent; at most 1000 members a chunk; a nonce over 32 bytes is ignored."""
        session = conn.session
        if session is None:
            return
        try:
            guild = self.fake.world.guilds.get(int(data.get("guild_id", 0)))
        except (TypeError, ValueError):
            guild = None
        if guild is None or not guild.bot_present or not session.owns(guild.id):
            return
        raw_ids = data.get("user_ids")
        user_ids: list[int] | None = None
        if raw_ids is not None:
            user_ids = [int(u) for u in (raw_ids if isinstance(raw_ids, list) else [raw_ids])]
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        if user_ids is not None:
            members = [guild.members[u] for u in dict.fromkeys(user_ids) if u in guild.members][:MEMBERS_BY_ID_MAX]
        elif query or limit:
            members = [
                m
                for m in guild.members.values()
                if m.user.username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
            ][: min(limit or MEMBERS_BY_QUERY_MAX, MEMBERS_BY_QUERY_MAX)]
        elif session.has(Intents.GUILD_MEMBERS):
            members = list(guild.members.values())
        else:
            members = []  # the entire list needs GUILD_MEMBERS (what Discord answers without it is not documented)
        chunks = [members[i : i + MEMBERS_PER_CHUNK] for i in range(0, len(members), MEMBERS_PER_CHUNK)] or [[]]
        nonce = data.get("nonce")
        for index, chunk in enumerate(chunks):
            payload: JSON = {
                "guild_id": str(guild.id),
                "members": [m.to_dict() for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if user_ids is not None and index == len(chunks) - 1:
                found = {m.id for m in members}
                payload["not_found"] = [str(u) for u in dict.fromkeys(user_ids) if u not in found]
            if isinstance(nonce, str) and len(nonce.encode()) <= NONCE_MAX_BYTES:
                payload["nonce"] = nonce
            self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", payload)

    # ----------------------------------------------------------------------------------- control
    def active_connection(self, session: GatewaySession | None = None) -> GatewayConnection | None:
        session = session or self.current
        if session is None or session.connection is None or session.connection.ws.closed:
            return None
        return session.connection

    def session_of_shard(self, shard_id: int) -> GatewaySession:
        """The latest live session of shard ``shard_id`` (a session without ``shard`` is shard 0)."""
        found = [s for s in self.live_sessions() if s.shard_id == shard_id]
        if not found:
            raise AssertionError(f"no live gateway session for shard {shard_id}")
        return found[-1]

    async def drop(self, code: int = 4000, session: GatewaySession | None = None) -> None:
        """Close a session's connection (the current one by default) abnormally; the session stays resumable."""
        conn = self.active_connection(session)
        if conn is None:
            raise AssertionError("no gateway connection to drop (is the bot connected?)")
        conn.dropped = True
        await conn.close(code, "fake drop")

    def invalidate_shard_session(self, shard_id: int) -> GatewaySession:
        """Discord invalidates shard ``shard_id``'s active session: Invalid Session (op 9) with ``d: false``
        (events/gateway-events.mdx, "Invalid Session": "the gateway has invalidated an active session and is
        requesting client action"; ``d`` says whether it may be resumed). The session ends at once, so nothing
        more is dispatched to it and a RESUME is refused; the client must disconnect and IDENTIFY afresh
        (events/gateway.mdx, "Resuming": "If the d field is set to false ... your app should disconnect ... then
        send an Identify"). Events meanwhile reach no session of that shard. Other shards' sessions go on."""
        session = self.session_of_shard(shard_id)
        conn = self.active_connection(session)
        if conn is None:
            raise AssertionError(f"shard {shard_id}'s session has no connection to invalidate")
        self._end(session)
        self.fake.stats.invalid_sessions += 1
        conn.dropped = True
        conn.send({"op": 9, "s": None, "t": None, "d": False})
        self.fake.notifier.notify()
        return session

    def send_op(self, op: int, data: Any = None) -> None:
        """Send a raw non-dispatch opcode (7 RECONNECT, 9 INVALID_SESSION...) to the current connection."""
        conn = self.active_connection()
        if conn is None:
            raise AssertionError("no gateway connection (is the bot connected?)")
        if op in (7, 9):
            conn.dropped = True
        conn.send({"op": op, "s": None, "t": None, "d": data})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            conn.dropped = True
            await conn.close(1001, "fake discord stopping")
