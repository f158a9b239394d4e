"""Block Kit's documented limits, checked on every message and view the bot sends.

Each limit names its page under https://docs.slack.dev/reference/block-kit/ (blocks/<name>-block,
block-elements/<name>-element, composition-objects/<name>-object) or /reference/views (the view object).
A breach is reported as Slack words it, ``"… [json-pointer:/blocks/0/text/text]"``; the Web API method turns
the list into ``invalid_blocks`` (messages) or ``invalid_arguments`` with ``response_metadata.messages`` (views).

Only the blocks and elements a workshop bot uses are known; any other ``type`` is refused, so a new one is
added here (with its limits) before the bot may use it.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

# /reference/block-kit/blocks: "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
# /reference/views "View object": title, submit and close "Max length of 24 characters"; private_metadata 3000;
# callback_id and external_id 255.
MAX_VIEW_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255
# Common to every block and element: block_id and action_id "Maximum length of 255 characters".
MAX_ID = 255

BLOCK_TYPES = {"section", "header", "divider", "context", "actions", "input", "image", "rich_text"}
INPUT_ELEMENTS = {
    "plain_text_input",
    "static_select",
    "multi_static_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "number_input",
    "url_text_input",
    "email_text_input",
    "file_input",
}
INTERACTIVE_ELEMENTS = INPUT_ELEMENTS - {"file_input"} | {"button", "overflow"}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, where: str) -> None:
        self.errors.append(f"{message} [json-pointer:{where}]")

    def max_len(self, value: Any, limit: int, where: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", where)

    def text(self, obj: Any, where: str, *, limit: int, plain_only: bool = False, required: bool = True) -> None:
        """A text object (/reference/block-kit/composition-objects/text-object): type plain_text or mrkdwn,
        text at least 1 character (docs: "Minimum length for this field is 1")."""
        if obj is None:
            if required:
                self.fail("missing required field: text", where)
            return
        if not isinstance(obj, dict):
            self.fail("must provide an object", where)
            return
        kind = obj.get("type")
        allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
        if kind not in allowed:
            self.fail(f"must be one of {sorted(allowed)}", f"{where}/type")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail("must be more than 0 characters", f"{where}/text")
            return
        self.max_len(text, limit, f"{where}/text")

    def ident(self, obj: JSON, key: str, where: str) -> None:
        value = obj.get(key)
        if value is not None:
            if not isinstance(value, str):
                self.fail("must be a string", f"{where}/{key}")
            self.max_len(value, MAX_ID, f"{where}/{key}")

    # ---- elements -----------------------------------------------------------------------------
    def option(self, opt: Any, where: str) -> None:
        """/reference/block-kit/composition-objects/option-object: text 75, value 150, description 75."""
        if not isinstance(opt, dict):
            self.fail("must provide an object", where)
            return
        self.text(opt.get("text"), f"{where}/text", limit=75)
        value = opt.get("value")
        if not isinstance(value, str) or not value:
            self.fail("must be more than 0 characters", f"{where}/value")
        self.max_len(value, 150, f"{where}/value")
        if "description" in opt:
            self.text(opt["description"], f"{where}/description", limit=75)

    def element(self, el: Any, where: str, *, allowed: set[str]) -> None:
        if not isinstance(el, dict):
            self.fail("must provide an object", where)
            return
        kind = el.get("type")
        if kind not in allowed:
            self.fail(f"invalid element type {kind!r}", f"{where}/type")
            return
        self.ident(el, "action_id", where)
        if "placeholder" in el:
            # Every element's placeholder: plain_text, "Maximum length ... 150 characters".
            self.text(el["placeholder"], f"{where}/placeholder", limit=150, plain_only=True)
        if kind == "button":
            # /block-elements/button-element: text 75, value 2000, url 3000, accessibility_label 75.
            self.text(el.get("text"), f"{where}/text", limit=75, plain_only=True)
            self.max_len(el.get("value"), 2000, f"{where}/value")
            self.max_len(el.get("url"), 3000, f"{where}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.fail("must be one of primary, danger", f"{where}/style")
        elif kind == "plain_text_input":
            # /block-elements/plain-text-input-element: min_length 0-3000, max_length 1-3000.
            for key, low in (("min_length", 0), ("max_length", 1)):
                value = el.get(key)
                if value is not None and (not isinstance(value, int) or not low <= value <= 3000):
                    self.fail(f"must be between {low} and 3000", f"{where}/{key}")
            initial = el.get("initial_value")
            if isinstance(initial, str) and len(initial) > int(el.get("max_length") or 3000):
                self.fail("initial_value longer than max_length", f"{where}/initial_value")
        elif kind in {"static_select", "multi_static_select", "overflow", "checkboxes", "radio_buttons"}:
            # select menus: options at most 100; overflow 2-5; checkboxes and radio buttons at most 10.
            limit = {"overflow": 5, "checkboxes": 10, "radio_buttons": 10}.get(str(kind), 100)
            options = el.get("options")
            groups = el.get("option_groups")
            if options is None and groups is None:
                self.fail("missing required field: options", f"{where}/options")
            for i, opt in enumerate(options or []):
                self.option(opt, f"{where}/options/{i}")
            if isinstance(options, list) and len(options) > limit:
                self.fail(f"must provide at most {limit} items", f"{where}/options")
        elif kind == "file_input":
            # /block-elements/file-input-element: max_files 1-10.
            value = el.get("max_files")
            if value is not None and (not isinstance(value, int) or not 1 <= value <= 10):
                self.fail("must be between 1 and 10", f"{where}/max_files")

    # ---- blocks -------------------------------------------------------------------------------
    def block(self, block: Any, where: str, *, surface: str) -> None:
        if not isinstance(block, dict):
            self.fail("must provide an object", where)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(f"invalid block type {kind!r}", f"{where}/type")
            return
        self.ident(block, "block_id", where)
        if kind == "section":
            # /blocks/section-block: text 3000; fields at most 10, each 2000; text or fields required.
            if "text" not in block and "fields" not in block:
                self.fail("must provide either text or fields", where)
            if "text" in block:
                self.text(block["text"], f"{where}/text", limit=3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.fail("must provide at most 10 items", f"{where}/fields")
            for i, f in enumerate(fields):
                self.text(f, f"{where}/fields/{i}", limit=2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{where}/accessory", allowed=INTERACTIVE_ELEMENTS | {"image"})
        elif kind == "header":
            # /blocks/header-block: plain_text, "Maximum length for the text in this field is 150 characters".
            self.text(block.get("text"), f"{where}/text", limit=150, plain_only=True)
        elif kind == "context":
            # /blocks/context-block: elements 1-10 (images and text objects).
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                self.fail("must provide between 1 and 10 items", f"{where}/elements")
            for i, el in enumerate(elements):
                if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    self.text(el, f"{where}/elements/{i}", limit=3000)
        elif kind == "actions":
            # /blocks/actions-block: elements at most 25.
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                self.fail("must provide between 1 and 25 items", f"{where}/elements")
            for i, el in enumerate(elements):
                self.element(el, f"{where}/elements/{i}", allowed=INTERACTIVE_ELEMENTS)
            self._unique_action_ids(elements, f"{where}/elements")
        elif kind == "input":
            # /blocks/input-block: label plain_text 2000, hint plain_text 2000, one element required.
            self.text(block.get("label"), f"{where}/label", limit=2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{where}/hint", limit=2000, plain_only=True)
            if "element" not in block:
                self.fail("missing required field: element", f"{where}/element")
            else:
                self.element(block["element"], f"{where}/element", allowed=INPUT_ELEMENTS)
        elif kind == "image":
            # /blocks/image-block: alt_text 2000, image_url 3000, title 2000.
            self.max_len(block.get("alt_text"), 2000, f"{where}/alt_text")
            self.max_len(block.get("image_url"), 3000, f"{where}/image_url")

    def _unique_action_ids(self, elements: list[Any], where: str) -> None:
        seen: set[str] = set()
        for i, el in enumerate(elements):
            action_id = el.get("action_id") if isinstance(el, dict) else None
            if action_id is None:
                continue
            if action_id in seen:
                self.fail(f"action_id {action_id!r} already exists", f"{where}/{i}/action_id")
            seen.add(action_id)

    def blocks(self, blocks: Any, where: str, *, limit: int, surface: str) -> None:
        if not isinstance(blocks, list):
            self.fail("must provide an array", where)
            return
        if len(blocks) > limit:
            self.fail(f"must provide at most {limit} items", where)
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{where}/{i}", surface=surface)
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if block_id is not None:
                # /blocks: "block_id should be unique for each message or view".
                if block_id in block_ids:
                    self.fail(f"block_id {block_id!r} already exists", f"{where}/{i}/block_id")
                block_ids.add(block_id)


def message_blocks_errors(blocks: Any) -> list[str]:
    """Problems with a message's ``blocks`` (empty when valid)."""
    checker = _Checker()
    checker.blocks(blocks, "/blocks", limit=MAX_BLOCKS_MESSAGE, surface="message")
    return checker.errors


def view_errors(view: Any) -> list[str]:
    """Problems with a view object (/reference/views): a modal or a Home tab."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.fail("must provide an object", "/view")
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("must be one of modal, home", "/view/type")
        return checker.errors
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", limit=MAX_VIEW_BUTTON, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text(view[key], f"/view/{key}", limit=MAX_VIEW_BUTTON, plain_only=True)
        # /reference/views: submit is required when the view has input blocks.
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            checker.fail("must provide submit when the view contains input blocks", "/view/submit")
    checker.max_len(view.get("private_metadata"), MAX_PRIVATE_METADATA, "/view/private_metadata")
    checker.max_len(view.get("callback_id"), MAX_CALLBACK_ID, "/view/callback_id")
    checker.max_len(view.get("external_id"), MAX_CALLBACK_ID, "/view/external_id")
    checker.blocks(view.get("blocks"), "/view/blocks", limit=MAX_BLOCKS_VIEW, surface=str(kind))
    return checker.errors
