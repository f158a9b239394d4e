"""The HTTP side of the fake: the aiohttp server, the Web API dispatcher, recording, auth, scopes and 429s.

Routes:
- ``GET|POST /api/{method}``: the Web API (see core.py for the basics it follows).
- ``GET /link/?ticket=…``: the Socket Mode websocket (socket.py).
- ``POST /hooks/commands/{team}/{n}/{id}``: response URLs (web/responses.py).
- ``POST /upload/v1/{ticket}``: the upload URL files.getUploadURLExternal hands out (web/files.py).
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from aiohttp import web

from .core import METHODS, Call, FakeCore, RecordedCall, SlackError
from .ratelimits import retry_after_header

log = logging.getLogger(__name__)

JSON_TYPE = "application/json"


async def read_args(request: web.Request) -> tuple[dict[str, Any], str]:
    """The call's arguments from the query string and the body (form or JSON), and the body's content type.

    A ``token`` inside a JSON body is not a token: docs.slack.dev/apis/web-api "JSON-encoded bodies" — the token
    must then come in the ``Authorization`` header (such a call answers ``not_authed``)."""
    args: dict[str, Any] = dict(request.query)
    content_type = request.content_type or ""
    if request.method == "POST" and request.can_read_body:
        if content_type == JSON_TYPE:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise SlackError("invalid_json") from None
                if not isinstance(body, dict):
                    raise SlackError("json_not_object")
                body.pop("token", None)
                args.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args, content_type


def bearer_token(request: web.Request, args: dict[str, Any]) -> str | None:
    """``Authorization: Bearer …``, else a ``token`` argument (docs.slack.dev/authentication/tokens "Using
    tokens": the header is preferred; a JSON body must use the header)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    token = args.pop("token", None)
    return str(token) if token else None


class Transport:
    def __init__(self, core: FakeCore) -> None:
        self.core = core
        self.app = web.Application(client_max_size=1024**3)
        self.app.router.add_route("*", "/api/{method}", self.api)

    def json_response(
        self, body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps(body),
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )

    async def api(self, request: web.Request) -> web.Response:
        core = self.core
        method = request.match_info["method"]
        rec = RecordedCall(method=method, http_method=request.method, args={}, content_type="", token_kind=None)
        headers: dict[str, str] = {}
        try:
            args, rec.content_type = await read_args(request)
            token = bearer_token(request, args)
            args.pop("token", None)
            rec.args = args
            spec = METHODS.get(method)
            if spec is None:
                rec.unknown = True
                raise SlackError("unknown_method")
            kind = core.token_kind(token)
            rec.token_kind = kind
            headers["x-oauth-scopes"] = ",".join(sorted(core.scopes_of(kind)))
            if kind != spec.token:
                # docs.slack.dev/reference/methods/apps.connections.open "Errors": not_allowed_token_type.
                raise SlackError("not_allowed_token_type")
            core.require_scope(kind, spec.scopes)
            channel = args.get("channel") if isinstance(args.get("channel"), str) else None
            wait = core.rate_limits.check(method, channel)
            if wait is not None:
                raise SlackError("ratelimited", status=429, headers={"Retry-After": retry_after_header(wait)})
            fault = core.take_fault(method, after_effect=False)
            if fault is not None:
                raise SlackError(fault.error, status=fault.status, headers=fault.headers, **fault.extra)
            body = await spec.handler(Call(core, method, dict(args), kind))
            lost = core.take_fault(method, after_effect=True)
            if lost is not None:
                raise SlackError(lost.error, status=lost.status, headers=lost.headers, **lost.extra)
            rec.status, rec.response = 200, body
        except SlackError as err:
            rec.status, rec.response = err.status, err.body()
            headers.update(err.headers)
        except Exception as exc:
            core.internal_errors.append(f"{method}: {exc!r}\n{traceback.format_exc()}")
            log.exception("fake slack: %s failed", method)
            rec.status, rec.response = 500, {"ok": False, "error": "internal_error"}
        rec.response_headers = headers
        core.calls.append(rec)
        core.counts[method] += 1
        core.notify()
        return self.json_response(rec.response or {}, status=rec.status, headers=headers)
