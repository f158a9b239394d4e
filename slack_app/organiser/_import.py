"""``/workshop import``: a modal with a file input for the ``.toml`` or the published listing, then the same
preview as Discord's /import, confirmed with the modal's own button.

The flow lives in one modal: upload (and an optional new first date), the preview replaces the form
(``response_action: update``), and its Confirm button imports. Between the preview and Confirm the parsed
programme waits in memory under a random token in the modal's ``private_metadata``, for 15 minutes; after a
restart, Confirm says the preview expired and nothing was imported. The file is read with the bot token from
``url_private_download`` (docs.slack.dev, "Working with files": "Downloading files"; scope files:read) and
parsed in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock
from bot.domain.errors import ImportConflictError, UserFacingError
from bot.domain.import_preview import (
    import_warnings,
    plural,
    preview_header_lines,
    preview_lines,
    start_weekday_warning,
)
from bot.domain.importing import ImportPlan, carry_over_week_links
from bot.domain.parsers import MAX_FILE_BYTES, parse_programme_file
from bot.domain.programme import Programme, redate
from slack_app._commands import Call, Router, Subcommand
from slack_app._context import SlackContext, team_of, user_of
from slack_app._render import (
    MODAL_TITLE_LIMIT,
    SECTION_TEXT_LIMIT,
    VIEW_BLOCKS_LIMIT,
    context,
    escape,
    fit_blocks,
    from_domain,
    plain,
    sections,
)
from slack_app._roles import Role
from slack_app._submission import ack_with_outcome
from slack_app.organiser._modal import notice, open_for_organiser

log = logging.getLogger(__name__)

UPLOAD_CALLBACK = "import:upload"
CONFIRM_CALLBACK = "import:confirm"
TITLE = "Import a programme"
PREVIEW_TTL = timedelta(minutes=15)
PREVIEW_BUDGET = 12_000  # characters of preview lines in the modal (four sections)
FILE_TYPES = ["toml", "txt", "text", "md"]
EXPIRED = (
    "This import preview has expired (after 15 minutes, or because the bot restarted). Nothing was imported: "
    "run `/workshop import` again."
)


@dataclass(frozen=True, slots=True)
class PendingImport:
    community_id: int
    user_id: str
    filename: str
    programme: Programme
    plan: ImportPlan
    expires_at: datetime


class PendingImports:
    """Previewed imports waiting for Confirm, in memory only (see the module docstring)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._pending: dict[str, PendingImport] = {}

    def add(self, pending: PendingImport) -> str:
        self._drop_expired()
        token = secrets.token_urlsafe(12)
        self._pending[token] = pending
        return token

    def take(self, token: str) -> PendingImport | None:
        """The pending import, removed: one Confirm imports once."""
        self._drop_expired()
        return self._pending.pop(token, None)

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, p in self._pending.items() if p.expires_at <= now]:
            del self._pending[token]


def upload_view() -> View:
    return View(
        type="modal",
        callback_id=UPLOAD_CALLBACK,
        title=plain(TITLE, MODAL_TITLE_LIMIT),
        submit=plain("Preview"),
        close=plain("Cancel"),
        blocks=[
            InputBlock(
                block_id="file",
                label=plain("Programme file"),
                hint=plain(f"A .toml file, or the published listing as text; at most {MAX_FILE_BYTES:,} bytes"),
                element=FileInputElement(action_id="file", filetypes=FILE_TYPES, max_files=1),
            ),
            InputBlock(
                block_id="start",
                label=plain("Move the first session to (optional)"),
                hint=plain("A date as YYYY-MM-DD; every session moves with it"),
                optional=True,
                element=PlainTextInputElement(action_id="start", max_length=10),
            ),
            context("Nothing is saved until you press Confirm on the preview."),
        ],
    )


def preview_view(token: str, text: str, plan: ImportPlan) -> View:
    confirm = f"Delete {plural(plan.answers_lost, 'answer')}" if plan.answers_lost else "Confirm import"
    blocks: list[Block] = [*sections(text), context("This preview expires in 15 minutes.")]
    return View(
        type="modal",
        callback_id=CONFIRM_CALLBACK,
        private_metadata=token,
        title=plain("Import preview", MODAL_TITLE_LIMIT),
        submit=plain(confirm, 24),
        close=plain("Cancel"),
        blocks=fit_blocks(blocks, VIEW_BLOCKS_LIMIT),
    )


def preview_text(current: Any, programme: Programme, plan: ImportPlan, filename: str, warnings: list[str]) -> str:
    header = preview_header_lines(programme, plan, filename, warnings, export_hint="/export answers")
    lines = preview_lines(current, programme, plan)
    shown: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > PREVIEW_BUDGET:
            shown.append(f"…and {len(lines) - len(shown)} more sessions.")
            break
        shown.append(line)
        used += len(line) + 1
    return from_domain("\n".join([*header, "", *shown]))


def start_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserFacingError("Give the first session's new date as YYYY-MM-DD, such as 2021-01-11.") from None


