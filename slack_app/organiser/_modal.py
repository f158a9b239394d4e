"""What the organiser modals share: open first (the trigger lasts 3 seconds), check, then fill or refuse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from bot.domain.errors import UserFacingError
from slack_app._commands import ROLE_NAMES, WHO_MAY, Call
from slack_app._context import update_view
from slack_app._render import MODAL_TITLE_LIMIT, VIEW_BLOCKS_LIMIT, fit_blocks, from_domain, plain, sections
from slack_app._roles import Role


def loading(title: str, callback_id: str) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MODAL_TITLE_LIMIT),
        close=plain("Close"),
        blocks=[SectionBlock(text=plain("Loading…"))],
    )


def notice(title: str, text: str, *, callback_id: str = "organiser:notice") -> View:
    """A modal that only says something (mrkdwn ``text``), with a Close button."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MODAL_TITLE_LIMIT),
        close=plain("Close"),
        blocks=fit_blocks(sections(text), VIEW_BLOCKS_LIMIT),
    )


async def open_for_organiser(call: Call, title: str, callback_id: str, build: Callable[[], Awaitable[View]]) -> None:
    """Open a modal at once, then check the member is an organiser and fill it (or say why not)."""
    if call.trigger_id is None:
        raise UserFacingError("Slack sent no way to open the form: try again.")
    opened = await call.front.client.views_open(trigger_id=call.trigger_id, view=loading(title, callback_id))
    view_id = opened["view"]["id"]
    try:
        role = await call.front.roles.role_of(call.community_id, call.user_id)
        if role < Role.ORGANISER:
            raise UserFacingError(f"Only {ROLE_NAMES[Role.ORGANISER]} can do this: {WHO_MAY[Role.ORGANISER]}.")
        view = await build()
    except UserFacingError as error:
        view = notice(title, from_domain(str(error)))
    await update_view(call.front.client, view_id, view)
