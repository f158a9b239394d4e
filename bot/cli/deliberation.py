"""`python -m bot deliberation ...`: Pol.is exports in and out.

    python -m bot deliberation import-polis DIR [--guild ID]
    python -m bot deliberation export-polis CONVERSATION DIR [--guild ID]

(scikit-learn is loaded only when an analysis runs: see bot/domain/deliberation/_groups.py.)
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any

from bot.cli._common import Parents, community_in
from bot.cli._common import database as database_of
from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.services.deliberation import DeliberationService, PolisFiles, export_polis, import_polis, read_export
from bot.storage.engine import open_database

COMMAND = "deliberation"
EXPORT_FILES = ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv")


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    deliberation = commands.add_parser(COMMAND, help="import or export a Pol.is conversation")
    actions = deliberation.add_subparsers(dest="action", required=True, metavar="ACTION")
    per_community = [parents.common, parents.community]
    importer = actions.add_parser(
        "import-polis",
        parents=per_community,
        help="read a Pol.is export (comments.csv, votes.csv) into a new conversation",
    )
    importer.add_argument("dir", type=Path, metavar="DIR", help="the folder holding the export's files")
    importer.set_defaults(handler=import_command)
    exporter = actions.add_parser(
        "export-polis", parents=per_community, help="write a conversation as the files Pol.is tooling reads"
    )
    exporter.add_argument("conversation", metavar="CONVERSATION", help="its number, as in 'conversation 3'")
    exporter.add_argument("dir", type=Path, metavar="DIR", help="the folder to write into (created if missing)")
    exporter.set_defaults(handler=export_command)


async def import_command(args: argparse.Namespace, settings: Settings) -> int:
    return await _import(args, settings, database_of(args, settings))


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    return await _export(args, settings, database_of(args, settings))


def _read_export(folder: Path) -> tuple[str, str, str | None]:
    if not folder.is_dir():
        raise UserFacingError(f"{folder} is not a folder: give the folder that holds comments.csv and votes.csv")

    def read(name: str, *, required: bool) -> str | None:
        path = folder / name
        if not path.is_file():
            if required:
                raise UserFacingError(f"{path} is missing: a Pol.is export has comments.csv and votes.csv")
            return None
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise UserFacingError(f"{path} is not UTF-8 text: is it a Pol.is export?") from None
        except OSError as error:
            raise UserFacingError(f"cannot read {path}: {error.strerror or error}") from None

    comments = read("comments.csv", required=True)
    votes = read("votes.csv", required=True)
    assert comments is not None and votes is not None
    return comments, votes, read("summary.csv", required=False)


async def _import(args: argparse.Namespace, settings: Settings, database: Path | str) -> int:
    comments, votes, summary = await asyncio.to_thread(_read_export, args.dir)
    exported = await read_export(comments, votes)  # a bad export is refused before the database is opened
    async with open_database(database) as db:
        community_id = await community_in(args, settings, db)
        conversation, statements, cast = await import_polis(DeliberationService(db), community_id, exported, summary)
    print(f"imported {args.dir} as {conversation.name}: {statements} statements, {cast} votes")
    return 0


def conversation_number(text: str) -> int:
    match = re.fullmatch(r"\s*(?:conversation\s+)?(\d{1,18})\s*", text, flags=re.IGNORECASE)
    if match is None:
        raise UserFacingError(f"{text!r} is not a conversation: give its number, as in 'conversation 3' or '3'")
    return int(match.group(1))


def _check_target(folder: Path, database: Path | str) -> None:
    """Refuse before anything is read or written: no database, a file in the way, or an earlier export there."""
    if isinstance(database, Path) and not database.is_file():
        raise UserFacingError(f"no database at {database}: check --db or DATABASE_PATH")
    if folder.exists() and not folder.is_dir():
        raise UserFacingError(f"{folder} is a file: give a folder to write the export into")
    present = [name for name in EXPORT_FILES if (folder / name).exists()]
    if present:
        raise UserFacingError(f"{folder} already holds {', '.join(present)}: choose an empty folder for the export")


def _write_export(folder: Path, files: PolisFiles) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    contents = dict(
        zip(EXPORT_FILES, (files.comments, files.votes, files.participants_votes, files.summary), strict=True)
    )
    for name in EXPORT_FILES:
        # Exclusive creation: an earlier export is never overwritten.
        with (folder / name).open("x", encoding="utf-8", newline="") as file:
            file.write(contents[name])


async def _export(args: argparse.Namespace, settings: Settings, database: Path | str) -> int:
    number = conversation_number(args.conversation)
    folder: Path = args.dir
    await asyncio.to_thread(_check_target, folder, database)
    async with open_database(database) as db:
        community_id = await community_in(args, settings, db)
        service = DeliberationService(db)
        conversation = await service.conversation(community_id, number)
        files = await export_polis(service, conversation)
    await asyncio.to_thread(_write_export, folder, files)
    print(f"wrote {conversation.name} to {folder}: {', '.join(EXPORT_FILES)}")
    return 0
