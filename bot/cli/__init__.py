"""The command line: ``python -m bot COMMAND``. One module per command group, each adding its commands to
the parser (``add_commands``) with the function that runs them (``handler``):

- ``run``: start the bot (bot/runner.py);
- ``programme``: ``programme import`` and ``programme show``;
- ``schedule``: the reminders and their state;
- ``exports``: ``export`` and ``report``;
- ``backup``: a copy of the SQLite database;
- ``check``: ``check`` and ``invite``;
- ``migrate``: ``migrate-to-postgres``;
- ``deliberation``: ``deliberation import-polis`` and ``export-polis``, Pol.is exports in and out;
- ``slack``: ``slack-manifest``, the Slack app manifest to create the app from.

A new group is a module with ``add_commands(commands, parents)`` whose parsers set ``handler`` (an async
function of the parsed arguments and the settings, returning the exit status), listed in ``COMMAND_GROUPS``.
A per-community command takes ``parents.community`` (``--guild`` or ``--workspace``) and finds its community
with ``community_in``.

Settings are built here, from the environment and .env, and every resource is opened by the command and
handed on. A user mistake prints one clear line on stderr and exits non-zero; it never shows a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from bot.cli import backup, check, deliberation, exports, migrate, programme, run, schedule, slack
from bot.cli._common import EXIT_USER_ERROR, FILE_ONLY, OneLineParser, Parents, build_parents
from bot.config import Settings, load_settings
from bot.domain.errors import SettingsError, UserFacingError


class CommandGroup(Protocol):
    def add_commands(self, commands: argparse._SubParsersAction[Any], parents: Parents) -> None: ...


# In the order `--help` lists them.
COMMAND_GROUPS: tuple[CommandGroup, ...] = (
    run,
    programme,
    schedule,
    exports,
    backup,
    check,
    migrate,
    deliberation,
    slack,
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m bot",
        description="A Discord and Slack bot that runs a programme of online workshop sessions.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parents = build_parents()
    for group in COMMAND_GROUPS:
        group.add_commands(commands, parents)
    return parser


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    handler = getattr(args, "handler", None)
    if handler is None:
        raise UserFacingError(f"'{args.command}' is not available in this version")
    status: int = await handler(args, settings)
    return status


def _settings(args: argparse.Namespace) -> Settings:
    env_file: Path | None = getattr(args, "env_file", None)
    if env_file is None:
        return load_settings(Path(".env"))  # optional: the environment alone may hold every setting
    if not env_file.exists():
        raise SettingsError(f"--env-file {env_file} does not exist: check the path, or leave it out to use .env")
    if env_file.is_dir():
        raise SettingsError(f"--env-file {env_file} is a folder: give the settings file itself")
    return load_settings(env_file)


def main(argv: Sequence[str] | None = None) -> int:
    # Everything the bot writes (database, backups, exports, logs) holds members' answers or ids:
    # readable by the bot's own user only, whatever the shell's umask.
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    debug = False
    try:
        settings = _settings(args)
        debug = settings.log_level == "DEBUG"
        if args.command == "run":
            from bot.log_setup import setup_logging

            setup_logging(settings.log_level, settings.log_file)
        else:
            _console_warnings_only()
        status = asyncio.run(dispatch(args, settings))
        sys.stdout.flush()  # here, so a closed pipe is handled below rather than at exit
        return status
    except UserFacingError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`programme show --json | head`): not an error. Point stdout at devnull so
        # the interpreter's last flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        print(f"error: {unexpected_failure_text(error, debug)}", file=sys.stderr)
        _log_unexpected(error, debug)
        return EXIT_USER_ERROR


def _console_warnings_only() -> None:
    """Outside ``run``, the bot's warnings reach stderr as Python would print them (its last-resort handler),
    but not a record meant for the log file alone (which would repeat, on a second line, the one-line error the
    command prints). Other libraries' loggers are left as they were (discord.py's, for one, print nothing)."""
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.addFilter(lambda record: not getattr(record, "file_only", False))
    logging.getLogger("bot").addHandler(console)


def unexpected_failure_text(error: Exception, debug: bool) -> str:
    """One line, with the next step, for a failure no part of the bot turned into a message of its own."""
    if isinstance(error, sqlite3.DatabaseError):
        return (
            f"the database cannot be used ({error}): check that --db or DATABASE_PATH names the bot's database; "
            "if it is damaged, restore a backup ('python -m bot backup' makes one)"
        )
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}; check the path and its permissions"
    summary = " ".join(str(error).split()) or "no details"
    details = "" if debug else " (LOG_LEVEL=DEBUG shows the details)"
    return (
        f"unexpected {type(error).__name__}: {summary}. This is a bug: please report it with the command "
        f"you ran{details}"
    )


def _log_unexpected(error: BaseException, debug: bool) -> None:
    """The traceback: in the log file when there is one (never on the console unless LOG_LEVEL=DEBUG)."""
    if logging.getLogger().handlers:  # only `run` sets logging up; elsewhere Python would print it to stderr
        logging.getLogger("bot").error("stopped by an unexpected error", exc_info=error, extra=FILE_ONLY)
    if debug:
        traceback.print_exception(error)


__all__ = ["COMMAND_GROUPS", "build_parser", "dispatch", "main", "unexpected_failure_text"]
