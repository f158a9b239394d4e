"""views.open, views.push, views.update, views.publish (docs.slack.dev/reference/methods/views.*;
docs.slack.dev/surfaces/modals "The view stack": at most 3 views in a modal's stack).

A view that breaks Block Kit's limits is refused with ``invalid_arguments`` and the reasons in
``response_metadata.messages`` (``"[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"``),
which is how the views methods report a bad view (their "Errors" table: invalid_arguments).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time

from ..blockkit import view_errors
from ..core import Call, SlackError, web_method
from ..world import JSON, View

MAX_STACK = 3  # surfaces/modals: "you can push up to 2 additional views" onto the first


def _spec(call: Call, *, kind: str | None = None) -> JSON:
    spec = call.json_arg("view")
    if spec is None:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: view"]})
    errors = view_errors(spec)
    if kind is not None and isinstance(spec, dict) and spec.get("type") != kind:
        errors.append(f"must be {kind} [json-pointer:/view/type]")
    if errors:
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    external = spec.get("external_id")
    if external and any(v.external_id == external and not v.closed for v in call.world.views.values()):
        raise SlackError("duplicate_external_id")
    return dict(spec)


def _new_view(call: Call, user: str, spec: JSON, *, root: str | None = None, previous: str | None = None) -> View:
    view_id = call.world.new_id("V")
    view = View(
        id=view_id,
        user=user,
        spec=spec,
        hash=f"{int(time.time())}.{secrets.token_hex(4)}",
        root_view_id=root or view_id,
        previous_view_id=previous,
        external_id=spec.get("external_id"),
    )
    call.world.views[view.id] = view
    return view


def _opened(call: Call, trigger_interaction: object, view: View) -> None:
    views = getattr(trigger_interaction, "views", None)
    if isinstance(views, list):
        views.append(view)
    call.core.notify()


@web_method("views.open")
async def views_open(call: Call) -> JSON:
    spec = _spec(call, kind="modal")
    trigger = call.core.use_trigger(call.arg("trigger_id") or call.arg("interactivity_pointer"))
    view = _new_view(call, trigger.user, spec)
    # A new modal replaces any modal the member had open.
    for old in call.world.modal_stacks.get(trigger.user, []):
        call.world.views[old].closed = True
    call.world.modal_stacks[trigger.user] = [view.id]
    _opened(call, trigger.interaction, view)
    return {"ok": True, "view": view.to_dict()}


@web_method("views.push")
async def views_push(call: Call) -> JSON:
    spec = _spec(call, kind="modal")
    trigger = call.core.use_trigger(call.arg("trigger_id") or call.arg("interactivity_pointer"))
    stack = call.world.modal_stacks.get(trigger.user) or []
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    view = _new_view(call, trigger.user, spec, root=stack[0], previous=stack[-1])
    stack.append(view.id)
    _opened(call, trigger.interaction, view)
    return {"ok": True, "view": view.to_dict()}


# How long views.update waits for the ack of a submission of the same view that is still on its way.
ACK_IN_FLIGHT = 1.0


async def _after_acks_in_flight(call: Call, view_id: str | None) -> None:
    """Apply a submission's ack before a later views.update of the same view.

    An app acknowledges a view_submission (say with ``response_action: update`` to a "Saving…" view) and then
    calls views.update with the result: the ack went out first, on the socket that is already open, and the
    Web API call after it. This fake reads both on one event loop, which may take the HTTP request before the
    socket frame under load; Slack receives them in the order they were sent, so the fake waits, briefly, for an
    ack of that view's submission that has not been read yet.
    """
    hub = call.core.sockets
    if hub is None or not view_id:
        return
    for envelope in hub.envelopes:
        view = envelope.payload.get("view") if envelope.type == "interactive" else None
        pending = not envelope.acked.is_set() and not envelope.timed_out
        if pending and isinstance(view, dict) and view.get("id") == view_id:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(envelope.acked.wait(), ACK_IN_FLIGHT)


@web_method("views.update")
async def views_update(call: Call) -> JSON:
    """By ``view_id`` or ``external_id``; a stale ``hash`` answers ``hash_conflict``."""
    await _after_acks_in_flight(call, call.arg("view_id"))
    view_id = call.arg("view_id")
    external = call.arg("external_id")
    view = call.world.views.get(view_id or "") if view_id else None
    if view is None and external:
        view = next((v for v in call.world.views.values() if v.external_id == external and not v.closed), None)
    if view is None or view.closed:
        raise SlackError("not_found")
    spec = call.json_arg("view")
    errors = view_errors(spec)
    if errors:
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    given_hash = call.arg("hash")
    if given_hash is not None and given_hash != view.hash:
        raise SlackError("hash_conflict")
    view.spec = dict(spec)
    view.hash = f"{int(time.time())}.{secrets.token_hex(4)}"
    call.core.notify()
    return {"ok": True, "view": view.to_dict()}


@web_method("views.publish")
async def views_publish(call: Call) -> JSON:
    """Publish a member's Home tab (docs.slack.dev/surfaces/app-home). The page names no error for an unknown
    user_id; the fake answers the common ``invalid_arguments``."""
    user = call.world.users.get(call.arg("user_id") or "")
    if user is None:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] invalid user_id"]})
    spec = _spec(call, kind="home")
    current = call.world.home_views.get(user.id)
    given_hash = call.arg("hash")
    if current is not None and given_hash is not None and given_hash != call.world.views[current].hash:
        raise SlackError("hash_conflict")
    view = _new_view(call, user.id, spec)
    call.world.home_views[user.id] = view.id
    call.core.notify()
    return {"ok": True, "view": view.to_dict()}
