"""Deliberation in Slack (issue 22), from the same core as Discord's /deliberate: ``/workshop deliberate
open|close|results|moderate`` (_subcommand), the conversation's post with its Vote button (_post), the private
voting flow in a modal (_voting), moderation (_moderation) and the results' text (_results).

Every button's action_id and every form's ``private_metadata`` carries what it acts on, so nothing is kept in
memory and a post or modal from before a restart keeps working. Nothing here shows who wrote a statement or
who voted, and nothing members or facilitators wrote can ping anyone (slack_app/_render.py escapes it).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from slack_app._commands import Router
from slack_app._context import SlackContext
from slack_app.deliberation import _moderation, _subcommand, _voting


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    _subcommand.register(app, front, router)
    _voting.register(app, front)
    _moderation.register(app, front)
