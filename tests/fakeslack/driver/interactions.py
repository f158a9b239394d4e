"""The driver, part 1: members run slash commands, click buttons, submit and close modals, open App Home.

Each call sends the envelope Slack would and returns an :class:`~tests.fakeslack.interactions.Interaction`
that records what the app did in answer.
"""

from __future__ import annotations

import time
from typing import Any

from .. import payloads
from ..blockkit import message_blocks_errors, view_errors
from ..core import FakeCore
from ..interactions import Interaction, wait_until
from ..socket import Envelope
from ..world import JSON, Channel, File, Message, User, View


class Part:
    core: FakeCore

    def _track(self, interaction: Interaction) -> Interaction:
        raise NotImplementedError


#: What a member may type into each input element, and how it appears in ``state.values``
#: (docs.slack.dev/reference/interaction-payloads/view-interactions-payload "state").
def _state_value(element: JSON, value: Any, file_host: str = "https://files.slack.com") -> JSON:
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input", "url_text_input", "email_text_input"):
        return {"type": kind, "value": None if value is None else str(value)}
    if kind == "static_select":
        option = _option(element, value)
        return {"type": kind, "selected_option": option}
    if kind in ("multi_static_select", "checkboxes"):
        values = value or []
        return {"type": kind, "selected_options": [_option(element, v) for v in values]}
    if kind == "radio_buttons":
        return {"type": kind, "selected_option": _option(element, value)}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": list(value or [])}
    if kind in ("conversations_select", "channels_select"):
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        return {"type": kind, key: value}
    if kind in ("multi_conversations_select", "multi_channels_select"):
        key = "selected_conversations" if kind.startswith("multi_conv") else "selected_channels"
        return {"type": kind, key: list(value or [])}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value}
    if kind == "file_input":
        # Files a member attached: File objects (world.add_file) or ready file dicts.
        files = [f.to_dict(file_host) if isinstance(f, File) else f for f in (value or [])]
        return {"type": kind, "files": files}
    return {"type": kind, "value": value}


def _option(element: JSON, value: Any) -> JSON | None:
    if value is None:
        return None
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return dict(option)
    raise AssertionError(f"no option with value {value!r} in {element.get('action_id')!r}")


def _initial(element: JSON) -> Any:
    """What a member sees pre-filled (initial_value / initial_option...)."""
    if "initial_value" in element:
        return element["initial_value"]
    if "initial_option" in element:
        return element["initial_option"].get("value")
    if "initial_options" in element:
        return [o.get("value") for o in element["initial_options"]]
    for key in ("initial_user", "initial_conversation", "initial_channel", "initial_date", "initial_time"):
        if key in element:
            return element[key]
    return None


def _find_element(blocks: list[JSON], action_id: str) -> tuple[JSON, JSON]:
    """The (block, element) with ``action_id`` among a message's or view's blocks."""
    for block in blocks:
        candidates: list[JSON] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "section" and "accessory" in block:
            candidates = [block["accessory"]]
        elif block.get("type") == "input":
            candidates = [block["element"]]
        for element in candidates:
            if element.get("action_id") == action_id:
                return block, element
    raise AssertionError(f"no element with action_id {action_id!r}")


