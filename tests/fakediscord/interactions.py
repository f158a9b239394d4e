"""Interactions a test sends to the bot, and what the bot answered.

:class:`Interaction` is the handle returned by ``fake.slash``, ``fake.click``, ``fake.submit_modal``,
and (internally) ``fake.autocomplete``. It records every callback and follow-up
the bot sent for that interaction and lets a test await them with timeouts.
"""

# Every wait in this module takes an explicit ``timeout`` and fails with a readable AssertionError; that is
# the documented API, so ASYNC109 ("use asyncio.timeout instead") does not apply.

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .world import JSON, Member, Message, User

if TYPE_CHECKING:
    from .core import FakeCore


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9
    LAUNCH_ACTIVITY = 12


CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
    12: "LAUNCH_ACTIVITY",
}


class OptionType:
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


@dataclass(frozen=True)
class InteractionCallback:
    """One ``POST /interactions/{id}/{token}/callback`` the bot made."""

    type: int
    data: JSON
    time: float

    @property
    def type_name(self) -> str:
        return CALLBACK_NAMES.get(self.type, str(self.type))

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)


@dataclass(frozen=True)
class ModalField:
    """An input of a modal, flattened (whether inside a Label (type 18) or a legacy action row).

    ``label``/``description`` come from the Label (or the legacy text input's own label).
    ``value`` is the pre-filled default. ``type`` is the component type (4 text input, 3 string
    select, 5-8 entity selects, 19 file upload, 21 radio group, 22 checkbox group, 23 checkbox).
    """

    custom_id: str
    type: int
    label: str | None
    description: str | None
    value: str | None
    placeholder: str | None
    min_length: int | None
    max_length: int | None
    style: int | None
    required: bool
    options: list[JSON]
    component: JSON


INPUT_TYPES = frozenset({3, 4, 5, 6, 7, 8, 19, 21, 22, 23})


@dataclass(frozen=True)
class Modal:
    """A modal the bot opened (callback type 9)."""

    custom_id: str
    title: str
    components: list[JSON]

    @property
    def fields(self) -> list[ModalField]:
        """Every input, in order."""
        out: list[ModalField] = []
        for comp in self.components:
            ctype = comp.get("type")
            if ctype == 18:
                inner = comp.get("component") or {}
                out.append(_modal_field(inner, comp.get("label"), comp.get("description")))
            elif ctype == 1:
                for child in comp.get("components") or []:
                    if child.get("type") in INPUT_TYPES:
                        out.append(_modal_field(child, child.get("label"), None))
        return out

    @property
    def text_inputs(self) -> list[ModalField]:
        """Only the text inputs (type 4)."""
        return [f for f in self.fields if f.type == 4]

    @property
    def text_displays(self) -> list[str]:
        """Contents of TextDisplay (type 10) components."""
        return [str(c.get("content", "")) for c in self.components if c.get("type") == 10]

    def field(self, key: str) -> ModalField:
        """An input by custom_id or label (AssertionError listing the inputs if missing)."""
        for f in self.fields:
            if key in (f.custom_id, f.label):
                return f
        raise AssertionError(
            f"modal {self.title!r} has no input {key!r}; inputs: "
            + ", ".join(f"{f.custom_id!r} (label {f.label!r})" for f in self.fields)
        )


def _modal_field(comp: JSON, label: str | None, description: str | None) -> ModalField:
    return ModalField(
        custom_id=str(comp.get("custom_id", "")),
        type=int(comp.get("type", 0)),
        label=label,
        description=description,
        value=comp.get("value"),
        placeholder=comp.get("placeholder"),
        min_length=comp.get("min_length"),
        max_length=comp.get("max_length"),
        style=comp.get("style"),
        required=bool(comp.get("required", True)),
        options=list(comp.get("options") or []),
        component=comp,
    )


