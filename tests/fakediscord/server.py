"""FakeDiscord: an aiohttp server on 127.0.0.1 speaking enough of Discord's REST API and gateway for an
unmodified discord.py 2.7 client, plus a driver API to act as guild members against the running bot.

Typical use (the ``fake_discord`` fixture does the start/stop/patch part)::

    async with fake.run_bot(bot, wait_for_commands=True):
        i = await fake.slash("alice", "session", week=3)
        msg = await i.final()
        assert "Week 3" in msg.content

See ``tests/fakediscord/__init__.py`` for the overview.
"""

# Every wait in this module takes an explicit ``timeout`` and fails with a readable AssertionError; that is
# the documented API, so ASYNC109 ("use asyncio.timeout instead") does not apply.

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import re
import secrets
import socket
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import limits
from .gateway import Gateway, GatewaySession, Intents
from .interactions import (
    CallbackType,
    Interaction,
    InteractionCallback,
    InteractionType,
    Modal,
    OptionType,
)
from .openapi_check import SpecChecker, get_checker
from .records import (
    API_PREFIX,
    JSON,
    ApiError,
    FaultRule,
    RecordedEvent,
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
    ChannelRef,
    ChannelType,
    Guild,
    Member,
    Message,
    Perm,
    Role,
    RoleRef,
    User,
    UserRef,
    World,
    iso,
    now_utc,
    snowflake_time,
)

if TYPE_CHECKING:
    import discord

log = logging.getLogger(__name__)

Handler = Callable[["Ctx"], Awaitable[Any]]

#: How long a nonce is remembered for ``enforce_nonce`` de-duplication (Discord: "a few minutes").
NONCE_WINDOW_SECONDS = 300.0
INTERACTION_TOKEN_TTL = 15 * 60.0


@dataclass
class Reply:
    """A handler result with an explicit status (handlers may also return JSON, or None for 204)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None


@dataclass
class Ctx:
    """What a route handler gets."""

    rec: RecordedRequest
    params: dict[str, str]
    request: web.Request

    @property
    def body(self) -> Any:
        return self.rec.json

    @property
    def obj(self) -> JSON:
        """The JSON body as an object ({} when absent or not an object)."""
        return self.rec.json if isinstance(self.rec.json, dict) else {}

    @property
    def files(self) -> list[UploadedFile]:
        return self.rec.files

    @property
    def query(self) -> dict[str, str]:
        return self.rec.query

    def snowflake(self, name: str) -> int:
        raw = self.params[name]
        if not raw.isdigit():
            raise invalid_form_body(field_error([name], "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.'))
        return int(raw)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    #: Interaction/webhook-token routes: not bound by the global rate limit and need no bot token.
    token_route: bool = False


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response with ``Content-Type: application/json`` exactly (no charset: discord.py needs that)."""
    all_headers = {"Content-Type": "application/json"}
    if headers:
        all_headers.update(headers)
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


