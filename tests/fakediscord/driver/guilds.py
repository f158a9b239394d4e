"""The driver, part 4: the bot joins guilds, is removed from them and added back.

Docs: events/gateway-events.mdx ("Guild Create": sent "When the current user joins a new Guild"; "Guild
Delete": "If the ``unavailable`` field is not set, the user was removed from the guild"); events/gateway.mdx
("Sharding": each goes only to the sessions of the guild's shard).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import payloads
from ..core import Part
from ..gateway import GatewaySession
from ..records import JSON
from ..world import Channel, Guild, GuildRef, Perm, UserRef, now_utc


class GuildDriver(Part):
    """Changes which guilds the bot is in, telling the sessions that own each guild."""

    def guild(self, ref: GuildRef) -> Guild:
        """A guild by object, id or name."""
        return self.world.guild_ref(ref)

    def channel_in(self, guild: GuildRef, name: str) -> Channel:
        """A guild's channel by name (``fake.channel("general")`` is the default guild's)."""
        return self.world.channel_in(guild, name)

    def add_guild(
        self,
        name: str,
        *,
        guild_id: int | None = None,
        owner: UserRef | None = None,
        channels: Iterable[str] = ("general",),
        members: Iterable[UserRef] = (),
        bot_permissions: int = Perm.BOT_DEFAULT,
    ) -> Guild:
        """The bot is added to a new guild (see ``World.add_guild`` for what it holds): GUILD_CREATE to the
        sessions of its shard, which discord.py reports as ``on_guild_join``. Before the bot connects this is
        the same as ``fake.world.add_guild``: the guild then comes in READY and its own GUILD_CREATE."""
        guild = self.world.add_guild(
            name, guild_id=guild_id, owner=owner, channels=channels, members=members, bot_permissions=bot_permissions
        )
        self._send_guild_create(guild)
        return guild

    def add_guilds(self, count: int, *, name: str = "Group {n}", **kwargs: Any) -> list[Guild]:
        """``count`` guilds made by :meth:`add_guild` (``name`` formatted with ``n`` = 1, 2, ...)."""
        return [self.add_guild(name.format(n=n), **kwargs) for n in range(1, count + 1)]

    def remove_bot_from_guild(self, guild: GuildRef) -> Guild:
        """The bot is kicked from (or leaves) the guild: GUILD_DELETE without ``unavailable`` to the sessions of
        its shard (discord.py: ``on_guild_remove``). Afterwards the gateway says nothing about the guild and its
        REST routes, and its channels', answer 403 code 50001 Missing Access."""
        found = self.world.guild_ref(guild)
        if not found.bot_present:
            raise AssertionError(f"the bot is not in guild {found.name}")
        data: JSON = {"id": str(found.id)}
        self.gateway.dispatch("GUILD_DELETE", data, guild_id=found.id)
        found.bot_present = False
        self.notifier.notify()
        return found

    def add_bot_to_guild(self, guild: GuildRef) -> Guild:
        """The bot is added back to a guild it was removed from: it joins anew (its member's ``joined_at`` is
        now) and the sessions of the guild's shard get GUILD_CREATE (discord.py: ``on_guild_join``)."""
        found = self.world.guild_ref(guild)
        if found.bot_present:
            raise AssertionError(f"the bot is already in guild {found.name}")
        found.bot_present = True
        self.world.bot_member(found.id).joined_at = now_utc()
        self._send_guild_create(found)
        return found

    def _send_guild_create(self, guild: Guild) -> None:
        def build(session: GatewaySession) -> JSON:
            return payloads.guild_create(self.core, guild, session, joined=True)

        self.gateway.dispatch("GUILD_CREATE", build, guild_id=guild.id)
        self.notifier.notify()
