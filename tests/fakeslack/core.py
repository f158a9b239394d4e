"""The state shared by the Web API methods, the socket and the driver: tokens and scopes, records, triggers,
response URLs, uploads, and the Web API's error shape.

Web API basics (https://docs.slack.dev/apis/web-api/):
- "Basics": methods are ``https://slack.com/api/METHOD``, called with GET or POST, arguments as query string,
  form body (``application/x-www-form-urlencoded``) or JSON (``application/json``, token in the header only).
- "Evaluating responses": every answer is JSON with a boolean ``ok``; on failure an ``error`` string, often with
  ``response_metadata.messages``/``warnings``; HTTP 200 either way (rate limits answer 429).
- Authentication (docs.slack.dev/authentication/tokens): ``Authorization: Bearer xoxb-…`` (bot) or ``xapp-…``
  (app-level, only for apps.connections.open and a few others). No token: ``not_authed``; unknown or revoked:
  ``invalid_auth``; a token of the wrong kind: ``not_allowed_token_type``.
- Scopes (docs.slack.dev/authentication/installing-with-oauth "Checking scopes", and each method page's
  "Required scopes"): a method whose scope the token lacks answers ``missing_scope`` with ``needed`` and
  ``provided``; responses carry the token's scopes in the ``x-oauth-scopes`` header.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .events import EventSender
from .ratelimits import RateLimiter
from .world import JSON, TEAM_ID, Channel, User, World

if TYPE_CHECKING:
    from .socket import SocketHub

#: The bot scopes the default token is granted: what a workshop bot's manifest asks for.
DEFAULT_BOT_SCOPES = frozenset(
    {
        "chat:write",
        "commands",
        "channels:read",
        "channels:history",
        "channels:join",
        "groups:read",
        "groups:history",
        "im:read",
        "im:write",
        "im:history",
        "users:read",
        "team:read",
        "usergroups:read",
        "files:write",
        "files:read",
    }
)
APP_TOKEN_SCOPES = frozenset({"connections:write"})

#: docs.slack.dev/authentication/tokens: bot tokens start ``xoxb-``, app-level tokens ``xapp-``.
BOT_TOKEN = "xoxb-1-fake-bot-token"
APP_TOKEN = "xapp-1-A0000FAKE01-1-fake-app-token"


class SlackError(Exception):
    """An ``{"ok": false, "error": …}`` answer (HTTP 200 unless ``status``), with any extra fields."""

    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass
class RecordedCall:
    """One Web API call as the fake received and answered it (the token is not kept)."""

    method: str
    http_method: str
    args: JSON
    content_type: str
    token_kind: str | None
    status: int = 0
    response: JSON | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    unknown: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass
class Fault:
    """An error a test asked for: before the method runs (nothing happens), or after it (the effect stays, the
    answer is lost)."""

    method: str
    error: str
    status: int = 200
    count: int = 1
    after_effect: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    extra: JSON = field(default_factory=dict)


@dataclass
class Trigger:
    """A ``trigger_id`` (docs.slack.dev/interactivity/handling-user-interaction "Triggers" and
    docs.slack.dev/surfaces/modals "Opening modals": a trigger expires in 3 seconds and is used once)."""

    id: str
    user: str
    issued: float
    used: bool = False
    #: The interaction it came with, so the driver can tie an opened view to its command or click.
    interaction: Any = None


@dataclass
class ResponseUrl:
    """A ``response_url`` (docs.slack.dev/interactivity/handling-user-interaction "Message responses"): usable
    "up to 5 times within 30 minutes"."""

    id: str
    user: str
    channel: str
    message_ts: str | None
    issued: float
    uses: int = 0
    interaction: Any = None


@dataclass
class Upload:
    """A pending upload from files.getUploadURLExternal (docs.slack.dev/messaging/working-with-files)."""

    ticket: str
    file_id: str
    length: int
    received: int | None = None


class Call:
    """One Web API call as a method handler sees it."""

    def __init__(self, core: FakeCore, method: str, args: JSON, token_kind: str) -> None:
        self.core = core
        self.method = method
        self.args = args
        self.token_kind = token_kind

    @property
    def world(self) -> World:
        return self.core.world

    def arg(self, name: str, *, required: bool = False) -> str | None:
        """A string argument (form and query values are strings; JSON ones are converted)."""
        value = self.args.get(name)
        if value is None or value == "":
            if required:
                # Method pages: a missing required argument answers ``invalid_arguments``... except where a
                # method names its own error (each handler raises that one first).
                raise SlackError(
                    "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {name}"]}
                )
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean argument: JSON true/false, or "1"/"true" in forms (slack_sdk sends "1"/"0")."""
        value = self.args.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true")

    def integer(self, name: str, default: int) -> int:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {name} must be an integer"]}
            ) from None

    def json_arg(self, name: str) -> Any:
        """An argument that is JSON: a JSON body gives it as is, a form gives it as a JSON string."""
        value = self.args.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(
                    "invalid_arguments", response_metadata={"messages": [f"[ERROR] {name} is not valid JSON"]}
                ) from None
        return value

    def require_scope(self, *scopes: str) -> None:
        """Answer ``missing_scope`` unless the token has one of ``scopes`` (the method's "Required scopes")."""
        self.core.require_scope(self.token_kind, scopes)

    def channel(self, *, name: str = "channel") -> Channel:
        """The conversation named by an argument; ``channel_not_found`` if there is none the bot can see."""
        ref = self.arg(name)
        if ref is None:
            raise SlackError("channel_not_found")
        channel = self.world.channels.get(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.is_private and self.world.bot.id not in channel.members:
            raise SlackError("channel_not_found")
        if channel.is_im and self.world.bot.id not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def user(self, *, name: str = "user") -> User:
        ref = self.arg(name)
        user = self.world.users.get(ref or "")
        if user is None:
            raise SlackError("user_not_found")
        return user


Handler = Callable[[Call], Awaitable[JSON]]


@dataclass
class MethodSpec:
    name: str
    handler: Handler
    #: Any one of these scopes suffices ("Required scopes" of the method page); empty: none needed.
    scopes: tuple[str, ...]
    #: "bot" (xoxb) or "app" (xapp).
    token: str = "bot"


METHODS: dict[str, MethodSpec] = {}


def web_method(name: str, *, scopes: tuple[str, ...] = (), token: str = "bot") -> Callable[[Handler], Handler]:
    """Register a Web API method handler."""

    def register(handler: Handler) -> Handler:
        METHODS[name] = MethodSpec(name, handler, scopes, token)
        return handler

    return register


class FakeCore:
    """State and the Slack-like steps shared by everything."""

    #: docs.slack.dev/surfaces/modals "Opening modals": "trigger_id … expires in 3 seconds".
    TRIGGER_TTL = 3.0
    #: docs.slack.dev/interactivity/handling-user-interaction: response_url "up to 5 times within 30 minutes".
    RESPONSE_URL_USES = 5
    RESPONSE_URL_TTL = 30 * 60.0
    #: docs.slack.dev/reference/methods/chat.postMessage "Truncating content": text over 40,000 characters.
    MAX_TEXT = 40_000

    def __init__(self) -> None:
        self.world = World()
        self.bot_token = BOT_TOKEN
        self.app_token = APP_TOKEN
        self.bot_scopes: set[str] = set(DEFAULT_BOT_SCOPES)
        self.app_scopes: set[str] = set(APP_TOKEN_SCOPES)
        self.revoked = False
        self.calls: list[RecordedCall] = []
        self.counts: Counter[str] = Counter()
        self.internal_errors: list[str] = []
        #: What the app did that Slack would refuse or ignore (reported at teardown).
        self.app_problems: list[str] = []
        self.rate_limits = RateLimiter()
        self.faults: list[Fault] = []
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.uploads: dict[str, Upload] = {}
        self.base_url = ""
        self.sockets: SocketHub | None = None
        #: Wakes waiters (driver) whenever anything is recorded or stored.
        self.changed = asyncio.Event()
        self.trigger_ttl = self.TRIGGER_TTL
        #: Called with every message the fake stores (the driver ties them to the interactions they answer).
        self.message_listeners: list[Callable[[Any], None]] = []
        self.events = EventSender(self)

    # ---- tokens -------------------------------------------------------------------------------
    def token_kind(self, token: str | None) -> str:
        """ "bot" or "app" for a valid token; raises ``not_authed`` / ``invalid_auth``."""
        if not token:
            raise SlackError("not_authed")
        if self.revoked:
            raise SlackError("invalid_auth")
        if secrets.compare_digest(token, self.bot_token):
            return "bot"
        if secrets.compare_digest(token, self.app_token):
            return "app"
        raise SlackError("invalid_auth")

    def scopes_of(self, kind: str) -> set[str]:
        return self.bot_scopes if kind == "bot" else self.app_scopes

    def require_scope(self, kind: str, scopes: tuple[str, ...] | list[str]) -> None:
        granted = self.scopes_of(kind)
        if scopes and not granted.intersection(scopes):
            raise SlackError("missing_scope", needed=",".join(scopes), provided=",".join(sorted(granted)))

    # ---- triggers and response URLs -----------------------------------------------------------
    def new_trigger(self, user: str, interaction: Any = None) -> str:
        # The documented shape: "12345.98765.abcd2358fdea" (numbers, then a hex hash).
        tid = f"{int(time.time() * 1000)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        self.triggers[tid] = Trigger(tid, user, time.monotonic(), interaction=interaction)
        return tid

    def use_trigger(self, trigger_id: str | None) -> Trigger:
        """Spend a trigger: ``invalid_trigger_id`` if unknown, ``expired_trigger_id`` if older than 3 seconds
        or already used (docs.slack.dev/reference/methods/views.open "Errors": ``expired_trigger_id`` "The
        trigger_id is expired", ``exchanged_trigger_id`` "Trigger was exchanged previously")."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def new_response_url(self, user: str, channel: str, message_ts: str | None, interaction: Any = None) -> str:
        # The documented shape: https://hooks.slack.com/commands/T…/123456/abc… (here under the fake's host).
        rid = secrets.token_hex(12)
        self.response_urls[rid] = ResponseUrl(rid, user, channel, message_ts, time.monotonic(), interaction=interaction)
        return f"{self.base_url}/hooks/commands/{TEAM_ID}/{secrets.randbelow(10**12)}/{rid}"

    def take_fault(self, method: str, *, after_effect: bool) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.after_effect == after_effect and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()
