"""Validate recorded requests, and the fake's responses to them, against Discord's own OpenAPI description.

The spec (``shared/discord-api-spec/openapi.json`` beside the checkout, or ``$DISCORD_OPENAPI_SPEC``)
is loaded once per process with openapi-core and cached. Each recorded request (method, path under
``https://discord.com/api/v10``, query, JSON body; for multipart the ``payload_json`` part) is
validated in a few milliseconds; so is the fake's answer (status, rate-limit headers, JSON body) against
the operation's response schema, so the fake cannot hand the bot objects Discord would never send.

Spec quirks handled here, each narrowly:

* Snowflakes: the spec types them as strings (``SnowflakeType``) but discord.py sends some as JSON
  integers (``recipient_id``, ``attachments[].id``, ``applied_tags``...). Real Discord accepts both, so the
  loaded dict's ``SnowflakeType`` is patched to also allow non-negative integers.
* Channel types: ``ChannelTypes`` lacks 16 (GUILD_MEDIA), which Discord has and which discord.py puts
  in ``channel_types`` of a command option annotated with ``discord.ForumChannel`` (forum and media
  channels share the class). 16 is added to that enum.
* Rate-limit responses: ``RatelimitedResponse`` extends ``Error``, which requires ``code``; the documentation
  (topics/rate-limits.mdx, "Rate Limit Response Structure") has ``code?`` ("for some limits") and its
  examples carry none. The documentation wins: ``code`` is optional there.
* Field errors: inside ``errors`` of a 50035 "Invalid Form Body", each ``_errors`` entry's ``code`` is a
  string such as ``BASE_TYPE_MAX_LENGTH`` on Discord (and in discord.py's handling), while the document
  reuses ``Error`` (integer ``code``) there. A string is allowed in that place only.
* Security: bot routes declare the ``BotToken`` apiKey scheme; the recorder strips the token, so a
  placeholder ``Authorization`` header is re-added for requests that carried one. Interaction callback
  and webhook-token routes carry no token, as in discord.py.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .records import API_PREFIX, RecordedRequest

ENV_VAR = "DISCORD_OPENAPI_SPEC"
DISCORD_HOST = "https://discord.com"


def default_spec_path() -> Path:
    """``<checkout>/../shared/discord-api-spec/openapi.json`` (the checkout is ``parents[2]``)."""
    return Path(__file__).resolve().parents[2].parent / "shared/discord-api-spec/openapi.json"


def find_spec() -> Path | None:
    """The spec to use: ``$DISCORD_OPENAPI_SPEC`` if set, else the default path; None if absent."""
    env = os.environ.get(ENV_VAR)
    path = Path(env) if env else default_spec_path()
    return path if path.is_file() else None


def patch_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the spec with the quirks described in the module docstring fixed."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    original = schemas["SnowflakeType"]
    schemas["SnowflakeType"] = {"anyOf": [original, {"type": "integer", "minimum": 0}]}
    ratelimited = schemas.get("RatelimitedResponse")
    if ratelimited is not None:
        schemas["RatelimitedResponse"] = {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
            "allOf": [alt for alt in ratelimited.get("allOf", []) if alt.get("$ref") != "#/components/schemas/Error"],
            "required": ["message"],
        }
    inner = schemas.get("InnerErrors")
    if inner is not None:
        inner["properties"]["_errors"]["items"] = {
            "type": "object",
            "properties": {"code": {"type": ["string", "integer"]}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    channel_types = schemas["ChannelTypes"]["oneOf"]
    if not any(alt.get("const") == 16 for alt in channel_types):
        channel_types.append({"title": "GUILD_MEDIA", "description": "added by the fake (see docstring)", "const": 16})
    return spec


class SpecChecker:
    """Validates :class:`RecordedRequest` objects against the (patched) OpenAPI spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from openapi_core import Config, OpenAPI

        self._openapi = OpenAPI.from_dict(patch_spec(spec), config=Config(spec_validator_cls=None))
        self.seconds_spent = 0.0
        self.checked = 0
        #: Response shapes already found valid (see :func:`shape`): validating every answer in full would
        #: cost 20-100 ms each, and the fake builds answers of one shape with one code path.
        self._valid_shapes: set[str] = set()

    @classmethod
    def from_path(cls, path: Path) -> SpecChecker:
        with path.open("rb") as fh:
            return cls(json.load(fh))

    def check(self, rec: RecordedRequest) -> str | None:
        """None if the request is valid, else a readable ``METHOD /path: error`` message."""
        if not rec.api:
            return None
        if rec.unknown:
            return f"{rec.method} {rec.url}: unknown route (the fake does not implement it; Discord may not have it)"
        request = _mock_request(rec)
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # openapi-core warns about the spec's OAuth2 scheme it cannot evaluate; irrelevant here.
                warnings.simplefilter("ignore", UserWarning)
                self._openapi.validate_request(request)
        except Exception as exc:
            return f"{rec.method} {rec.url}: {format_validation_error(exc)}"
        finally:
            self.seconds_spent += time.perf_counter() - started
            self.checked += 1
        return None

    def check_response(self, rec: RecordedRequest) -> str | None:
        """None if the fake's answer to a valid request fits the operation's response, else a message.

        Answers Discord's document does not describe are not checked: server errors the fake was told to
        inject (5xx) and answers without a status (the request never reached a route)."""
        from openapi_core.testing import MockResponse

        if not rec.api or rec.unknown or not rec.status or rec.status >= 500:
            return None
        key = json.dumps(
            [rec.method, rec.route, rec.status, shape(rec.response), shape(dict(rec.response_headers))], sort_keys=True
        )
        if key in self._valid_shapes:
            return None
        request = _mock_request(rec)
        data = b"" if rec.response is None else json.dumps(rec.response).encode()
        response = MockResponse(
            data, status_code=rec.status, headers=dict(rec.response_headers), content_type="application/json"
        )
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self._openapi.validate_response(request, response)
        except Exception as exc:
            return f"the fake's {rec.status} answer to {rec.method} {rec.url}: {format_validation_error(exc)}"
        finally:
            self.seconds_spent += time.perf_counter() - started
            self.checked += 1
        self._valid_shapes.add(key)
        return None

    def check_all(self, records: Iterable[RecordedRequest], *, responses: bool = True) -> list[str]:
        """Messages for every invalid request and (``responses``) every answer of the fake that does not
        fit Discord's description (empty when all are valid)."""
        problems = []
        for rec in records:
            problem = self.check(rec)
            if problem is not None:
                problems.append(problem)
            elif responses:
                answer = self.check_response(rec)
                if answer is not None:
                    problems.append(answer)
        return problems


