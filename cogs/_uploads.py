"""How big a file the bot may send in one message.

A server's upload limit (the interaction's ``attachment_size_limit``, which boosts raise to 50 or 100 MiB) is
per file; a request is capped at 25 MiB whatever that limit is (developers/resources/message.mdx, Create
Message, "Limitations": "The maximum request size when sending a message is 25 MiB"). So a file sent with
its message text gets the smaller of the two, less room for the rest of the request.
"""

from __future__ import annotations

from typing import Any

import discord

MAX_REQUEST_BYTES = 25 * 1024 * 1024
#: The message's JSON beside the file (up to 2,000 characters of text, at most 4 bytes each) and the
#: multipart framing, with room to spare.
REQUEST_OVERHEAD_BYTES = 16 * 1024
#: The largest file one message carries, whatever the server's upload limit.
MAX_FILE_BYTES = MAX_REQUEST_BYTES - REQUEST_OVERHEAD_BYTES


def file_limit(interaction: discord.Interaction[Any]) -> int:
    """The most bytes one file sent in answer to ``interaction`` may have."""
    return min(interaction.filesize_limit, MAX_FILE_BYTES)
