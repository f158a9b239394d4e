"""Discord's limits, enforced by the fake with Discord's own error shapes.

The OpenAPI spec is looser than Discord in places (it allows 4000-character message content, for
example, the Nitro limit), so the limits a bot must respect are checked here by hand and answered
with ``400 {"code": 50035, "message": "Invalid Form Body", "errors": {...}}`` as Discord does.
"""

from __future__ import annotations

import re
from typing import Any

from .records import JSON, ApiError, field_error, invalid_form_body, merge_errors

CONTENT_MAX = 2000
#: resources/message.mdx, Create Message, "Limitations": "The maximum request size when sending a message is
#: 25 MiB" (whatever a guild's attachment_size_limit, which boosted guilds raise above it).
MAX_REQUEST_BYTES = 25 * 1024 * 1024
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
SETTABLE_MESSAGE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2 | FLAG_EPHEMERAL
AUTO_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)

Path = list[str | int]


class _Errors:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tree: JSON = {}

    def add(self, path: Path, code: str, message: str) -> None:
        merge_errors(self.tree, field_error([*self.root, *path], code, message))

    def max_len(self, path: Path, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def between(self, path: Path, value: Any, low: int, high: int) -> None:
        if isinstance(value, str) and not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: Path, value: Any) -> bool:
        if value is None or value == "":
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def raise_if_any(self) -> None:
        if self.tree:
            raise invalid_form_body(self.tree)


def embed_length(embed: JSON) -> int:
    """Characters counted towards the 6000 limit."""
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    for f in embed.get("fields") or []:
        total += len(str(f.get("name") or "")) + len(str(f.get("value") or ""))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    return total


