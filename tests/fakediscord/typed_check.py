"""Validate the fake's gateway payloads against discord.py's typed payloads (``discord/types/``).

discord.py describes every dispatch it parses with a ``TypedDict`` (``discord.types.gateway``:
``MessageCreateEvent``, ``ThreadCreateEvent``, ``GuildCreateEvent``...). :func:`check_event` walks a payload
against that description: required keys present, values of the declared types (``Literal``, unions,
lists, dicts, nested ``TypedDict``s; ``Snowflake`` is ``str | int``). Keys discord.py does not declare are
allowed: Discord sends more than any client reads. Events without a declared payload are not checked.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import json
import pkgutil
import re
import sys
import types
import typing
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from .openapi_check import shape
from .records import RecordedEvent

#: Dispatches whose discord.py type does not describe what Discord sends (RESUMED carries ``_trace``).
UNCHECKED = frozenset({"RESUMED"})

#: Keys discord.py's types require but the documentation makes optional (the documentation wins).
DOCUMENTED_OPTIONAL = {
    # events/gateway-events.mdx, Ready: "shard?" (sent to sharded sessions only).
    ("ReadyEvent", "shard"),
    # components/reference.mdx, "Text Display Interaction Response Structure": only type and id.
    ("ModalSubmitTextDisplayInteractionData", "content"),
    # resources/channel.mdx, channel object: "name?" (a DM channel has none).
    ("InteractionDMChannel", "name"),
    # topics/threads.mdx: "Threads do not explicitly set the nsfw field".
    ("ThreadChannel", "nsfw"),
}

#: Event names whose TypedDict is not ``<CamelCase>Event``.
_TYPE_NAMES = {
    "THREAD_MEMBER_UPDATE": "ThreadMemberUpdate",
    "THREAD_MEMBERS_UPDATE": "ThreadMembersUpdate",
}


class _Pending:
    """A name imported from a module that was still being imported (see :func:`load_discord_types`)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name


class _TolerantLoader(importlib.abc.Loader):
    """Executes a ``discord.types`` module with a module ``__getattr__`` (PEP 562) that answers names a
    circular import asks for too early with a :class:`_Pending`."""

    def __init__(self, inner: Any, fullname: str) -> None:
        self.inner, self.fullname = inner, fullname

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        fullname = self.fullname

        def pending(attr: str) -> _Pending:
            if attr.startswith("__"):
                raise AttributeError(attr)
            return _Pending(fullname, attr)

        module.__getattr__ = pending  # type: ignore[method-assign]
        self.inner.exec_module(module)


