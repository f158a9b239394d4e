"""The fake's HTTP side: the aiohttp server, routing, recording, injected faults and rate limits.

Route handlers (``rest/``) take a :class:`Ctx` and return JSON, a :class:`Reply` (explicit status), None
(204) or raise :class:`~tests.fakediscord.records.ApiError`. The transport records every request in
``core.requests`` before routing, so a test sees even refused ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .limits import MAX_REQUEST_BYTES
from .openapi_check import SpecChecker, get_checker
from .ratelimits import RouteLimiter, too_many_requests
from .records import (
    API_PREFIX,
    JSON,
    ApiError,
    FaultRule,
    RecordedRequest,
    UploadedFile,
    field_error,
    invalid_form_body,
)

if TYPE_CHECKING:
    from .core import FakeCore

Handler = Callable[["Ctx"], Awaitable[Any]]
#: (method, path template with ``{name}`` parameters, handler)
RouteSpec = tuple[str, str, Handler]


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
class Route:
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


class Transport:
    """Serves the REST API, the gateway websocket and the attachment "CDN" for one :class:`FakeCore`."""

    def __init__(self, core: FakeCore, table: list[RouteSpec]) -> None:
        self.core = core
        self._routes = self._build(table)
        self._faults: list[FaultRule] = []
        self._rate_limit: float | None = None
        self._rate_window = 1.0
        self._rate_times: list[float] = []
        self.limiter = RouteLimiter()
        self._unchecked: list[tuple[str, re.Pattern[str]]] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind a random free port on 127.0.0.1 and serve."""
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_get("/gateway", self.core.gateway.handle)
        app.router.add_get("/attachments/{tail:.*}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_stray)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.core.host, 0))
        self.core.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.core.world.cdn_base = f"{self.core.http_base}/attachments"
        return self

    async def stop(self) -> None:
        """Close gateway connections and the server (idempotent)."""
        if self._runner is None:
            return
        await self.core.gateway.close_all()
        runner, self._runner = self._runner, None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner.cleanup(), 5.0)

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
        rule = FaultRule(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            code=code,
            remaining=count,
            retry_after=retry_after,
            message=message,
            errors=errors,
            scope=scope,
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

    def set_route_limits(
        self, limits: Mapping[str, tuple[int, float]] | None = None, *, default: tuple[int, float] | None = None
    ) -> None:
        """Per-route buckets: ``{"POST /channels/{channel_id}/messages": (5, 5.0)}`` allows 5 requests per 5 s
        for each channel (the route's top-level resource); ``default`` applies to every other route. No
        arguments: back to generous limits (headers on every response, no 429 in practice).
        ``ratelimits.TYPICAL_ROUTE_LIMITS`` holds small Discord-like values."""
        self.limiter.configure(limits, default)

    def set_dm_open_limit(self, count: int | None, per: float = 10.0) -> None:
        """At most ``count`` DM channel opens (POST /users/@me/channels) per ``per`` seconds, else 429 code
        40003 "You are opening direct messages too fast"; None disables."""
        self.limiter.dm_limit = None if count is None else (count, per)

    def allow_unchecked(self, method: str, path_regex: str) -> None:
        """Exempt matching requests from the teardown checks (for tests of deliberately bad requests)."""
        self._unchecked.append((method.upper(), re.compile(path_regex)))

    # =================================================================================== verification

    def problems(self, *, checker: SpecChecker | None = None, check_spec: bool = True) -> list[str]:
        """Everything wrong: fake internal errors, unknown routes, requests invalid per the OpenAPI spec."""
        out = [f"fake discord internal error in {e}" for e in self.core.server_errors]
        candidates = [
            r
            for r in self.core.requests
            if r.api and not any((m == "*" or m == r.method) and p.search(r.path) for m, p in self._unchecked)
        ]
        if check_spec:
            checker = checker or get_checker()
        if checker is not None and check_spec:
            out.extend(checker.check_all(candidates))
        else:
            out.extend(f"{r.method} {r.url}: unknown route" for r in candidates if r.unknown)
        return out

    # =================================================================================== HTTP plumbing

    @staticmethod
    def _build(table: list[RouteSpec]) -> list[Route]:
        routes = []
        for method, template, handler in table:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            token_route = template.startswith(("/interactions/", "/webhooks/"))
            routes.append(Route(method, template, re.compile(f"^{pattern}$"), handler, token_route))
        return routes

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None, {}

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        """The JSON body (or ``payload_json``) and the uploaded files. A request over 25 MiB is refused with 413
        code 40005, whatever the guild's ``attachment_size_limit`` (resources/message.mdx, Create Message,
        "Limitations": "The maximum request size when sending a message is 25 MiB"; the code:
        topics/opcodes-and-status-codes.mdx, JSON error codes, 40005 "Request entity too large")."""
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            raise ApiError(413, 40005, "Request entity too large")
        files: list[UploadedFile] = []
        if request.content_type == "multipart/form-data":
            payload: Any = None
            reader = await request.multipart()
            size = 0
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                name = part.name or ""
                if name == "payload_json":
                    text = await part.text()
                    size += len(text.encode())
                    payload = json.loads(text)
                else:
                    data = await part.read(decode=False)
                    size += len(data)
                    files.append(
                        UploadedFile(
                            field=name,
                            filename=part.filename or name,
                            data=bytes(data),
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
            if size > MAX_REQUEST_BYTES:  # sent without a Content-Length: counted as read
                raise ApiError(413, 40005, "Request entity too large")
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
        self.core.requests.append(rec)
        self.core.stats.requests += 1
        self.core.notifier.notify()
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
        self.core.requests.append(rec)
        self.core.stats.requests += 1
        try:
            response = await self._process(rec, request)
        except Exception:
            self.core.record_server_error(f"{rec.method} {rec.path}")
            # Not a 5xx: discord.py would retry those for ~25 s. A 400 fails the bot's call at once and
            # the test fails at teardown with the traceback.
            response = json_response({"message": "fake discord internal error (see test teardown)", "code": 0}, 400)
        rec.status = response.status
        rec.response_headers = dict(response.headers)
        body = response.body if isinstance(response, web.Response) else None
        if isinstance(body, bytes) and body and response.content_type == "application/json":
            rec.response = json.loads(body)
        self.core.notifier.notify()
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
        if not route.token_route and not self._authorised(request):
            # topics/opcodes-and-status-codes.mdx, HTTP: 401 "The Authorization header was missing or invalid."
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        # Interaction endpoints are not bound by the global limit (topics/rate-limits.mdx, "Global Rate Limit").
        if not route.token_route and self._rate_limit is not None:
            retry = self._check_rate_limit()
            if retry is not None:
                return self._limited(rec, *too_many_requests(retry, scope="global"))
        outcome = self.limiter.take(rec.method, route.template, params)
        if outcome.retry_after is not None:
            self.core.stats.route_rate_limited += 1
            return self._limited(rec, *too_many_requests(outcome.retry_after, scope="user", headers=outcome.headers))
        if rec.method == "POST" and route.template == "/users/@me/channels":
            wait = self.limiter.take_dm_open()
            if wait is not None:
                self.core.stats.dm_rate_limited += 1
                body, headers = too_many_requests(
                    wait,
                    scope="user",
                    headers=outcome.headers,
                    code=40003,
                    message="You are opening direct messages too fast.",
                )
                return self._limited(rec, body, headers)
        response = await self._answer(rec, route, params, request)
        if response.status != 429:
            response.headers.update(outcome.headers)
        return response

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization")
        if header is None:
            return False
        valid = self.core.valid_token
        return valid is None or header == f"Bot {valid}"

    def _limited(self, rec: RecordedRequest, body: JSON, headers: dict[str, str]) -> web.Response:
        rec.injected = "ratelimit"
        rec.response = body
        self.core.stats.rate_limited += 1
        return json_response(body, 429, headers)

    async def _answer(
        self, rec: RecordedRequest, route: Route, params: dict[str, str], request: web.Request
    ) -> web.StreamResponse:
        for rule in self._faults:
            if rule.matches(rec.method, rec.path):
                rule.remaining -= 1
                rule.hits.append(rec)
                rec.injected = "fault"
                self.core.stats.injected_failures += 1
                return self._fault_response(rec, rule)
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

    def _fault_response(self, rec: RecordedRequest, rule: FaultRule) -> web.Response:
        headers: dict[str, str] = {}
        if rule.status == 429:
            exhausted = {
                "X-RateLimit-Limit": "1",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                "X-RateLimit-Bucket": "fake-fault",
            }
            body, headers = too_many_requests(
                rule.retry_after, scope=rule.scope, headers=exhausted, code=rule.code, message=rule.message
            )
        elif rule.status >= 500:
            body = {"message": rule.message or f"{rule.status}: Server Error", "code": rule.code or 0}
        else:
            message = rule.message or f"{rule.status}: injected failure"
            body = ApiError(rule.status, rule.code or 0, message, rule.errors).body()
        rec.response = body
        return json_response(body, rule.status, headers)

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
        self.core.requests.append(rec)
        att = self.core.attachments.get(int(parts[1])) if len(parts) >= 2 and parts[1].isdigit() else None
        if att is None:
            rec.status = 404
            self.core.notifier.notify()
            return web.Response(status=404, text="Not Found")
        rec.status = 200
        self.core.notifier.notify()
        return web.Response(body=att.data, headers={"Content-Type": att.content_type or "application/octet-stream"})
