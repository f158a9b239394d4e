"""Slack's Web API rate limits (https://docs.slack.dev/apis/web-api/rate-limits).

- "Rate limits": limits apply "per API method per workspace/team per app"; each method has a tier
  (Tier 1: 1+ per minute, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+, Special: see the method's page).
- "Posting messages": chat.postMessage "generally allows posting one message per second per channel, while also
  maintaining a workspace-wide limit", short bursts tolerated.
- "Responding to rate limiting conditions": a limited call answers HTTP 429 with a ``Retry-After`` header (seconds
  to wait) and ``{"ok": false, "error": "ratelimited"}``.

The tiers below are the ones each method's reference page (docs.slack.dev/reference/methods/<method>, "Rate
limits") gives; "special" methods (auth.test, chat.postMessage, chat.getPermalink) get Tier 4 for their
workspace-wide part. The fake counts every call but answers 429 only when a test turns enforcement on
(:meth:`RateLimiter.enforce`), because the documented figures are per minute and tests must stay fast; tests
pass a ``scale`` to compress a minute into a fraction of a second, or set exact limits per method or channel.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass

#: Requests per minute a tier allows (the documented lower bounds).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

#: Each covered method's tier ("special" methods also get a tier here for their workspace-wide part).
METHOD_TIERS: dict[str, int | str] = {
    "auth.test": "special",  # special: "Tier 4" order, docs: "Special rate limits apply"
    "apps.connections.open": 3,
    "bots.info": 3,
    "chat.postMessage": "special",
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.getPermalink": "special",
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.members": 4,
    "conversations.join": 3,
    "users.info": 4,
    "users.conversations": 3,
    "users.list": 2,
    "team.info": 3,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
}


@dataclass
class Limit:
    count: int
    per: float  # seconds


class RateLimiter:
    """Sliding-window limits per method and, for chat.postMessage, per channel."""

    def __init__(self) -> None:
        self.enforced = False
        self.method_limits: dict[str, Limit] = {}
        self.channel_post_limit: Limit | None = None
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self.limited: dict[str, int] = defaultdict(int)

    def enforce(self, *, scale: float = 1.0, channel_posts: Limit | None = None) -> None:
        """Apply every method's documented tier, with windows of ``60 * scale`` seconds, and the per-channel
        posting limit (default: 1 per ``scale`` seconds, a burst of 1)."""
        self.enforced = True
        for method, tier in METHOD_TIERS.items():
            per_minute = TIER_PER_MINUTE[tier if isinstance(tier, int) else 4]
            self.method_limits.setdefault(method, Limit(per_minute, 60.0 * scale))
        self.channel_post_limit = channel_posts or Limit(1, 1.0 * scale)

    def set_limit(self, method: str, count: int, per: float) -> None:
        """An exact limit for one method (enforcement turns on)."""
        self.enforced = True
        self.method_limits[method] = Limit(count, per)

    def set_channel_post_limit(self, count: int, per: float) -> None:
        self.enforced = True
        self.channel_post_limit = Limit(count, per)

    def reset(self) -> None:
        self.enforced = False
        self.method_limits.clear()
        self.channel_post_limit = None
        self._calls.clear()

    def check(self, method: str, channel: str | None) -> float | None:
        """Count a call; None if allowed, else the seconds to wait (for ``Retry-After``)."""
        if not self.enforced:
            return None
        now = time.monotonic()
        keys: list[tuple[str, Limit]] = []
        limit = self.method_limits.get(method)
        if limit is not None:
            keys.append((method, limit))
        if method == "chat.postMessage" and channel and self.channel_post_limit is not None:
            keys.append((f"{method}:{channel}", self.channel_post_limit))
        for key, lim in keys:
            window = self._calls[key]
            while window and window[0] <= now - lim.per:
                window.popleft()
            if len(window) >= lim.count:
                self.limited[method] += 1
                return max(window[0] + lim.per - now, 0.0)
        for key, _ in keys:
            self._calls[key].append(now)
        return None


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is a whole number of seconds (RFC 9110); never 0 for a wait that is not over."""
    return str(max(1, math.ceil(seconds)))
