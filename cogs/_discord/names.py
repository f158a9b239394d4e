"""Display names: ``DisplayNames`` over discord.py, for named exports.

Names come from Discord's bulk member lookup over the gateway (developers/events/gateway-events.mdx, "Request
Guild Members" with ``user_ids``: up to 100 members a request, answered by "Guild Members Chunk";
discord.py's ``Guild.query_members(user_ids=...)``), not from one REST request per member: an export of
thousands of answerers takes tens of requests, not thousands waiting on the member route's bucket. Asking by
``user_ids`` needs no privileged intent (only the entire member list needs GUILD_MEMBERS), and members who
left are simply not in the answer (``not_found``). The members are not cached: the names are used once, for
the file, and never kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import discord

log = logging.getLogger(__name__)

#: "Requesting ``user_ids`` will continue to be limited to returning 100 members".
MEMBERS_PER_REQUEST = 100


class DiscordDisplayNames:
    """Members' display names as Discord has them now, for named exports (never stored)."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def display_names(self, guild_id: int, user_ids: Sequence[int]) -> Mapping[int, str]:
        guild = self._bot.get_guild(guild_id)
        if guild is None:
            return {}
        names: dict[int, str] = {}
        wanted: list[int] = []
        for user_id in dict.fromkeys(user_ids):
            member = guild.get_member(user_id)
            if member is not None:
                names[user_id] = member.display_name
            else:
                wanted.append(user_id)
        for start in range(0, len(wanted), MEMBERS_PER_REQUEST):
            batch = wanted[start : start + MEMBERS_PER_REQUEST]
            try:
                found = await guild.query_members(user_ids=batch, limit=len(batch), cache=False)
            except (TimeoutError, discord.ClientException, ConnectionError, RuntimeError) as error:
                # Those members' rows carry their ids without a name; the export itself goes on.
                log.warning(
                    "could not look up %d members of guild %s for a named export: %s",
                    len(batch),
                    guild_id,
                    type(error).__name__,
                )
                continue
            names.update((member.id, member.display_name) for member in found)
        return names
