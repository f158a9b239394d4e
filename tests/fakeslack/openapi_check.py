"""Validate the app's Web API calls, the fake's answers and the fake's events against Slack's published
descriptions (``shared/slack-api-spec/``, beside the checkout; ``$SLACK_API_SPEC_DIR`` overrides).

- Web API (``web-api/slack_web_openapi_v2_without_examples.json``, OpenAPI 2.0, so checked here with jsonschema
  rather than openapi-core, which reads OpenAPI 3 only): each call's arguments must be ones the method takes,
  of the declared type, with the required ones present; each ``ok: true`` answer must fit the method's 200
  schema and each ``ok: false`` answer its error schema. Slack accepts GET and POST for every method
  (docs.slack.dev/apis/web-api "Basics"), so the HTTP verb is not checked.
- Events (``events-api/``): every Events API delivery fits the common wrapper schema, and each event type is
  one the AsyncAPI document lists (or one documented since, below).

The document dates from 2021; where Slack's current documentation says more, the documentation wins, and each
addition is listed here with its page:

* ``team_id`` on every method (``GLOBAL_ARGUMENTS``, see there).
* Arguments added since (``NEWER_ARGUMENTS``): chat.postMessage/chat.update ``metadata``
  (docs.slack.dev/messaging/message-metadata), conversations.history/replies ``include_all_metadata``
  (same page), chat.postMessage ``unfurl_*`` are in the document already.
* Message objects may carry ``metadata`` (same page), ``edited`` and ``app_id``
  (docs.slack.dev/reference/objects/message-object).
* ``response_metadata`` (pagination cursors, warnings) may come with conversations.history/replies
  (docs.slack.dev/apis/web-api/pagination).
* Errors: every method may answer the "common" errors each method page lists under "Errors" (not_authed,
  invalid_auth, missing_scope with ``needed``/``provided``, ratelimited, invalid_arguments,
  not_allowed_token_type, ...), with ``response_metadata``; the document enumerates a subset per method.
* Methods the document lacks (apps.connections.open, files.getUploadURLExternal, files.completeUploadExternal)
  are checked against small schemas written from their reference pages (``EXTRA_METHODS``).
* Events the document lacks: ``app_home_opened`` (docs.slack.dev/reference/events/app_home_opened).
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .core import RecordedCall

ENV_VAR = "SLACK_API_SPEC_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]

NEWER_ARGUMENTS: dict[str, set[str]] = {
    "chat.postMessage": {"metadata"},
    "chat.update": {"metadata", "reply_broadcast", "file_ids"},
    "chat.postEphemeral": set(),
    "conversations.history": {"include_all_metadata"},
    "conversations.replies": {"include_all_metadata"},
    "views.open": {"interactivity_pointer"},
    "views.push": {"interactivity_pointer"},
}

#: slack_sdk adds ``team_id`` to every call of a client made for one workspace (bolt does so per request); the
#: method pages list ``team_id`` ("Required if an org-level token is used") on most methods, and Slack ignores it
#: for a workspace token.
GLOBAL_ARGUMENTS = {"team_id"}

COMMON_ERRORS = [
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "org_login_required",
    "ekm_access_denied",
    "missing_scope",
    "not_allowed_token_type",
    "invalid_arguments",
    "invalid_arg_name",
    "invalid_charset",
    "invalid_form_data",
    "invalid_post_type",
    "missing_post_type",
    "team_added_to_org",
    "invalid_json",
    "json_not_object",
    "request_timeout",
    "upgrade_required",
    "fatal_error",
    "internal_error",
    "ratelimited",
    "method_deprecated",
    "deprecated_endpoint",
    "two_factor_setup_required",
    "access_denied",
    "accesslimited",
    "service_unavailable",
    "unknown_method",
]

#: Each method's "Errors" as its current reference page lists them (docs.slack.dev/reference/methods/<method>),
#: on top of the common errors above.
DOCUMENTED_ERRORS: dict[str, list[str]] = {
    "auth.test": [],
    "apps.connections.open": ["forbidden_team", "insecure_request", "missing_args"],
    "chat.postMessage": [
        "as_user_not_supported",
        "attachment_payload_limit_exceeded",
        "cannot_reply_to_message",
        "channel_not_found",
        "draft_already_deleted",
        "draft_already_sent",
        "draft_has_conflict",
        "draft_not_found",
        "duplicate_channel_not_found",
        "duplicate_message_not_found",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "is_archived",
        "markdown_text_conflict",
        "message_limit_exceeded",
        "messages_tab_disabled",
        "metadata_must_be_sent_from_app",
        "metadata_too_large",
        "missing_file_data",
        "msg_blocks_too_long",
        "no_text",
        "not_in_channel",
        "rate_limited",
        "restricted_action",
        "restricted_action_non_threadable_channel",
        "restricted_action_read_only_channel",
        "restricted_action_thread_locked",
        "restricted_action_thread_only_channel",
        "slack_connect_canvas_sharing_blocked",
        "slack_connect_file_link_sharing_blocked",
        "slack_connect_lists_sharing_blocked",
        "team_not_found",
        "too_many_attachments",
        "too_many_contact_cards",
    ],
    "chat.postEphemeral": [
        "cannot_reply_to_message",
        "channel_not_found",
        "invalid_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "is_archived",
        "markdown_text_conflict",
        "message_limit_exceeded",
        "messages_tab_disabled",
        "msg_too_long",
        "no_text",
        "not_in_channel",
        "restricted_action",
        "too_many_attachments",
        "user_not_in_channel",
    ],
    "chat.update": [
        "as_user_not_supported",
        "block_mismatch",
        "blocked_file_type",
        "cant_broadcast_message",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "external_channel_migrating",
        "file_deleted",
        "file_is_deleted",
        "file_not_found",
        "file_share_limit_reached",
        "invalid_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "is_inactive",
        "markdown_text_conflict",
        "max_file_sharing_exceeded",
        "message_limit_exceeded",
        "message_not_found",
        "metadata_must_be_sent_from_app",
        "metadata_too_large",
        "msg_too_long",
        "no_dual_broadcast_content_update",
        "no_text",
        "posting_to_channel_denied",
        "slack_connect_blocked_file_type",
        "slack_connect_canvas_sharing_blocked",
        "slack_connect_clip_sharing_blocked",
        "slack_connect_file_link_sharing_blocked",
        "slack_connect_file_upload_sharing_blocked",
        "streaming_state_conflict",
        "team_not_found",
        "too_many_attachments",
        "unable_to_share_files",
        "update_failed",
    ],
    "chat.delete": ["cant_delete_message", "channel_not_found", "message_not_found"],
    "chat.getPermalink": ["channel_not_found", "message_not_found"],
    "conversations.open": [
        "channel_not_found",
        "invalid_user_combination",
        "method_not_supported_for_channel_type",
        "not_enough_users",
        "too_many_users",
        "user_disabled",
        "user_not_found",
        "user_not_visible",
        "users_list_not_supplied",
    ],
    "conversations.info": ["channel_is_limited_access", "channel_not_found"],
    "conversations.history": [
        "channel_is_limited_access",
        "channel_not_found",
        "invalid_cursor",
        "invalid_metadata_filter_keys",
        "invalid_ts_latest",
        "invalid_ts_oldest",
        "not_in_channel",
    ],
    "conversations.replies": [
        "channel_not_found",
        "invalid_cursor",
        "invalid_metadata_filter_keys",
        "invalid_ts_latest",
        "invalid_ts_oldest",
        "list_record_comment_fetch_failed",
        "method_not_supported_for_channel_type",
        "thread_not_found",
    ],
    "conversations.members": [
        "channel_not_found",
        "fetch_members_failed",
        "invalid_cursor",
        "invalid_limit",
        "method_not_supported_for_channel_type",
    ],
    "conversations.join": [
        "channel_is_limited_access",
        "channel_not_found",
        "is_archived",
        "method_not_supported_for_channel_type",
        "too_many_members",
    ],
    "users.info": ["too_many_users", "user_not_found", "user_not_visible"],
    "users.list": ["invalid_cursor", "limit_required", "missing_argument"],
    "team.info": [
        "enterprise_not_found",
        "fail_to_get_teams_for_restricted_user",
        "missing_user",
        "org_not_found",
        "team_not_found",
        "team_not_on_enterprise",
        "user_not_found",
    ],
    "usergroups.list": [
        "invalid_cursor",
        "invalid_team",
        "missing_argument",
        "plan_upgrade_required",
        "users_not_found",
    ],
    "usergroups.users.list": ["invalid_cursor", "no_such_subteam", "plan_upgrade_required"],
    "views.open": [
        "duplicate_external_id",
        "exchanged_trigger_id",
        "expired_trigger_id",
        "invalid_trigger_id",
        "view_too_large",
    ],
    "views.update": ["duplicate_external_id", "hash_conflict", "not_found", "view_too_large"],
    "views.push": [
        "duplicate_external_id",
        "exchanged_trigger_id",
        "expired_trigger_id",
        "invalid_trigger_id",
        "not_found",
        "push_limit_reached",
        "view_too_large",
    ],
    "views.publish": [
        "duplicate_external_id",
        "hash_conflict",
        "missing_profile_id",
        "not_enabled",
        "not_implemented",
        "view_too_large",
    ],
    "files.getUploadURLExternal": [
        "alt_txt_too_large",
        "file_type_not_allowed",
        "file_upload_size_restricted",
        "file_uploads_disabled",
        "file_uploads_except_images_disabled",
        "missing_argument",
        "snippet_too_large",
        "storage_limit_reached",
        "unknown_snippet_type",
        "unknown_subtype",
    ],
    "files.completeUploadExternal": [
        "channel_not_found",
        "channels_limit_exceeded",
        "file_not_found",
        "file_type_not_allowed",
        "file_update_failed",
        "file_uploads_except_images_disabled",
        "invalid_blocks",
        "invalid_channel",
        "not_in_channel",
        "posting_to_channel_denied",
    ],
    "bots.info": ["bot_not_found", "bots_not_found", "missing_argument", "team_not_found"],
}

#: Errors the fake answers where the page is silent, each explained where it is raised.
FAKE_CHOICES: dict[str, list[str]] = {
    "chat.postMessage": ["thread_not_found"],  # a thread_ts naming no message (web/chat.py)
    "conversations.replies": ["not_in_channel"],  # as conversations.history (web/conversations.py)
}

_ERROR_EXTRA_PROPERTIES = {
    "needed": {"type": "string"},
    "provided": {"type": "string"},
    "errors": {"type": "array"},
    "warning": {"type": "string"},
    "response_metadata": {"type": "object"},
}

EXTRA_METHODS: dict[str, dict[str, Any]] = {
    # docs.slack.dev/reference/methods/apps.connections.open
    "apps.connections.open": {
        "args": {},
        "required": [],
        "response": {
            "type": "object",
            "required": ["ok", "url"],
            "properties": {"ok": {"const": True}, "url": {"type": "string", "pattern": "^wss?://"}},
            "additionalProperties": False,
        },
    },
    # docs.slack.dev/reference/methods/files.getUploadURLExternal
    "files.getUploadURLExternal": {
        "args": {"filename": "string", "length": "integer", "alt_txt": "string", "snippet_type": "string"},
        "required": ["filename", "length"],
        "response": {
            "type": "object",
            "required": ["ok", "upload_url", "file_id"],
            "properties": {
                "ok": {"const": True},
                "upload_url": {"type": "string", "pattern": "^https?://"},
                "file_id": {"type": "string", "pattern": "^F[A-Z0-9]{8,}$"},
            },
            "additionalProperties": False,
        },
    },
    # docs.slack.dev/reference/methods/files.completeUploadExternal
    "files.completeUploadExternal": {
        "args": {
            "files": "string",
            "channel_id": "string",
            "channels": "string",
            "initial_comment": "string",
            "thread_ts": "string",
            "blocks": "string",
        },
        "required": ["files"],
        "response": {
            "type": "object",
            "required": ["ok", "files"],
            "properties": {
                "ok": {"const": True},
                "files": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {"id": {"type": "string", "pattern": "^F"}},
                    },
                },
            },
            "additionalProperties": False,
        },
    },
}

EXTRA_EVENT_TYPES = {"app_home_opened"}


def find_spec_dir() -> Path | None:
    """``$SLACK_API_SPEC_DIR``, else ``shared/slack-api-spec`` beside the checkout (``REPO_ROOT.parent``), else
    beside a folder above it (a git worktree nested one level deeper); None when absent."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env) if (Path(env) / "web-api").is_dir() else None
    for folder in REPO_ROOT.parents:
        path = folder / "shared" / "slack-api-spec"
        if (path / "web-api").is_dir():
            return path
    return None


