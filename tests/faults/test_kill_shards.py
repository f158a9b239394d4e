"""Two bot processes, one PostgreSQL: every reminder exactly once when one is killed with SIGKILL in the middle
of its fan-out and restarted, and when two processes run the same shards for a while (a rolling restart: the
new process starts before the old one stops). The reminder ledger's claims and the outbox check make it hold.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.communities import owns_community
from bot.domain.programme import Programme, Session
from bot.domain.server_settings import ServerDefaults
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import open_database
from bot.storage.reminders import ReminderRepository
from tests.fakediscord import FakeDiscord
from tests.process import BotProcess

SERVERS = 40
SUBSCRIBERS = 3  # DM subscribers per server
SHARD_COUNT = 2  # one shard per process: discord.py identifies one shard every 5 s, so fewer start faster
REMINDER_MARK = "Reminder: Week 1"


@dataclasses.dataclass(frozen=True)
class Server:
    guild_id: int
    reminder_channel_id: int
    subscriber_ids: tuple[int, ...]


def programme_due_now() -> Programme:
    """One session in 20 minutes: with a 1 h reminder, the reminder is due when the bots connect."""
    start = (datetime.now(UTC) + timedelta(minutes=20)).replace(second=0, microsecond=0)
    session = Session(
        week=1, title="Local organising", start=start, end=start + timedelta(hours=2), location="Zoom",
        description="A session.", prompts=("What now?",),
    )  # fmt: skip
    return Programme(title="Workshops", timezone="Europe/London", sessions=(session,))


async def servers_with_reminders_due(fake: FakeDiscord, database: str) -> list[Server]:
    """SERVERS servers in the local Discord (before any bot connects), each with a programme, a reminder
    channel and SUBSCRIBERS members subscribed to DMs, stored as /import, /setup and /remind would."""
    servers = [
        Server(
            guild.id,
            fake.channel_in(guild, "reminders").id,
            tuple(fake.add_member(f"g{n}-member{k}", guild=guild).id for k in range(SUBSCRIBERS)),
        )
        for n, guild in enumerate(fake.world.add_guilds(SERVERS, channels=("general", "reminders")))
    ]
    programme = programme_due_now()
    subscribed_at = datetime.now(UTC) - timedelta(days=1)
    async with open_database(database) as db:
        settings = ServerSettingsService(db, ServerDefaults())
        for server in servers:
            await ProgrammeService(db).import_programme(server.guild_id, programme)
            await settings.update(server.guild_id, reminder_channel_id=server.reminder_channel_id)
            for member_id in server.subscriber_ids:
                await ReminderRepository(db).subscribe(server.guild_id, member_id, subscribed_at)
    return servers


def posts(fake: FakeDiscord, server: Server) -> int:
    return sum(REMINDER_MARK in m.content for m in fake.bot_messages_in(server.reminder_channel_id))


def delivered(fake: FakeDiscord, servers: list[Server]) -> int:
    """Channel posts and DMs delivered so far (a duplicate counts too)."""
    return sum(posts(fake, s) + sum(len(fake.dms_to(m)) for m in s.subscriber_ids) for s in servers)


def assert_each_exactly_once(fake: FakeDiscord, servers: list[Server]) -> None:
    wrong_posts = {s.guild_id: posts(fake, s) for s in servers if posts(fake, s) != 1}
    wrong_dms = {m: len(fake.dms_to(m)) for s in servers for m in s.subscriber_ids if len(fake.dms_to(m)) != 1}
    assert wrong_posts == {}, "servers whose channel reminder was not posted exactly once: {server: posts}"
    assert wrong_dms == {}, "members who did not get exactly one DM reminder: {member: DMs}"


def bot(
    fake: FakeDiscord, folder: Path, database: str, shard_ids: str, *, shard_count: int = SHARD_COUNT, dm_rate: int = 20
) -> BotProcess:
    folder.mkdir()
    return BotProcess(
        fake,
        folder,
        GUILD_ID="",  # no development server: every server the shards hold
        DATABASE_URL=database,
        SHARD_COUNT=str(shard_count),
        SHARD_IDS=shard_ids,
        REMINDER_OFFSETS="1h",
        DM_RATE_PER_SECOND=str(dm_rate),  # the application's: each process paces at its shards' share
    )


async def test_kill_9_of_one_of_two_processes_mid_fan_out_then_a_restart_sends_each_reminder_once(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_dsn: str
) -> None:
    servers = await servers_with_reminders_due(fake_discord, postgres_dsn)
    first = [s for s in servers if owns_community(s.guild_id, SHARD_COUNT, (0,))]
    assert 0 < len(first) < SERVERS  # both processes have servers to remind
    per_server = 1 + SUBSCRIBERS
    killed = bot(fake_discord, tmp_path / "shard-0", postgres_dsn, "0")
    other = bot(fake_discord, tmp_path / "shard-1", postgres_dsn, "1")

    await other.start_shards((1,))
    try:
        await killed.start_shards((0,))
        await fake_discord.wait_for(
            lambda: delivered(fake_discord, first) >= len(first) * per_server // 3,
            timeout=60,
            what="a third of the first process's reminders",
        )
        await killed.kill()
        assert delivered(fake_discord, first) < len(first) * per_server  # killed in the middle of its fan-out

        await killed.start_shards((0,))
        await fake_discord.wait_for(
            lambda: delivered(fake_discord, servers) >= len(servers) * per_server, timeout=60, what="every reminder"
        )
        assert await killed.stop() == 0, killed.stderr.decode()
    finally:
        assert await other.stop() == 0, other.stderr.decode()

    assert_each_exactly_once(fake_discord, servers)
    assert fake_discord.stats.rate_limited == 0


async def test_two_processes_running_the_same_shards_in_a_rolling_restart_send_each_reminder_once(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_dsn: str
) -> None:
    servers = await servers_with_reminders_due(fake_discord, postgres_dsn)
    total = len(servers) * (1 + SUBSCRIBERS)
    # One shard, which both run (a process starts in ~2 s), and 160 sends at 16 a second (~9 s): the new process
    # is up while the old one's fan-out goes on.
    old = bot(fake_discord, tmp_path / "old", postgres_dsn, "0", shard_count=1, dm_rate=16)
    new = bot(fake_discord, tmp_path / "new", postgres_dsn, "0", shard_count=1, dm_rate=16)

    await old.start_shards((0,))
    try:
        await new.start_shards((0,))  # the new process runs alongside the old one...
        assert delivered(fake_discord, servers) < total  # ...while the old one's fan-out goes on
        await fake_discord.wait_for(
            lambda: delivered(fake_discord, servers) >= total * 2 // 3, timeout=60, what="two thirds of the fan-out"
        )
    finally:
        assert await old.stop() == 0, old.stderr.decode()  # ...until the old one stops
    try:
        await fake_discord.wait_for(
            lambda: delivered(fake_discord, servers) >= total, timeout=60, what="every reminder"
        )
    finally:
        assert await new.stop() == 0, new.stderr.decode()

    assert_each_exactly_once(fake_discord, servers)
