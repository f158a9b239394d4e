"""Rate limits as developers/topics/rate-limits.mdx describes them.

* Every response to a known route carries ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``,
  ``-Reset-After`` and ``-Bucket`` ("Header Format").
* Per-route buckets: one bucket hash per route (method + path template), counted separately for each
  top-level resource in the path: ``channel_id``, ``guild_id``, ``webhook_id`` + ``webhook_token`` (and an
  interaction's id + token) ("Per-route rate limits ... account for top-level resources").
* A 429 has the body ``{"message", "retry_after", "global"}`` (plus ``code`` for some limits) and
  ``Retry-After``, ``X-RateLimit-Scope`` (``user``, ``shared`` or ``global``; ``X-RateLimit-Global`` for the
  global one) ("Exceeding A Rate Limit"). It also carries ``Via``: discord.py retries a 429 only when
  it has one (without, it takes it for a Cloudflare ban).
* Opening DMs too fast: 429 with code 40003 (topics/opcodes-and-status-codes.mdx, JSON error codes).

Limits are off by default in the sense that they are generous (:data:`GENEROUS`): the headers are
always there but a test never meets a 429 unless it asks for small limits (``set_route_limits``).
Discord publishes no numbers ("rate limits should not be hard coded"); :data:`TYPICAL_ROUTE_LIMITS`
are small values of the order Discord answers with, for tests that want a bot to meet real buckets.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

#: (requests, per seconds) where no limit was configured: headers without any realistic chance of a 429.
GENEROUS = (10_000, 1.0)

#: Small per-route limits of the order Discord answers with (its headers are the authority, not these).
TYPICAL_ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "GET /channels/{channel_id}/messages": (5, 5.0),
    "POST /channels/{channel_id}/messages/{message_id}/threads": (5, 5.0),
    "POST /channels/{channel_id}/threads": (5, 5.0),
    "PATCH /channels/{channel_id}": (5, 5.0),
    "GET /channels/{channel_id}": (5, 5.0),
    "POST /users/@me/channels": (5, 5.0),
    "GET /guilds/{guild_id}/members/{user_id}": (5, 5.0),
    "POST /webhooks/{webhook_id}/{webhook_token}": (5, 5.0),
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original": (5, 5.0),
}

#: Path parameters that make a bucket count separately ("top-level resources").
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id", "interaction_token")

VIA = "1.1 google"


def bucket_hash(route: str) -> str:
    """An opaque, stable bucket id for a route ("METHOD /template"), like Discord's ``X-RateLimit-Bucket``."""
    return hashlib.sha1(route.encode()).hexdigest()[:16]


@dataclass
class _Window:
    limit: int
    per: float
    reset_at: float
    used: int = 0


@dataclass
class Outcome:
    """What the limiter decided for one request: its headers, and ``retry_after`` when it is refused."""

    headers: dict[str, str]
    retry_after: float | None = None


@dataclass
class RouteLimiter:
    """Per-route buckets keyed by top-level resource, plus the DM-opening limit."""

    limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    default: tuple[int, float] = GENEROUS
    #: (opens, per seconds) of POST /users/@me/channels before 40003; None: no such limit.
    dm_limit: tuple[int, float] | None = None
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _dm_times: list[float] = field(default_factory=list)

    def configure(self, limits: Mapping[str, tuple[int, float]] | None, default: tuple[int, float] | None) -> None:
        self.limits = {_normalise(k): v for k, v in (limits or {}).items()}
        self.default = default or GENEROUS
        self._windows.clear()

    def take(self, method: str, template: str, params: Mapping[str, str]) -> Outcome:
        """Count one request against its bucket; a refusal when the bucket is empty."""
        route = f"{method} {template}"
        limit, per = self.limits.get(route, self.default)
        major = ":".join(params[p] for p in MAJOR_PARAMETERS if p in params)
        key = (route, major)
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None or now >= window.reset_at or (window.limit, window.per) != (limit, per):
            window = self._windows[key] = _Window(limit=limit, per=per, reset_at=now + per)
        refused = window.used >= window.limit
        if not refused:
            window.used += 1
        reset_after = max(0.0, window.reset_at - now)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.limit - window.used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route),
        }
        return Outcome(headers, max(0.001, reset_after) if refused else None)

    def take_dm_open(self) -> float | None:
        """Seconds to wait when the bot opens DMs faster than ``dm_limit`` allows, else None."""
        if self.dm_limit is None:
            return None
        count, per = self.dm_limit
        now = time.monotonic()
        self._dm_times = [t for t in self._dm_times if t > now - per]
        if len(self._dm_times) >= count:
            return max(0.001, self._dm_times[0] + per - now)
        self._dm_times.append(now)
        return None


def _normalise(route: str) -> str:
    method, _, template = route.strip().partition(" ")
    return f"{method.upper()} {template.strip()}"


def too_many_requests(
    retry_after: float,
    *,
    scope: str,
    headers: Mapping[str, str] | None = None,
    code: int | None = None,
    message: str | None = None,
) -> tuple[dict[str, object], dict[str, str]]:
    """(body, headers) of a 429 in the shapes of topics/rate-limits.mdx, "Exceeding A Rate Limit".

    ``scope`` "user" (a per-route bucket of this bot), "shared" (a resource's limit: "The resource is being
    rate limited.") or "global" (``X-RateLimit-Global``, no per-route headers, ``global: true``)."""
    is_global = scope == "global"
    default_message = "The resource is being rate limited." if scope == "shared" else "You are being rate limited."
    body: dict[str, object] = {
        "message": message or default_message,
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
    if code is not None:
        body["code"] = code
    out: dict[str, str] = {} if is_global else dict(headers or {})
    out.update({"Retry-After": str(max(1, int(retry_after + 0.999))), "X-RateLimit-Scope": scope, "Via": VIA})
    if is_global:
        out["X-RateLimit-Global"] = "true"
    return body, out
