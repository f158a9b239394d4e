"""A server's retention notices go to its own channel only, checked when posted (cogs/_discord/retention.py), driven
through the local Discord: a stored reminder channel of another server gets nothing, and organisers are told, as a
refused reminder channel is reported.

The settings leave out a channel the gateway cache knows as another server's; at start, the retention check runs
before the gateway's READY, when the cache knows nothing yet, so the post itself must check.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.reminders import ChannelRefused
from tests.cogs.test_organiser import members_answers
from tests.conftest import GUILD_ID
from tests.fakediscord import FakeDiscord, Perm
from tests.harness import BotRunner, FakeClock

LAST_END = datetime(2020, 10, 26, 21, 0, tzinfo=UTC)  # the seed programme's last session ends


async def test_a_retention_notice_never_goes_to_another_server_s_channel(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    leeds = fake_discord.world.add_guild("Leeds group", channels=["general", "reminders"], members=["alice"])
    leeds_reminders = fake_discord.channel_in(leeds, "reminders")
    leeds_organisers = fake_discord.world.add_role("Leeds organisers", mentionable=True, guild_id=leeds.id)
    organisers = fake_discord.world.role("Organiser")
    async with bot_runner.running() as bot:
        answers = await members_answers(bot, fake_discord)
        # Stored as if by a database copied from elsewhere, or a bug: the workshop's reminder channel is Leeds'.
        await bot.services.settings.update(
            GUILD_ID,
            retention=timedelta(days=10),
            reminder_channel_id=leeds_reminders.id,
            organiser_role_id=organisers.id,
        )
    clock.now = LAST_END + timedelta(days=4)  # in the week before the answers are due

    async with bot_runner.running() as bot:  # the warning, from the start's retention check
        assert fake_discord.bot_messages_in(leeds_reminders) == []
        assert not [m for m in fake_discord.world.messages_in("reminders") if "Organisers" in m.content]
        [problem] = bot.services.problems.current(GUILD_ID)
        assert problem.text.startswith(
            "The bot could not post the retention warning in the reminder channel (it is not one of this server's "
            "channels): answers will be deleted on"
        )
        assert problem.fix.startswith("Choose one of this server's channels with /setup reminder_channel:")
        # Organisers see it in /setup's health section, without a link to the other server's channel.
        health = str((await (await fake_discord.slash("olga", "setup")).final()).embeds)
        assert "not one of this server's channels" in health and f"<#{leeds_reminders.id}>" not in health
        # Asked directly once the cache knows both servers, the adapter refuses too.
        with pytest.raises(ChannelRefused, match="not one of this server's channels"):
            await bot.discord_adapters.retention.retention_done(GUILD_ID, leeds_reminders.id, 1)
        # Its own channel takes a notice; another server's role handed to it pings no one and is not shown.
        workshop_reminders = fake_discord.channel("reminders")
        await bot.discord_adapters.retention.retention_warning(
            GUILD_ID, workshop_reminders.id, leeds_organisers.id, LAST_END + timedelta(days=10), timedelta(days=10)
        )
        [posted] = fake_discord.bot_messages_in(workshop_reminders)
        assert posted.content.startswith("**Organisers:**") and posted.mention_role_ids == []

    clock.now += timedelta(days=7)
    async with bot_runner.running() as bot:  # the deletion at start: done, and its notice refused the same way
        assert await bot.db.fetchval("SELECT COUNT(*) FROM answers") == 0 < len(answers)
        assert fake_discord.bot_messages_in(leeds_reminders) == []
        assert [p.key for p in bot.services.problems.current(GUILD_ID)] == ["retention-done"]


async def test_another_server_s_channel_the_bot_cannot_see_gets_nothing_and_is_not_linked(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    """Before READY, Discord answers 403 for a channel hidden from the bot, whoever's it is: the notice is refused
    with a fix for either case, naming no channel."""
    leeds = fake_discord.world.add_guild("Leeds group", channels=["general", "private"], members=["alice"])
    hidden = fake_discord.channel_in(leeds, "private")
    fake_discord.set_overwrite(hidden, fake_discord.world.bot_user, deny=Perm.VIEW_CHANNEL)
    async with bot_runner.running() as bot:
        await members_answers(bot, fake_discord)
        await bot.services.settings.update(GUILD_ID, retention=timedelta(days=10), reminder_channel_id=hidden.id)
    clock.now = LAST_END + timedelta(days=4)

    async with bot_runner.running() as bot:
        assert fake_discord.requests_matching("GET", rf"/channels/{hidden.id}$")  # asked whose it is, before READY
        assert fake_discord.requests_matching("POST", rf"/channels/{hidden.id}/messages") == []
        [problem] = bot.services.problems.current(GUILD_ID)
        assert problem.text.startswith(
            "The bot could not post the retention warning in the reminder channel (it cannot see the channel)"
        )
        assert "or choose one of this server's channels with /setup reminder_channel:" in problem.fix
        assert str(hidden.id) not in problem.text + problem.fix
