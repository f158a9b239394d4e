"""The Slack front end's client (a placeholder: the Slack front end replaces this module).

It follows the contract the runner codes against (``bot.runner``): built from the settings, it holds the
Slack adapters; ``start(core)`` attaches to the core and connects Socket Mode; ``close()`` disconnects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import UserFacingError

if TYPE_CHECKING:
    from bot.core import Core, PlatformAdapters

NOT_YET = (
    "this version has no Slack front end yet: unset SLACK_BOT_TOKEN and SLACK_APP_TOKEN to run Discord only "
    "(DISCORD_TOKEN)"
)


class SlackFrontEnd:
    adapters: PlatformAdapters

    def __init__(self, settings: Settings, *, clock: Clock = system_clock) -> None:
        raise UserFacingError(NOT_YET)

    async def start(self, core: Core) -> None:
        raise UserFacingError(NOT_YET)

    async def close(self) -> None:
        return None
