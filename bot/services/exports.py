"""Exporting answers: pseudonymous unless asked otherwise, streamed to a file on disk, and audited.

How a big export stays fast and small in memory: the whole export runs in one worker thread, which steps
one SQLite query itself (``ExportRepository.stored_answers``) and hands each row, a plain tuple, to the
writer (CSV, JSON, XLSX or Markdown, from bot.domain.exports). One row is in memory at a time, whatever
the size of the export, and the event loop keeps answering Discord while the file is written.

Pseudonyms are HMACs keyed by EXPORT_SECRET or, when that is unset, by a secret generated on first use and
kept in the database (bot_state), so the same member has the same pseudonym in every export from either
the bot or the command line. Named exports add the Discord id and the display name, which come from
Discord at export time through ``DisplayNames`` and are never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from bot.config import Secret
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import NotFoundError, SettingsError, UserFacingError
from bot.domain.exports import (
    ExportAuditEntry,
    ExportFormat,
    ExportRow,
    MemberLabel,
    StoredAnswer,
    csv_lines,
    spreadsheet_rows,
    write_csv_lines,
    write_export,
    write_xlsx_cells,
)
from bot.domain.programme import ProgrammeRecord
from bot.domain.pseudonyms import new_secret, pseudonym, secret_from_text, secret_to_text
from bot.storage.codec import from_db_time
from bot.storage.engine import Database
from bot.storage.exports import ExportRepository
from bot.storage.programmes import ProgrammeRepository
from bot.storage.state import StateRepository

log = logging.getLogger(__name__)

T = TypeVar("T")

EXPORT_SECRET_KEY = "export_secret"
# The most pieces a zip is split into for Discord; beyond that the command line is the better tool.
MAX_UPLOAD_PARTS = 10
_COPY_CHUNK = 1024 * 1024


class Identities(StrEnum):
    PSEUDONYMOUS = "pseudonymous"
    NAMED = "named"


class DisplayNames(Protocol):
    """Display names of members as Discord shows them now (implemented in cogs/_discord)."""

    async def display_names(self, community_id: int, user_ids: Sequence[int]) -> Mapping[int, str]: ...


@dataclass(frozen=True, slots=True)
class ExportRequest:
    community_id: int
    format: ExportFormat
    week: int | None = None  # None: every week
    named: bool = False
    actor_id: int | None = None  # who asked; None: the command line
    cli_user: str | None = None  # the operating-system user who ran the command line

    @property
    def identities(self) -> Identities:
        return Identities.NAMED if self.named else Identities.PSEUDONYMOUS


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int
    audit: ExportAuditEntry


class Packaging(StrEnum):
    AS_IS = "as is"
    ZIPPED = "zipped"
    SPLIT = "split"


@dataclass(frozen=True, slots=True)
class UploadFiles:
    files: tuple[Path, ...]
    packaging: Packaging
    original_size: int


@dataclass(frozen=True, slots=True)
class ExportDelivery:
    """An export ready to upload; its files are deleted when the ``export_for_upload`` block ends."""

    rows: int
    audit: ExportAuditEntry
    file_name: str
    files: tuple[Path, ...]
    packaging: Packaging
    original_size: int


class ExportTooLargeError(UserFacingError):
    """Even compressed and split, the export is more than Discord can take in a reasonable number of files."""


class ExportService:
    def __init__(
        self,
        db: Database,
        *,
        export_secret: Secret | None = None,
        names: DisplayNames | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.repository = ExportRepository(db)
        self._names = names  # None (the command line): named exports carry Discord ids without display names
        self._programmes = ProgrammeRepository(db)
        self._state = StateRepository(db)
        self._configured_secret = export_secret
        self._clock = clock

    # --- pseudonyms -------------------------------------------------------------------------------

    async def secret(self) -> bytes:
        """The pseudonym key: EXPORT_SECRET, or the one generated and kept on first use."""
        if self._configured_secret is not None:
            try:
                return secret_from_text(self._configured_secret.reveal())
            except SettingsError as error:
                raise SettingsError(f"EXPORT_SECRET: {error}") from None
        text = await self._state.get_or_create(EXPORT_SECRET_KEY, secret_to_text(new_secret()))
        return secret_from_text(text)

    async def pseudonym_of(self, community_id: int, user_id: int) -> str:
        return pseudonym(await self.secret(), community_id, user_id)

    # --- exporting --------------------------------------------------------------------------------

    def file_name(self, request: ExportRequest) -> str:
        scope = "all-weeks" if request.week is None else f"week-{request.week}"
        named = "-named" if request.named else ""
        return f"answers-{scope}{named}-{self._clock():%Y-%m-%d}{request.format.extension}"

    async def export_to_file(self, request: ExportRequest, out: Path) -> ExportResult:
        """Write the export to ``out`` (all or nothing: a failed export leaves no file) and audit it."""
        rows = await self._write(request, out)
        audit = await self._record(request, rows)
        return ExportResult(out, rows, audit)

    @asynccontextmanager
    async def export_for_upload(self, request: ExportRequest, *, upload_limit: int) -> AsyncIterator[ExportDelivery]:
        """The export in a private temporary folder, compressed or split to fit ``upload_limit`` bytes a file.

        Audited once the files are ready; the folder and everything in it is deleted on leaving the block.
        """

        async def write(path: Path) -> int:
            return await self._write(request, path)

        async def record(rows: int) -> ExportAuditEntry:
            return await self._record(request, rows)

        async with deliver_for_upload(self.file_name(request), write, record, upload_limit) as delivery:
            yield delivery

    async def audit(self, community_id: int, *, limit: int = 20) -> tuple[list[ExportAuditEntry], int]:
        """The newest ``limit`` audit entries and how many there are in all."""
        return await self.repository.audit(community_id, limit=limit), await self.repository.audit_count(community_id)

    async def _write(self, request: ExportRequest, out: Path) -> int:
        programme = await self._programmes.load(request.community_id)
        if programme is None:
            raise NotFoundError("No programme has been imported for this server, so there are no answers to export.")
        if request.week is not None and programme.session_for_week(request.week) is None:
            weeks = ", ".join(str(w) for w in programme.weeks)
            raise NotFoundError(f"There is no week {request.week} in this programme. Valid weeks: {weeks}.")
        labels = MemberLabels(await self.secret(), request.community_id)
        display: Mapping[int, str] | None = None
        if request.named:
            display = {}
            if self._names is not None:
                member_ids = await self.repository.member_ids(request.community_id, request.week)
                display = await self._names.display_names(request.community_id, member_ids)
        title = _report_title(programme, request.week)
        return await write_atomically(
            out, lambda partial: self._write_file(request, partial, labels, display, title), what="export"
        )

    def _write_file(
        self, request: ExportRequest, path: Path, labels: MemberLabel, names: Mapping[int, str] | None, title: str
    ) -> int:
        """In the worker thread: the query and the writer, row by row."""
        # 0600: the file holds members' answers, readable by the bot's user only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            open(descriptor, "wb") as out,
            self.repository.stored_answers(request.community_id, request.week) as answers,
        ):
            if request.format is ExportFormat.CSV:
                count = write_csv_lines(csv_lines(answers, labels, names=names), out, named=request.named)
            elif request.format is ExportFormat.XLSX:
                count = write_xlsx_cells(spreadsheet_rows(answers, labels, names=names), out, named=request.named)
            else:
                rows = (export_row(answer, labels, names) for answer in answers)
                count = write_export(request.format, rows, out, named=request.named, title=title)
            out.flush()
            os.fsync(out.fileno())
        return count

    async def _record(self, request: ExportRequest, rows: int) -> ExportAuditEntry:
        entry = await self.repository.record(
            community_id=request.community_id,
            actor_id=request.actor_id,
            cli_user=request.cli_user,
            created_at=self._clock(),
            week=request.week,
            format=request.format.value,
            identities=request.identities.value,
            row_count=rows,
        )
        log.info(
            "export %s for community %s by %s: week %s, %s, %s, %d rows",
            entry.id,
            request.community_id,
            f"the command line ({request.cli_user or 'unknown user'})"
            if request.actor_id is None
            else f"user {request.actor_id}",
            "all" if request.week is None else request.week,
            request.format.value,
            request.identities.value,
            rows,
        )
        return entry


class MemberLabels:
    """Pseudonyms by (Discord id, source), one HMAC per member and kind rather than one per answer.

    Public thread replies get a pseudonym of their own: see bot.domain.pseudonyms.
    """

    def __init__(self, secret: bytes, community_id: int) -> None:
        self._secret = secret
        self._community_id = community_id
        self._known: dict[tuple[int, str], str] = {}

    def __call__(self, user_id: int, source: str) -> str:
        label = self._known.get((user_id, source))
        if label is None:
            label = pseudonym(self._secret, self._community_id, user_id, public_reply=source == "thread")
            self._known[(user_id, source)] = label
        return label


def export_row(answer: StoredAnswer, labels: MemberLabel, names: Mapping[int, str] | None) -> ExportRow:
    """A stored answer as the JSON and Markdown writers take it."""
    week, title, number, prompt, user_id, text, source, created, updated, late = answer
    return ExportRow(
        week=week,
        session_title=title,
        prompt_number=number,
        prompt_text=prompt,
        member=labels(user_id, source),
        answer=text,
        source=source,
        created=from_db_time(created),
        updated=from_db_time(updated),
        late=bool(late),
        discord_id=None if names is None else user_id,
        display_name=None if names is None else names.get(user_id),
    )


def _report_title(programme: ProgrammeRecord, week: int | None) -> str:
    if week is None:
        return f"{programme.title}: answers"
    session = programme.session_for_week(week)
    return f"{programme.title}: answers, week {week}" + (f": {session.title}" if session else "")


async def write_atomically(out: Path, write: Callable[[Path], T], *, what: str) -> T:
    """Run ``write`` in a worker thread on a hidden file beside ``out``, then rename it to ``out``: a reader
    never sees half a file, and a failed write leaves nothing behind."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        result = await asyncio.to_thread(write, partial)
        await asyncio.to_thread(os.replace, partial, out)
    except OSError as error:
        raise UserFacingError(f"Could not write the {what} file: {error.strerror or error}.") from None
    finally:
        await asyncio.to_thread(partial.unlink, True)
    return result


