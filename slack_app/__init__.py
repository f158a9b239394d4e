"""The Slack front end: bolt listeners per area, a sibling of cogs/ of the same shape.

``register`` attaches every area to one AsyncApp: the ``/workshop`` command and its subcommands (one module per
area: programme, answers, reminders, thread_commands, organiser/, deliberation/), the App Home (home), and the Block Kit
rendering of the domain's text (_render). The Slack-side adapters the core's services reach Slack through are in
``_adapters``; thread replies are collected by ``threads``. bot/slack_client.py builds and starts it all.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from slack_app import _commands, answers, deliberation, home, organiser, programme, reminders, thread_commands
from slack_app._commands import Router
from slack_app._context import SlackContext


def register(app: AsyncApp, front: SlackContext) -> Router:
    """Every listener, once; returns the router of ``/workshop``'s subcommands (in the order help lists them)."""
    router = Router()
    programme.register(router)
    answers.register(app, front, router)
    reminders.register(router)
    thread_commands.register(router)
    organiser.register(app, front, router)
    deliberation.register(app, front, router)
    _commands.register(app, front, router)  # help, and the slash command itself
    home.register(app, front)
    return router
