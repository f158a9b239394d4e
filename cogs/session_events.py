"""Interested clicks on the sessions' Discord events, handed to the session-event service.

The ids come from the gateway (see ``cogs._discord.session_events.follow_interest``); the service records
interest only in the bot's own session events.
"""

from __future__ import annotations

from typing import Any

from discord.ext import commands

from cogs._base import WorkshopCog


class SessionEventsCog(WorkshopCog):
    @commands.Cog.listener()
    async def on_session_event_interest(self, guild_id: int, event_id: int, user_id: int, added: bool) -> None:
        if not self.bot.services.communities.serves(guild_id):
            return
        await self.bot.services.events.on_interest(guild_id, event_id, user_id, added=added)


async def setup(bot: Any) -> None:
    await bot.add_cog(SessionEventsCog(bot))