@asynccontextmanager
async def deliver_for_upload(
    file_name: str,
    write: Callable[[Path], Awaitable[int]],
    record: Callable[[int], Awaitable[ExportAuditEntry]],
    upload_limit: int,
) -> AsyncIterator[ExportDelivery]:
    """A file made by ``write`` (returning its row count) in a private temporary folder, packaged to fit
    ``upload_limit`` and audited by ``record`` once ready; the folder is deleted on leaving the block.

    Exports and reports are delivered the same way.
    """
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="workshop-export-"))
    try:
        path = folder / file_name
        rows = await write(path)
        upload = await asyncio.to_thread(package_for_upload, path, upload_limit)
        audit = await record(rows)
        yield ExportDelivery(
            rows=rows,
            audit=audit,
            file_name=path.name,
            files=upload.files,
            packaging=upload.packaging,
            original_size=upload.original_size,
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def package_for_upload(path: Path, limit: int) -> UploadFiles:
    """The file as it is if it fits ``limit`` bytes; else zipped; else the zip split into numbered parts.

    Parts are plain byte ranges of one zip (``x.zip.001``, ``x.zip.002``...): joined again in order they
    are the zip (``cat x.zip.0* > x.zip``, or 7-Zip opens the .001 directly).
    """
    if limit < 1:
        raise ValueError("the upload limit must be positive")
    size = path.stat().st_size
    if size <= limit:
        return UploadFiles((path,), Packaging.AS_IS, size)
    zipped = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(path, arcname=path.name)
    zipped_size = zipped.stat().st_size
    if zipped_size <= limit:
        return UploadFiles((zipped,), Packaging.ZIPPED, size)
    parts = math.ceil(zipped_size / limit)
    if parts > MAX_UPLOAD_PARTS:
        raise ExportTooLargeError(
            f"This export is {_megabytes(size)} ({_megabytes(zipped_size)} compressed): more than "
            f"{MAX_UPLOAD_PARTS} uploads of {_megabytes(limit)}. Export one week at a time, or run "
            "`python -m bot export` where the bot runs."
        )
    files: list[Path] = []
    with zipped.open("rb") as source:
        for number in range(1, parts + 1):
            part = zipped.with_name(f"{zipped.name}.{number:03d}")
            with part.open("wb") as target:
                _copy_bytes(source, target, limit)
            files.append(part)
    with contextlib.suppress(OSError):
        zipped.unlink()
    return UploadFiles(tuple(files), Packaging.SPLIT, size)


def _copy_bytes(source: BinaryIO, target: BinaryIO, count: int) -> None:
    left = count
    while left > 0:
        chunk = source.read(min(_COPY_CHUNK, left))
        if not chunk:
            return
        target.write(chunk)
        left -= len(chunk)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
