"""kill -9 of the bot at random points of a reminder fan-out, repeated, then a restart: every reminder
delivered exactly once and the database sound."""

from __future__ import annotations

import random
from pathlib import Path

from bot.storage.engine import open_database
from tests.bot.test_reminders_process import programme_starting_soon, subscribe
from tests.fakediscord import FakeDiscord
from tests.process import BotProcess

MEMBERS = 30
KILLS = 3


async def test_repeated_kill_9_during_a_fan_out_delivers_every_reminder_once(
    fake_discord: FakeDiscord, tmp_path: Path, engine_settings: dict[str, str]
) -> None:
    rng = random.Random(20201019)
    members = [fake_discord.add_member(f"member{n:02}") for n in range(MEMBERS)]
    reminders = fake_discord.channel("reminders")
    bot = BotProcess(
        fake_discord,
        tmp_path,
        PROGRAMME_FILE=str(programme_starting_soon(tmp_path)),
        REMINDER_OFFSETS="5m",  # already due at start: the catch-up sends it at once
        REMINDER_CHANNEL_ID=str(reminders.id),
        DM_RATE_PER_SECOND="20",
        **engine_settings,
    )
    await subscribe(bot.database_target, members)

    def delivered() -> int:
        return sum(len(fake_discord.dms_to(member)) for member in members)

    kill_points = sorted(rng.sample(range(1, MEMBERS - 2), KILLS))
    for kill_at in kill_points:
        await bot.start()
        try:
            await fake_discord.wait_for(
                lambda target=kill_at: delivered() >= target, timeout=30, what=f"{kill_at} reminder DMs"
            )
        finally:
            await bot.kill()

    await bot.start()
    try:
        await fake_discord.wait_for(lambda: delivered() >= MEMBERS, timeout=30, what="every reminder DM")
    finally:
        assert await bot.stop() == 0, bot.stderr.decode()

    assert [len(fake_discord.dms_to(member)) for member in members] == [1] * MEMBERS
    posts = [m for m in fake_discord.bot_messages_in(reminders) if "Reminder: Week 1" in m.content]
    assert len(posts) == 1
    async with open_database(bot.database_target) as db:
        assert await db.check_integrity() == []
