"""``check`` (what is not ready, with the fix) and ``invite`` (the link that adds the bot to a server)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli._common import EXIT_NOT_READY, Parents, application_id, database, discord_guild
from bot.config import Settings


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    check = commands.add_parser(
        "check",
        parents=[parents.common, parents.guild],
        help=f"connect to Discord and report what is not ready, with the fix (exit {EXIT_NOT_READY} when not ready)",
    )
    check.set_defaults(handler=preflight_check)
    invite_parser = commands.add_parser(
        "invite", parents=[parents.guild, parents.env_file], help="print the link that adds the bot to a server"
    )
    invite_parser.add_argument(
        "--application-id",
        type=application_id,
        metavar="ID",
        help="the application's id (default: asked with DISCORD_TOKEN)",
    )
    invite_parser.set_defaults(handler=invite)


async def preflight_check(args: argparse.Namespace, settings: Settings) -> int:
    ready = True
    discord_checked = False  # the database's findings (the erasure key) are in Discord's report then
    if settings.discord_token is not None or settings.slack_bot_token is None:
        from bot.preflight.cli import run_check  # imported here: the other commands need no discord start-up

        guild_id = discord_guild(args, settings)
        report = await run_check(
            settings, token=settings.require_token(), database_path=database(args, settings), guild_id=guild_id
        )
        print(f"Checking server {guild_id}:")
        print("\n".join(report.lines()))
        print(report.summary())
        ready = report.ready
        discord_checked = True
    if settings.slack_bot_token is not None:
        from bot.domain.preflight import Status
        from bot.preflight.slack import run_slack_check

        findings = await run_slack_check(
            settings, database_path=database(args, settings), with_database=not discord_checked
        )
        print("Checking the Slack workspace:")
        print("\n".join(finding.line() for finding in findings))
        ready = ready and all(finding.status is not Status.PROBLEM for finding in findings)
    return 0 if ready else EXIT_NOT_READY


async def invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.preflight import invite_lines
    from bot.preflight.cli import application_id as asked_application_id

    app_id = args.application_id or await asked_application_id(settings, settings.require_token())
    guild_id = args.guild if args.guild else settings.guild_id
    print("\n".join(invite_lines(app_id, guild_id)))
    return 0