@dataclass(eq=False)
class Interaction:
    """Handle on one interaction sent to the bot.

    Await :meth:`response` for the first callback and :meth:`final` for the message the user ends up
    seeing. After ``final()`` the shortcuts :attr:`content`, :attr:`embeds`, :attr:`components`,
    :attr:`ephemeral` and :attr:`files` describe that message.
    """

    fake: FakeCore
    id: int
    token: str
    type: int
    payload: JSON
    user: Member | User
    channel_id: int
    guild_id: int | None
    name: str
    #: The message a component was clicked on (component and modal-from-component interactions).
    component_message: Message | None = None
    #: For a modal submit: the interaction the bot answered with the modal.
    opened_by: Interaction | None = None
    callbacks: list[InteractionCallback] = field(default_factory=list)
    #: The interaction's original response message (type 4/5), or the component message after 6/7.
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    #: PATCHes of @original after the first callback.
    original_edits: int = 0
    created: float = field(default_factory=time.monotonic)
    expired: bool = False

    # ------------------------------------------------------------------ state
    @property
    def callback_count(self) -> int:
        """How many callbacks the bot sent (Discord accepts exactly one)."""
        return len(self.callbacks)

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def callback(self) -> InteractionCallback | None:
        return self.callbacks[0] if self.callbacks else None

    @property
    def all_messages(self) -> list[Message]:
        """The original response (if any) followed by every distinct follow-up."""
        out: list[Message] = []
        if self.original is not None:
            out.append(self.original)
        out.extend(m for m in self.followups if m not in out)
        return out

    @property
    def modal(self) -> Modal:
        """The modal the bot answered with (AssertionError if the callback was not type 9).

        Synchronous: after ``await i.response()``; or use ``await i.wait_modal()``.
        """
        cb = self._require_callback()
        if cb.type != CallbackType.MODAL:
            raise AssertionError(f"{self} was answered with {cb.type_name}, not a MODAL: {cb.data}")
        return Modal(custom_id=cb.data["custom_id"], title=cb.data.get("title", ""), components=cb.data["components"])

    @property
    def choices(self) -> list[JSON]:
        """Autocomplete choices (callback type 8)."""
        cb = self._require_callback()
        if cb.type != CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            raise AssertionError(f"{self} was answered with {cb.type_name}, not autocomplete results")
        return list(cb.data.get("choices") or [])

    # ------------------------------------------------------------------ waiting
    async def response(self, timeout: float = 5.0) -> InteractionCallback:
        """The first callback the bot sent (waits for it)."""
        return await self.fake.notifier.wait_for(
            lambda: self.callback,
            timeout=timeout,
            describe=lambda: f"the bot never acknowledged {self}. {self.fake.describe_recent()}",
            checks=self.fake.client_checks(),
        )

    async def wait_modal(self, timeout: float = 5.0) -> Modal:
        """Wait for the callback and return the modal (AssertionError if the bot answered otherwise)."""
        await self.response(timeout)
        return self.modal

    async def wait_choices(self, timeout: float = 5.0) -> list[JSON]:
        """Wait for the callback and return autocomplete choices."""
        await self.response(timeout)
        return self.choices

    async def final(self, timeout: float = 5.0) -> Message:
        """The message the user finally sees.

        * type 4: the response message; type 7: the updated component message;
        * type 5 (defer): the original once the first follow-up or an @original edit replaced "thinking";
        * type 6 (deferred update): the first follow-up or the edited component message.

        Raises AssertionError for modal/autocomplete answers and on timeout.
        """
        cb = await self.response(timeout)
        if cb.type in (CallbackType.MODAL, CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT):
            raise AssertionError(f"{self} was answered with {cb.type_name}; there is no message (use .modal/.choices)")

        def ready() -> Message | None:
            if cb.type in (CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, CallbackType.UPDATE_MESSAGE):
                return self.original
            if cb.type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
                if self.original is not None and not self.original.loading:
                    return self.original
                return None
            if self.followups:
                return self.followups[0]
            if self.original_edits and self.original is not None:
                return self.original
            return None

        return await self.fake.notifier.wait_for(
            ready,
            timeout=timeout,
            describe=lambda: (
                f"{self} was acknowledged with {cb.type_name} but no follow-up/edit arrived. "
                f"{self.fake.describe_recent()}"
            ),
            checks=self.fake.client_checks(),
        )

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """Wait until at least ``count`` follow-ups were sent; returns all of them."""
        return await self.fake.notifier.wait_for(
            lambda: list(self.followups) if len(self.followups) >= count else None,
            timeout=timeout,
            describe=lambda: (
                f"{self} has {len(self.followups)} follow-ups, wanted {count}. {self.fake.describe_recent()}"
            ),
            checks=self.fake.client_checks(),
        )

    async def wait(self, predicate: Callable[[Interaction], bool], timeout: float = 5.0, what: str = "") -> None:
        """Wait until ``predicate(self)`` holds (e.g. ``lambda i: i.original_edits >= 2``)."""
        await self.fake.notifier.wait_for(
            lambda: True if predicate(self) else None,
            timeout=timeout,
            describe=lambda: f"{self}: {what or 'condition'} never held. {self.fake.describe_recent()}",
            checks=self.fake.client_checks(),
        )

    # ------------------------------------------------------------------ shortcuts on the visible message
    @property
    def message(self) -> Message:
        """The response message the user sees now (original, else first follow-up)."""
        if self.original is not None:
            return self.original
        if self.followups:
            return self.followups[0]
        raise AssertionError(f"{self} has no response message yet (await i.final() first); callbacks={self.callbacks}")

    @property
    def content(self) -> str:
        return self.message.content

    @property
    def embeds(self) -> list[JSON]:
        return self.message.embeds

    @property
    def components(self) -> list[JSON]:
        return self.message.components

    @property
    def ephemeral(self) -> bool:
        return self.message.ephemeral

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return self.message.files

    @property
    def text(self) -> str:
        """Content + embed text + text displays of the visible message."""
        return self.message.text

    def _require_callback(self) -> InteractionCallback:
        if not self.callbacks:
            raise AssertionError(f"{self} has no callback yet (await i.response() first)")
        return self.callbacks[0]

    def __repr__(self) -> str:
        kind = {2: "command", 3: "component", 4: "autocomplete", 5: "modal submit"}.get(self.type, str(self.type))
        user = self.user.user.username if isinstance(self.user, Member) else self.user.username
        return f"<Interaction {kind} {self.name!r} by {user} id={self.id}>"
