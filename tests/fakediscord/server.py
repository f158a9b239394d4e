"""FakeDiscord: a local fake Discord (REST + gateway) for an unmodified discord.py 2.7 client, plus a
driver to act as guild members against the running bot.

Typical use (the ``fake_discord`` fixture does the start/stop/patch part)::

    async with fake.run_bot(bot, wait_for_commands=True):
        i = await fake.slash("alice", "session", week=3)
        msg = await i.final()
        assert "Week 3" in msg.content

This module is the facade. The parts: ``core.py`` (state and the steps shared by everything),
``transport.py`` (HTTP server, routing, recording, faults, rate limits), ``rest/`` (the routes, one
module per resource), ``payloads.py`` (gateway and REST objects), ``gateway.py`` (the websocket) and
``driver/`` (what tests do as members). See ``tests/fakediscord/__init__.py`` for the overview.
"""

# Every wait in this module takes an explicit ``timeout`` and fails with a readable AssertionError; that is
# the documented API, so ASYNC109 ("use asyncio.timeout instead") does not apply.

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .core import FakeCore
from .driver import Driver
from .gateway import GatewaySession, event_guild_id
from .interactions import Interaction
from .openapi_check import SpecChecker
from .records import JSON, FaultRule, RecordedEvent, RecordedRequest, Stats
from .rest import route_table
from .transport import Transport
from .typed_check import check_events
from .world import GUILD_ID, Attachment, Channel, ChannelRef, GuildRef, Member, Message, User, UserRef, World

if TYPE_CHECKING:
    import discord


def client_shards(bot: discord.Client) -> set[int] | None:
    """The shard ids a discord.py client runs (None: it does not shard, so it gets every guild)."""
    import discord

    count = bot.shard_count
    if count is None:
        return None
    if isinstance(bot, discord.AutoShardedClient):
        return set(bot.shard_ids or range(count))
    return {bot.shard_id or 0}


def client_shard_of(bot: discord.Client, guild_id: int) -> int | None:
    """The client's shard that receives ``guild_id`` (events/gateway.mdx, "Sharding Formula"), or None when
    the guild belongs to a shard the client does not run."""
    shards = client_shards(bot)
    if shards is None:
        return 0
    shard = (guild_id >> 22) % (bot.shard_count or 1)
    return shard if shard in shards else None


