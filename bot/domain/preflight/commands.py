"""Slash commands as members see them, to compare the bot's command tree with what Discord has registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def command_name(command: Mapping[str, Any]) -> str:
    return str(command.get("name", ""))


_OPTION_DEFAULTS: dict[str, Any] = {
    "description": "",
    "required": False,
    "autocomplete": False,
    "choices": None,
    "channel_types": None,
    "min_value": None,
    "max_value": None,
    "min_length": None,
    "max_length": None,
    "options": None,
}


def command_signature(command: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a member sees of a command, comparable between the bot's payload and Discord's echo of it.

    Discord's copy adds ids, versions and defaults (developers/interactions/application-commands.mdx,
    "Application Command Object"), so only the fields the bot sets are compared, each with its default.
    """
    permissions = command.get("default_member_permissions")
    return (
        command_name(command),
        int(command.get("type") or 1),
        command.get("description") or "",
        None if permissions is None else str(permissions),
        bool(command.get("nsfw") or False),
        _options_signature(command.get("options")),
    )


def _options_signature(options: Any) -> tuple[Any, ...]:
    if not options:
        return ()
    signature = []
    for option in options:
        fields: list[Any] = [option.get("name"), int(option.get("type") or 0)]
        for key, default in _OPTION_DEFAULTS.items():
            value = option.get(key, default)
            if key == "options":
                value = _options_signature(value)
            elif key == "choices":
                value = tuple((c.get("name"), c.get("value")) for c in value or ())
            elif key == "channel_types":
                value = tuple(sorted(value or ()))
            elif value is None or value == default:
                value = default
            fields.append(value)
        signature.append(tuple(fields))
    return tuple(signature)