def _patch(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    defs = spec["definitions"]
    msg = defs["objs_message"]["properties"]
    msg.setdefault("metadata", {"type": "object"})
    msg.setdefault("edited", {"type": "object"})
    msg.setdefault("app_id", {"type": "string"})
    for path in ("/conversations.history", "/conversations.replies"):
        op = next(iter(spec["paths"][path].values()))
        op["responses"]["200"]["schema"]["properties"].setdefault("response_metadata", {"type": "object"})
    return spec


class SlackSpecChecker:
    def __init__(self, web_api: dict[str, Any], event_wrapper: dict[str, Any] | None, event_topics: set[str]) -> None:
        import jsonschema  # type: ignore[import-untyped]

        self._jsonschema = jsonschema
        self.spec = _patch(web_api)
        self.event_wrapper = event_wrapper
        self.event_topics = event_topics
        self._validators: dict[str, Any] = {}
        #: Call shapes already found valid (see :func:`shape`): a 1,000-DM fan-out is checked once, not 1,000 times.
        self._valid_shapes: set[str] = set()

    @classmethod
    def from_dir(cls, path: Path) -> SlackSpecChecker:
        web_api = json.loads((path / "web-api" / "slack_web_openapi_v2_without_examples.json").read_text())
        wrapper_path = path / "events-api" / "slack_common_event_wrapper_schema.json"
        wrapper = json.loads(wrapper_path.read_text()) if wrapper_path.is_file() else None
        events_path = path / "events-api" / "slack_events_api_async_v1.json"
        topics = set(json.loads(events_path.read_text()).get("topics", {})) if events_path.is_file() else set()
        return cls(web_api, wrapper, topics)

    def _validator(self, key: str, schema: dict[str, Any]) -> Any:
        found = self._validators.get(key)
        if found is None:
            full = {**schema, "definitions": self.spec["definitions"]}
            found = self._validators[key] = self._jsonschema.Draft4Validator(full)
        return found

    def _errors(self, key: str, schema: dict[str, Any], value: Any) -> list[str]:
        validator = self._validator(key, schema)
        out = []
        for err in validator.iter_errors(value):
            where = "/".join(str(p) for p in err.absolute_path) or "<body>"
            out.append(f"at {where}: {err.message[:240]}")
        return out[:5]

    # ---- calls ---------------------------------------------------------------------------------
    def _operation(self, method: str) -> dict[str, Any] | None:
        path = self.spec["paths"].get(f"/{method}")
        return None if path is None else next(iter(path.values()))

    def check(self, rec: RecordedCall) -> list[str]:
        if rec.unknown:
            return []
        key = json.dumps([rec.method, shape(rec.args), rec.status, shape(rec.response)], sort_keys=True)
        if key in self._valid_shapes:
            return []
        op = self._operation(rec.method)
        extra = EXTRA_METHODS.get(rec.method)
        if op is None and extra is None:
            return [f"{rec.method}: no description to check it against (add it to EXTRA_METHODS with its page)"]
        problems = self._check_args(rec, op, extra)
        problems.extend(self._check_answer(rec, op, extra))
        if not problems:
            self._valid_shapes.add(key)
        return [f"{rec.method}: {p}" for p in problems]

    def _check_args(self, rec: RecordedCall, op: dict[str, Any] | None, extra: dict[str, Any] | None) -> list[str]:
        if op is not None:
            params = {p["name"]: p for p in op["parameters"] if p["in"] != "header"}
            types = {name: p.get("type", "string") for name, p in params.items()}
            required = [n for n, p in params.items() if p.get("required") and n != "token"]
        else:
            assert extra is not None
            types = dict(extra["args"])
            required = list(extra["required"])
        known = set(types) | NEWER_ARGUMENTS.get(rec.method, set()) | GLOBAL_ARGUMENTS
        problems = []
        for name, value in rec.args.items():
            if name not in known:
                problems.append(f"argument {name!r} is not one the method takes")
                continue
            if value is None:
                continue
            kind = types.get(name, "string")
            if kind == "boolean" and not (isinstance(value, bool) or str(value).lower() in ("true", "false", "1", "0")):
                problems.append(f"argument {name!r} should be a boolean, got {value!r}")
            elif kind == "integer" and not _is_int(value):
                problems.append(f"argument {name!r} should be an integer, got {value!r}")
            elif kind == "number" and not _is_number(value):
                problems.append(f"argument {name!r} should be a number, got {value!r}")
        for name in required:
            if rec.args.get(name) in (None, "") and rec.ok:
                problems.append(f"required argument {name!r} missing")
        return problems

    def _check_answer(self, rec: RecordedCall, op: dict[str, Any] | None, extra: dict[str, Any] | None) -> list[str]:
        body = rec.response
        if body is None or rec.status >= 500:
            return []
        if body.get("ok"):
            schema = op["responses"]["200"]["schema"] if op is not None else extra["response"]  # type: ignore[index]
            return [f"the fake's answer {e}" for e in self._errors(f"{rec.method}:200", schema, body)]
        error_schema: dict[str, Any] = {
            "type": "object",
            "required": ["ok", "error"],
            "properties": {"ok": {"enum": [False]}, "error": {"type": "string"}, **_ERROR_EXTRA_PROPERTIES},
            "additionalProperties": False,
        }
        allowed = (
            set(COMMON_ERRORS) | set(DOCUMENTED_ERRORS.get(rec.method, [])) | set(FAKE_CHOICES.get(rec.method, []))
        )
        if op is not None:
            documented = op["responses"].get("default", {}).get("schema", {}).get("properties", {}).get("error", {})
            allowed |= set(documented.get("enum", []))
        problems = [f"the fake's error answer {e}" for e in self._errors("error", error_schema, body)]
        if body.get("error") not in allowed:
            problems.append(
                f"the fake answered error {body.get('error')!r}, which neither the description nor the page lists"
            )
        return problems

    def check_all(self, records: Iterable[RecordedCall]) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        for rec in records:
            for problem in self.check(rec):
                if problem not in seen:
                    seen.add(problem)
                    out.append(problem)
        return out

    # ---- events -------------------------------------------------------------------------------
    def check_events(self, events: Iterable[dict[str, Any]], wrappers: Iterable[dict[str, Any]] = ()) -> list[str]:
        out: list[str] = []
        for event in events:
            kind = str(event.get("type", ""))
            topic = kind.replace("_", ".")
            if topic not in self.event_topics and kind not in EXTRA_EVENT_TYPES and self.event_topics:
                out.append(f"event {kind!r} is not in the Events API description")
        if self.event_wrapper is not None:
            validator = self._jsonschema.Draft7Validator(self.event_wrapper)
            for wrapper in wrappers:
                for err in validator.iter_errors(wrapper):
                    out.append(f"event wrapper: {err.message[:240]}")
        return sorted(set(out))


_TS = re.compile(r"^\d{10}\.\d{6}$")
_ID = re.compile(r"^[A-Z][A-Z0-9]{8,}$")


def shape(value: Any) -> Any:
    """A JSON value with what varies between alike calls (ids, timestamps, free text) replaced by its kind, so
    two calls that differ only there share one check; keys, numbers, booleans and short strings stay."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, str):
        if _TS.match(value):
            return "<ts>"
        if _ID.match(value):
            return f"<{value[0]}-id>"
        if len(value) > 24:
            return "<text>"
    return value


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        int(str(value))
    except ValueError:
        return False
    return True


def _is_number(value: Any) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


_lock = threading.Lock()
_cache: dict[str, SlackSpecChecker] = {}


def get_checker(path: Path | None = None) -> SlackSpecChecker | None:
    """The process-wide checker (None when the descriptions are absent)."""
    path = path or find_spec_dir()
    if path is None:
        return None
    with _lock:
        key = str(path)
        if key not in _cache:
            _cache[key] = SlackSpecChecker.from_dir(path)
        return _cache[key]
