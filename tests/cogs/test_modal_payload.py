"""The raw MODAL_SUBMIT reader the stateless forms share: it finds inputs in Labels and action rows, and a
payload of the wrong shape reads as empty instead of failing."""

from __future__ import annotations

from typing import Any

import pytest

from cogs._modal_payload import submitted_checkbox, submitted_text


def in_label(component: dict[str, Any]) -> dict[str, Any]:
    return {"type": 18, "component": component}


def in_row(component: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": [component]}


def text_input(custom_id: str, value: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": custom_id, "value": value}


def test_text_is_read_from_a_label_or_an_action_row() -> None:
    data = {
        "custom_id": "form",
        "components": [
            {"type": 10, "content": "a text display"},
            in_label(text_input("first", "one")),
            in_row(text_input("second", "two")),
        ],
    }
    assert submitted_text(data, "first") == "one"
    assert submitted_text(data, "second") == "two"
    assert submitted_text(data, "third") == ""


def test_a_checkbox_counts_only_when_its_value_is_true() -> None:
    def form(value: Any) -> dict[str, Any]:
        return {"components": [in_label({"type": 23, "custom_id": "box", "value": value})]}

    assert submitted_checkbox(form(True), "box") is True
    assert submitted_checkbox(form(False), "box") is False
    assert submitted_checkbox(form("true"), "box") is False
    assert submitted_checkbox(form(True), "other") is False


def test_an_input_of_another_type_with_the_same_id_is_not_read() -> None:
    data = {"components": [in_label({"type": 23, "custom_id": "x", "value": True}), in_row(text_input("x", "t"))]}
    assert submitted_text(data, "x") == "t"
    assert submitted_checkbox({"components": [in_row(text_input("x", "t"))]}, "x") is False


@pytest.mark.parametrize(
    "data",
    [None, "text", [], {}, {"components": "x"}, {"components": [None, 3, "x", {"component": "x", "components": 5}]}],
)
def test_a_malformed_payload_reads_as_empty(data: Any) -> None:
    assert submitted_text(data, "x") == ""
    assert submitted_checkbox(data, "x") is False


def test_a_text_value_that_is_not_a_string_reads_as_empty() -> None:
    assert submitted_text({"components": [in_label(text_input("x", 5))]}, "x") == ""
