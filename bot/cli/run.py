"""``run``: start the front ends that have tokens (see bot/runner.py)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from bot.cli._common import Parents, database
from bot.config import Settings


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    run = commands.add_parser(
        "run",
        parents=[parents.common, parents.guild],
        help="start the bot: on Discord (DISCORD_TOKEN), on Slack (SLACK_BOT_TOKEN and SLACK_APP_TOKEN), or both",
    )
    run.add_argument(
        "--sync", action="store_true", help="re-register the slash commands in GUILD_ID now (default: only if changed)"
    )
    run.set_defaults(handler=run_bot)


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_for_run()  # a front end to start: Discord, Slack or both
    if args.guild:  # --guild names the development server, as GUILD_ID does
        settings = dataclasses.replace(settings, guild_id=args.guild)
    from bot.runner import run  # imported here: the other commands need no front end's start-up

    return await run(settings, database_path=database(args, settings), sync=args.sync)