class FakeDiscord(Driver):
    """A local fake Discord (REST + gateway) plus a driver to act as members against a running bot.

    Construct, ``await start()``, point discord.py at it (:meth:`patch_discord` or :meth:`run_bot`),
    drive it (the :class:`~tests.fakediscord.driver.Driver` methods), ``await stop()``. Everything the
    bot sends is recorded in :attr:`requests`; every gateway dispatch in :attr:`events`; the world
    (guild, channels, messages...) is :attr:`world`.
    """

    def __init__(self, world: World | None = None, *, host: str = "127.0.0.1") -> None:
        super().__init__(FakeCore(world, host=host))
        self.transport = Transport(self.core, route_table(self.core))
        self._unchecked_events: set[str] = set()

    # =================================================================================== state (on the core)
    @property
    def host(self) -> str:
        return self.core.host

    @property
    def port(self) -> int:
        return self.core.port

    @property
    def http_base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.core.http_base

    @property
    def api_base(self) -> str:
        """What to put in ``discord.http.Route.BASE``."""
        return self.core.api_base

    @property
    def gateway_url(self) -> str:
        """What to put in ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (as a ``yarl.URL``)."""
        return self.core.gateway_url

    @property
    def stats(self) -> Stats:
        return self.core.stats

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every HTTP request the bot made, in order."""
        return self.core.requests

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of exceptions inside the fake itself (they fail the test at teardown)."""
        return self.core.server_errors

    @property
    def interactions(self) -> list[Interaction]:
        """Every interaction sent to the bot, in order."""
        return self.core.interactions

    @property
    def interaction_ack_deadline(self) -> float | None:
        """Seconds a bot has to send the first callback (Discord: 3 s). None disables the check."""
        return self.core.interaction_ack_deadline

    @interaction_ack_deadline.setter
    def interaction_ack_deadline(self, value: float | None) -> None:
        self.core.interaction_ack_deadline = value

    @property
    def attachment_size_limit(self) -> int:
        """Bytes of files one request may upload (also sent in interactions)."""
        return self.core.attachment_size_limit

    @attachment_size_limit.setter
    def attachment_size_limit(self, value: int) -> None:
        self.core.attachment_size_limit = value

    # =================================================================================== lifecycle
    async def start(self) -> FakeDiscord:
        """Bind a random free port on 127.0.0.1 and serve."""
        await self.transport.start()
        return self

    async def stop(self) -> None:
        """Close gateway connections and the server (idempotent)."""
        await self.transport.stop()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def patch_discord(self) -> Callable[[], None]:
        """Point discord.py (``Route.BASE``, ``DiscordWebSocket.DEFAULT_GATEWAY``) here; returns ``restore()``."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.core.gateway_url)

        def restore() -> None:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

        return restore

    @contextlib.asynccontextmanager
    async def run_bot(
        self,
        bot: discord.Client,
        *,
        token: str = "fake-bot-token",
        wait_ready: bool = True,
        wait_for_commands: bool = False,
        wait_on_ready: bool = False,
        timeout: float = 10.0,
    ) -> AsyncIterator[discord.Client]:
        """Run ``bot.start(token)`` against the fake for the duration of the block, then close it.

        Waits until the client connected and cached the guild (``wait_ready``), optionally until its
        ``on_ready`` fired (``wait_on_ready``; that takes the client's ``guild_ready_timeout``, 2 s by
        default, so build test bots with ``guild_ready_timeout=0.01``), and until it synced its guild
        commands (``wait_for_commands``). If the bot task dies (e.g. ``PrivilegedIntentsRequired``) every
        wait fails fast with its exception; a crash after the block raises AssertionError at exit.
        """
        restore = self.patch_discord()
        # Anything from an earlier client does not count as "ready" / "synced" for this one.
        self.core.login_at = started = time.monotonic()
        task: asyncio.Task[Any] = asyncio.create_task(bot.start(token), name="fakediscord-bot")
        task.add_done_callback(lambda _t: self.notifier.notify())
        self.core.client_tasks.append(task)
        failed = False
        try:
            if wait_ready:
                await self.wait_until_ready(timeout)
                # The client has parsed GUILD_CREATE once its guild cache has every guild of its shards.
                await self.wait_for(
                    lambda: self._cached_all_guilds(bot), timeout, "the bot to cache its guilds from GUILD_CREATE"
                )
            if wait_on_ready:
                await asyncio.wait_for(bot.wait_until_ready(), timeout)
            if wait_for_commands:
                await self.wait_for_commands(timeout)
            yield bot
        except BaseException:
            failed = True
            raise
        finally:
            self.core.client_tasks.remove(task)
            sessions = self._sessions_of(bot, started)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bot.close(), 5.0)
            if sessions:
                # Let the server see the clean close, so the next client starts from a settled state.
                with contextlib.suppress(AssertionError):
                    await self.notifier.wait_for(
                        lambda: all(s.ended or s.connection is None for s in sessions),
                        timeout=2.0,
                        describe=lambda: "",
                    )
            crash: BaseException | None = None
            try:
                await asyncio.wait_for(task, 5.0)
            except (asyncio.CancelledError, TimeoutError):
                task.cancel()
            except Exception as exc:
                crash = exc
            restore()
            if crash is not None and not failed:
                raise AssertionError(f"the bot task crashed: {crash!r}") from crash

    def _cached_all_guilds(self, bot: discord.Client) -> bool:
        expected = [g.id for g in self.world.bot_guilds() if client_shard_of(bot, g.id) is not None]
        # Guilds arrive in order: the last one missing is the cheap answer while they are still coming.
        if expected and bot.get_guild(expected[-1]) is None:
            return False
        return all(bot.get_guild(g) is not None for g in expected)

    def _sessions_of(self, bot: discord.Client, since: float) -> list[GatewaySession]:
        """Live sessions identified since ``since`` for one of the client's shards (the client's own, when
        two clients share the fake)."""
        shards = client_shards(bot)
        return [
            s
            for s in self.gateway.live_sessions()
            if s.identified_at >= since and (shards is None or s.shard_id in shards)
        ]

    def client_checks(self) -> list[Callable[[], None]]:
        """Checks run by every wait: fail fast if a bot started by :meth:`run_bot` has died."""
        return self.core.client_checks()

    # =================================================================================== waiting

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """Wait until ``predicate()`` returns something other than None/False and return it."""
        return await self.notifier.wait_for(
            predicate,
            timeout=timeout,
            describe=lambda: f"{what or 'condition'} never held. {self.describe_recent()}",
            checks=self.client_checks(),
        )

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait until the bot (the latest client to log in) identified and got READY + GUILD_CREATE."""

        def ready() -> bool:
            s = self.gateway.current
            return s is not None and s.ready and not s.ended and s.identified_at >= self.core.login_at

        await self.wait_for(ready, timeout, "the bot to connect to the gateway and receive READY")

    async def wait_for_commands(self, timeout: float = 10.0, guild_id: int | None = None) -> list[JSON]:
        """Wait until the bot (since its latest login) PUT its commands for the guild; returns them."""
        gid = guild_id or GUILD_ID
        await self.wait_for(
            lambda: self.core.commands_put_at.get(gid, float("-inf")) >= self.core.login_at,
            timeout,
            f"the bot to sync (PUT) its guild commands for guild {gid}",
        )
        return self.registered_commands(gid)

    async def wait_for_global_commands(self, timeout: float = 10.0) -> list[JSON]:
        """Wait until the bot (since its latest login) PUT its global commands; returns them."""
        await self.wait_for(
            lambda: self.core.commands_put_at.get(None, float("-inf")) >= self.core.login_at,
            timeout,
            "the bot to sync (PUT) its global commands",
        )
        return self.global_commands()

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 5.0, *, count: int = 1
    ) -> RecordedRequest:
        """Wait until ``count`` requests match; returns the ``count``-th."""

        def found() -> RecordedRequest | None:
            matching = [r for r in self.requests if r.status and r.matches(method, path_regex)]
            return matching[count - 1] if len(matching) >= count else None

        result: RecordedRequest = await self.wait_for(found, timeout, f"{count} x {method} {path_regex}")
        return result

    async def wait_for_message(
        self,
        channel: ChannelRef,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        author: UserRef | None = None,
    ) -> Message:
        """Wait for a message in a channel/thread/DM (by the bot unless ``author`` is given)."""
        ch = self.world.channel(channel)
        who = self.world.user(author) if author is not None else self.world.bot_user

        def found() -> Message | None:
            for msg in self.world.messages_in(ch):
                if msg.author is who and (predicate is None or predicate(msg)):
                    return msg
            return None

        result: Message = await self.wait_for(found, timeout, f"a message from {who.username} in {ch}")
        return result

    async def wait_for_dm(
        self, user: UserRef, predicate: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Message:
        """Wait for a DM from the bot to ``user``."""
        target = self.world.user(user)

        def found() -> Message | None:
            for msg in self.dms_to(target):
                if predicate is None or predicate(msg):
                    return msg
            return None

        result: Message = await self.wait_for(found, timeout, f"a DM to {target.username}")
        return result

    async def wait_for_event(
        self, name: str, predicate: Callable[[Any], bool] | None = None, timeout: float = 5.0
    ) -> RecordedEvent:
        """Wait until a gateway dispatch ``name`` was sent to the bot."""

        def found() -> RecordedEvent | None:
            for ev in self.gateway.events:
                if ev.name == name and (predicate is None or predicate(ev.data)):
                    return ev
            return None

        result: RecordedEvent = await self.wait_for(found, timeout, f"gateway event {name}")
        return result

    def describe_recent(self, n: int = 8) -> str:
        """The last requests (for timeout messages)."""
        return self.core.describe_recent(n)

    # =================================================================================== queries

    @property
    def events(self) -> list[RecordedEvent]:
        """Every gateway dispatch sent to the bot."""
        return self.gateway.events

    @property
    def intents(self) -> int | None:
        """The intents of the current gateway session's IDENTIFY (None before any)."""
        s = self.gateway.current
        return None if s is None else s.intents

    @property
    def identify_payload(self) -> JSON | None:
        """The latest IDENTIFY ``d`` (token removed)."""
        s = self.gateway.current
        return None if s is None else s.identify

    def requests_matching(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests with this method ("*" for any) whose API path matches ``re.search``."""
        return [r for r in self.requests if r.matches(method, path_regex)]

    def events_named(self, name: str) -> list[RecordedEvent]:
        return [e for e in self.gateway.events if e.name == name]

    def events_about(self, guild: GuildRef, name: str | None = None) -> list[RecordedEvent]:
        """Dispatches about a guild (``name`` only, if given), each with the ``shard`` it was delivered to."""
        gid = self.world.guild_ref(guild).id
        return [
            e for e in self.gateway.events if (name is None or e.name == name) and event_guild_id(e.name, e.data) == gid
        ]

    @property
    def sessions(self) -> list[GatewaySession]:
        """Live gateway sessions, oldest first (one per shard a client connected; ``.shard``, ``.owns(id)``)."""
        return self.gateway.live_sessions()

    async def wait_for_sessions(self, count: int, timeout: float = 10.0) -> list[GatewaySession]:
        """Wait until ``count`` live sessions got READY and every GUILD_CREATE; returns them."""

        def ready() -> list[GatewaySession] | None:
            live = [s for s in self.gateway.live_sessions() if s.ready]
            return live if len(live) >= count else None

        found: list[GatewaySession] = await self.wait_for(ready, timeout, f"{count} ready gateway sessions")
        return found

    @property
    def recommended_shards(self) -> int:
        """GET /gateway/bot's ``shards`` (events/gateway.mdx, "Get Gateway Bot"); 1 by default."""
        return self.core.recommended_shards

    @recommended_shards.setter
    def recommended_shards(self, count: int) -> None:
        self.core.recommended_shards = count

    @property
    def max_guilds_per_session(self) -> int:
        """Guilds one session may handle; IDENTIFY for more is closed with 4011 "Sharding required"
        (events/gateway.mdx, "Sharding": 2500, the default)."""
        return self.gateway.max_guilds_per_session

    @max_guilds_per_session.setter
    def max_guilds_per_session(self, count: int) -> None:
        self.gateway.max_guilds_per_session = count

    def registered_commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands the bot registered for a guild (default guild when None)."""
        return self.core.registered_commands(guild_id)

    def global_commands(self) -> list[JSON]:
        """Global commands the bot registered (tests usually assert this stays empty)."""
        return self.core.global_commands()

    @property
    def global_command_puts(self) -> int:
        """How many times the bot bulk-overwrote (PUT) its global commands."""
        return self.core.command_puts.get(None, 0)

    def guild_command_puts(self, guild_id: int | None = None) -> int:
        """How many times the bot bulk-overwrote (PUT) a guild's commands (default guild when None)."""
        return self.core.command_puts.get(guild_id or GUILD_ID, 0)

    def command(self, name: str, *, guild_id: int | None = None, type: int = 1) -> JSON:
        """A registered command by top-level name (guild first, then global)."""
        return self.core.command(name, guild_id=guild_id, type=type)

    def channel(self, ref: ChannelRef) -> Channel:
        return self.world.channel(ref)

    def member(self, ref: UserRef) -> Member:
        return self.world.member(ref)

    def user(self, ref: UserRef) -> User:
        return self.world.user(ref)

    def message(self, message_id: int) -> Message:
        return self.core.message(message_id)

    def messages_in(self, channel: ChannelRef) -> list[Message]:
        """Messages in a channel/thread/DM, oldest first (not deleted, not ephemeral)."""
        return self.world.messages_in(channel)

    def bot_messages_in(self, channel: ChannelRef) -> list[Message]:
        return [m for m in self.world.messages_in(channel) if m.author is self.world.bot_user]

    def threads_in(self, channel: ChannelRef) -> list[Channel]:
        """Threads (and forum posts) under a channel, oldest first."""
        return self.world.threads_in(channel)

    def dm_channel(self, user: UserRef) -> Channel:
        return self.world.dm_channel(user)

    def dms_to(self, user: UserRef) -> list[Message]:
        """Messages the bot sent to ``user`` by DM, oldest first."""
        ch = self.world.dm_channel(user)
        return [m for m in self.world.messages_in(ch) if m.author is self.world.bot_user]

    def attachment(self, attachment_id: int) -> Attachment:
        return self.core.attachments[attachment_id]

    # =================================================================================== faults & limits

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        code: int | None = None,
        count: int = 1,
        retry_after: float = 0.05,
        message: str | None = None,
        errors: JSON | None = None,
        scope: str = "user",
    ) -> FaultRule:
        """Fail the next ``count`` requests matching ``method`` ("*" any) and ``re.search(path_regex, path)``.

        429 comes in the shape of topics/rate-limits.mdx for ``scope`` "user" (default), "shared" or "global",
        with ``Via`` so discord.py sleeps ``retry_after`` and retries (``code`` goes in the body).
        500/502/504 are retried by discord.py after 1 s, 3 s, ... (slow!); 503 and 4xx are raised to the bot
        as ``DiscordServerError``/``HTTPException``.
        """
        return self.transport.fail_next(
            method,
            path_regex,
            status,
            code=code,
            count=count,
            retry_after=retry_after,
            message=message,
            errors=errors,
            scope=scope,
        )

    def set_rate_limit(self, per_second: float | None = 50, *, window: float = 1.0) -> None:
        """Enforce a global sliding-window limit (``None`` disables): at most ``per_second * window`` requests
        in any ``window`` seconds, else 429 ``global: true`` with ``retry_after`` until a slot frees.
        Interaction callbacks and webhook follow-ups are exempt, as on Discord."""
        self.transport.set_rate_limit(per_second, window=window)

    def set_route_limits(
        self, limits: Mapping[str, tuple[int, float]] | None = None, *, default: tuple[int, float] | None = None
    ) -> None:
        """Per-route buckets: ``{"POST /channels/{channel_id}/messages": (5, 5.0)}`` allows 5 requests per 5 s
        for each channel (the route's top-level resource); ``default`` applies to every other route. No
        arguments: back to generous limits (headers on every response, no 429 in practice).
        ``tests.fakediscord.ratelimits.TYPICAL_ROUTE_LIMITS`` holds small Discord-like values."""
        self.transport.set_route_limits(limits, default=default)

    def set_dm_open_limit(self, count: int | None, per: float = 10.0) -> None:
        """At most ``count`` DM channel opens per ``per`` seconds, else 429 code 40003 "You are opening direct
        messages too fast" (retried by discord.py after ``retry_after``); None disables."""
        self.transport.set_dm_open_limit(count, per)

    def set_privileged_intents_allowed(self, allowed: bool) -> None:
        """When False, IDENTIFY with members/presences/message-content closes with 4014, and REST
        answers as for an app without those intents (no message content, no member listing)."""
        self.gateway.privileged_allowed = allowed

    async def drop_gateway(
        self, *, code: int = 4000, wait_resumed: bool = True, timeout: float = 5.0, shard: int | None = None
    ) -> None:
        """Close the bot's websocket abnormally (that of shard ``shard``, else the latest session's); discord.py
        reconnects and RESUMEs (waited for by default)."""
        session = self.gateway.current if shard is None else self.gateway.session_of_shard(shard)
        before = session.resumes if session is not None else 0
        await self.gateway.drop(code, session)
        if wait_resumed and session is not None:
            await self.wait_for(lambda: session.resumes > before, timeout, "the bot to RESUME after drop_gateway()")

    def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client reconnects and resumes."""
        self.gateway.send_op(7)

    async def invalidate_session(self, *, resumable: bool = False, wait: bool = True, timeout: float = 10.0) -> None:
        """Send op 9 INVALID_SESSION (events/gateway-events.mdx, Invalid Session; ``d`` says whether the session
        may be resumed). Not resumable: the session ends and the client IDENTIFYs afresh and gets READY and
        GUILD_CREATE again (waited for by default; discord.py's ``before_identify_hook`` sleeps 5 s before
        an IDENTIFY that is not its first); resumable: it RESUMEs."""
        session = self.gateway.current
        if session is None:
            raise AssertionError("no gateway session to invalidate (is the bot connected?)")
        identifies, resumes = self.stats.identifies, session.resumes
        if not resumable:
            session.ended = True
        self.gateway.send_op(9, resumable)
        if not wait:
            return
        if resumable:
            await self.wait_for(lambda: session.resumes > resumes, timeout, "the bot to RESUME after INVALID_SESSION")
            return

        def identified_again() -> bool:
            current = self.gateway.current
            return self.stats.identifies > identifies and current is not None and current.ready

        await self.wait_for(identified_again, timeout, "the bot to IDENTIFY again after INVALID_SESSION")

    @property
    def valid_token(self) -> str | None:
        """The only bot token the fake accepts: REST answers 401 and IDENTIFY is closed with 4004 for any
        other (topics/opcodes-and-status-codes.mdx). None (default): any token is accepted."""
        return self.core.valid_token

    @valid_token.setter
    def valid_token(self, token: str | None) -> None:
        self.core.valid_token = token

    @property
    def strict_archived_threads(self) -> bool:
        """False (default, topics/threads.mdx): the bot posting in an archived, unlocked thread unarchives it.
        True: such a post is refused with 400 code 50083 "Thread is archived" (what some bots report)."""
        return self.core.strict_archived_threads

    @strict_archived_threads.setter
    def strict_archived_threads(self, strict: bool) -> None:
        self.core.strict_archived_threads = strict

    def expire_interaction(self, interaction: Interaction) -> None:
        """Make the interaction's token unknown (callbacks -> 10062, follow-ups -> 10015)."""
        interaction.expired = True

    def allow_unchecked(self, method: str, path_regex: str) -> None:
        """Exempt matching requests from the teardown checks (for tests of deliberately bad requests)."""
        self.transport.allow_unchecked(method, path_regex)

    # =================================================================================== verification

    def record_server_error(self, where: str) -> None:
        self.core.record_server_error(where)

    def problems(self, *, checker: SpecChecker | None = None, check_spec: bool = True) -> list[str]:
        """Everything wrong: fake internal errors, unknown routes, requests (and the fake's answers) invalid per
        the OpenAPI spec, gateway payloads that do not fit discord.py's typed payloads."""
        events = [e for e in self.events if e.name not in self._unchecked_events]
        return [*self.transport.problems(checker=checker, check_spec=check_spec), *check_events(events)]

    def allow_unchecked_events(self, name: str) -> None:
        """Exempt dispatches named ``name`` from the teardown check against discord.py's typed payloads (for
        tests that craft payloads Discord's client would never produce)."""
        self._unchecked_events.add(name)

    def assert_no_problems(self, *, check_spec: bool = True) -> None:
        problems = self.problems(check_spec=check_spec)
        if problems:
            raise AssertionError("fake discord found problems:\n" + "\n".join(problems))
