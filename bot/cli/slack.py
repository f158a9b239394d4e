"""``slack-manifest``: the Slack app manifest (JSON) to paste into "Create an app > From a manifest"."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli._common import Parents
from bot.config import Settings
from bot.domain.errors import quoted
from bot.slack_manifest import APP_NAME, NAME_LIMIT, manifest_json


def app_name(text: str) -> str:
    """The app's name as Slack shows it: 1 to 35 characters (the manifest schema's display_information.name)."""
    name = text.strip()
    if not 1 <= len(name) <= NAME_LIMIT:
        raise argparse.ArgumentTypeError(f"the app's name must be 1 to {NAME_LIMIT} characters, got {quoted(text)}")
    return name


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    manifest = commands.add_parser(
        "slack-manifest",
        help="print the Slack app manifest (JSON) to create the app from (Create an app > From a manifest)",
    )
    manifest.add_argument("--name", type=app_name, default=APP_NAME, help=f"the app's name (default: {APP_NAME})")
    manifest.set_defaults(handler=print_manifest)


async def print_manifest(args: argparse.Namespace, settings: Settings) -> int:
    print(manifest_json(name=args.name))
    return 0