class FakeDiscord:
    """A local fake Discord (REST + gateway) plus a driver to act as members against a running bot.

    Construct, ``await start()``, point discord.py at it (:meth:`patch_discord` or :meth:`run_bot`),
    drive it, ``await stop()``. Everything the bot sends is recorded in :attr:`requests`; every gateway
    dispatch in :attr:`events`; the world (guild, channels, messages...) is :attr:`world`.
    """

    def __init__(self, world: World | None = None, *, host: str = "127.0.0.1") -> None:
        self.world = world or World()
        self.host = host
        self.port = 0
        self.notifier = Notifier()
        self.stats = Stats()
        self.requests: list[RecordedRequest] = []
        #: Tracebacks of exceptions inside the fake itself (a bug in the fake fails the test at teardown).
        self.server_errors: list[str] = []
        self.gateway = Gateway(self)
        #: Seconds a bot has to send the first callback (Discord: 3 s). None disables the check.
        self.interaction_ack_deadline: float | None = 3.0
        #: Bytes of files one request may upload, also sent to the bot as interactions' attachment_size_limit.
        self.attachment_size_limit = ATTACHMENT_SIZE_LIMIT
        self.interactions: list[Interaction] = []
        self._interactions: dict[int, Interaction] = {}
        self._interactions_by_token: dict[str, Interaction] = {}
        self._commands: dict[int | None, list[JSON]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self._commands_put_at: dict[int | None, float] = {}
        self._login_at = float("-inf")
        self._faults: list[FaultRule] = []
        self._rate_limit: float | None = None
        self._rate_window = 1.0
        self._rate_times: list[float] = []
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self._attachments: dict[int, Attachment] = {}
        self._unchecked: list[tuple[str, re.Pattern[str]]] = []
        self._client_tasks: list[asyncio.Task[Any]] = []
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

    # =================================================================================== lifecycle
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

    async def start(self) -> FakeDiscord:
        """Bind a random free port on 127.0.0.1 and serve."""
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{tail:.*}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_stray)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.world.cdn_base = f"{self.http_base}/attachments"
        return self

    async def stop(self) -> None:
        """Close gateway connections and the server (idempotent)."""
        if self._runner is None:
            return
        await self.gateway.close_all()
        runner, self._runner = self._runner, None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner.cleanup(), 5.0)

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
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

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
        self._login_at = time.monotonic()
        task: asyncio.Task[Any] = asyncio.create_task(bot.start(token), name="fakediscord-bot")
        task.add_done_callback(lambda _t: self.notifier.notify())
        self._client_tasks.append(task)
        failed = False
        try:
            if wait_ready:
                await self.wait_until_ready(timeout)
                # The client has parsed GUILD_CREATE once its guild cache has every guild of the world.
                await self.wait_for(
                    lambda: all(bot.get_guild(g) is not None for g in self.world.guilds),
                    timeout,
                    "the bot to cache the guild from GUILD_CREATE",
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
            self._client_tasks.remove(task)
            session = self.gateway.current
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bot.close(), 5.0)
            if session is not None:
                # Let the server see the clean close, so the next client starts from a settled state.
                with contextlib.suppress(AssertionError):
                    await self.notifier.wait_for(
                        lambda: session.ended or session.connection is None, timeout=2.0, describe=lambda: ""
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

    def client_checks(self) -> list[Callable[[], None]]:
        """Checks run by every wait: fail fast if a bot started by :meth:`run_bot` has died."""

        def check() -> None:
            for task in self._client_tasks:
                if task.done():
                    exc = None if task.cancelled() else task.exception()
                    raise AssertionError(f"the bot task ended while waiting: {exc!r}") from exc

        return [check]

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
            return s is not None and s.ready and not s.ended and s.identified_at >= self._login_at

        await self.wait_for(ready, timeout, "the bot to connect to the gateway and receive READY")

    async def wait_for_commands(self, timeout: float = 10.0, guild_id: int | None = None) -> list[JSON]:
        """Wait until the bot (since its latest login) PUT its commands for the guild; returns them."""
        gid = guild_id or GUILD_ID
        await self.wait_for(
            lambda: self._commands_put_at.get(gid, float("-inf")) >= self._login_at,
            timeout,
            f"the bot to sync (PUT) its guild commands for guild {gid}",
        )
        return self.registered_commands(gid)

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
        recent = self.requests[-n:]
        lines = [f"{r.method} {r.url} -> {r.status}" for r in recent]
        errors = f" Fake internal errors: {len(self.server_errors)}." if self.server_errors else ""
        return "Recent requests: " + ("; ".join(lines) if lines else "none") + "." + errors

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

    def registered_commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands the bot registered for a guild (default guild when None)."""
        return list(self._commands.get(guild_id or GUILD_ID, []))

    def global_commands(self) -> list[JSON]:
        """Global commands the bot registered (tests usually assert this stays empty)."""
        return list(self._commands.get(None, []))

    def command(self, name: str, *, guild_id: int | None = None, type: int = 1) -> JSON:
        """A registered command by top-level name (guild first, then global)."""
        for cmd in [*self.registered_commands(guild_id), *self.global_commands()]:
            if cmd["name"] == name and int(cmd.get("type", 1)) == type:
                return cmd
        names = [c["name"] for c in [*self.registered_commands(guild_id), *self.global_commands()]]
        raise AssertionError(f"no registered command {name!r} (type {type}); registered: {names}")

    def channel(self, ref: ChannelRef) -> Channel:
        return self.world.channel(ref)

    def member(self, ref: UserRef) -> Member:
        return self.world.member(ref)

    def user(self, ref: UserRef) -> User:
        return self.world.user(ref)

    def message(self, message_id: int) -> Message:
        try:
            return self.world.messages[message_id]
        except KeyError:
            raise AssertionError(f"no message {message_id}") from None

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
        return self._attachments[attachment_id]

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
    ) -> FaultRule:
        """Fail the next ``count`` requests matching ``method`` ("*" any) and ``re.search(path_regex, path)``.

        429 comes with X-RateLimit-* headers, ``Via`` and ``{"retry_after", "global": false}`` so
        discord.py sleeps ``retry_after`` and retries. 500/502/504 are retried by discord.py after
        1 s, 3 s, ... (slow!); 503 and 4xx are raised to the bot as ``DiscordServerError``/``HTTPException``.
        """
        rule = FaultRule(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            code=code,
            remaining=count,
            retry_after=retry_after,
            message=message,
            errors=errors,
        )
        self._faults.append(rule)
        return rule

    def set_rate_limit(self, per_second: float | None = 50, *, window: float = 1.0) -> None:
        """Enforce a global sliding-window limit (``None`` disables): at most ``per_second * window`` requests
        in any ``window`` seconds, else 429 ``global: true`` with ``retry_after`` until a slot frees.
        Interaction callbacks and webhook follow-ups are exempt, as on Discord."""
        self._rate_limit = per_second
        self._rate_window = window
        self._rate_times.clear()

    def set_privileged_intents_allowed(self, allowed: bool) -> None:
        """When False, IDENTIFY with members/presences/message-content closes with 4014, and REST
        answers as for an app without those intents (no message content, no member listing)."""
        self.gateway.privileged_allowed = allowed

    async def drop_gateway(self, *, code: int = 4000, wait_resumed: bool = True, timeout: float = 5.0) -> None:
        """Close the bot's websocket abnormally; discord.py reconnects and RESUMEs (waited for by default)."""
        session = self.gateway.current
        before = session.resumes if session is not None else 0
        await self.gateway.drop(code)
        if wait_resumed and session is not None:
            await self.wait_for(lambda: session.resumes > before, timeout, "the bot to RESUME after drop_gateway()")

    def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client reconnects and resumes."""
        self.gateway.send_op(7)

    def expire_interaction(self, interaction: Interaction) -> None:
        """Make the interaction's token unknown (callbacks -> 10062, follow-ups -> 10015)."""
        interaction.expired = True

    def allow_unchecked(self, method: str, path_regex: str) -> None:
        """Exempt matching requests from the teardown checks (for tests of deliberately bad requests)."""
        self._unchecked.append((method.upper(), re.compile(path_regex)))

    # =================================================================================== verification
    def record_server_error(self, where: str) -> None:
        self.server_errors.append(f"{where}:\n{traceback.format_exc()}")

    def problems(self, *, checker: SpecChecker | None = None, check_spec: bool = True) -> list[str]:
        """Everything wrong: fake internal errors, unknown routes, requests invalid per the OpenAPI spec."""
        out = [f"fake discord internal error in {e}" for e in self.server_errors]
        candidates = [
            r
            for r in self.requests
            if r.api and not any((m == "*" or m == r.method) and p.search(r.path) for m, p in self._unchecked)
        ]
        if check_spec:
            checker = checker or get_checker()
        if checker is not None and check_spec:
            out.extend(checker.check_all(candidates))
        else:
            out.extend(f"{r.method} {r.url}: unknown route" for r in candidates if r.unknown)
        return out

    def assert_no_problems(self, *, check_spec: bool = True) -> None:
        problems = self.problems(check_spec=check_spec)
        if problems:
            raise AssertionError("fake discord found problems:\n" + "\n".join(problems))

    # =================================================================================== HTTP plumbing
    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/applications/{application_id}/commands", self._list_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self._get_command),
            ("PATCH", "/applications/{application_id}/commands/{command_id}", self._patch_command),
            ("DELETE", "/applications/{application_id}/commands/{command_id}", self._delete_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions", self._command_perms),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._list_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._get_command),
            ("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._patch_command),
            ("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._delete_command),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup_create),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._webhook_message_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._webhook_message_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._webhook_message_delete),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_delete),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._patch_channel),
            ("DELETE", "/channels/{channel_id}", self._delete_channel),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("POST", "/channels/{channel_id}/messages/bulk-delete", self._bulk_delete),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self._add_reaction),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me",
                self._remove_reaction,
            ),
            ("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}", self._list_reactions),
            ("POST", "/channels/{channel_id}/threads", self._create_thread),
            ("GET", "/channels/{channel_id}/threads/archived/public", self._archived_threads),
            ("GET", "/channels/{channel_id}/thread-members", self._list_thread_members),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self._join_thread),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self._leave_thread),
            ("GET", "/channels/{channel_id}/thread-members/{user_id}", self._get_thread_member),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._add_thread_member),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self._remove_thread_member),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._guild_roles),
            ("GET", "/guilds/{guild_id}/members", self._list_members),
            ("GET", "/guilds/{guild_id}/members/search", self._search_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._add_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._remove_member_role),
            ("GET", "/guilds/{guild_id}/threads/active", self._active_threads),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._get_event),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._edit_event),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._delete_event),
        ]
        routes = []
        for method, template, handler in table:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            token_route = template.startswith(("/interactions/", "/webhooks/"))
            routes.append(_Route(method, template, re.compile(f"^{pattern}$"), handler, token_route))
        return routes

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None, {}

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        files: list[UploadedFile] = []
        if request.content_type == "multipart/form-data":
            payload: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    data = await part.read(decode=False)
                    files.append(
                        UploadedFile(
                            field=name,
                            filename=part.filename or name,
                            data=bytes(data),
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        raw = await request.read() if request.can_read_body else b""
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None

    async def _handle_stray(self, request: web.Request) -> web.StreamResponse:
        """Anything outside /api/v10, /gateway and /attachments: recorded as an unknown route."""
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            json=None,
            files=[],
            time=time.time(),
            monotonic=time.monotonic(),
            content_type=request.content_type,
            has_auth="Authorization" in request.headers,
            api=True,
            unknown=True,
            status=404,
        )
        self.requests.append(rec)
        self.stats.requests += 1
        self.notifier.notify()
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            json=None,
            files=[],
            time=time.time(),
            monotonic=time.monotonic(),
            content_type=request.content_type,
            has_auth="Authorization" in request.headers,
        )
        self.requests.append(rec)
        self.stats.requests += 1
        try:
            response = await self._process(rec, request)
        except Exception:
            self.record_server_error(f"{rec.method} {rec.path}")
            # Not a 5xx: discord.py would retry those for ~25 s. A 400 fails the bot's call at once and
            # the test fails at teardown with the traceback.
            response = json_response({"message": "fake discord internal error (see test teardown)", "code": 0}, 400)
        rec.status = response.status
        self.notifier.notify()
        return response

    async def _process(self, rec: RecordedRequest, request: web.Request) -> web.StreamResponse:
        route, params = self._match(rec.method, rec.path)
        try:
            rec.json, rec.files = await self._read_body(request)
        except ApiError as err:
            rec.route = route.template if route else None
            return json_response(err.body(), err.status)
        if route is None:
            rec.unknown = True
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        rec.route = route.template
        if not route.token_route and not rec.has_auth:
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        if not route.token_route and self._rate_limit is not None:
            retry = self._check_rate_limit()
            if retry is not None:
                rec.injected = "ratelimit"
                self.stats.rate_limited += 1
                return self._rate_limited_response(retry, is_global=True)
        for rule in self._faults:
            if rule.matches(rec.method, rec.path):
                rule.remaining -= 1
                rule.hits.append(rec)
                rec.injected = "fault"
                self.stats.injected_failures += 1
                return self._fault_response(rule)
        if route.template == "/users/@me":
            self._login_at = time.monotonic()
        try:
            result = await route.handler(Ctx(rec=rec, params=params, request=request))
        except ApiError as err:
            rec.response = err.body()
            return json_response(err.body(), err.status)
        if isinstance(result, web.StreamResponse):
            return result
        if isinstance(result, Reply):
            rec.response = result.body
            if result.status == 204:
                return web.Response(status=204, headers=result.headers)
            return json_response(result.body, result.status, result.headers)
        if result is None:
            return web.Response(status=204)
        rec.response = result
        return json_response(result)

    def _check_rate_limit(self) -> float | None:
        assert self._rate_limit is not None
        now = time.monotonic()
        cutoff = now - self._rate_window
        self._rate_times = [t for t in self._rate_times if t > cutoff]
        if len(self._rate_times) >= max(1, int(self._rate_limit * self._rate_window)):
            return max(0.001, self._rate_times[0] + self._rate_window - now)
        self._rate_times.append(now)
        return None

    def _rate_limited_response(
        self, retry_after: float, *, is_global: bool, bucket: str = "fake-global"
    ) -> web.Response:
        headers = {
            "X-RateLimit-Limit": str(max(1, int((self._rate_limit or 1) * self._rate_window))),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Retry-After": str(max(1, int(retry_after + 0.999))),
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": is_global}
        return json_response(body, 429, headers)

    def _fault_response(self, rule: FaultRule) -> web.Response:
        if rule.status == 429:
            return self._rate_limited_response(rule.retry_after, is_global=False, bucket="fake-fault")
        if rule.status >= 500:
            body: JSON = {"message": rule.message or f"{rule.status}: Server Error", "code": rule.code or 0}
            return json_response(body, rule.status)
        err = ApiError(rule.status, rule.code or 0, rule.message or f"{rule.status}: injected failure", rule.errors)
        return json_response(err.body(), rule.status)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        parts = request.match_info["tail"].split("/")
        rec = RecordedRequest(
            method="GET",
            path=request.path,
            query=dict(request.query),
            headers={},
            json=None,
            files=[],
            time=time.time(),
            monotonic=time.monotonic(),
            content_type=None,
            has_auth=False,
            api=False,
            route="/attachments/{channel_id}/{attachment_id}/{filename}",
        )
        self.requests.append(rec)
        att = self._attachments.get(int(parts[1])) if len(parts) >= 2 and parts[1].isdigit() else None
        if att is None:
            rec.status = 404
            self.notifier.notify()
            return web.Response(status=404, text="Not Found")
        rec.status = 200
        self.notifier.notify()
        return web.Response(body=att.data, headers={"Content-Type": att.content_type or "application/octet-stream"})

    # =================================================================================== payload builders
    def ready_payload(self, session: GatewaySession, shard: Any = None) -> JSON:
        """READY for a new session."""
        flags = (1 << 13) | (1 << 15) | (1 << 19) if self.gateway.privileged_allowed else 0
        user = self.world.bot_user.to_dict()
        user.update({"verified": True, "mfa_enabled": False, "email": None, "bot": True})
        payload: JSON = {
            "v": 10,
            "user": user,
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.world.guilds.values()],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.world.application_id), "flags": flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ["fakediscord"],
        }
        if shard is not None:
            payload["shard"] = shard
        return payload

    def guild_create_payload(self, guild: Guild, session: GatewaySession) -> JSON:
        """GUILD_CREATE: channels, active threads, roles and (members intent permitting) members."""
        payload = guild.to_dict()
        bot = self.world.bot_member(guild.id)
        if session.has(Intents.GUILD_MEMBERS):
            members = [m.to_dict() for m in guild.members.values()]
        else:
            members = [bot.to_dict()]
        channels = [self.world.channels[c] for c in guild.channel_ids if c in self.world.channels]
        threads = [c for c in self.world.channels.values() if c.is_thread and c.guild_id == guild.id and not c.archived]
        payload.update(
            {
                "joined_at": iso(bot.joined_at),
                "large": False,
                "unavailable": False,
                "lazy": True,
                "member_count": len(guild.members) if not session.has(Intents.GUILD_MEMBERS) else len(members),
                "members": members,
                "channels": [c.to_dict(self.world) for c in channels],
                "threads": [t.to_dict(self.world) for t in threads],
                "presences": [],
                "voice_states": [],
                "stage_instances": [],
                "guild_scheduled_events": list(guild.scheduled_events.values()),
                "soundboard_sounds": [],
                "embedded_activities": [],
                "activity_instances": [],
                "application_command_counts": {},
                "version": int(time.time() * 1000),
            }
        )
        return payload

    def _message_event(self, msg: Message) -> Callable[[GatewaySession], JSON]:
        """MESSAGE_CREATE/UPDATE data, with content blanked as Discord does without MESSAGE_CONTENT."""

        def build(session: GatewaySession) -> JSON:
            include = self._content_visible(msg, has_intent=session.has(Intents.MESSAGE_CONTENT))
            data = msg.to_dict(self.world, include_content=include)
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
                member = self.world.maybe_member(msg.author.id, msg.guild_id)
                if member is not None and msg.webhook_id is None:
                    data["member"] = member.to_dict(include_user=False)
            return data

        return build

    def _content_visible(self, msg: Message, *, has_intent: bool) -> bool:
        if has_intent or msg.guild_id is None or msg.author is self.world.bot_user:
            return True
        return self.world.bot_user.id in msg.mention_ids

    def _rest_message(self, msg: Message) -> JSON:
        """A message as REST returns it (content hidden when the app lacks the privileged intent)."""
        include = self._content_visible(msg, has_intent=self.gateway.privileged_allowed)
        return msg.to_dict(self.world, include_content=include)

    def _thread_event(self, thread: Channel, *, newly_created: bool = False) -> JSON:
        data = thread.to_dict(self.world)
        if newly_created:
            data["newly_created"] = True
        return data

    # =================================================================================== common helpers
    def _channel_or_404(self, channel_id: int) -> Channel:
        channel = self.world.channels.get(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _guild_or_404(self, guild_id: int) -> Guild:
        guild = self.world.guilds.get(guild_id)
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _message_or_404(self, channel: Channel, message_id: int) -> Message:
        msg = self.world.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _bot_permissions(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return Perm.ALL
        return self.world.base_permissions(self.world.bot_member(channel.guild_id))

    def _require(self, channel: Channel, perm: int) -> None:
        if not self._bot_permissions(channel) & perm:
            raise ApiError(403, 50013, "Missing Permissions")

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

    def _check_can_post(self, channel: Channel, *, files: bool = False) -> None:
        """Discord's checks before the bot posts a message in ``channel``."""
        if channel.is_dm:
            recipient = self.world.users.get(channel.recipient_id or 0)
            if recipient is None or recipient.bot:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            shares = [g for g in self.world.guilds.values() if recipient.id in g.members]
            if not shares or not any(g.members[recipient.id].accepts_dms for g in shares):
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        if channel.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_CATEGORY):
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.is_thread:
            self._require(channel, Perm.SEND_MESSAGES_IN_THREADS)
            if channel.locked and not self._bot_permissions(channel) & Perm.MANAGE_THREADS:
                raise ApiError(403, 160005, "Thread is locked")
            if channel.archived:
                raise ApiError(400, 50083, "Thread is archived")
        else:
            self._require(channel, Perm.SEND_MESSAGES)
        if files:
            self._require(channel, Perm.ATTACH_FILES)

    def _store_attachment(
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
        self._attachments[att_id] = att
        return att

    def _attachments_for(
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
            new = [self._store_attachment(channel_id, f.filename, f.data, content_type=f.content_type) for f in files]
            return [*(existing or []), *new]
        result: list[Attachment] = []
        for i, spec in enumerate(_as_list(specs)):
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
                self._store_attachment(
                    channel_id,
                    str(spec.get("filename") or upload.filename),
                    upload.data,
                    content_type=upload.content_type,
                    description=spec.get("description"),
                )
            )
        return result

    def _new_message(
        self,
        channel: Channel,
        author: User,
        body: JSON,
        files: list[UploadedFile],
        *,
        type: int = 0,
        flags: int | None = None,
        message_id: int | None = None,
    ) -> Message:
        content = body.get("content")
        content = "" if content is None else str(content)
        users, roles, everyone = self.world.parse_mentions(content)
        msg = Message(
            id=message_id or self.world.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=content,
            type=type,
            flags=int(body.get("flags") or 0) & limits.SETTABLE_MESSAGE_FLAGS if flags is None else flags,
            embeds=[{"type": "rich", **e} for e in _as_list(body.get("embeds"))],
            components=_as_list(body.get("components")),
            nonce=body.get("nonce"),
            tts=bool(body.get("tts")),
            mention_ids=users,
            mention_role_ids=roles,
            mention_everyone=everyone,
            poll=body.get("poll"),
        )
        msg.attachments = self._attachments_for(body, files, channel.id) or []
        return msg

    def _apply_edit(
        self, msg: Message, body: JSON, files: list[UploadedFile], *, root: list[str | int] | None = None
    ) -> None:
        """PATCH semantics: present fields replace, ``attachments`` lists what to keep."""
        limits.check_message(body, root=root, files=len(files), existing=True)
        attachments = self._attachments_for(body, files, msg.channel_id, msg.attachments)
        content = msg.content
        if "content" in body:
            content = "" if body["content"] is None else str(body["content"])
        embeds = msg.embeds
        if "embeds" in body:
            embeds = [{"type": "rich", **e} for e in _as_list(body["embeds"])]
        components = msg.components
        if "components" in body:
            components = _as_list(body["components"])
        new_attachments = msg.attachments if attachments is None else attachments
        if not (content or embeds or components or new_attachments or msg.poll):
            raise ApiError(400, 50006, "Cannot send an empty message")
        msg.content = content
        msg.mention_ids, msg.mention_role_ids, msg.mention_everyone = self.world.parse_mentions(content)
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

    def _post(self, msg: Message, *, ephemeral: bool = False) -> Message:
        """Store a new message and tell the bot (MESSAGE_CREATE) unless it is ephemeral."""
        self.world.add_message(msg, in_history=not ephemeral)
        if not ephemeral:
            channel = self.world.channels.get(msg.channel_id)
            if channel is not None and channel.is_thread:
                channel.member_ids.setdefault(msg.author.id, now_utc())
            self.gateway.dispatch("MESSAGE_CREATE", self._message_event(msg))
        self.notifier.notify()
        return msg

    def _updated(self, msg: Message) -> None:
        if not msg.ephemeral:
            self.gateway.dispatch("MESSAGE_UPDATE", self._message_event(msg))
        self.notifier.notify()

    def _deleted(self, msg: Message) -> None:
        msg.deleted = True
        channel = self.world.channels.get(msg.channel_id)
        if channel is not None and channel.is_thread and msg.id != channel.id and not msg.ephemeral:
            channel.message_count = max(0, channel.message_count - 1)
        if not msg.ephemeral:
            data: JSON = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data)
        self.notifier.notify()

    def _thread_update(self, thread: Channel) -> None:
        self.gateway.dispatch("THREAD_UPDATE", self._thread_event(thread))
        self.notifier.notify()

    # =================================================================================== REST: users/app/gateway
    async def _get_me(self, ctx: Ctx) -> Any:
        data = self.world.bot_user.to_dict()
        data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return data

    async def _get_user(self, ctx: Ctx) -> Any:
        user = self.world.users.get(ctx.snowflake("user_id"))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user.to_dict()

    async def _get_application(self, ctx: Ctx) -> Any:
        owner = self.world.users[self.world.guild.owner_id]
        bot = self.world.bot_user
        flags = (1 << 13) | (1 << 15) | (1 << 19) if self.gateway.privileged_allowed else 0
        return {
            "id": str(self.world.application_id),
            "name": bot.username,
            "icon": None,
            "description": "A fake application",
            "summary": "",
            "type": None,
            "cover_image": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": flags,
            "owner": owner.to_dict(),
            "team": None,
            "bot": bot.to_dict(),
            "rpc_origins": [],
            "tags": [],
            "install_params": None,
            "custom_install_url": None,
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.world.guilds),
            "approximate_user_install_count": 0,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "event_webhooks_url": None,
            "event_webhooks_status": 1,
            "event_webhooks_types": [],
            "guild_id": None,
            "primary_sku_id": None,
            "slug": None,
            "terms_of_service_url": None,
            "privacy_policy_url": None,
        }

    async def _get_gateway(self, ctx: Ctx) -> Any:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, ctx: Ctx) -> Any:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1},
        }

    # =================================================================================== REST: commands
    def _command_scope(self, ctx: Ctx) -> int | None:
        if ctx.snowflake("application_id") != self.world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" in ctx.params:
            return self._guild_or_404(ctx.snowflake("guild_id")).id
        return None

    def _store_command(self, scope: int | None, body: JSON) -> JSON:
        ctype = int(body.get("type") or 1)
        key = (scope, str(body.get("name")), ctype)
        cmd_id = self._command_ids.get(key)
        if cmd_id is None:
            cmd_id = self._command_ids[key] = self.world.new_id()
        cmd: JSON = {
            "id": str(cmd_id),
            "application_id": str(self.world.application_id),
            "version": str(self.world.new_id()),
            "type": ctype,
            "name": body.get("name"),
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "options": _as_list(body.get("options")),
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "nsfw": bool(body.get("nsfw", False)),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _list_commands(self, ctx: Ctx) -> Any:
        return list(self._commands.get(self._command_scope(ctx), []))

    async def _put_commands(self, ctx: Ctx) -> Any:
        scope = self._command_scope(ctx)
        body = ctx.body if isinstance(ctx.body, list) else []
        limits.check_commands(body)
        commands = [self._store_command(scope, c) for c in body]
        self._commands[scope] = commands
        self._commands_put_at[scope] = time.monotonic()
        return commands

    async def _post_command(self, ctx: Ctx) -> Any:
        scope = self._command_scope(ctx)
        limits.check_commands([ctx.obj])
        cmd = self._store_command(scope, ctx.obj)
        existing = [c for c in self._commands.get(scope, []) if c["id"] != cmd["id"]]
        self._commands[scope] = [*existing, cmd]
        return Reply(201, cmd)

    def _find_command(self, ctx: Ctx) -> tuple[int | None, JSON]:
        scope = self._command_scope(ctx)
        cid = ctx.params["command_id"]
        for cmd in self._commands.get(scope, []):
            if cmd["id"] == cid:
                return scope, cmd
        raise ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, ctx: Ctx) -> Any:
        return self._find_command(ctx)[1]

    async def _patch_command(self, ctx: Ctx) -> Any:
        scope, cmd = self._find_command(ctx)
        merged = {**cmd, **ctx.obj}
        limits.check_commands([merged])
        new = self._store_command(scope, merged)
        self._commands[scope] = [new if c["id"] == cmd["id"] else c for c in self._commands.get(scope, [])]
        return new

    async def _delete_command(self, ctx: Ctx) -> Any:
        scope, cmd = self._find_command(ctx)
        self._commands[scope] = [c for c in self._commands.get(scope, []) if c["id"] != cmd["id"]]
        return None

    async def _command_perms(self, ctx: Ctx) -> Any:
        self._command_scope(ctx)
        return []

    # =================================================================================== REST: interactions
    def _interaction_message(
        self, i: Interaction, body: JSON, files: list[UploadedFile], *, flags: int, original: bool
    ) -> Message:
        channel = self.world.channels.get(i.channel_id) or self.world.dm_channel(i.user.id)
        msg_type = 0
        if original:
            msg_type = {InteractionType.APPLICATION_COMMAND: 20}.get(i.type, 0)
            if i.type == InteractionType.APPLICATION_COMMAND and int(i.payload["data"].get("type", 1)) != 1:
                msg_type = 23
        msg = self._new_message(channel, self.world.bot_user, body, files, type=msg_type, flags=flags)
        msg.webhook_id = self.world.application_id
        msg.application_id = self.world.application_id
        msg.interaction_id = i.id
        user = i.user.user if isinstance(i.user, Member) else i.user
        owners = i.payload.get("authorizing_integration_owners", {})
        metadata: JSON = {
            "id": str(i.id),
            "type": i.type,
            "user": user.to_dict(),
            "authorizing_integration_owners": owners,
        }
        if i.type == InteractionType.APPLICATION_COMMAND:
            metadata["name"] = i.name
            metadata["command_type"] = int(i.payload["data"].get("type", 1))
        if not original:
            metadata["original_response_message_id"] = str(i.original.id) if i.original else None
            if metadata["original_response_message_id"] is None:
                del metadata["original_response_message_id"]
        if i.type == InteractionType.MESSAGE_COMPONENT and i.component_message is not None:
            metadata["interacted_message_id"] = str(i.component_message.id)
        msg.interaction_metadata = metadata
        legacy: JSON = {"id": str(i.id), "type": i.type, "name": i.name, "user": user.to_dict()}
        if isinstance(i.user, Member):
            legacy["member"] = i.user.to_dict(include_user=False)
        msg.interaction = legacy
        return msg

    def _interaction_by_token(self, ctx: Ctx) -> Interaction:
        i = self._interactions_by_token.get(ctx.params["webhook_token"])
        if i is None or ctx.params["webhook_id"] != str(self.world.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        if i.expired or time.monotonic() - i.created > INTERACTION_TOKEN_TTL:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if not i.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        return i

    async def _interaction_callback(self, ctx: Ctx) -> Any:
        i = (
            self._interactions.get(int(ctx.params["interaction_id"]))
            if ctx.params["interaction_id"].isdigit()
            else None
        )
        if i is None or i.token != ctx.params["interaction_token"] or i.expired:
            raise ApiError(404, 10062, "Unknown interaction")
        if i.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        deadline = self.interaction_ack_deadline
        if deadline is not None and time.monotonic() - i.created > deadline:
            i.expired = True
            raise ApiError(404, 10062, "Unknown interaction")
        body = ctx.obj
        ctype = int(body.get("type") or 0)
        raw_data = body.get("data")
        data: JSON = raw_data if isinstance(raw_data, dict) else {}
        allowed = {
            InteractionType.APPLICATION_COMMAND: {4, 5, 9, 12},
            InteractionType.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE: {8},
            InteractionType.MODAL_SUBMIT: {4, 5, 6, 7},
        }.get(i.type, set())
        if ctype not in allowed or (ctype in (6, 7) and i.component_message is None):
            raise invalid_form_body(
                field_error(["type"], "INTERACTION_CALLBACK_TYPE_INVALID", f"Callback type {ctype} is not valid here")
            )
        message: Message | None = None
        if ctype == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
            limits.check_message(data, root=["data"], files=len(ctx.files))
            ephemeral = bool(int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
            channel = self.world.channels.get(i.channel_id)
            if channel is not None and not channel.is_dm and channel.is_thread and channel.archived:
                # Interaction responses are allowed in archived threads (Discord unarchives them).
                pass
            message = self._interaction_message(
                i, data, ctx.files, flags=int(data.get("flags") or 0) & limits.SETTABLE_MESSAGE_FLAGS, original=True
            )
            i.original = message
            self._post(message, ephemeral=ephemeral)
        elif ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
            flags = MESSAGE_FLAG_LOADING | (int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
            message = self._interaction_message(i, {}, [], flags=flags, original=True)
            i.original = message
            self._post(message, ephemeral=bool(flags & MESSAGE_FLAG_EPHEMERAL))
        elif ctype == CallbackType.DEFERRED_UPDATE_MESSAGE:
            i.original = i.component_message
        elif ctype == CallbackType.UPDATE_MESSAGE:
            assert i.component_message is not None
            self._apply_edit(i.component_message, data, ctx.files, root=["data"])
            i.original = message = i.component_message
            self._updated(message)
        elif ctype == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            limits.check_autocomplete(data)
        elif ctype == CallbackType.MODAL:
            limits.check_modal(data)
        i.callbacks.append(InteractionCallback(type=ctype, data=data, time=time.monotonic()))
        self.notifier.notify()
        if not ctx.flag("with_response"):
            return None
        interaction: JSON = {"id": str(i.id), "type": i.type}
        resource: JSON = {"type": ctype}
        if message is not None:
            interaction.update(
                {
                    "response_message_id": str(message.id),
                    "response_message_loading": message.loading,
                    "response_message_ephemeral": message.ephemeral,
                }
            )
            resource["message"] = message.to_dict(self.world)
        return {"interaction": interaction, "resource": resource}

    async def _followup_create(self, ctx: Ctx) -> Any:
        i = self._interaction_by_token(ctx)
        body = ctx.obj
        limits.check_message(body, files=len(ctx.files))
        flags = int(body.get("flags") or 0) & limits.SETTABLE_MESSAGE_FLAGS
        original = i.original
        if original is not None and original.loading and not i.followups:
            # The first follow-up after a deferral replaces the "thinking" message (keeping its ephemerality).
            ephemeral_bit = original.flags & MESSAGE_FLAG_EPHEMERAL
            self._apply_edit(original, {k: v for k, v in body.items() if k != "flags"}, ctx.files)
            original.flags = (flags & ~MESSAGE_FLAG_EPHEMERAL) | ephemeral_bit
            msg = original
            self._updated(msg)
        else:
            msg = self._interaction_message(i, body, ctx.files, flags=flags, original=False)
            self._post(msg, ephemeral=msg.ephemeral)
        i.followups.append(msg)
        self.notifier.notify()
        if not ctx.flag("wait"):
            return None
        return msg.to_dict(self.world)

    def _webhook_target(self, ctx: Ctx) -> tuple[Interaction, Message]:
        i = self._interaction_by_token(ctx)
        mid = ctx.params.get("message_id")
        if mid is None or mid == "@original":
            target = i.original
        else:
            target = next(
                (m for m in [*i.all_messages, i.component_message] if m is not None and str(m.id) == mid), None
            )
        if target is None or target.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return i, target

    async def _webhook_message_get(self, ctx: Ctx) -> Any:
        return self._webhook_target(ctx)[1].to_dict(self.world)

    async def _webhook_message_edit(self, ctx: Ctx) -> Any:
        i, msg = self._webhook_target(ctx)
        self._apply_edit(msg, ctx.obj, ctx.files)
        if msg is i.original:
            i.original_edits += 1
        self._updated(msg)
        return msg.to_dict(self.world)

    async def _webhook_message_delete(self, ctx: Ctx) -> Any:
        _, msg = self._webhook_target(ctx)
        self._deleted(msg)
        return None

    # =================================================================================== REST: channels & messages
    async def _get_channel(self, ctx: Ctx) -> Any:
        return self._channel_or_404(ctx.snowflake("channel_id")).to_dict(self.world)

    async def _patch_channel(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        body = ctx.obj
        if channel.is_thread:
            return self._patch_thread(channel, body)
        if channel.is_dm:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self._require(channel, Perm.MANAGE_CHANNELS)
        if "name" in body:
            channel.name = str(body["name"])
        if "topic" in body:
            channel.topic = body["topic"]
        if "nsfw" in body:
            channel.nsfw = bool(body["nsfw"])
        if "rate_limit_per_user" in body:
            channel.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
        if "default_auto_archive_duration" in body:
            channel.default_auto_archive_duration = body["default_auto_archive_duration"]
        if "available_tags" in body and channel.is_forum:
            tags = []
            for tag in _as_list(body["available_tags"]):
                tags.append(
                    {
                        "id": str(tag.get("id") or self.world.new_id()),
                        "name": tag.get("name"),
                        "moderated": bool(tag.get("moderated", False)),
                        "emoji_id": tag.get("emoji_id"),
                        "emoji_name": tag.get("emoji_name"),
                    }
                )
            channel.available_tags = tags
        self.gateway.dispatch("CHANNEL_UPDATE", channel.to_dict(self.world))
        return channel.to_dict(self.world)

    def _patch_thread(self, thread: Channel, body: JSON) -> JSON:
        perms = self._bot_permissions(thread)
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
            self._check_tags(thread, body["applied_tags"], ["applied_tags"])
            thread.applied_tags = [int(t) for t in _as_list(body["applied_tags"])]
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = now_utc()
            thread.archiver_id = self.world.bot_user.id if thread.archived else None
        self._thread_update(thread)
        return thread.to_dict(self.world)

    def _check_tags(self, thread: Channel, tags: Any, path: list[str | int]) -> None:
        parent = self.world.channels.get(thread.parent_id or 0)
        known = {str(t["id"]) for t in (parent.available_tags if parent is not None else [])}
        tag_list = _as_list(tags)
        if len(tag_list) > 5:
            raise invalid_form_body(field_error(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
        for i, tag in enumerate(tag_list):
            if str(tag) not in known:
                raise invalid_form_body(field_error([*path, i], "INVALID_FORUM_TAG", "Unknown tag"))

    async def _delete_channel(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        data = channel.to_dict(self.world)
        if channel.is_thread:
            self._require(channel, Perm.MANAGE_THREADS)
            del self.world.channels[channel.id]
            self.gateway.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(channel.id),
                    "guild_id": str(channel.guild_id),
                    "parent_id": str(channel.parent_id),
                    "type": channel.type,
                },
            )
        elif channel.is_dm:
            return data
        else:
            self._require(channel, Perm.MANAGE_CHANNELS)
            del self.world.channels[channel.id]
            guild = self.world.guild_of(channel)
            if guild is not None and channel.id in guild.channel_ids:
                guild.channel_ids.remove(channel.id)
            self.gateway.dispatch("CHANNEL_DELETE", data)
        return data

    async def _list_messages(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        if not channel.is_dm:
            self._require(channel, Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(ctx.query.get("limit", "50") or 50)))
        msgs = self.world.messages_in(channel)
        if "before" in ctx.query:
            before = int(ctx.query["before"])
            msgs = [m for m in msgs if m.id < before][-limit:]
        elif "after" in ctx.query:
            after = int(ctx.query["after"])
            msgs = [m for m in msgs if m.id > after][:limit]
        elif "around" in ctx.query:
            around = int(ctx.query["around"])
            older = [m for m in msgs if m.id < around][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in msgs if m.id >= around][: limit - len(older)]
            msgs = older + newer
        else:
            msgs = msgs[-limit:]
        return [self._rest_message(m) for m in reversed(msgs)]

    async def _get_message(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        return self._rest_message(self._message_or_404(channel, ctx.snowflake("message_id")))

    async def _create_message(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        body = ctx.obj
        self._check_can_post(channel, files=bool(ctx.files))
        limits.check_message(body, files=len(ctx.files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel.id, str(nonce))
            seen = self._nonces.get(key)
            if seen is not None and time.monotonic() - seen[0] < NONCE_WINDOW_SECONDS:
                original = self.world.messages.get(seen[1])
                if original is not None:
                    return original.to_dict(self.world)
        msg_type = 0
        reference = body.get("message_reference")
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            ref_channel = int(reference.get("channel_id") or channel.id)
            ref = self.world.messages.get(int(reference["message_id"]))
            if ref is None or ref.deleted or ref.channel_id != ref_channel:
                if reference.get("fail_if_not_exists", True):
                    raise invalid_form_body(
                        field_error(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
                    )
            else:
                msg_type = 19
        msg = self._new_message(channel, self.world.bot_user, body, ctx.files, type=msg_type)
        if msg_type == 19 and isinstance(reference, dict):
            msg.message_reference = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id") or channel.id),
                "guild_id": None if channel.guild_id is None else str(channel.guild_id),
            }
        if nonce is not None:
            self._nonces[(channel.id, str(nonce))] = (time.monotonic(), msg.id)
        self._post(msg)
        return msg.to_dict(self.world)

    async def _edit_message(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        msg = self._message_or_404(channel, ctx.snowflake("message_id"))
        if msg.author is not self.world.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if channel.is_thread and channel.archived:
            raise ApiError(400, 50083, "Thread is archived")
        self._apply_edit(msg, ctx.obj, ctx.files)
        self._updated(msg)
        return msg.to_dict(self.world)

    async def _delete_message(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        msg = self._message_or_404(channel, ctx.snowflake("message_id"))
        if msg.author is not self.world.bot_user:
            self._require(channel, Perm.MANAGE_MESSAGES)
        self._deleted(msg)
        return None

    async def _bulk_delete(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        self._require(channel, Perm.MANAGE_MESSAGES)
        ids = [int(x) for x in _as_list(ctx.obj.get("messages"))]
        if not 2 <= len(ids) <= 100:
            raise invalid_form_body(
                field_error(["messages"], "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
            )
        for mid in ids:
            msg = self.world.messages.get(mid)
            if msg is not None and msg.channel_id == channel.id:
                msg.deleted = True
        data: JSON = {"ids": [str(i) for i in ids], "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.gateway.dispatch("MESSAGE_DELETE_BULK", data)
        return None

    def _reaction_event(self, msg: Message, user: User, emoji: str) -> JSON:
        data: JSON = {
            "user_id": str(user.id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            member = self.world.maybe_member(user.id, msg.guild_id)
            if member is not None:
                data["member"] = member.to_dict()
        return data

    async def _add_reaction(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        msg = self._message_or_404(channel, ctx.snowflake("message_id"))
        emoji = ctx.params["emoji_name"]
        users = msg.reactions.setdefault(emoji, [])
        if self.world.bot_user.id not in users:
            users.append(self.world.bot_user.id)
            self.gateway.dispatch("MESSAGE_REACTION_ADD", self._reaction_event(msg, self.world.bot_user, emoji))
        return None

    async def _remove_reaction(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        msg = self._message_or_404(channel, ctx.snowflake("message_id"))
        emoji = ctx.params["emoji_name"]
        users = msg.reactions.get(emoji, [])
        if self.world.bot_user.id in users:
            users.remove(self.world.bot_user.id)
            data = self._reaction_event(msg, self.world.bot_user, emoji)
            data.pop("member", None)
            self.gateway.dispatch("MESSAGE_REACTION_REMOVE", data)
        return None

    async def _list_reactions(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        msg = self._message_or_404(channel, ctx.snowflake("message_id"))
        return [self.world.users[u].to_dict() for u in msg.reactions.get(ctx.params["emoji_name"], [])]

    async def _typing(self, ctx: Ctx) -> Any:
        self._channel_or_404(ctx.snowflake("channel_id"))
        return None

    # =================================================================================== REST: threads
    async def _create_thread(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        body = ctx.obj
        if channel.is_thread or channel.is_dm or channel.type == ChannelType.GUILD_CATEGORY:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        name, duration = self._thread_fields(body)
        if channel.is_forum:
            return self._create_forum_post(channel, body, ctx.files)
        ttype = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        self._require(
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
        self.gateway.dispatch("THREAD_CREATE", self._thread_event(thread, newly_created=True))
        self.notifier.notify()
        return Reply(201, thread.to_dict(self.world))

    def _create_forum_post(self, forum: Channel, body: JSON, files: list[UploadedFile]) -> Reply:
        self._require(forum, Perm.SEND_MESSAGES)
        message_body = body.get("message")
        if not isinstance(message_body, dict):
            raise invalid_form_body(field_error(["message"], "BASE_TYPE_REQUIRED", "This field is required"))
        limits.check_message(message_body, root=["message"], files=len(files))
        tags = _as_list(body.get("applied_tags"))
        thread_id = self.world.new_id()
        thread = self.world.new_thread(
            forum,
            str(body["name"]),
            thread_id=thread_id,
            auto_archive_duration=int(body.get("auto_archive_duration") or forum.default_auto_archive_duration or 4320),
        )
        try:
            self._check_tags(thread, tags, ["applied_tags"])
        except ApiError:
            del self.world.channels[thread.id]
            raise
        thread.applied_tags = [int(t) for t in tags]
        thread.rate_limit_per_user = int(body.get("rate_limit_per_user") or 0)
        starter = self._new_message(thread, self.world.bot_user, message_body, files, message_id=thread_id)
        forum.last_message_id = thread.id
        self.gateway.dispatch("THREAD_CREATE", self._thread_event(thread, newly_created=True))
        self._post(starter)
        data = thread.to_dict(self.world)
        data["message"] = starter.to_dict(self.world)
        return Reply(201, data)

    async def _thread_from_message(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        msg = self._message_or_404(channel, ctx.snowflake("message_id"))
        body = ctx.obj
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if msg.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        self._require(channel, Perm.CREATE_PUBLIC_THREADS)
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
        self.gateway.dispatch("THREAD_CREATE", self._thread_event(thread, newly_created=True))
        self._updated(msg)
        return Reply(201, thread.to_dict(self.world))

    def _thread_members_payload(self, threads: Iterable[Channel]) -> list[JSON]:
        bot_id = self.world.bot_user.id
        return [
            {"id": str(t.id), "user_id": str(bot_id), "join_timestamp": iso(t.member_ids[bot_id]), "flags": 0}
            for t in threads
            if bot_id in t.member_ids
        ]

    async def _active_threads(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        threads = [c for c in self.world.channels.values() if c.is_thread and c.guild_id == guild.id and not c.archived]
        return {"threads": [t.to_dict(self.world) for t in threads], "members": self._thread_members_payload(threads)}

    async def _archived_threads(self, ctx: Ctx) -> Any:
        channel = self._channel_or_404(ctx.snowflake("channel_id"))
        self._require(channel, Perm.READ_MESSAGE_HISTORY)
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

    def _thread_or_404(self, ctx: Ctx) -> Channel:
        thread = self._channel_or_404(ctx.snowflake("channel_id"))
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return thread

    def _thread_member_json(self, thread: Channel, user_id: int) -> JSON:
        return {
            "id": str(thread.id),
            "user_id": str(user_id),
            "join_timestamp": iso(thread.member_ids[user_id]),
            "flags": 0,
        }

    def _thread_members_update(self, thread: Channel, *, added: list[int] = (), removed: list[int] = ()) -> None:  # type: ignore[assignment]
        data: JSON = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.member_ids),
        }
        if added:
            data["added_members"] = [self._thread_member_json(thread, u) for u in added]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        self.gateway.dispatch("THREAD_MEMBERS_UPDATE", data)

    async def _list_thread_members(self, ctx: Ctx) -> Any:
        thread = self._thread_or_404(ctx)
        return [self._thread_member_json(thread, u) for u in thread.member_ids]

    async def _join_thread(self, ctx: Ctx) -> Any:
        thread = self._thread_or_404(ctx)
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        bot_id = self.world.bot_user.id
        if bot_id not in thread.member_ids:
            thread.member_ids[bot_id] = now_utc()
            data = self._thread_member_json(thread, bot_id)
            data["guild_id"] = str(thread.guild_id)
            self.gateway.dispatch("THREAD_MEMBER_UPDATE", data)
        return None

    async def _leave_thread(self, ctx: Ctx) -> Any:
        thread = self._thread_or_404(ctx)
        bot_id = self.world.bot_user.id
        if thread.member_ids.pop(bot_id, None) is not None:
            self._thread_members_update(thread, removed=[bot_id])
        return None

    async def _get_thread_member(self, ctx: Ctx) -> Any:
        thread = self._thread_or_404(ctx)
        uid = ctx.snowflake("user_id")
        if uid not in thread.member_ids:
            raise ApiError(404, 10007, "Unknown Member")
        return self._thread_member_json(thread, uid)

    async def _add_thread_member(self, ctx: Ctx) -> Any:
        thread = self._thread_or_404(ctx)
        uid = ctx.snowflake("user_id")
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        if self.world.maybe_member(uid, thread.guild_id) is None:
            raise ApiError(404, 10007, "Unknown Member")
        if uid not in thread.member_ids:
            thread.member_ids[uid] = now_utc()
            self._thread_members_update(thread, added=[uid])
        return None

    async def _remove_thread_member(self, ctx: Ctx) -> Any:
        thread = self._thread_or_404(ctx)
        uid = ctx.snowflake("user_id")
        if uid != self.world.bot_user.id and thread.owner_id != self.world.bot_user.id:
            self._require(thread, Perm.MANAGE_THREADS)
        if thread.member_ids.pop(uid, None) is not None:
            self._thread_members_update(thread, removed=[uid])
        return None

    # =================================================================================== REST: guilds & users
    async def _get_guild(self, ctx: Ctx) -> Any:
        return self._guild_or_404(ctx.snowflake("guild_id")).to_dict(with_counts=ctx.flag("with_counts"))

    async def _guild_channels(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        return [self.world.channels[c].to_dict(self.world) for c in guild.channel_ids if c in self.world.channels]

    async def _guild_roles(self, ctx: Ctx) -> Any:
        return [r.to_dict() for r in self._guild_or_404(ctx.snowflake("guild_id")).roles.values()]

    async def _list_members(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        if not self.gateway.privileged_allowed:
            raise ApiError(403, 50001, "Missing Access")
        limit = max(1, min(1000, int(ctx.query.get("limit") or 1)))
        after = int(ctx.query.get("after") or 0)
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.to_dict() for m in members[:limit]]

    async def _search_members(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        query = ctx.query.get("query", "").lower()
        limit = max(1, min(1000, int(ctx.query.get("limit") or 1)))
        found = [
            m
            for m in guild.members.values()
            if m.user.username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
        ]
        return [m.to_dict() for m in found[:limit]]

    async def _get_member(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member.to_dict()

    def _member_update_event(self, member: Member) -> None:
        data = member.to_dict()
        data["guild_id"] = str(member.guild_id)
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", data)
        self.notifier.notify()

    async def _add_member_role(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        role = guild.roles.get(ctx.snowflake("role_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        if not self.world.base_permissions(self.world.bot_member(guild.id)) & Perm.MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        if role.id not in member.roles:
            member.roles.append(role.id)
            self._member_update_event(member)
        return None

    async def _remove_member_role(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        member = guild.members.get(ctx.snowflake("user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        if not self.world.base_permissions(self.world.bot_member(guild.id)) & Perm.MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        role_id = ctx.snowflake("role_id")
        if role_id in member.roles:
            member.roles.remove(role_id)
            self._member_update_event(member)
        return None

    async def _open_dm(self, ctx: Ctx) -> Any:
        raw = ctx.obj.get("recipient_id")
        try:
            user = self.world.users[int(str(raw))]
        except (TypeError, ValueError, KeyError):
            raise ApiError(400, 50033, "Invalid Recipient(s)") from None
        return self.world.dm_channel(user).to_dict(self.world)

    # =================================================================================== REST: scheduled events
    def _event_or_404(self, ctx: Ctx) -> tuple[Guild, JSON]:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        event = guild.scheduled_events.get(ctx.snowflake("guild_scheduled_event_id"))
        if event is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        return guild, event

    def _check_event(self, event: JSON) -> None:
        errors: JSON = {}
        if not 1 <= len(str(event.get("name") or "")) <= 100:
            errors.update(field_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        entity_type = event.get("entity_type")
        if entity_type == 3:
            location = (event.get("entity_metadata") or {}).get("location")
            if not location:
                errors.update(
                    field_error(["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required")
                )
            if not event.get("scheduled_end_time"):
                errors.update(field_error(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required"))
        elif event.get("channel_id") is None:
            errors.update(field_error(["channel_id"], "BASE_TYPE_REQUIRED", "This field is required"))
        start = event.get("scheduled_start_time")
        try:
            start_dt = datetime.fromisoformat(str(start))
        except ValueError:
            errors.update(field_error(["scheduled_start_time"], "DATE_TYPE_PARSE", "Could not parse date"))
        else:
            end = event.get("scheduled_end_time")
            if event.get("status", 1) == 1 and start_dt < now_utc() - timedelta(minutes=1):
                errors.update(
                    field_error(
                        ["scheduled_start_time"],
                        "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                        "Cannot schedule event in the past.",
                    )
                )
            if end and datetime.fromisoformat(str(end)) <= start_dt:
                errors.update(
                    field_error(
                        ["scheduled_end_time"], "GUILD_SCHEDULED_EVENT_END_BEFORE_START", "End must be after start"
                    )
                )
        if errors:
            raise invalid_form_body(errors)

    async def _list_events(self, ctx: Ctx) -> Any:
        return list(self._guild_or_404(ctx.snowflake("guild_id")).scheduled_events.values())

    async def _get_event(self, ctx: Ctx) -> Any:
        return self._event_or_404(ctx)[1]

    async def _create_event(self, ctx: Ctx) -> Any:
        guild = self._guild_or_404(ctx.snowflake("guild_id"))
        if not self.world.base_permissions(self.world.bot_member(guild.id)) & (Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS):
            raise ApiError(403, 50013, "Missing Permissions")
        body = ctx.obj
        event_id = self.world.new_id()
        event: JSON = {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "channel_id": None if body.get("channel_id") is None else str(body["channel_id"]),
            "creator_id": str(self.world.bot_user.id),
            "creator": self.world.bot_user.to_dict(),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self._check_event(event)
        guild.scheduled_events[event_id] = event
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        self.notifier.notify()
        return event

    async def _edit_event(self, ctx: Ctx) -> Any:
        _, event = self._event_or_404(ctx)
        updated = {**event, **{k: v for k, v in ctx.obj.items() if k in event or k == "entity_metadata"}}
        if "channel_id" in ctx.obj and ctx.obj["channel_id"] is not None:
            updated["channel_id"] = str(ctx.obj["channel_id"])
        if updated.get("status", 1) == 1:
            self._check_event(updated)
        event.clear()
        event.update(updated)
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        self.notifier.notify()
        return event

    async def _delete_event(self, ctx: Ctx) -> Any:
        guild, event = self._event_or_404(ctx)
        del guild.scheduled_events[int(event["id"])]
        self.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)
        self.notifier.notify()
        return None

    # =================================================================================== driving: interactions
    def _require_bot_connected(self) -> None:
        s = self.gateway.current
        if s is None or s.ended:
            raise AssertionError("the bot is not connected to the fake gateway (await fake.wait_until_ready() first)")

    def _interaction_channel(self, user: User, in_channel: ChannelRef | None) -> Channel:
        if in_channel is None:
            return self.world.channel("general")
        return self.world.channel(in_channel)

    def _create_interaction(
        self,
        itype: int,
        user_ref: UserRef,
        channel: Channel,
        data: JSON,
        *,
        name: str,
        message: Message | None = None,
        permissions: int | None = None,
        locale: str | None = None,
    ) -> Interaction:
        self._require_bot_connected()
        user = self.world.user(user_ref)
        iid = self.world.new_id()
        token = f"aW50ZXJhY3Rpb246{iid}:{secrets.token_urlsafe(48)}"
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.world.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "attachment_size_limit": self.attachment_size_limit,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.to_dict(self.world),
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        actor: Member | User
        if channel.guild_id is not None:
            member = self.world.maybe_member(user.id, channel.guild_id)
            if member is None:
                raise AssertionError(f"{user.username} is not a member of the guild of {channel}")
            perms = (
                member.permissions_override
                if member.permissions_override is not None
                else self.world.base_permissions(member)
            )
            if permissions is not None:
                perms = permissions
            guild = self.world.guilds[channel.guild_id]
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                    "guild_locale": guild.preferred_locale,
                    "member": {**member.to_dict(), "permissions": str(perms)},
                    "app_permissions": str(self._bot_permissions(channel)),
                    "locale": locale or member.locale,
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(guild.id)},
                }
            )
            payload["channel"]["permissions"] = str(perms)
            actor = member
        else:
            payload.update(
                {
                    "user": user.to_dict(),
                    "app_permissions": str(Perm.ALL & ~Perm.ADMINISTRATOR),
                    "locale": locale or "en-GB",
                    "context": 1,
                    "authorizing_integration_owners": {"0": "0"},
                }
            )
            actor = user
        if message is not None:
            payload["message"] = message.to_dict(self.world)
        interaction = Interaction(
            fake=self,
            id=iid,
            token=token,
            type=itype,
            payload=payload,
            user=actor,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            name=name,
            component_message=message,
        )
        self.interactions.append(interaction)
        self._interactions[iid] = interaction
        self._interactions_by_token[token] = interaction
        self.gateway.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _resolve_command(self, command: str, guild_id: int | None) -> tuple[JSON, list[str], list[JSON]]:
        """(top-level command, [sub names...], the leaf's option specs)."""
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise AssertionError("empty command name")
        cmd = self.command(parts[0], guild_id=guild_id)
        options = cmd.get("options") or []
        path: list[str] = []
        for part in parts[1:]:
            sub = next((o for o in options if o.get("name") == part and o.get("type") in (1, 2)), None)
            if sub is None:
                subs = [o["name"] for o in options if o.get("type") in (1, 2)]
                raise AssertionError(f"/{' '.join([parts[0], *path])} has no subcommand {part!r}; it has {subs}")
            path.append(part)
            options = sub.get("options") or []
        if any(o.get("type") in (1, 2) for o in options):
            subs = [o["name"] for o in options if o.get("type") in (1, 2)]
            raise AssertionError(f"/{command} is a group; name a subcommand: {subs}")
        return cmd, path, options

    def _option_value(self, spec: JSON, value: Any, resolved: JSON, channel: Channel) -> Any:
        """Convert a test's value for an option to the wire value, filling ``resolved``."""
        otype = int(spec["type"])
        name = spec["name"]
        if otype == OptionType.STRING:
            return str(value)
        if otype == OptionType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise AssertionError(f"option {name!r} is INTEGER; got {value!r}")
            return value
        if otype == OptionType.NUMBER:
            return float(value)
        if otype == OptionType.BOOLEAN:
            return bool(value)
        if otype == OptionType.USER or (otype == OptionType.MENTIONABLE and not isinstance(value, Role)):
            # A mentionable given by id or name is looked up as a user first, then as a role.
            try:
                user = self.world.user(value)
            except AssertionError:
                if otype == OptionType.USER:
                    raise
            else:
                resolved.setdefault("users", {})[str(user.id)] = user.to_dict()
                member = self.world.maybe_member(user.id, channel.guild_id) if channel.guild_id else None
                if member is not None:
                    mdata = member.to_dict(include_user=False)
                    mdata["permissions"] = str(self.world.base_permissions(member))
                    resolved.setdefault("members", {})[str(user.id)] = mdata
                return str(user.id)
        if otype in (OptionType.ROLE, OptionType.MENTIONABLE):
            role = self.world.role(value)
            resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
            return str(role.id)
        if otype == OptionType.CHANNEL:
            target = self.world.channel(value)
            allowed = spec.get("channel_types")
            if allowed and target.type not in allowed:
                raise AssertionError(f"option {name!r} accepts channel types {allowed}; {target} is type {target.type}")
            data = target.to_dict(self.world)
            data["permissions"] = str(self._bot_permissions(target))
            resolved.setdefault("channels", {})[str(target.id)] = data
            return str(target.id)
        if otype == OptionType.ATTACHMENT:
            if isinstance(value, Attachment):
                att = value
            else:
                if not isinstance(value, tuple) or len(value) not in (2, 3):
                    raise AssertionError(f"option {name!r} is an ATTACHMENT: pass (filename, bytes[, content_type])")
                att = self._store_attachment(
                    channel.id, value[0], value[1], content_type=value[2] if len(value) == 3 else None, ephemeral=True
                )
            resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
            return str(att.id)
        raise AssertionError(f"option {name!r}: unsupported option type {otype}")

    def _build_options(
        self,
        specs: list[JSON],
        values: Mapping[str, Any],
        channel: Channel,
        resolved: JSON,
        *,
        command: str,
        focused: str | None = None,
    ) -> list[JSON]:
        by_name = {s["name"]: s for s in specs}
        unknown = [k for k in values if k not in by_name]
        if unknown:
            raise AssertionError(f"/{command} has no option(s) {unknown}; options: {list(by_name)}")
        if focused is None:
            missing = [s["name"] for s in specs if s.get("required") and s["name"] not in values]
            if missing:
                raise AssertionError(f"/{command}: required option(s) {missing} missing (Discord would not send it)")
        out: list[JSON] = []
        for spec in specs:
            name = spec["name"]
            if name not in values:
                continue
            if name == focused:
                out.append({"name": name, "type": spec["type"], "value": str(values[name]), "focused": True})
                continue
            value = self._option_value(spec, values[name], resolved, channel)
            choices = spec.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise AssertionError(f"/{command} option {name!r}: {value!r} is not one of the choices {choices}")
            if spec.get("min_value") is not None and isinstance(value, int | float) and value < spec["min_value"]:
                raise AssertionError(f"/{command} option {name!r}: {value} < min_value {spec['min_value']}")
            if spec.get("max_value") is not None and isinstance(value, int | float) and value > spec["max_value"]:
                raise AssertionError(f"/{command} option {name!r}: {value} > max_value {spec['max_value']}")
            if isinstance(value, str) and spec["type"] == OptionType.STRING:
                if spec.get("max_length") is not None and len(value) > spec["max_length"]:
                    raise AssertionError(f"/{command} option {name!r} longer than max_length {spec['max_length']}")
                if spec.get("min_length") is not None and len(value) < spec["min_length"]:
                    raise AssertionError(f"/{command} option {name!r} shorter than min_length {spec['min_length']}")
            out.append({"name": name, "type": spec["type"], "value": value})
        return out

    def _command_data(
        self,
        command: str,
        values: Mapping[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> tuple[JSON, JSON]:
        cmd, path, specs = self._resolve_command(command, channel.guild_id)
        resolved: JSON = {}
        options = self._build_options(specs, values, channel, resolved, command=command, focused=focused)
        for sub_name in reversed(path):
            parent_specs = self._sub_specs(cmd, path[: path.index(sub_name)])
            sub = next(o for o in parent_specs if o["name"] == sub_name)
            options = [{"name": sub_name, "type": sub["type"], "options": options}]
        data: JSON = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
        if cmd.get("guild_id") is not None:
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return cmd, data

    @staticmethod
    def _sub_specs(cmd: JSON, path: list[str]) -> list[JSON]:
        options: list[JSON] = cmd.get("options") or []
        for part in path:
            options = next(o for o in options if o["name"] == part).get("options") or []
        return options

    def _check_command_allowed(self, cmd: JSON, user: User, channel: Channel) -> None:
        required = cmd.get("default_member_permissions")
        if channel.guild_id is None:
            contexts = cmd.get("contexts")
            if (contexts is not None and 1 not in contexts) or cmd.get("guild_id") is not None:
                raise AssertionError(f"/{cmd['name']} is not available in DMs (contexts={contexts})")
            return
        if required in (None, ""):
            return
        member = self.world.member(user, guild_id=channel.guild_id)
        perms = self.world.base_permissions(member)
        if int(required) == 0 or (perms & int(required)) != int(required):
            raise AssertionError(
                f"Discord would hide /{cmd['name']} from {user.username} (default_member_permissions={required}); "
                "pass check_permissions=False to simulate an admin override"
            )

    async def slash(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        in_channel: ChannelRef | None = None,
        options: Mapping[str, Any] | None = None,
        permissions: int | None = None,
        check_permissions: bool = True,
        locale: str | None = None,
        **option_values: Any,
    ) -> Interaction:
        """Invoke ``/command`` (``"group sub"`` for subcommands) as ``user``; returns the handle.

        Options come as keyword arguments (or ``options={...}`` for names that clash with the
        parameters here). Values: str/int/float/bool; members/users/roles/channels as objects, ids
        or names; attachments as ``(filename, bytes[, content_type])``. The payload is built from the
        command the bot REGISTERED, so option types are right. ``in_channel`` defaults to #general
        (use ``fake.dm_channel(user)`` for a DM). ``permissions`` overrides ``member.permissions``;
        ``check_permissions=False`` lets a member use a command Discord would hide from them.
        """
        channel = self._interaction_channel(self.world.user(user), in_channel)
        values = {**(options or {}), **option_values}
        cmd, data = self._command_data(command, values, channel)
        if check_permissions:
            self._check_command_allowed(cmd, self.world.user(user), channel)
        return self._create_interaction(
            InteractionType.APPLICATION_COMMAND,
            user,
            channel,
            data,
            name=command,
            permissions=permissions,
            locale=locale,
        )

    async def autocomplete(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        focused: str,
        in_channel: ChannelRef | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
        **option_values: Any,
    ) -> list[JSON]:
        """Send an autocomplete interaction (``focused`` = option being typed) and return the choices."""
        i = await self.autocomplete_interaction(
            user, command, focused=focused, in_channel=in_channel, options=options, **option_values
        )
        cb = await i.response(timeout)
        if cb.type != CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            raise AssertionError(f"autocomplete for /{command} answered with {cb.type_name}")
        return i.choices

    async def autocomplete_interaction(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        focused: str,
        in_channel: ChannelRef | None = None,
        options: Mapping[str, Any] | None = None,
        **option_values: Any,
    ) -> Interaction:
        """Like :meth:`autocomplete` but returns the handle without waiting."""
        channel = self._interaction_channel(self.world.user(user), in_channel)
        values = {**(options or {}), **option_values}
        values.setdefault(focused, "")
        _, data = self._command_data(command, values, channel, focused=focused)
        return self._create_interaction(
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, user, channel, data, name=command
        )

    async def context_menu(
        self, user: UserRef, name: str, target: Message | UserRef, /, *, in_channel: ChannelRef | None = None
    ) -> Interaction:
        """Invoke a user (target is a user) or message (target is a Message) context menu command."""
        is_message = isinstance(target, Message)
        ctype = 3 if is_message else 2
        cmd = self.command(name, type=ctype)
        resolved: JSON = {}
        if isinstance(target, Message):
            channel = self.world.channels[target.channel_id]
            target_id = target.id
            resolved["messages"] = {str(target.id): target.to_dict(self.world)}
        else:
            channel = self._interaction_channel(self.world.user(user), in_channel)
            tuser = self.world.user(target)
            target_id = tuser.id
            resolved["users"] = {str(tuser.id): tuser.to_dict()}
            member = self.world.maybe_member(tuser.id, channel.guild_id) if channel.guild_id else None
            if member is not None:
                resolved["members"] = {str(tuser.id): member.to_dict(include_user=False)}
        data: JSON = {"id": cmd["id"], "name": name, "type": ctype, "target_id": str(target_id), "resolved": resolved}
        if cmd.get("guild_id") is not None:
            data["guild_id"] = cmd["guild_id"]
        return self._create_interaction(InteractionType.APPLICATION_COMMAND, user, channel, data, name=name)

    async def click(
        self,
        user: UserRef,
        message: Message | int,
        custom_id: str,
        /,
        *,
        values: list[Any] | None = None,
    ) -> Interaction:
        """Click a button (or choose ``values`` in a select) with ``custom_id`` on a message the bot sent."""
        msg = message if isinstance(message, Message) else self.message(message)
        comp = msg.find_component(custom_id)
        if comp is None:
            raise AssertionError(f"message {msg.id} has no component {custom_id!r}; it has {msg.custom_ids}")
        if comp.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled; Discord would not let {user} click it")
        ctype = int(comp["type"])
        channel = self.world.channels[msg.channel_id]
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype != 2:
            chosen = list(values or [])
            resolved: JSON = {}
            if ctype == 3:
                valid = [o["value"] for o in comp.get("options") or []]
                bad = [v for v in chosen if v not in valid]
                if bad:
                    raise AssertionError(f"select {custom_id!r} has no option(s) {bad}; options: {valid}")
                data["values"] = chosen
            else:
                spec_type = {5: OptionType.USER, 6: OptionType.ROLE, 7: OptionType.MENTIONABLE, 8: OptionType.CHANNEL}[
                    ctype
                ]
                data["values"] = [
                    self._option_value({"type": spec_type, "name": custom_id}, v, resolved, channel) for v in chosen
                ]
                data["resolved"] = resolved
            lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
            if not lo <= len(chosen) <= hi:
                raise AssertionError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(chosen)}")
        elif values:
            raise AssertionError("values= only applies to selects")
        return self._create_interaction(
            InteractionType.MESSAGE_COMPONENT, user, channel, data, name=custom_id, message=msg
        )

    async def submit_modal(
        self,
        interaction: Interaction,
        values: Mapping[str, Any] | None = None,
        /,
        *,
        user: UserRef | None = None,
        validate: bool = True,
        timeout: float = 5.0,
    ) -> Interaction:
        """Fill and submit the modal the bot answered ``interaction`` with; returns the MODAL_SUBMIT handle.

        ``values`` maps custom_id or label to the value (text inputs: str; selects/checkbox groups:
        list; checkbox: bool; file upload: list of ``(filename, bytes)``). Unnamed text inputs keep
        their pre-filled value (or ""). With ``validate`` the fake refuses what Discord's client would
        (missing required input, length outside min/max). Waits up to ``timeout`` for the modal.
        """
        modal: Modal = await interaction.wait_modal(timeout)
        values = dict(values or {})
        by_key: dict[str, Any] = {}
        for key, value in values.items():
            field_ = modal.field(key)
            by_key[field_.custom_id] = value
        resolved: JSON = {}
        channel = self.world.channels.get(interaction.channel_id) or self.world.dm_channel(interaction.user.id)
        counter = iter(range(1, 1000))

        def submitted(comp: JSON, label: str | None) -> JSON:
            ctype = int(comp.get("type", 0))
            cid = comp.get("custom_id")
            out: JSON = {"type": ctype, "id": comp.get("id") or next(counter)}
            if cid is None:
                return out
            out["custom_id"] = cid
            given = by_key.get(cid)
            required = bool(comp.get("required", True))
            if ctype == 4:
                value = str(given) if given is not None else str(comp.get("value") or "")
                if validate:
                    if required and not value:
                        raise AssertionError(f"modal input {label or cid!r} is required; pass a value")
                    lo, hi = comp.get("min_length"), comp.get("max_length")
                    if value and lo is not None and len(value) < lo:
                        raise AssertionError(f"modal input {label or cid!r}: {len(value)} chars < min_length {lo}")
                    if hi is not None and len(value) > hi:
                        raise AssertionError(f"modal input {label or cid!r}: {len(value)} chars > max_length {hi}")
                out["value"] = value
            elif ctype in (3, 5, 6, 7, 8, 22):
                chosen = list(given) if isinstance(given, list | tuple) else ([] if given is None else [given])
                if ctype in (3, 22):
                    valid = [o["value"] for o in comp.get("options") or []]
                    bad = [v for v in chosen if v not in valid]
                    if bad and validate:
                        raise AssertionError(f"modal select {label or cid!r} has no option(s) {bad}; options: {valid}")
                    out["values"] = chosen
                else:
                    spec_type = {
                        5: OptionType.USER,
                        6: OptionType.ROLE,
                        7: OptionType.MENTIONABLE,
                        8: OptionType.CHANNEL,
                    }[ctype]
                    out["values"] = [
                        self._option_value({"type": spec_type, "name": cid}, v, resolved, channel) for v in chosen
                    ]
                if validate and required and not chosen:
                    raise AssertionError(f"modal input {label or cid!r} is required; pass a value")
            elif ctype == 19:
                files = list(given or [])
                ids = []
                for f in files:
                    att = self._store_attachment(channel.id, f[0], f[1], ephemeral=True)
                    resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
                    ids.append(str(att.id))
                if validate and required and not ids:
                    raise AssertionError(f"modal file upload {label or cid!r} is required")
                out["values"] = ids
            elif ctype == 21:
                out["value"] = given
            elif ctype == 23:
                out["value"] = bool(given)
            return out

        components: list[JSON] = []
        for comp in modal.components:
            ctype = comp.get("type")
            if ctype == 18:
                inner = comp.get("component") or {}
                components.append(
                    {
                        "type": 18,
                        "id": comp.get("id") or next(counter),
                        "component": submitted(inner, comp.get("label")),
                    }
                )
            elif ctype == 1:
                components.append(
                    {
                        "type": 1,
                        "id": comp.get("id") or next(counter),
                        "components": [submitted(c, c.get("label")) for c in comp.get("components") or []],
                    }
                )
            else:
                components.append({"type": ctype, "id": comp.get("id") or next(counter)})
        data: JSON = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        return self._create_interaction(
            InteractionType.MODAL_SUBMIT,
            user or interaction.user,
            channel,
            data,
            name=modal.custom_id,
            message=interaction.component_message,
        )

    # =================================================================================== driving: members
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
        msg = self._new_message(
            channel,
            author,
            {"content": content, "embeds": embeds or []},
            [],
            message_id=message_id,
            type=19 if reply_to is not None else 0,
        )
        msg.embeds = list(embeds or [])
        msg.attachments = [self._store_attachment(channel.id, name, data) for name, data in attachments]
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
        if ch.is_thread:
            if ch.locked:
                raise AssertionError(f"{ch} is locked; members cannot post")
            if ch.archived:
                ch.archived = False
                ch.archive_timestamp = now_utc()
                self._thread_update(ch)
        msg = self._member_message(ch, author, content, embeds=embeds, attachments=attachments, reply_to=reply_to)
        return self._post(msg)

    async def send_dm(self, user: UserRef, content: str, **kwargs: Any) -> Message:
        """``user`` sends the bot a DM."""
        return await self.post_message(self.world.dm_channel(user), user, content, **kwargs)

    async def edit_message(self, message: Message | int, content: str) -> Message:
        """The author edits a member message; the bot gets MESSAGE_UPDATE."""
        msg = message if isinstance(message, Message) else self.message(message)
        msg.content = content
        msg.mention_ids, msg.mention_role_ids, msg.mention_everyone = self.world.parse_mentions(content)
        msg.edited_timestamp = now_utc()
        msg.edits += 1
        self._updated(msg)
        return msg

    async def delete_message(self, message: Message | int) -> None:
        """Delete any message; the bot gets MESSAGE_DELETE."""
        msg = message if isinstance(message, Message) else self.message(message)
        self._deleted(msg)

    async def react(self, message: Message | int, user: UserRef, emoji: str) -> None:
        """A member adds a unicode reaction; the bot gets MESSAGE_REACTION_ADD."""
        msg = message if isinstance(message, Message) else self.message(message)
        who = self.world.user(user)
        users = msg.reactions.setdefault(emoji, [])
        if who.id not in users:
            users.append(who.id)
            self.gateway.dispatch("MESSAGE_REACTION_ADD", self._reaction_event(msg, who, emoji))
            self.notifier.notify()

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
            self.gateway.dispatch("THREAD_CREATE", self._thread_event(thread, newly_created=True))
            self._post(starter)
            return thread
        if from_message is not None:
            thread = self.world.new_thread(ch, name, owner=owner, thread_id=from_message.id)
            from_message.thread_id = thread.id
            self.gateway.dispatch("THREAD_CREATE", self._thread_event(thread, newly_created=True))
            self._updated(from_message)
            return thread
        ttype = ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD
        thread = self.world.new_thread(ch, name, owner=owner, type=ttype)
        self.gateway.dispatch("THREAD_CREATE", self._thread_event(thread, newly_created=True))
        self.notifier.notify()
        return thread

    def archive_thread(self, thread: ChannelRef, *, locked: bool = False) -> Channel:
        """Archive (and optionally lock) a thread as Discord's auto-archive or a moderator would."""
        th = self.world.channel(thread)
        assert th.is_thread, f"{th} is not a thread"
        th.archived = True
        th.locked = th.locked or locked
        th.archive_timestamp = now_utc()
        self._thread_update(th)
        return th

    def unarchive_thread(self, thread: ChannelRef) -> Channel:
        th = self.world.channel(thread)
        th.archived = False
        th.archive_timestamp = now_utc()
        self._thread_update(th)
        return th

    def lock_thread(self, thread: ChannelRef, locked: bool = True) -> Channel:
        th = self.world.channel(thread)
        th.locked = locked
        self._thread_update(th)
        return th

    # =================================================================================== driving: guild changes
    def add_member(
        self, username: str | User, *, roles: Iterable[RoleRef] = (), accepts_dms: bool = True, nick: str | None = None
    ) -> Member:
        """A user joins the guild (GUILD_MEMBER_ADD if the bot has the members intent)."""
        member = self.world.add_member(username, roles=tuple(roles), accepts_dms=accepts_dms, nick=nick)
        data = member.to_dict()
        data["guild_id"] = str(member.guild_id)
        self.gateway.dispatch("GUILD_MEMBER_ADD", data)
        self.notifier.notify()
        return member

    def remove_member(self, user: UserRef) -> None:
        """A member leaves the guild (GUILD_MEMBER_REMOVE)."""
        member = self.world.member(user)
        del self.world.guilds[member.guild_id].members[member.id]
        self.gateway.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(member.guild_id), "user": member.user.to_dict()})
        self.notifier.notify()

    def set_member_roles(self, user: UserRef, roles: Iterable[RoleRef]) -> Member:
        """Replace a member's roles (GUILD_MEMBER_UPDATE)."""
        member = self.world.member(user)
        member.roles = [self.world.role(r, guild_id=member.guild_id).id for r in roles]
        self._member_update_event(member)
        return member

    def add_role(self, name: str, *, permissions: int = 0, color: int = 0) -> Role:
        """Create a role (GUILD_ROLE_CREATE)."""
        role = self.world.add_role(name, permissions=permissions, color=color)
        self.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(GUILD_ID), "role": role.to_dict()})
        self.notifier.notify()
        return role

    def add_channel(self, name: str, type: int = ChannelType.GUILD_TEXT, *, topic: str | None = None) -> Channel:
        """Create a guild channel (CHANNEL_CREATE)."""
        channel = self.world.add_channel(name, type, topic=topic)
        self.gateway.dispatch("CHANNEL_CREATE", channel.to_dict(self.world))
        self.notifier.notify()
        return channel

    def add_forum_tag(self, forum: ChannelRef, name: str, *, moderated: bool = False) -> JSON:
        """Add a tag to a forum (CHANNEL_UPDATE); returns the tag object (``int(tag["id"])``)."""
        tag = self.world.add_forum_tag(forum, name, moderated=moderated)
        self.gateway.dispatch("CHANNEL_UPDATE", self.world.channel(forum).to_dict(self.world))
        self.notifier.notify()
        return tag