async def download(client: AsyncWebClient, file: dict[str, Any]) -> tuple[str, bytes]:
    """The uploaded file's name and bytes, read with the bot token, refused when too big."""
    if not file.get("url_private_download"):
        info = await client.files_info(file=str(file.get("id")))
        file = info.get("file") or {}
    name = str(file.get("name") or "programme.txt")
    size = int(file.get("size") or 0)
    if size > MAX_FILE_BYTES:
        raise UserFacingError(f"{name} is {size:,} bytes; a programme file can be at most {MAX_FILE_BYTES:,} bytes.")
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url:
        raise UserFacingError("Slack did not say where the file is: upload it again.")
    headers = {"Authorization": f"Bearer {client.token}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        if response.status != 200:
            raise UserFacingError(f"Slack refused to hand over the file (HTTP {response.status}): upload it again.")
        data = await response.content.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UserFacingError(f"{name} is larger than {MAX_FILE_BYTES:,} bytes, the most a programme file can be.")
    return name, data


class ImportFlow:
    def __init__(self, front: SlackContext) -> None:
        self.front = front
        self.pending = PendingImports(front.clock)

    async def uploaded(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body.get("view") or {}
        values = (view.get("state") or {}).get("values") or {}
        files = ((values.get("file") or {}).get("file") or {}).get("files") or []
        start_text = ((values.get("start") or {}).get("start") or {}).get("value")
        if not files:
            await ack(response_action="errors", errors={"file": "Choose the programme file."})
            return
        try:
            new_start = start_date(start_text) if start_text and start_text.strip() else None
        except UserFacingError as error:
            await ack(response_action="errors", errors={"start": str(error)})
            return
        working = notice(TITLE, "Reading the file…", callback_id=UPLOAD_CALLBACK)
        await ack_with_outcome(ack, client, view.get("id"), self._previewed(body, files[0], new_start), working=working)

    async def _previewed(self, body: dict[str, Any], file: dict[str, Any], new_start: date | None) -> View:
        try:
            community_id = self.front.community_of(team_of(body))
            return await self._preview(community_id, user_of(body), file, new_start)
        except UserFacingError as error:
            return notice(TITLE, from_domain(str(error)) + "\nNothing was imported.")

    async def _preview(self, community_id: int, user_id: str, file: dict[str, Any], new_start: Any) -> View:
        services = self.front.services
        filename, data = await download(self.front.client, file)
        programme = await asyncio.to_thread(
            parse_programme_file, data, filename=filename, default_timezone=self.front.settings.timezone
        )
        warnings: list[str] = []
        if new_start is not None:
            weekday = start_weekday_warning(programme, new_start)
            warnings += [weekday] if weekday else []
            programme = redate(programme, new_start)
        current = await services.programme.get(community_id)
        programme = carry_over_week_links(current, programme)
        plan = await services.programme.preview(community_id, programme)
        warnings += import_warnings(current, programme)
        if not plan.changes_anything:
            return notice(TITLE, escape(f"Nothing to import: {filename} is the same as the current programme."))
        expires = self.front.clock() + PREVIEW_TTL
        token = self.pending.add(PendingImport(community_id, user_id, filename, programme, plan, expires))
        text = await asyncio.to_thread(preview_text, current, programme, plan, filename, warnings)
        return preview_view(token, text[: SECTION_TEXT_LIMIT * 5], plan)

    async def confirmed(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body.get("view") or {}
        pending = self.pending.take(str(view.get("private_metadata") or ""))
        if pending is None:
            await ack(response_action="update", view=notice(TITLE, from_domain(EXPIRED)))
            return
        user_id = user_of(body)
        if user_id != pending.user_id or (
            await self.front.roles.role_of(pending.community_id, user_id) < Role.ORGANISER
        ):
            await ack(response_action="update", view=notice(TITLE, "Only the organiser who uploaded it can confirm."))
            return
        work = self._imported(pending)
        await ack_with_outcome(ack, client, view.get("id"), work, working=notice(TITLE, "Importing…"))

    async def _imported(self, pending: PendingImport) -> View:
        programme_service = self.front.services.programme
        try:
            plan = await programme_service.import_programme(
                pending.community_id, pending.programme, expected_answers_lost=pending.plan.answers_lost
            )
            text = escape(f"Imported {pending.programme.title} from {pending.filename}: {plan.summary(done=True)}.")
            log.info("programme imported through Slack by an organiser in community %s", pending.community_id)
        except ImportConflictError:
            now = await programme_service.preview(pending.community_id, pending.programme)
            text = from_domain(
                "Answers changed since the preview: this import would now delete "
                f"{plural(now.answers_lost, 'answer')}. Nothing was imported; run `/workshop import` again "
                "for an up-to-date preview."
            )
        except UserFacingError as error:
            text = from_domain(str(error))
        return notice(TITLE, text)


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    flow = ImportFlow(front)

    async def import_command(call: Call) -> None:
        async def build() -> View:
            return upload_view()

        await open_for_organiser(call, TITLE, UPLOAD_CALLBACK, build)

    router.add(
        Subcommand("import", "", "import a programme file, with a preview first", import_command, Role.ORGANISER, True)
    )

    @app.view(UPLOAD_CALLBACK)
    async def uploaded(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await flow.uploaded(ack, body, client)

    @app.view(CONFIRM_CALLBACK)
    async def confirmed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await flow.confirmed(ack, body, client)
