"""The real bot process is killed (SIGKILL) in the middle of sending reminders, then started again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.storage.database import Database
from bot.storage.engine import open_database
from bot.storage.reminders import DeliveryState, ReminderRepository
from tests.fakediscord import GUILD_ID, FakeDiscord, Member
from tests.process import BotProcess


def programme_starting_soon(folder: Path) -> Path:
    """A one-session programme starting in a minute or two, in a zone where that is not near midnight."""
    start = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    zone = next(
        ZoneInfo(name)
        for name in ("Europe/London", "Asia/Tokyo", "America/New_York")
        if start.astimezone(ZoneInfo(name)).hour < 22
    )
    local = start.astimezone(zone)
    path = folder / "programme.toml"
    path.write_text(
        f'title = "Soon"\ntimezone = "{zone.key}"\n\n[[sessions]]\nweek = 1\ntitle = "Starting soon"\n'
        f'date = {local:%Y-%m-%d}\nstart = "{local:%H:%M}"\nend = "{local + timedelta(hours=1):%H:%M}"\n'
        'location = "Zoom"\ndescription = "A session."\nprompts = ["What now?"]\n',
        encoding="utf-8",
    )
    return path


async def subscribe(database: Path | str, members: list[Member]) -> None:
    async with open_database(database) as db:
        for member in members:
            await ReminderRepository(db).subscribe(GUILD_ID, member.id, datetime.now(UTC) - timedelta(hours=1))


async def test_sigkill_during_a_fan_out_then_a_restart_sends_each_dm_once(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    members = [fake_discord.add_member(f"member{n}") for n in range(12)]
    reminders = fake_discord.channel("reminders")
    bot = BotProcess(
        fake_discord,
        tmp_path,
        PROGRAMME_FILE=str(programme_starting_soon(tmp_path)),
        REMINDER_OFFSETS="5m",  # already due at start: the catch-up sends it at once
        REMINDER_CHANNEL_ID=str(reminders.id),
        DM_RATE_PER_SECOND="4",
    )
    await subscribe(bot.database, members)

    def delivered() -> int:
        return sum(len(fake_discord.dms_to(member)) for member in members)

    await bot.start()
    try:
        await fake_discord.wait_for(lambda: delivered() >= 4, timeout=30, what="four reminder DMs")
    finally:
        await bot.kill()
    assert delivered() < len(members)

    await bot.start()
    try:
        await fake_discord.wait_for(lambda: delivered() >= len(members), timeout=30, what="every reminder DM")
    finally:
        assert await bot.stop() == 0, bot.stderr.decode()
    assert [len(fake_discord.dms_to(member)) for member in members] == [1] * len(members)
    posts = [m for m in fake_discord.bot_messages_in(reminders) if "Reminder: Week 1" in m.content]
    assert len(posts) == 1
    async with Database.open(bot.database) as db:
        ledger = await ReminderRepository(db).deliveries(GUILD_ID)
    assert len(ledger) == 1 + len(members) and {d.state for d in ledger} == {DeliveryState.SENT}
