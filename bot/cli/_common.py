"""What every command shares: the one-line parser, the common options, value checks, and the database and
community each command works on."""

from __future__ import annotations

import argparse
import getpass
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

from bot.config import Settings
from bot.domain.errors import SettingsError, UserFacingError, quoted
from bot.domain.platform_ids import INT64_MAX, external_id, platform_of, slack_id_to_int
from bot.services.communities import CommunityService
from bot.storage.engine import Database

EXIT_USER_ERROR = 1
EXIT_NOT_READY = 3  # `check`: it ran, and found something to fix
FILE_ONLY = {"file_only": True}  # a log record for the log file, kept off the console (see bot.log_setup)

# Discord's ids: 17 to 20 ASCII digits (developers/reference.mdx, "Snowflakes"), and a signed 64-bit column.
SNOWFLAKE_DIGITS = (17, 20)
MAX_WEEK = 999


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported on one line that says where the help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {' '.join(message.split())} (see '{self.prog} --help')\n")


@dataclass(frozen=True)
class Parents:
    """Option sets commands inherit: ``--db``/``--env-file``, and ``--guild``/``--workspace``."""

    common: argparse.ArgumentParser
    community: argparse.ArgumentParser
    guild: argparse.ArgumentParser  # Discord-only commands (check, invite)
    env_file: argparse.ArgumentParser


def build_parents() -> Parents:
    env_file = OneLineParser(add_help=False)
    env_file.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="settings file; it must exist when given (default: .env if present; the environment wins)",
    )
    common = OneLineParser(add_help=False, parents=[env_file])
    common.add_argument(
        "--db", type=Path, metavar="PATH", help="the SQLite database (default: DATABASE_PATH, data/bot.sqlite3)"
    )
    community = OneLineParser(add_help=False)
    which = community.add_mutually_exclusive_group()
    which.add_argument(
        "--guild",
        type=guild_id,
        metavar="ID",
        help="a Discord server id (default: GUILD_ID, else the database's only community)",
    )
    which.add_argument(
        "--workspace",
        type=workspace_id,
        metavar="T…",
        help="a Slack workspace id, such as T0123ABCD (default: as --guild)",
    )
    guild = OneLineParser(add_help=False)
    guild.add_argument(
        "--guild", type=guild_id, metavar="ID", help="the Discord server id (default: GUILD_ID, else the database's)"
    )
    return Parents(common=common, community=community, guild=guild, env_file=env_file)


# --- values -----------------------------------------------------------------------------------------------


def discord_snowflake(text: str, *, what: str) -> int:
    """A Discord id typed on the command line: 17-20 ASCII digits, within a signed 64-bit integer."""
    value = text.strip()
    low, high = SNOWFLAKE_DIGITS
    # isascii first: str.isdigit() accepts superscripts and other scripts' digits, which int() then refuses.
    if not (value.isascii() and value.isdigit() and low <= len(value) <= high) or int(value) > INT64_MAX:
        raise argparse.ArgumentTypeError(
            f"expected a Discord {what} id: {low}-{high} digits (0-9), at most {INT64_MAX}, got {quoted(value)}"
        )
    return int(value)


def guild_id(text: str) -> int:
    return discord_snowflake(text, what="server")


def workspace_id(text: str) -> int:
    """A Slack workspace id (``T…``, or ``E…`` for an Enterprise Grid organisation), as a neutral id."""
    value = text.strip()
    try:
        number = slack_id_to_int(value)
    except ValueError:
        number = None
    if number is None or value[0] not in "TE" or len(value) < 2:
        raise argparse.ArgumentTypeError(
            "expected a Slack workspace id, T followed by capital letters and digits such as T0123ABCD "
            f"(Slack in a browser shows it in the address: app.slack.com/client/T…), got {quoted(value)}"
        )
    return number


def application_id(text: str) -> int:
    return discord_snowflake(text, what="application")


def week(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_WEEK:
        raise argparse.ArgumentTypeError(f"expected a week number from 1 to {MAX_WEEK}, got {quoted(value)}")
    return int(value)


def iso_date(text: str) -> date:
    try:
        if not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {quoted(text)}") from None


# --- the database ------------------------------------------------------------------------------------------


def database(args: argparse.Namespace, settings: Settings) -> Path | str:
    """--db if given, else DATABASE_URL (PostgreSQL) if set, else DATABASE_PATH (SQLite)."""
    return args.db if getattr(args, "db", None) else settings.database_url or settings.database_path


def existing_database(args: argparse.Namespace, settings: Settings) -> Path | str:
    """The database a command only reads (or audits into): never created here, so a typo is an error."""
    path = database(args, settings)
    if isinstance(path, str):
        return path  # PostgreSQL: the server says whether it exists
    if not path.is_file():
        source = "--db" if getattr(args, "db", None) else "DATABASE_PATH"
        raise UserFacingError(
            f"no database at {path}: check {source} (the bot creates it on its first 'run', "
            "or import a programme with 'python -m bot programme import FILE')"
        )
    return path


# --- the community -----------------------------------------------------------------------------------------


def named_community(args: argparse.Namespace, settings: Settings) -> int | None:
    """The community named by --workspace, --guild or GUILD_ID; None when none is."""
    workspace = getattr(args, "workspace", None)
    if workspace is not None:
        return int(workspace)
    guild = getattr(args, "guild", None)
    return int(guild) if guild is not None else settings.guild_id


def discord_guild(args: argparse.Namespace, settings: Settings) -> int:
    """The server named by --guild or GUILD_ID (for the commands that cannot look in the database)."""
    guild = getattr(args, "guild", None) or settings.guild_id
    if guild is None:
        raise SettingsError("no Discord server given: pass --guild ID or set GUILD_ID in .env")
    return int(guild)


async def community_in(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """The community named by --workspace, --guild or GUILD_ID; without any, the database's only community.
    With several, the error lists them, so the next command can name one."""
    named = named_community(args, settings)
    if named is not None:
        return named
    known = await CommunityService(db).known()
    if len(known) == 1:
        return known[0]
    if not known:
        raise SettingsError(
            "no Discord server given and the database holds none yet: pass --guild ID (or set GUILD_ID in .env), "
            "or --workspace T… for a Slack workspace"
        )
    if all(platform_of(c) == "discord" for c in known):
        listed = ", ".join(map(str, known))
        raise SettingsError(f"the database holds {len(known)} servers: {listed}; pass --guild ID to choose one")
    listed = ", ".join(community_option(c) for c in known)
    raise SettingsError(f"the database holds {len(known)} communities: {listed}; pass one of them to choose")


def community_label(community_id: int) -> str:
    """How the command line names a community: ``server 123…`` or ``workspace T0123ABCD``."""
    if platform_of(community_id) == "slack":
        return f"workspace {external_id(community_id)}"
    return f"server {community_id}"


def community_key(community_id: int) -> str:
    """The JSON key the command line names a community by: ``guild_id`` or ``workspace_id``."""
    return "workspace_id" if platform_of(community_id) == "slack" else "guild_id"


def community_option(community_id: int) -> str:
    """The option that names a community: ``--guild 123…`` or ``--workspace T0123ABCD``."""
    if platform_of(community_id) == "slack":
        return f"--workspace {external_id(community_id)}"
    return f"--guild {community_id}"


def os_user() -> str:
    """Who ran the command, for the export audit: the login name, else the user id."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (some containers)
        return f"uid {os.getuid()}"
