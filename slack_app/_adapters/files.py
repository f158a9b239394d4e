"""Files for a member (exports, reports, calendars), delivered to their DM with the bot through Slack's
current upload flow: ``files.getUploadURLExternal``, the upload, then ``files.completeUploadExternal``
(docs.slack.dev/messaging/working-with-files, "Uploading files"; ``files.upload`` is retired). slack_sdk's
``files_upload_v2`` runs the three steps; the file is read in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from slack_sdk.errors import SlackApiError

from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import int_to_slack_id
from slack_app._adapters._text import escape
from slack_app._adapters._web import TRANSIENT_ERRORS, SlackWeb, error_code

log = logging.getLogger(__name__)

# Slack's largest file: 1 GB (docs.slack.dev/reference/methods/files.getUploadURLExternal, "length"; the help
# centre's "file size limit"). The bot's exports stay far below; a bigger one is refused before any upload.
MAX_FILE_BYTES = 1024**3


class FileDeliveryError(UserFacingError):
    """The file could not be delivered; the message says why and what to do."""


class SlackFiles:
    """Uploads a file into the bot's DM with a member, with a short comment."""

    def __init__(self, web: SlackWeb, *, dm_channels: dict[str, str] | None = None) -> None:
        self._web = web
        self._dm_channels = dm_channels if dm_channels is not None else {}

    async def send_file(self, user_id: int, path: Path, *, title: str, comment: str | None = None) -> str:
        """Deliver ``path`` to the member's DM; returns the file's Slack id."""
        size = await asyncio.to_thread(lambda: path.stat().st_size)
        if size > MAX_FILE_BYTES:
            raise FileDeliveryError(
                f"The file is {size / 1024**2:.0f} MB, over Slack's 1 GB limit: ask for one week at a time."
            )
        content = await asyncio.to_thread(path.read_bytes)
        try:
            channel = await self._web.dm_channel(int_to_slack_id(user_id), self._dm_channels)
            response = await self._web.call(
                "files.getUploadURLExternal",  # the first of the three steps; the others follow in the call
                lambda: self._web.client.files_upload_v2(
                    channel=channel,
                    content=content,
                    filename=path.name,
                    title=title,
                    initial_comment=escape(comment) if comment else None,
                ),
            )
        except SlackApiError as error:
            code = error_code(error)
            log.warning("file delivery refused by Slack: %s", code)
            raise FileDeliveryError(f"Slack refused the file ({code}). Try again, or ask an organiser.") from None
        except TRANSIENT_ERRORS as error:
            log.warning("file delivery failed: %s", type(error).__name__)
            raise FileDeliveryError("Slack could not be reached to deliver the file. Try again in a minute.") from None
        file = response.get("file") or {}
        return str(file.get("id", ""))
