"""Communities (for Discord: servers) as one deployment serves them: which process owns which, how long a
server's data outlives the bot's removal, and the one message the bot posts when it joins.

Pure: no discord, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.errors import SettingsError

# How long a server's data is kept after the bot is removed from it: re-added within this, it finds
# everything as it was; after it, the data is deleted and a re-add starts afresh.
DEFAULT_LEAVE_GRACE = timedelta(days=30)
# Discord's snowflakes carry their creation time above bit 22; the shard a guild belongs to is that
# timestamp modulo the shard count (developers/events/gateway.mdx, "Sharding": shard_id =
# (guild_id >> 22) % num_shards).
SNOWFLAKE_TIMESTAMP_SHIFT = 22

WELCOME_TEXT = (
    "Hello! I run this server's workshop programme: the sessions, their prompt questions, reminders, and "
    "the answers members give.\n"
    "**To set me up**, someone with Manage Server can run `/setup` (the reminder channel and times, the "
    "roles) and `/import` (the programme file, with its time zone).\n"
    "Once a programme is in, members can use `/programme`, `/next` and `/answer`. I post nothing else until then."
)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard whose gateway session receives the events of ``guild_id``."""
    if shard_count < 1:
        raise ValueError("a bot has at least one shard")
    return (guild_id >> SNOWFLAKE_TIMESTAMP_SHIFT) % shard_count


@dataclass(frozen=True, slots=True)
class Shard:
    """One shard of a Discord bot's ``shard_count``: the servers whose events its gateway session receives."""

    shard_id: int
    shard_count: int

    def __post_init__(self) -> None:
        if not 0 <= self.shard_id < self.shard_count:
            raise ValueError(f"shard {self.shard_id} is not one of {self.shard_count} shards")

    def covers(self, community_id: int) -> bool:
        """Whether the community is a Discord server of this shard (a Slack workspace, negative, is none's)."""
        return community_id > 0 and shard_of(community_id, self.shard_count) == self.shard_id


def owns_community(community_id: int, shard_count: int | None, shard_ids: Collection[int] | None) -> bool:
    """Whether a process running ``shard_ids`` of ``shard_count`` shards serves this community.

    Without a shard setting the process runs every shard and serves every community. A community that is
    not a Discord server (a negative id, see migration 0010) belongs to no shard: the first shard's process
    serves it, so exactly one process does.
    """
    if shard_count is None or shard_ids is None:
        return True
    if community_id <= 0:
        return 0 in shard_ids
    return shard_of(community_id, shard_count) in shard_ids


def rate_share(shard_count: int | None, shard_ids: Collection[int] | None) -> float:
    """The part of the application's rate limits this process may use: its shards' share of all shards.

    Every process of one application shares its token, and with it Discord's global limit of requests a
    second, so each process paces at rate x owned shards / shard count (1 when it runs every shard).
    """
    if shard_count is None or shard_ids is None or not shard_count:
        return 1.0
    return min(1.0, len(set(shard_ids)) / shard_count)


def check_shards(shard_count: int | None, shard_ids: Collection[int] | None) -> None:
    """SHARD_COUNT and SHARD_IDS together make sense: raises SettingsError saying what is wrong."""
    if shard_count is None and shard_ids is None:
        return
    if shard_count is None:
        raise SettingsError("SHARD_IDS is set but SHARD_COUNT is not: set both, or neither")
    if shard_count < 1:
        raise SettingsError(f"SHARD_COUNT must be at least 1, got {shard_count}")
    if shard_ids is None:
        return  # this process runs every shard of the count it was given
    ids = list(shard_ids)
    if not ids:
        raise SettingsError("SHARD_IDS is empty: list the shards this process runs, such as 0,1")
    outside = sorted({i for i in ids if not 0 <= i < shard_count})
    if outside:
        raise SettingsError(
            f"SHARD_IDS must lie between 0 and {shard_count - 1} (SHARD_COUNT={shard_count}), got "
            f"{', '.join(map(str, outside))}"
        )
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SettingsError(f"SHARD_IDS names shard {', '.join(map(str, repeated))} more than once")


def purge_due(left_at: datetime | None, now: datetime, grace: timedelta) -> bool:
    """Whether a community the bot left at ``left_at`` is past its grace period (None: the bot is still there)."""
    return left_at is not None and now >= left_at + grace
