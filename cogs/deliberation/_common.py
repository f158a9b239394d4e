"""What the deliberation cog's parts share: custom ids, labels, the service."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.domain.deliberation import Vote
from bot.services.deliberation import DeliberationService
from cogs._base import workshop_bot

NONE = discord.AllowedMentions.none()
MAX_SEED_FILE = 64 * 1024
SEEDS_INPUT_ID = "deliberate:seeds"
PROMPT_INPUT_ID = "deliberate:prompt"
STATEMENT_INPUT_ID = "deliberate:statement"
OPEN_MODAL = re.compile(r"deliberate:open:(?P<week>[0-9]{1,4}):(?P<auto>[01])")
STATEMENT_MODAL = re.compile(r"deliberate:statement:(?P<conversation>[0-9]{1,19})")
VOTE_LABELS = {Vote.AGREE: "Agree", Vote.DISAGREE: "Disagree", Vote.PASS: "Pass / unsure"}
VOTE_CODES = {"a": Vote.AGREE, "d": Vote.DISAGREE, "p": Vote.PASS}
CODE_OF = {vote: code for code, vote in VOTE_CODES.items()}


def service_of(interaction: discord.Interaction[Any]) -> DeliberationService:
    return workshop_bot(interaction).services.deliberation