class _TolerantFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("discord.types."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _TolerantLoader(spec.loader, fullname)
        return spec


@functools.cache
def load_discord_types() -> types.ModuleType:
    """``discord.types.gateway``, with the rest of ``discord.types``.

    discord.py imports these modules only for type checking; at run time they import each other in a
    circle (threads -> message -> channel -> threads ...). They are loaded here with names a circular import
    asks for too early left pending, then every pending name is bound to the real object; their annotations
    are lazy (``from __future__ import annotations``), so ``get_type_hints`` sees the real types."""
    import discord  # noqa: F401

    finder = _TolerantFinder()
    sys.meta_path.insert(0, finder)
    try:
        gateway = importlib.import_module("discord.types.gateway")
        for info in pkgutil.iter_modules(importlib.import_module("discord.types").__path__):
            importlib.import_module(f"discord.types.{info.name}")
    finally:
        sys.meta_path.remove(finder)
    for name, module in list(sys.modules.items()):
        if not name.startswith("discord.types.") or module is None:
            continue
        module.__dict__.pop("__getattr__", None)
        for attr, value in list(vars(module).items()):
            if isinstance(value, _Pending):
                setattr(module, attr, getattr(sys.modules[value.module], value.name))
    return gateway


@functools.cache
def event_type(name: str) -> Any:
    """discord.py's payload type of a dispatch, or None when it declares none."""
    gateway = load_discord_types()
    type_name = _TYPE_NAMES.get(name) or "".join(part.title() for part in name.split("_")) + "Event"
    return getattr(gateway, type_name, None)


def check_event(event: RecordedEvent) -> list[str]:
    """Problems with one dispatch's payload (empty when it matches discord.py's type or has none)."""
    if event.name in UNCHECKED:
        return []
    expected = event_type(event.name)
    if expected is None:
        return []
    return [f"gateway {event.name} (s={event.seq}): {problem}" for problem in check(event.data, expected, "d")]


def check_events(events: list[RecordedEvent]) -> list[str]:
    """Problems with every dispatch sent to the bot.

    A payload whose :func:`event_shape` was already found valid is not walked again: a thousand GUILD_CREATEs
    built by one code path for alike guilds cost one check, while a new combination of fields, types, enum
    values or list lengths is still checked in full."""
    problems: list[str] = []
    for event in events:
        key = f"{event.name} {json.dumps(event_shape(event.data), sort_keys=True)}"
        if key in _valid_shapes:
            continue
        found = check_event(event)
        if found:
            problems.extend(found)
        else:
            _valid_shapes.add(key)
    return problems


#: Shapes of payloads found valid (see :func:`check_events`), for the whole test session.
_valid_shapes: set[str] = set()
#: Keys whose string values are free text (names, messages): their wording is not part of a payload's shape.
_FREE_TEXT = frozenset({"name", "username", "global_name", "nick", "topic", "content", "description"})


def event_shape(value: Any, key: str | None = None) -> Any:
    """``openapi_check.shape`` (ids, times, URLs and long strings by kind) with free text and large integers
    (``version``, timestamps in ms) replaced too, so payloads that differ only in wording and ids share a key."""
    if isinstance(value, dict):
        return {k: event_shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [event_shape(v) for v in value]
    if isinstance(value, str) and key in _FREE_TEXT:
        return "<text>"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**31:
        return "<bigint>"
    return shape(value)


def check(value: Any, expected: Any, path: str) -> list[str]:
    """Where ``value`` does not fit ``expected`` (a typing annotation), as ``path: message`` lines."""
    if expected is Any or expected is object:
        return []
    origin = get_origin(expected)
    if origin in (Required, NotRequired):
        return check(value, get_args(expected)[0], path)
    if origin is Literal:
        return [] if value in get_args(expected) else [f"{path}: {value!r} is not one of {get_args(expected)}"]
    if origin in (Union, types.UnionType):
        options = get_args(expected)
        attempts = [check(value, option, path) for option in options]
        if any(not problems for problems in attempts):
            return []
        if isinstance(value, dict) and all(typing.is_typeddict(o) for o in options):
            # The alternative whose ``type`` Literal matches says why (else the one with the fewest problems).
            matching = [
                problems
                for option, problems in zip(options, attempts, strict=True)
                if get_origin(_hints(option).get("type")) is Literal
                and value.get("type") in get_args(_hints(option)["type"])
            ]
            return matching[0] if len(matching) == 1 else min(attempts, key=len)
        return [f"{path}: {_short(value)} matches none of {[_name(o) for o in options]}"]
    if origin in (list, tuple):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {_short(value)}"]
        item_type = get_args(expected)[0] if get_args(expected) else Any
        return [p for i, item in enumerate(value) for p in check(item, item_type, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {_short(value)}"]
        value_type = get_args(expected)[1] if get_args(expected) else Any
        return [p for k, v in value.items() for p in check(v, value_type, f"{path}.{k}")]
    if typing.is_typeddict(expected):
        return _check_typeddict(value, expected, path)
    if expected is None or expected is type(None):
        return [] if value is None else [f"{path}: expected null, got {_short(value)}"]
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number, got {_short(value)}"]
    if expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer, got {_short(value)}"]
    if isinstance(expected, type):
        return [] if isinstance(value, expected) else [f"{path}: expected {expected.__name__}, got {_short(value)}"]
    return []


def _check_typeddict(value: Any, expected: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected {expected.__name__}, got {_short(value)}"]
    hints = _hints(expected)
    required = _required_keys(expected)
    problems = [f"{path}: missing {key!r} ({expected.__name__})" for key in sorted(required - value.keys())]
    for key, annotation in hints.items():
        if key not in value:
            continue
        if key == "value" and value.get("focused") is True:
            # interactions/receiving-and-responding.mdx, option "value?: string, integer, double, or boolean"
            # "resulting from user input": the focused option of an autocomplete is what the member typed so far.
            continue
        if value[key] is None and key not in required:
            # The documentation marks most optional fields nullable too ("field?: ?type") and Discord sends
            # null for them; discord.py reads both alike, while its types often declare only NotRequired[T].
            continue
        problems.extend(check(value[key], annotation, f"{path}.{key}"))
    return problems


@functools.cache
def _required_keys(typed_dict: Any) -> frozenset[str]:
    """The keys a payload must have. ``__required_keys__`` cannot see ``NotRequired`` written in string
    annotations (``from __future__ import annotations``, which discord.types uses) on Python 3.11."""
    hints = _hints(typed_dict)
    required = {k for k in typed_dict.__required_keys__ if get_origin(hints.get(k)) is not NotRequired}
    required |= {k for k, hint in hints.items() if get_origin(hint) is Required}
    return frozenset(k for k in required if (typed_dict.__name__, k) not in DOCUMENTED_OPTIONAL)


@functools.cache
def _hints(typed_dict: Any) -> dict[str, Any]:
    # Some modules import names for their annotations only under TYPE_CHECKING: resolve those from all of
    # discord.types.
    return get_type_hints(typed_dict, localns=_all_type_names(), include_extras=True)


@functools.cache
def _all_type_names() -> dict[str, Any]:
    names: dict[str, Any] = {}
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("discord.types.") and module is not None:
            names.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return names


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or re.sub(r"typing\.", "", str(annotation))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
