"""Whose channel a channel is, from the gateway cache, without looking through every server for the usual case.

discord.py's ``Client.get_channel`` looks through every cached server; a check made for each server (each
settings object a sweep reads, each reminder posted) must look in the server it is for first, or its cost
grows with the square of the servers (at 10,000 servers it stalled each process's reminders for 2 s a sweep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cogs._discord.permissions import GuildPlaces, guild_id_of


@dataclass
class Guild:
    id: int
    channels: dict[int, Any] = field(default_factory=dict)

    def get_channel_or_thread(self, channel_id: int) -> Any:
        return self.channels.get(channel_id)


@dataclass
class Channel:
    id: int
    guild: Guild


class Client:
    """Many servers; counts the look through all of them (discord.py's get_channel)."""

    def __init__(self, guilds: list[Guild]) -> None:
        self._guilds = {g.id: g for g in guilds}
        self.scans = 0

    def get_guild(self, guild_id: int) -> Guild | None:
        return self._guilds.get(guild_id)

    def get_channel(self, channel_id: int) -> Any:
        self.scans += 1
        for guild in self._guilds.values():
            if (channel := guild.get_channel_or_thread(channel_id)) is not None:
                return channel
        return None


def many_servers(count: int) -> Client:
    guilds = [Guild(1000 + n) for n in range(count)]
    for guild in guilds:
        guild.channels[guild.id * 10] = Channel(guild.id * 10, guild)
    return Client(guilds)


def test_a_servers_own_channel_is_found_in_that_server_without_looking_through_every_server() -> None:
    client = many_servers(500)
    places = GuildPlaces(client)  # type: ignore[arg-type]
    assert all(places.channel_is_own(1000 + n, (1000 + n) * 10) for n in range(500))
    assert client.scans == 0
    assert guild_id_of(client, 1100 * 10, community_id=1100) == 1100  # type: ignore[arg-type]
    assert client.scans == 0


def test_another_servers_channel_is_still_found_foreign_and_an_unknown_one_undecided() -> None:
    client = many_servers(5)
    places = GuildPlaces(client)  # type: ignore[arg-type]
    assert places.channel_is_own(1000, 1001 * 10) is False  # cached, in another server
    assert places.channel_is_own(1000, 999_999) is None  # not cached anywhere: cannot tell
    assert guild_id_of(client, 1002 * 10) == 1002  # type: ignore[arg-type]  # no server given: looked for everywhere
