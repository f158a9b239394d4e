"""What the Slack deliberation screens share: action ids (stateless: each carries the conversation or the
statement, so buttons and forms keep working after a restart), labels, and the small modals that only say
something."""

from __future__ import annotations

import re

from slack_sdk.models.views import View

from bot.domain.deliberation import Vote
from slack_app._render import MODAL_TITLE_LIMIT, VIEW_BLOCKS_LIMIT, fit_blocks, plain, sections

ID = "[0-9]{1,19}"
VOTE_ACTION = re.compile(rf"^deliberate:vote:(?P<conversation>{ID})$")
CAST_ACTION = re.compile(
    rf"^deliberate:cast:(?P<conversation>{ID}):(?P<statement>{ID}):(?P<vote>[adp]):(?P<consent>[01])$"
)
CHANGE_ACTION = re.compile(rf"^deliberate:change:(?P<conversation>{ID}):(?P<statement>{ID})$")
WRITE_ACTION = re.compile(rf"^deliberate:write:(?P<conversation>{ID})$")
MODERATE_ACTION = re.compile(rf"^deliberate:moderate:(?P<statement>{ID}):(?P<verdict>[ar])$")

VOTING_CALLBACK = "deliberate:voting"
STATEMENT_CALLBACK = "deliberate:statement"
OPEN_CALLBACK = "deliberate:open"
NOTICE_CALLBACK = "deliberate:notice"

VOTE_LABELS = {Vote.AGREE: "Agree", Vote.DISAGREE: "Disagree", Vote.PASS: "Pass / unsure"}
VOTE_CODES = {"a": Vote.AGREE, "d": Vote.DISAGREE, "p": Vote.PASS}
CODE_OF = {vote: code for code, vote in VOTE_CODES.items()}
VOTE_STYLES = {Vote.AGREE: "primary", Vote.DISAGREE: "danger", Vote.PASS: None}


def vote_action(conversation_id: int) -> str:
    return f"deliberate:vote:{conversation_id}"


def cast_action(conversation_id: int, statement_id: int, vote: Vote, consent: bool) -> str:
    return f"deliberate:cast:{conversation_id}:{statement_id}:{CODE_OF[vote]}:{int(consent)}"


def change_action(conversation_id: int, statement_id: int) -> str:
    return f"deliberate:change:{conversation_id}:{statement_id}"


def write_action(conversation_id: int) -> str:
    return f"deliberate:write:{conversation_id}"


def moderate_action(statement_id: int, accept: bool) -> str:
    return f"deliberate:moderate:{statement_id}:{'a' if accept else 'r'}"


def notice(title: str, text: str) -> View:
    """A modal that only says something (mrkdwn ``text``), with a Close button."""
    return View(
        type="modal",
        callback_id=NOTICE_CALLBACK,
        title=plain(title, MODAL_TITLE_LIMIT),
        close=plain("Close"),
        blocks=fit_blocks(sections(text), VIEW_BLOCKS_LIMIT),
    )
