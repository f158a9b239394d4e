"""The checks run at teardown: calls, answers and events against Slack's published descriptions."""

from __future__ import annotations

from typing import Any

from tests.fakeslack.core import RecordedCall
from tests.fakeslack.openapi_check import SlackSpecChecker, get_checker

#: A description in the shape of the Web API document, small enough to read here.
MINI_SPEC: dict[str, Any] = {
    "swagger": "2.0",
    "definitions": {
        "defs_ok_true": {"enum": [True]},
        "defs_ts": {"type": "string", "pattern": r"^\d{10}\.\d{6}$"},
        "objs_message": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
    "paths": {
        "/chat.delete": {
            "post": {
                "parameters": [
                    {"name": "token", "in": "header", "required": True, "type": "string"},
                    {"name": "channel", "in": "formData", "required": True, "type": "string"},
                    {"name": "ts", "in": "formData", "required": True, "type": "number"},
                    {"name": "as_user", "in": "formData", "type": "boolean"},
                ],
                "responses": {
                    "200": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["ok", "channel", "ts"],
                            "properties": {
                                "ok": {"$ref": "#/definitions/defs_ok_true"},
                                "channel": {"type": "string"},
                                "ts": {"$ref": "#/definitions/defs_ts"},
                            },
                        }
                    },
                    "default": {"schema": {"properties": {"error": {"enum": ["message_not_found"]}}}},
                },
            }
        },
        "/conversations.history": {"get": {"parameters": [], "responses": {"200": {"schema": {"properties": {}}}}}},
        "/conversations.replies": {"get": {"parameters": [], "responses": {"200": {"schema": {"properties": {}}}}}},
    },
}


def call(args: dict[str, Any], response: dict[str, Any], method: str = "chat.delete") -> RecordedCall:
    return RecordedCall(
        method=method, http_method="POST", args=args, content_type="", token_kind="bot", status=200, response=response
    )


def checker() -> SlackSpecChecker:
    return SlackSpecChecker(MINI_SPEC, None, set())


def test_a_valid_call_and_answer_pass() -> None:
    ok = call(
        {"channel": "C0000000001", "ts": "1712345678.123456"},
        {"ok": True, "channel": "C0000000001", "ts": "1712345678.123456"},
    )
    assert checker().check(ok) == []


def test_unknown_and_mistyped_arguments_are_reported() -> None:
    problems = checker().check(
        call(
            {"channel": "C1", "ts": "soon", "colour": "red", "as_user": "maybe"},
            {"ok": False, "error": "message_not_found"},
        )
    )
    assert any("'colour' is not one the method takes" in p for p in problems)
    assert any("'ts' should be a number" in p for p in problems)
    assert any("'as_user' should be a boolean" in p for p in problems)


def test_answers_that_do_not_fit_are_reported() -> None:
    bad = call({"channel": "C1", "ts": "1.5"}, {"ok": True, "channel": "C1", "ts": "yesterday", "extra": 1})
    problems = checker().check(bad)
    assert any("ts" in p and "does not match" in p for p in problems)
    assert any("Additional properties" in p for p in problems)
    undocumented = checker().check(call({"channel": "C1", "ts": "1.5"}, {"ok": False, "error": "made_up_error"}))
    assert any("made_up_error" in p for p in undocumented)
    common = checker().check(
        call(
            {"channel": "C1", "ts": "1.5"},
            {"ok": False, "error": "missing_scope", "needed": "chat:write", "provided": ""},
        )
    )
    assert common == []


def test_methods_without_any_description_are_reported() -> None:
    problems = checker().check(call({}, {"ok": True}, method="reactions.add"))
    assert problems and "no description" in problems[0]


def test_events_are_checked_against_the_events_api_description() -> None:
    wrapper = {"type": "object", "required": ["token", "event"], "properties": {"event": {"type": "object"}}}
    events = SlackSpecChecker(MINI_SPEC, wrapper, {"message", "message.channels"})
    assert events.check_events([{"type": "message"}, {"type": "app_home_opened"}], [{"token": "t", "event": {}}]) == []
    problems = events.check_events([{"type": "reaction_added"}], [{"event": {}}])
    assert any("reaction_added" in p for p in problems) and any("'token' is a required property" in p for p in problems)


def test_the_real_description_loads_when_present() -> None:
    real = get_checker()
    if real is None:  # only this part depends on ../shared/slack-api-spec
        return
    ok = call(
        {"channel": "C0000000001", "ts": "1712345678.123456"},
        {"ok": True, "channel": "C0000000001", "ts": "1712345678.123456"},
    )
    assert real.check(ok) == []
    assert real.check(
        call(
            {"channel": "C0000000001", "ts": "1712345678.123456", "colour": "red"},
            {"ok": True, "channel": "C0000000001", "ts": "1712345678.123456"},
        )
    )