def check_embeds(errs: _Errors, embeds: list[JSON]) -> None:
    if len(embeds) > EMBEDS_MAX:
        errs.add(["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        errs.max_len(["embeds", i, "title"], embed.get("title"), 256)
        errs.max_len(["embeds", i, "description"], embed.get("description"), 4096)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errs.add(["embeds", i, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            if errs.required(["embeds", i, "fields", j, "name"], fld.get("name")):
                errs.max_len(["embeds", i, "fields", j, "name"], fld.get("name"), 256)
            if errs.required(["embeds", i, "fields", j, "value"], fld.get("value")):
                errs.max_len(["embeds", i, "fields", j, "value"], fld.get("value"), 1024)
        errs.max_len(["embeds", i, "footer", "text"], (embed.get("footer") or {}).get("text"), 2048)
        errs.max_len(["embeds", i, "author", "name"], (embed.get("author") or {}).get("name"), 256)
        total += embed_length(embed)
    if total > EMBED_TOTAL_MAX:
        errs.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")


def _walk(components: list[JSON], path: Path) -> list[tuple[Path, JSON]]:
    out: list[tuple[Path, JSON]] = []
    for i, comp in enumerate(components):
        here = [*path, i]
        out.append((here, comp))
        if isinstance(comp.get("components"), list):
            out.extend(_walk(comp["components"], [*here, "components"]))
        for key in ("component", "accessory"):
            inner = comp.get(key)
            if isinstance(inner, dict):
                out.append(([*here, key], inner))
                if isinstance(inner.get("components"), list):
                    out.extend(_walk(inner["components"], [*here, key, "components"]))
    return out


def check_components(errs: _Errors, components: list[JSON], *, v2: bool, path: Path | None = None) -> None:
    """Message components: rows, buttons, selects, custom_id uniqueness and lengths."""
    path = path or ["components"]
    if not v2:
        if len(components) > 5:
            errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errs.add([*path, i], "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errs.add([*path, i, "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            if any(c.get("type") in (3, 5, 6, 7, 8) for c in children) and len(children) > 1:
                errs.add(
                    [*path, i, "components"],
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
    else:
        if len(_walk(components, path)) > 40:
            errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in total components.")
    seen: dict[str, Path] = {}
    for where, comp in _walk(components, path):
        ctype = comp.get("type")
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            errs.between([*where, "custom_id"], custom_id, 1, 100)
            if custom_id in seen:
                errs.add(
                    [*where, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                )
            seen[custom_id] = where
        if ctype == 2:
            errs.max_len([*where, "label"], comp.get("label"), 80)
            style = comp.get("style")
            if style == 5:
                errs.required([*where, "url"], comp.get("url"))
            elif style != 6:
                errs.required([*where, "custom_id"], custom_id)
        elif ctype in (3, 5, 6, 7, 8):
            errs.max_len([*where, "placeholder"], comp.get("placeholder"), 150)
            options = comp.get("options") or []
            if len(options) > 25:
                errs.add([*where, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            for j, opt in enumerate(options):
                errs.between([*where, "options", j, "label"], opt.get("label"), 1, 100)
                errs.between([*where, "options", j, "value"], opt.get("value"), 1, 100)
                errs.max_len([*where, "options", j, "description"], opt.get("description"), 100)
        elif ctype == 10:
            errs.max_len([*where, "content"], comp.get("content"), 4000)


def check_message(
    body: JSON,
    *,
    root: Path | None = None,
    files: int = 0,
    existing: bool = False,
) -> None:
    """Validate a create/edit message body; raises :class:`ApiError` like Discord.

    ``existing``: an edit, where absent fields keep their values (emptiness is checked by the caller).
    """
    errs = _Errors(root or [])
    content = body.get("content")
    flags = int(body.get("flags") or 0)
    embeds = body.get("embeds") or []
    components = body.get("components") or []
    v2 = bool(flags & FLAG_IS_COMPONENTS_V2)
    if content is not None and not isinstance(content, str):
        content = str(content)
    errs.max_len(["content"], content, CONTENT_MAX)
    check_embeds(errs, embeds)
    check_components(errs, components, v2=v2)
    if v2 and (content or embeds):
        key = "content" if content else "embeds"
        errs.add(
            [key],
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )
    check_allowed_mentions(errs, body.get("allowed_mentions"))
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        errs.add(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    errs.raise_if_any()
    if not existing and not (content or embeds or components or files or body.get("sticker_ids") or body.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


#: resources/message.mdx, "Allowed Mention Types".
MENTION_TYPES = ("users", "roles", "everyone")
MENTION_IDS_MAX = 100


def check_allowed_mentions(errs: _Errors, allowed: Any) -> None:
    """resources/message.mdx, "Allowed Mentions Object": ``parse`` of the three types; ``users`` and ``roles`` of
    at most 100 ids each, each "mutually exclusive" with its type in ``parse`` ("causing a validation error")."""
    if allowed is None:
        return
    if not isinstance(allowed, dict):
        errs.add(["allowed_mentions"], "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse if isinstance(parse, list) else []):
        if kind not in MENTION_TYPES:
            errs.add(
                ["allowed_mentions", "parse", i], "BASE_TYPE_CHOICES", "Value must be one of users, roles, everyone."
            )
    for kind in ("users", "roles"):
        ids = allowed.get(kind)
        if isinstance(ids, list) and len(ids) > MENTION_IDS_MAX:
            errs.add(
                ["allowed_mentions", kind], "BASE_TYPE_MAX_LENGTH", f"Must be {MENTION_IDS_MAX} or fewer in length."
            )
        if ids and isinstance(parse, list) and kind in parse:
            errs.add(
                ["allowed_mentions"],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def allowed_mention_rules(allowed: Any, *, webhook: bool) -> tuple[frozenset[str], frozenset[int], frozenset[int]]:
    """(types parsed, user ids allowed, role ids allowed) of a message's ``allowed_mentions``; without it, the
    defaults of "Default Settings for Allowed Mentions": every type in a regular message, users in interactions
    and webhooks."""
    if not isinstance(allowed, dict):
        return frozenset({"users"} if webhook else MENTION_TYPES), frozenset(), frozenset()

    def ids(kind: str) -> frozenset[int]:
        raw = allowed.get(kind)
        return frozenset(int(i) for i in raw) if isinstance(raw, list) else frozenset()

    parse = allowed.get("parse")
    return frozenset(parse if isinstance(parse, list) else []), ids("users"), ids("roles")


def check_modal(data: JSON) -> None:
    """A type-9 callback's ``data`` (title 45, labels 45, descriptions 100, text inputs 4000)."""
    errs = _Errors(["data"])
    if errs.required(["title"], data.get("title")):
        errs.max_len(["title"], data.get("title"), 45)
    if errs.required(["custom_id"], data.get("custom_id")):
        errs.max_len(["custom_id"], data.get("custom_id"), 100)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errs.add(["components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    seen: set[str] = set()

    def text_input(path: Path, comp: JSON, *, legacy: bool) -> None:
        if legacy and errs.required([*path, "label"], comp.get("label")):
            errs.max_len([*path, "label"], comp.get("label"), 45)
        cid = comp.get("custom_id")
        if errs.required([*path, "custom_id"], cid):
            errs.max_len([*path, "custom_id"], cid, 100)
            if cid in seen:
                errs.add(
                    [*path, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                )
            seen.add(str(cid))
        if comp.get("type") == 4:
            for key, high in (("min_length", 4000), ("max_length", 4000)):
                value = comp.get(key)
                if value is not None and not (0 if key == "min_length" else 1) <= int(value) <= high:
                    errs.add([*path, key], "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
            errs.max_len([*path, "value"], comp.get("value"), 4000)
            errs.max_len([*path, "placeholder"], comp.get("placeholder"), 100)

    for i, comp in enumerate(components):
        here: Path = ["components", i]
        ctype = comp.get("type")
        if ctype == 18:
            if errs.required([*here, "label"], comp.get("label")):
                errs.max_len([*here, "label"], comp.get("label"), 45)
            errs.max_len([*here, "description"], comp.get("description"), 100)
            inner = comp.get("component")
            if not isinstance(inner, dict):
                errs.add([*here, "component"], "BASE_TYPE_REQUIRED", "This field is required")
            else:
                text_input([*here, "component"], inner, legacy=False)
        elif ctype == 1:
            for j, child in enumerate(comp.get("components") or []):
                text_input([*here, "components", j], child, legacy=True)
        elif ctype == 10:
            errs.max_len([*here, "content"], comp.get("content"), 4000)
    errs.raise_if_any()


def check_autocomplete(data: JSON) -> None:
    """A type-8 callback: at most 25 choices, names 1-100, string values up to 100."""
    errs = _Errors(["data"])
    choices = data.get("choices") or []
    if len(choices) > 25:
        errs.add(["choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        errs.between(["choices", i, "name"], choice.get("name"), 1, 100)
        errs.max_len(["choices", i, "value"], choice.get("value"), 100)
    errs.raise_if_any()


def check_commands(commands: list[JSON]) -> None:
    """A bulk overwrite of application commands (names, descriptions, options, choices)."""
    errs = _Errors([])
    names: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type") or 1)
        name = cmd.get("name")
        if not isinstance(name, str) or not name:
            errs.add([i, "name"], "BASE_TYPE_REQUIRED", "This field is required")
            continue
        if ctype == 1:
            if not COMMAND_NAME.match(name) or name != name.lower():
                errs.add([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            errs.between([i, "description"], cmd.get("description"), 1, 100)
        else:
            errs.between([i, "name"], name, 1, 32)
        if (name, ctype) in names:
            errs.add([i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        names.add((name, ctype))
        _check_options(errs, cmd.get("options") or [], [i, "options"])
    errs.raise_if_any()


def _check_options(errs: _Errors, options: list[JSON], path: Path) -> None:
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for j, opt in enumerate(options):
        here = [*path, j]
        name = opt.get("name")
        if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
            errs.add([*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif name in names:
            errs.add([*here, "name"], "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
        names.add(str(name))
        errs.between([*here, "description"], opt.get("description"), 1, 100)
        otype = int(opt.get("type") or 0)
        if otype in (1, 2):
            _check_options(errs, opt.get("options") or [], [*here, "options"])
            continue
        if opt.get("required"):
            if seen_optional:
                errs.add(
                    [*here, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            errs.add([*here, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if choices and opt.get("autocomplete"):
            errs.add(
                [*here, "autocomplete"],
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                "Autocomplete cannot be set if there are choices present",
            )
        for k, choice in enumerate(choices):
            errs.between([*here, "choices", k, "name"], choice.get("name"), 1, 100)
            errs.max_len([*here, "choices", k, "value"], choice.get("value"), 100)
