"""``python -m bot migrate-to-postgres``: copy the SQLite database into an empty PostgreSQL database.

The copying and its checks live in bot/storage/copy.py; this is the command around them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli._common import Parents
from bot.config import Settings
from bot.domain.errors import SettingsError
from bot.storage.database_url import redact_url

COMMAND = "migrate-to-postgres"


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    parser = commands.add_parser(
        COMMAND,
        parents=[parents.env_file],
        help="copy the SQLite database into an empty PostgreSQL database, checked row for row",
        description=(
            "Copies every table of the SQLite database into an empty PostgreSQL database in one transaction, then "
            "compares every row; any difference leaves the PostgreSQL database empty. Stop the bot first."
        ),
    )
    parser.add_argument(
        "--from", dest="source", type=Path, metavar="PATH", help="the SQLite database (default: DATABASE_PATH)"
    )
    parser.add_argument(
        "--to", dest="target", metavar="URL", help="postgresql://USER:PASSWORD@HOST:PORT/DB (default: DATABASE_URL)"
    )
    parser.set_defaults(handler=migrate_to_postgres)


async def migrate_to_postgres(args: argparse.Namespace, settings: Settings) -> int:
    source: Path = args.source or settings.database_path
    target: str | None = args.target or settings.database_url
    if not target:
        raise SettingsError("no PostgreSQL database given: pass --to postgresql://... or set DATABASE_URL")
    from bot.storage.copy import copy_sqlite_to_postgres  # imported here: only this command needs asyncpg

    report = await copy_sqlite_to_postgres(source, target)
    print(f"Copied {source} into {redact_url(target)} (schema {report.schema_version}), checked row for row:")
    width = max((len(table.name) for table in report.tables), default=0)
    for table in report.tables:
        print(f"  {table.name:<{width}}  {table.rows:>9,} rows")
    print(f"  {'total':<{width}}  {report.rows:>9,} rows")
    print("Set DATABASE_URL to this database in .env to run the bot on PostgreSQL.")
    return 0
