"""Many servers from one bot: joining greets once, leaving keeps a server's data for the grace period and then
deletes it, and without GUILD_ID the commands are registered globally, once.

Driven through the local Discord: ``fake.add_guild`` (GUILD_CREATE at run time: on_guild_join),
``remove_bot_from_guild`` (GUILD_DELETE without ``unavailable``: on_guild_remove) and ``add_bot_to_guild``.
"""

from __future__ import annotations

from datetime import timedelta

from bot.client import WorkshopBot
from bot.domain.communities import WELCOME_TEXT
from bot.domain.parsers import parse_programme_file
from bot.domain.server_settings import StoredServerSettings
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import FakeDiscord, Guild
from tests.harness import BotRunner, FakeClock

MEETING = "https://example.org/leeds-workshops"


async def join(fake: FakeDiscord, bot: WorkshopBot, name: str = "Leeds group") -> Guild:
    # After on_ready: before it, discord.py takes a GUILD_CREATE as part of the start, not as a join.
    await bot.wait_until_ready()
    guild = fake.add_guild(name, channels=["general", "reminders"], members=["alice"])
    await fake.wait_for(lambda: bot.services.communities.serves(guild.id), what=f"the bot serving {name}")
    return guild


async def leave(fake: FakeDiscord, bot: WorkshopBot, guild: Guild) -> None:
    fake.remove_bot_from_guild(guild)
    await fake.wait_for(lambda: not bot.services.communities.serves(guild.id), what="the bot leaving")


async def come_back(fake: FakeDiscord, bot: WorkshopBot, guild: Guild) -> None:
    fake.add_bot_to_guild(guild)
    await fake.wait_for(lambda: bot.services.communities.serves(guild.id), what="the bot back")


async def give_programme(bot: WorkshopBot, guild_id: int) -> None:
    programme = parse_programme_file(
        PROGRAMME_TOML.read_bytes(), filename=PROGRAMME_TOML.name, default_timezone="Europe/London"
    )
    await bot.services.programme.import_programme(guild_id, programme)
    await bot.services.settings.update(guild_id, meeting_link=MEETING)


def welcomes(fake: FakeDiscord, guild: Guild) -> list[str]:
    return [m.content for m in fake.bot_messages_in(fake.channel_in(guild, "general")) if m.content == WELCOME_TEXT]


async def test_joining_a_server_posts_one_welcome_and_nothing_else(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    guild = await join(fake_discord, bot)
    await fake_discord.wait_for(lambda: bool(welcomes(fake_discord, guild)), what="the welcome")
    general = fake_discord.bot_messages_in(fake_discord.channel_in(guild, "general"))
    assert [m.content for m in general] == [WELCOME_TEXT]
    assert fake_discord.bot_messages_in(fake_discord.channel_in(guild, "reminders")) == []
    assert "@" not in WELCOME_TEXT and "/setup" in WELCOME_TEXT and "/import" in WELCOME_TEXT
    # The new server starts with no programme (the host's file is only for the development server) and the
    # deployment's defaults.
    assert await bot.services.programme.get(guild.id) is None
    assert (await bot.services.settings.get(guild.id)).reminder_offsets == bot.settings.reminder_offsets
    # Removed and added back: it is not greeted a second time.
    await leave(fake_discord, bot, guild)
    await come_back(fake_discord, bot, guild)
    await bot.services.reminders.idle()
    assert welcomes(fake_discord, guild) == [WELCOME_TEXT]


async def test_a_server_back_within_the_grace_period_keeps_its_data(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    guild = await join(fake_discord, bot)
    await give_programme(bot, guild.id)
    await leave(fake_discord, bot, guild)
    record = await bot.services.communities.repository.get(guild.id)
    assert record is not None and record.left_at == clock()
    clock.advance(bot.settings.leave_grace - timedelta(hours=1))
    assert await bot.services.communities.purge_departed() == []
    await come_back(fake_discord, bot, guild)
    assert await bot.services.programme.get(guild.id) is not None
    assert (await bot.services.settings.get(guild.id)).meeting_link == MEETING
    record = await bot.services.communities.repository.get(guild.id)
    assert record is not None and record.left_at is None
    # Back, it is not at risk any more: a purge long after the first departure deletes nothing.
    clock.advance(timedelta(days=60))
    assert await bot.services.communities.purge_departed() == []
    assert await bot.services.programme.get(guild.id) is not None


async def test_after_the_grace_period_a_server_s_data_is_deleted_and_a_re_add_starts_afresh(
    bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    home = bot.dev_guild_id
    assert home is not None
    guild = await join(fake_discord, bot)
    await give_programme(bot, guild.id)
    await leave(fake_discord, bot, guild)
    clock.advance(bot.settings.leave_grace)
    assert await bot.services.communities.purge_departed() == [guild.id]
    assert await bot.services.programme.get(guild.id) is None
    assert await bot.services.settings.stored(guild.id) == StoredServerSettings()
    assert await bot.services.communities.repository.get(guild.id) is None
    # Other servers keep theirs.
    assert await bot.services.programme.get(home) is not None
    await come_back(fake_discord, bot, guild)
    assert await bot.services.programme.get(guild.id) is None
    assert (await bot.services.settings.get(guild.id)).reminder_offsets == bot.settings.reminder_offsets
    await fake_discord.wait_for(lambda: len(welcomes(fake_discord, guild)) == 2, what="a second welcome")


async def test_without_guild_id_commands_are_registered_globally_once(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(guild_id=None) as bot:
        await fake_discord.wait_for_global_commands()
        assert bot.dev_guild_id is None
        assert fake_discord.global_command_puts == 1
        assert fake_discord.guild_command_puts() == 0
        # Every server the bot is in is served, none gets the host's programme file.
        await bot.wait_until_ready()
        everywhere = frozenset(g.id for g in bot.guilds)
        await fake_discord.wait_for(lambda: bot.services.communities.served() == everywhere, what="every server")
        assert all([await bot.services.programme.get(g.id) is None for g in bot.guilds])
    async with bot_runner.running(guild_id=None):
        pass
    assert fake_discord.global_command_puts == 1, "unchanged commands are not registered again"


async def test_setup_and_import_work_in_a_server_joined_later_with_the_global_commands(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(guild_id=None) as bot:
        await fake_discord.wait_for_global_commands()
        await bot.wait_until_ready()
        guild = fake_discord.add_guild("Leeds group", owner="olga", channels=["general"], members=["olga"])
        await fake_discord.wait_for(lambda: bot.services.communities.serves(guild.id), what="the new server")
        general = fake_discord.channel_in(guild, "general")
        reply = await (await fake_discord.slash("olga", "setup", in_channel=general, meeting_link=MEETING)).final()
        assert reply.ephemeral
        settings, health = reply.embeds
        assert MEETING in str(settings)
        [commands] = [line for line in health["description"].splitlines() if "slash commands" in line]
        assert commands.startswith("✓ slash commands: all")
        assert (await bot.services.settings.get(guild.id)).meeting_link == MEETING
        assert (await bot.services.settings.get(fake_discord.world.guild.id)).meeting_link is None
        # /import there: the preview, then the confirmation, and the programme is that server's alone.
        seed = PROGRAMME_TOML.read_bytes()
        preview = await (
            await fake_discord.slash("olga", "import", in_channel=general, file=("programme.toml", seed))
        ).final()
        await (await fake_discord.click("olga", preview, preview.custom_ids[0])).final()
        programme = await bot.services.programme.get(guild.id)
        assert programme is not None and len(programme.sessions) == 12
        assert await bot.services.programme.get(fake_discord.world.guild.id) is None
