"""What the fake records (requests, gateway events, statistics) and the error type its handlers raise."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

API_PREFIX = "/api/v10"


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(eq=False)
class RecordedRequest:
    """One HTTP request the bot made to the fake.

    ``path`` is relative to the API base (``/channels/1/messages``) for API calls; for the
    attachment "CDN" it is the full path (``/attachments/...``) and ``api`` is False.
    ``json`` is the JSON body, or the ``payload_json`` part of a multipart body.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[UploadedFile]
    time: float
    monotonic: float
    content_type: str | None
    has_auth: bool
    api: bool = True
    status: int = 0
    route: str | None = None
    unknown: bool = False
    #: "fault" (fail_next), "ratelimit" (a limiter's 429) or None.
    injected: str | None = None
    #: The JSON body the fake answered with (None for 204 and non-JSON answers).
    response: Any = None
    #: The headers the fake answered with.
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The request as Discord would have received it (for messages)."""
        prefix = API_PREFIX if self.api else ""
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{prefix}{self.path}" + (f"?{query}" if query else "")

    def matches(self, method: str, path_regex: str | re.Pattern[str]) -> bool:
        """``method`` ("*" for any) and ``re.search(path_regex, path)``."""
        if method != "*" and method.upper() != self.method:
            return False
        return re.search(path_regex, self.path) is not None

    def __repr__(self) -> str:
        extra = f" [{self.injected}]" if self.injected else ""
        return f"<{self.method} {self.url} -> {self.status}{extra}>"


@dataclass(eq=False)
class RecordedEvent:
    """A gateway dispatch sent (or queued for resume) to the bot."""

    name: str
    data: Any
    seq: int
    time: float
    #: The gateway session it was delivered to.
    session_id: str | None = None
    #: That session's ``[shard_id, num_shards]`` from IDENTIFY (None: the client did not shard).
    shard: tuple[int, int] | None = None

    @property
    def shard_id(self) -> int:
        """The shard it was delivered to (0 for a session without ``shard``)."""
        return 0 if self.shard is None else self.shard[0]

    def __repr__(self) -> str:
        where = "" if self.shard is None else f" shard={list(self.shard)}"
        return f"<{self.name} s={self.seq}{where}>"


@dataclass
class Stats:
    """Counters, readable as ``fake.stats``."""

    requests: int = 0
    #: 429s served by the fake's limiters: global (``set_rate_limit``), per route (``set_route_limits``)
    #: and opening DMs (``set_dm_open_limit``); the last two are also counted on their own.
    rate_limited: int = 0
    route_rate_limited: int = 0
    dm_rate_limited: int = 0
    #: failures served by ``fail_next`` rules.
    injected_failures: int = 0
    gateway_connections: int = 0
    identifies: int = 0
    resumes: int = 0
    invalid_sessions: int = 0
    events_dispatched: int = 0
    heartbeats: int = 0


@dataclass(eq=False)
class FaultRule:
    """A failure injected by ``fake.fail_next``. ``remaining`` counts down; ``hits`` lists requests failed."""

    method: str
    pattern: re.Pattern[str]
    status: int
    code: int | None
    remaining: int
    retry_after: float
    message: str | None
    errors: JSON | None = None
    #: For 429s: "user", "shared" or "global" (the X-RateLimit-Scope of topics/rate-limits.mdx).
    scope: str = "user"
    hits: list[RecordedRequest] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method != "*" and self.method.upper() != method:
            return False
        return self.pattern.search(path) is not None


class ApiError(Exception):
    """Raised by route handlers to answer with Discord's error shape ``{"code", "message", "errors"}``."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        data: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


def field_error(path: list[str | int], code: str, message: str) -> JSON:
    """Build Discord's nested ``errors`` object for one field, e.g. ``["embeds", 0, "description"]``."""
    node: JSON = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {str(key): node}
    return node


def merge_errors(target: JSON, extra: JSON) -> JSON:
    """Deep-merge two ``errors`` trees."""
    for key, value in extra.items():
        if key in target and isinstance(target[key], dict) and isinstance(value, dict):
            merge_errors(target[key], value)
        else:
            target[key] = value
    return target


def invalid_form_body(errors: JSON) -> ApiError:
    """400 code 50035 "Invalid Form Body" with field errors."""
    return ApiError(400, 50035, "Invalid Form Body", errors)
