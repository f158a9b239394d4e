"""``backup``: a consistent copy of the SQLite database."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.cli._common import Parents, existing_database
from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.storage.engine import SqliteDatabase


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    backup_parser = commands.add_parser("backup", parents=[parents.common], help="a consistent copy of the database")
    backup_parser.add_argument("file", type=Path, help="the copy to write (must not exist)")
    backup_parser.set_defaults(handler=backup)


async def backup(args: argparse.Namespace, settings: Settings) -> int:
    target: Path = args.file
    if await asyncio.to_thread(target.exists):
        raise UserFacingError(f"{target} already exists; choose a new file name for the backup")
    source = existing_database(args, settings)
    if isinstance(source, str):
        raise UserFacingError("backup copies a SQLite database; back PostgreSQL up with its own tools (pg_dump)")
    async with SqliteDatabase.open(source) as db:  # the online backup API is SQLite's
        await db.backup_to(target)
    print(f"Backed up {source} to {target}")
    return 0
