"""Who a reminder really pings, now that the local Discord decides it as Discord does (resources/message.mdx,
"Allowed Mentions Object": a role that is not mentionable pings no one unless the sender may mention
everyone): the organiser is told in /setup, before a reminder names a role that pings nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.reminders import parse_offsets
from tests.fakediscord import FakeDiscord, Perm
from tests.harness import BotRunner, FakeClock

WEEK8_START = datetime(2020, 10, 26, 19, tzinfo=UTC)


async def test_a_ping_role_that_cannot_be_pinged_pings_no_one_and_setup_says_so(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    quiet = fake_discord.add_role("Workshop pings")  # not mentionable
    reminders = fake_discord.channel("reminders")
    fake_discord.set_overwrite(reminders, "WorkshopBot", deny=Perm.MENTION_EVERYONE)
    async with bot_runner.running(reminder_channel_id=reminders.id, ping_role_id=quiet.id) as bot:
        setup = await (await fake_discord.slash("olga", "setup")).final()
        [line] = [x for x in setup.embeds[1]["description"].splitlines() if "ping role" in x]
        assert line.startswith("✗ ping role @Workshop pings: not mentionable, and the bot lacks Mention @everyone")

        clock.now = WEEK8_START - timedelta(hours=1)
        bot.services.reminders.request(bot.dev_guild_id)
        await bot.services.reminders.idle()
        [post] = [m for m in fake_discord.bot_messages_in("reminders") if "**Reminder:" in m.content]
        assert post.content.startswith(f"<@&{quiet.id}>") and post.mention_role_ids == []  # named, nobody pinged

        # Made mentionable: the next reminder pings the role's members.
        quiet.mentionable = True
        clock.now = WEEK8_START - timedelta(minutes=15)
        await bot.services.settings.update(bot.dev_guild_id, reminder_offsets=parse_offsets("1h,15m"))
        bot.services.reminders.request(bot.dev_guild_id)
        await bot.services.reminders.idle()
        latest = [m for m in fake_discord.bot_messages_in("reminders") if "**Reminder:" in m.content][-1]
        assert latest is not post and latest.mention_role_ids == [quiet.id]