class InteractionDriver(Part):
    """Acts as members through Socket Mode envelopes."""

    # ---- slash commands -----------------------------------------------------------------------
    async def slash(
        self, user: str | User, command: str, text: str = "", *, channel: str | Channel = "general"
    ) -> Interaction:
        """``/command text`` typed by ``user`` in ``channel``
        (docs.slack.dev/interactivity/implementing-slash-commands); ``channel="@alice"``: their DM with the app.

        The ack's payload (a message) is what the member sees at once (ephemeral unless ``response_type:
        in_channel``)."""
        core = self.core
        member = core.world.user(user)
        where = (
            core.world.channel(channel)
            if not (isinstance(channel, str) and channel.startswith("@"))
            else core.world.open_dm(channel[1:])
        )
        interaction = self._new(member, where, "slash_commands")
        trigger = core.new_trigger(member.id, interaction)
        response_url = core.new_response_url(member.id, where.id, None, interaction)
        interaction.trigger_id, interaction.response_url = trigger, response_url
        payload = payloads.slash_command(member, where, command, text, response_url=response_url, trigger_id=trigger)
        return self._send(interaction, "slash_commands", payload, accepts=True)

    async def shortcut(self, user: str | User, callback_id: str) -> Interaction:
        """A global shortcut (docs.slack.dev/interactivity/implementing-shortcuts)."""
        member = self.core.world.user(user)
        interaction = self._new(member, None, "shortcut")
        trigger = self.core.new_trigger(member.id, interaction)
        interaction.trigger_id = trigger
        return self._send(
            interaction, "interactive", payloads.shortcut(member, callback_id, trigger_id=trigger), accepts=False
        )

    # ---- buttons and selects ------------------------------------------------------------------
    async def click(
        self,
        user: str | User,
        action_id: str,
        *,
        message: Message | None = None,
        view: View | None = None,
        value: Any = None,
    ) -> Interaction:
        """Press a button (or choose ``value`` in a select) in a message or a view
        (docs.slack.dev/reference/interaction-payloads/block_actions-payload)."""
        core = self.core
        member = core.world.user(user)
        if (message is None) == (view is None):
            raise ValueError("click needs exactly one of message= or view=")
        blocks = message.blocks if message is not None else view.blocks  # type: ignore[union-attr]
        block, element = _find_element(blocks or [], action_id)
        action: JSON = {
            "action_id": action_id,
            "block_id": block.get("block_id", ""),
            "type": element.get("type"),
            "action_ts": f"{time.time():.6f}",
        }
        if element.get("type") == "button":
            action["text"] = element.get("text")
            if "value" in element:
                action["value"] = element["value"]
        else:
            action.update({k: v for k, v in _state_value(element, value).items() if k != "type"})
        if message is not None:
            channel = core.world.channels[message.channel]
            interaction = self._new(member, channel, "block_actions")
            trigger = core.new_trigger(member.id, interaction)
            response_url = core.new_response_url(member.id, channel.id, message.ts, interaction)
            interaction.trigger_id, interaction.response_url = trigger, response_url
            container = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel.id,
                "is_ephemeral": message.ephemeral_to is not None,
            }
            payload = payloads.block_actions(
                member,
                action,
                trigger_id=trigger,
                container=container,
                channel=channel,
                message=None if message.ephemeral_to else message.to_dict(core.world),
                response_url=response_url,
                state={"values": {}},
            )
        else:
            assert view is not None
            interaction = self._new(member, None, "block_actions")
            trigger = core.new_trigger(member.id, interaction)
            interaction.trigger_id = trigger
            container = {"type": "view", "view_id": view.id}
            payload = payloads.block_actions(
                member, action, trigger_id=trigger, container=container, view=view.to_dict()
            )
        return self._send(interaction, "interactive", payload, accepts=False)

    # ---- modals -------------------------------------------------------------------------------
    def current_view(self, user: str | User) -> View | None:
        """The modal on top of the member's stack (None when no modal is open)."""
        member = self.core.world.user(user)
        stack = self.core.world.modal_stacks.get(member.id) or []
        return self.core.world.views[stack[-1]] if stack else None

    async def submit_view(
        self, user: str | User, values: dict[str, Any] | None = None, *, view: View | None = None
    ) -> Interaction:
        """Fill a modal's inputs (``values`` by action_id; untouched inputs keep their initial value) and press
        its submit button. Slack's client refuses, before anything reaches the app, a submission that leaves a
        required input empty or breaks an input's ``min_length``/``max_length``: this raises ValueError then
        (docs.slack.dev/reference/block-kit/blocks/input-block ``optional``; plain-text-input-element)."""
        core = self.core
        member = core.world.user(user)
        view = view or self.current_view(member)
        if view is None or view.closed:
            raise AssertionError(f"{member.name} has no open modal to submit")
        if view.spec.get("submit") is None:
            raise AssertionError("this modal has no submit button")
        values = dict(values or {})
        state: dict[str, dict[str, JSON]] = {}
        for i, block in enumerate(view.blocks):
            if block.get("type") != "input":
                continue
            element = block["element"]
            action_id = element.get("action_id", f"a{i}")
            block_id = block.get("block_id", f"b{i}")
            value = values.pop(action_id) if action_id in values else _initial(element)
            empty = value in (None, "", [])
            if empty and not block.get("optional"):
                raise ValueError(f"Slack would not submit: {action_id!r} is required")
            if isinstance(value, str) and element.get("type") == "plain_text_input":
                if len(value) > int(element.get("max_length", 3000)):
                    raise ValueError(f"Slack would not submit: {action_id!r} is longer than its max_length")
                if not empty and len(value) < int(element.get("min_length", 0)):
                    raise ValueError(f"Slack would not submit: {action_id!r} is shorter than its min_length")
            state.setdefault(block_id, {})[action_id] = _state_value(
                element, None if empty else value, core.world.file_host
            )
        if values:
            raise AssertionError(f"no input with action_id {sorted(values)} in the modal")
        view.values = state
        view.errors = {}
        interaction = self._new(member, None, "view_submission")
        trigger = core.new_trigger(member.id, interaction)
        interaction.trigger_id = trigger
        payload = payloads.view_submission(member, view.to_dict(), trigger_id=trigger)
        interaction = self._send(interaction, "interactive", payload, accepts=True)
        interaction.envelope.on_ack = lambda env: self._after_submission(member, view, env)
        return interaction

    def _after_submission(self, member: User, view: View, envelope: Envelope) -> None:
        """Honour the ack's ``response_action`` (docs.slack.dev/surfaces/modals "Updating views after a submission",
        "Displaying errors", "Closing views"): ``errors`` keeps the view and shows them; ``update`` replaces it;
        ``push`` adds a view; ``clear`` closes them all; no payload closes the submitted view."""
        world = self.core.world
        stack = world.modal_stacks.get(member.id) or []
        action = (envelope.ack_payload or {}).get("response_action")
        payload = envelope.ack_payload or {}
        if action == "errors":
            errors = payload.get("errors")
            if not isinstance(errors, dict) or not errors:
                self.core.app_problems.append(f"response_action errors without an errors object: {payload!r}")
                return
            block_ids = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
            unknown = set(errors) - block_ids
            if unknown:
                # Slack shows nothing for errors keyed by a block_id the view does not have.
                self.core.app_problems.append(f"response_action errors name unknown input block_ids {sorted(unknown)}")
            view.errors = {str(k): str(v) for k, v in errors.items()}
        elif action in ("update", "push"):
            spec = payload.get("view")
            errors = view_errors(spec)
            if errors:
                self.core.app_problems.append(f"response_action {action} with an invalid view: {errors}")
                return
            assert isinstance(spec, dict)
            if action == "update":
                view.spec = dict(spec)
                view.values = {}
            else:
                new_id = world.new_id("V")
                world.views[new_id] = View(
                    id=new_id,
                    user=member.id,
                    spec=dict(spec),
                    hash=f"{time.time():.0f}.push",
                    root_view_id=stack[0] if stack else new_id,
                    previous_view_id=view.id,
                )
                stack.append(new_id)
        elif action == "clear":
            for vid in stack:
                world.views[vid].closed = True
            world.modal_stacks[member.id] = []
        else:
            view.closed = True
            if view.id in stack:
                stack.remove(view.id)
        self.core.notify()

    async def close_view(self, user: str | User, *, view: View | None = None) -> Interaction | None:
        """Press the modal's close button: the view goes away and, when it asked (``notify_on_close``), the app
        gets ``view_closed`` (docs.slack.dev/reference/interaction-payloads/view-interactions-payload)."""
        member = self.core.world.user(user)
        view = view or self.current_view(member)
        if view is None:
            raise AssertionError(f"{member.name} has no open modal")
        stack = self.core.world.modal_stacks.get(member.id) or []
        view.closed = True
        if view.id in stack:
            stack.remove(view.id)
        if not view.spec.get("notify_on_close"):
            self.core.notify()
            return None
        interaction = self._new(member, None, "view_closed")
        return self._send(
            interaction, "interactive", payloads.view_closed(member, view.to_dict(), is_cleared=False), accepts=False
        )

    # ---- App Home -----------------------------------------------------------------------------
    async def open_app_home(self, user: str | User, *, timeout: float = 5.0) -> View:
        """Open the app's Home tab as ``user``: ``app_home_opened`` goes to the app, and this returns the Home
        view it publishes in answer (or the one already published, if it publishes nothing new)."""
        core = self.core
        member = core.world.user(user)
        before = core.world.home_views.get(member.id)
        envelope = core.events.app_home_opened(member.id, "home")
        if envelope is None:
            raise AssertionError("the app is not subscribed to app_home_opened")

        def published() -> View | None:
            current = core.world.home_views.get(member.id)
            if current is not None and current != before:
                return core.world.views[current]
            if envelope.done.is_set() and before is not None and time.monotonic() - envelope.sent_at > 0.5:
                return core.world.views[before]
            return None

        return await wait_until(core, published, timeout=timeout, what=f"{member.name}'s Home tab")

    async def open_app_messages(self, user: str | User) -> Interaction | None:
        """Open the app's Messages tab (``app_home_opened`` with ``tab: "messages"``); the app may answer in the
        member's DM with it."""
        member = self.core.world.user(user)
        envelope = self.core.events.app_home_opened(member.id, "messages")
        if envelope is None:
            return None
        interaction = Interaction(
            core=self.core,
            kind="app_home_opened",
            user=member,
            channel=self.core.world.open_dm(member.id),
            envelope=envelope,
        )
        return self._track(interaction)

    def home_view(self, user: str | User) -> View | None:
        member = self.core.world.user(user)
        view_id = self.core.world.home_views.get(member.id)
        return None if view_id is None else self.core.world.views[view_id]

    # ---- plumbing -----------------------------------------------------------------------------
    def _new(self, member: User, channel: Channel | None, kind: str) -> Interaction:
        if self.core.sockets is None or not self.core.sockets.connections:
            raise AssertionError("no Socket Mode connection: Slack would not deliver this to the app")
        placeholder = Envelope(kind, {}, False)
        return self._track(Interaction(core=self.core, kind=kind, user=member, channel=channel, envelope=placeholder))

    def _send(self, interaction: Interaction, type_: str, payload: JSON, *, accepts: bool) -> Interaction:
        assert self.core.sockets is not None
        interaction.envelope = self.core.sockets.send(type_, payload, accepts_response_payload=accepts)
        if type_ == "slash_commands":
            interaction.envelope.on_ack = lambda env: self._ack_reply(interaction, env)
        return interaction

    def _ack_reply(self, interaction: Interaction, envelope: Envelope) -> None:
        """A slash command's ack payload is the member's immediate reply (implementing-slash-commands
        "Responding immediately"): ephemeral unless ``response_type: in_channel``."""
        body = envelope.ack_payload
        if not body or not (body.get("text") or body.get("blocks")):
            return
        problems = message_blocks_errors(body["blocks"]) if body.get("blocks") is not None else []
        if problems:
            # Slack shows the member an error instead of a reply whose blocks break Block Kit's rules.
            self.core.app_problems.append(f"slash command ack with invalid blocks: {problems}")
            return
        assert interaction.channel is not None
        world = self.core.world
        message = Message(
            channel=interaction.channel.id,
            ts=world.new_ts(),
            user=world.bot.id,
            text=str(body.get("text") or ""),
            blocks=body.get("blocks"),
            bot_id=world.bot.bot_id,
            ephemeral_to=None if body.get("response_type") == "in_channel" else interaction.user.id,
            via="ack",
        )
        from ..web.chat import store

        store(self.core, message)
        interaction.responses.append(message)


__all__ = ["InteractionDriver", "wait_until"]
