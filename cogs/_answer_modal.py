"""The answer form. Being built in the answers issue; until then the button explains itself."""

from __future__ import annotations

from typing import Any

import discord

from bot.domain.errors import UserFacingError


async def open_answer_modal(interaction: discord.Interaction[Any], prompt_id: int) -> None:
    raise UserFacingError("Answering is not available yet.")