_DIGITS = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+\.[0-9]+$")


def shape(value: Any) -> Any:
    """A JSON value with the parts that vary between answers of one kind replaced by what they are: long
    strings by their kind (snowflake/integer, decimal, URL, timestamp, text), so two messages that differ
    only in ids, times and wording share a shape. Numbers, booleans, nulls, short strings and every key
    stay, so types, enums and which fields are present are still validated for each new combination."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, str):
        if _DIGITS.match(value):
            return "<digits>"
        if _NUMBER.match(value):
            return "<decimal>"
        if value.startswith(("http://", "https://")):
            return "<url>"
        if len(value) > 16:
            return "<timestamp>" if value[:4].isdigit() and "T" in value else "<text>"
    return value


def format_validation_error(exc: BaseException) -> str:
    """Flatten openapi-core's exception chain and jsonschema errors into a few readable lines."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = _shorten(str(current).strip().splitlines()[0] if str(current).strip() else "")
        if text and text not in lines:
            lines.append(text)
        for err in getattr(current, "schema_errors", None) or []:
            best = _deepest(err)
            where = "/".join(str(p) for p in best.absolute_path) or "<body>"
            lines.append(f"  at {where}: {_shorten(best.message)}")
        current = current.__cause__ or current.__context__
    return "\n".join(lines)


def _shorten(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _deepest(err: Any) -> Any:
    """The most specific jsonschema error: inside oneOf/anyOf, the alternative that got furthest."""
    context = getattr(err, "context", None)
    if not context:
        return err
    best = max((_deepest(e) for e in context), key=lambda e: len(e.absolute_path))
    return best if len(best.absolute_path) > len(err.absolute_path) else err


_lock = threading.Lock()
_cache: dict[str, SpecChecker] = {}


def get_checker(path: Path | None = None) -> SpecChecker | None:
    """The process-wide checker for ``path`` (default: :func:`find_spec`), or None if no spec exists."""
    path = path or find_spec()
    if path is None:
        return None
    key = str(path.resolve())
    with _lock:
        checker = _cache.get(key)
        if checker is None:
            checker = _cache[key] = SpecChecker.from_path(path)
        return checker


def _mock_request(rec: RecordedRequest) -> Any:
    """The recorded request as openapi-core sees it, under Discord's host and API prefix (token redacted)."""
    from openapi_core.testing import MockRequest

    return MockRequest(
        DISCORD_HOST,
        rec.method.lower(),
        API_PREFIX + rec.path,
        args=dict(rec.query),
        headers={"Authorization": "Bot REDACTED"} if rec.has_auth else {},
        data=None if rec.json is None else json.dumps(rec.json).encode(),
        content_type="application/json",
    )
