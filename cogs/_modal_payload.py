"""Reading a raw MODAL_SUBMIT payload, for forms the bot handles statelessly (not through ``Modal.on_submit``).

The payload comes from the member's client, so nothing about its shape is trusted: a missing or malformed
input reads as empty. Inputs are found inside Labels (type 18, ``component``) and legacy action rows
(type 1, ``components``).
"""

from __future__ import annotations

from typing import Any

TEXT_INPUT = 4
CHECKBOX = 23


def submitted_component(data: Any, custom_id: str, component_type: int) -> dict[str, Any] | None:
    """The submitted component of ``component_type`` named ``custom_id`` in ``data``, or None."""
    components = data.get("components") if isinstance(data, dict) else None
    pending: list[Any] = list(components) if isinstance(components, list) else []
    while pending:
        component = pending.pop(0)
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and component.get("type") == component_type:
            return component
        inner = component.get("component")
        if isinstance(inner, dict):
            pending.append(inner)
        children = component.get("components")
        if isinstance(children, list):
            pending.extend(children)
    return None


def submitted_text(data: Any, custom_id: str) -> str:
    """The text typed into text input ``custom_id``; "" if it is missing or malformed."""
    component = submitted_component(data, custom_id, TEXT_INPUT)
    value = component.get("value") if component is not None else None
    return value if isinstance(value, str) else ""


def submitted_checkbox(data: Any, custom_id: str) -> bool:
    """Whether checkbox ``custom_id`` was ticked; False if it is missing or malformed."""
    component = submitted_component(data, custom_id, CHECKBOX)
    return component is not None and component.get("value") is True
