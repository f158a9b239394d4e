"""/setup's health section: the preflight's findings from the running bot, with the problems it met."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.preflight import CommandFacts, IntentFacts, PreflightReport, TimeText, evaluate, runtime_finding
from bot.preflight.cache import facts_from_guild, failed_extensions, registered_commands
from bot.services.preflight import stored_facts

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)


async def running_report(bot: WorkshopBot, guild: discord.Guild, *, time_text: TimeText) -> PreflightReport:
    """The health of the running bot in ``guild``: its cache, its intents, and the problems it met."""
    services = bot.services
    stored = await stored_facts(
        guild.id, settings=services.settings, programme=services.programme, reminders=services.reminders
    )
    refused = bot.message_content_refused
    intent = IntentFacts(
        requested=bot.settings.message_content_intent or refused,
        allowed=True if bot.message_content_enabled else None,  # connected with it: Discord allowed it
        refused=refused,
    )
    extra = [runtime_finding(problem.text, problem.fix) for problem in services.problems.current(guild.id)]
    try:
        registered = await registered_commands(bot, bot.dev_guild_id)
    except discord.HTTPException as error:
        log.warning("could not read the registered commands for the health section: %s", error)
        registered = None
    commands = CommandFacts(expected=bot.command_payload(), registered=registered)
    extra += failed_extensions(bot.failed_extensions)
    facts = facts_from_guild(guild.id, guild, stored, intent=intent, commands=commands, extra=extra)
    return evaluate(facts, time_text=time_text)
