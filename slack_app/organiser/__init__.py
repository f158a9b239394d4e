"""Organisers' subcommands: ``setup`` and ``import`` (modals), ``export``, ``report`` and ``stats`` (files to their
DM). Organisers are workspace admins and owners plus the organiser user group (slack_app/_roles.py), checked on
every use."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from slack_app._commands import Router
from slack_app._context import SlackContext
from slack_app.organiser import _files, _import, _setup


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    _setup.register(app, front, router)
    _import.register(app, front, router)
    _files.register(app, front, router)
