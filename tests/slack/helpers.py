"""What a member sees on Slack, as text, and waiting for the bot to show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakeslack import FakeSlack, View
from tests.fakeslack.interactions import wait_until


def visible(item: Any) -> str:
    """Every text a member can read in blocks, a view or a message (headers, sections, fields, buttons...)."""
    if hasattr(item, "spec"):
        item = item.spec.get("blocks", [])
    elif hasattr(item, "blocks") and not isinstance(item, dict | list):
        item = [item.text, item.blocks or []]
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "fields", "elements", "accessory", "label", "hint", "title", "blocks", "element"):
                    walk(value)
                elif key == "initial_value" and isinstance(value, str):
                    found.append(value)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(item)
    return "\n".join(found)


async def view_showing(fake: FakeSlack, user: str, words: str, timeout: float = 10.0) -> View:
    """The member's modal once it shows ``words`` (the bot fills modals after opening them)."""

    def probe() -> View | None:
        view = fake.current_view(user)
        return view if view is not None and words in visible(view) else None

    return await wait_until(fake.core, probe, timeout=timeout, what=f"a modal showing {words!r}")


async def until(fake: FakeSlack, probe: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    return await wait_until(fake.core, lambda: probe() or None, timeout=timeout, what=what)


def action_ids(item: Any) -> list[str]:
    blocks = item.spec.get("blocks", []) if hasattr(item, "spec") else (item.blocks or [])
    ids: list[str] = []
    for block in blocks:
        for element in [block.get("accessory"), *(block.get("elements") or [])]:
            if isinstance(element, dict) and element.get("action_id"):
                ids.append(str(element["action_id"]))
    return ids
