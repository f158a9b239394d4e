"""What belongs to one community stays in it (issue 20, items 1 and 2), driven through the local Discord.

A channel or role id belongs to one server: the deployment's REMINDER_CHANNEL_ID and PING_ROLE_ID are the
development server's (GUILD_ID's), or, without GUILD_ID, the server that holds the id; a second server starts
without them, and a foreign id is never used, whoever stored it. A role id equal to a server's own id is
@everyone, and never makes anyone an organiser or facilitator.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.client import WorkshopBot
from bot.domain.programme import Programme, Session
from bot.domain.server_settings import Withholding
from tests.fakediscord import FakeDiscord, Guild
from tests.harness import BotRunner, FakeClock, settings_for_tests

H = timedelta(hours=1)
LEEDS_TITLE = "Leeds only: housing"


def leeds_programme(start: datetime) -> Programme:
    return Programme(
        title="Leeds",
        timezone="Europe/London",
        sessions=(
            Session(
                week=1,
                title=LEEDS_TITLE,
                start=start,
                end=start + 2 * H,
                location="Zoom",
                description="",
                prompts=("Who owns the flats on your street?",),
            ),
        ),
    )


async def join_leeds(fake: FakeDiscord, bot: WorkshopBot) -> Guild:
    await bot.wait_until_ready()
    guild = fake.add_guild("Leeds group", owner="olga", channels=["general", "reminders"], members=["alice", "olga"])
    await fake.wait_for(lambda: bot.services.communities.serves(guild.id), what="the bot serving Leeds")
    return guild


async def leeds_reminder_due(bot: WorkshopBot, clock: FakeClock, guild: Guild) -> None:
    """Leeds gets a session starting in an hour and a half: its 1h reminder is due once the clock moves."""
    await bot.services.programme.import_programme(guild.id, leeds_programme(clock() + 1.5 * H))
    clock.advance(H)
    bot.services.reminders.request(guild.id)
    await bot.services.reminders.idle()


def leeds_text_in_workshop(fake: FakeDiscord) -> list[str]:
    return [m.content for m in fake.messages_in("reminders") if LEEDS_TITLE in m.content]


async def test_a_second_server_starts_without_the_development_server_s_channel_and_role(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    workshop_reminders = fake_discord.channel("reminders").id
    facilitators = fake_discord.world.role("Facilitator").id
    async with bot_runner.running(reminder_channel_id=workshop_reminders, ping_role_id=facilitators) as bot:
        leeds = await join_leeds(fake_discord, bot)
        home = await bot.services.settings.get(fake_discord.world.guild.id)
        assert (home.reminder_channel_id, home.ping_role_id) == (workshop_reminders, facilitators)
        settings = await bot.services.settings.get(leeds.id)
        assert settings.reminder_channel_id is None and settings.ping_role_id is None
        assert {w.variable for w in settings.withheld} == {"REMINDER_CHANNEL_ID", "PING_ROLE_ID"}
        await leeds_reminder_due(bot, clock, leeds)
        assert leeds_text_in_workshop(fake_discord) == []
        assert fake_discord.bot_messages_in(fake_discord.channel_in(leeds, "reminders")) == []


async def test_a_foreign_channel_or_role_in_a_server_s_stored_settings_is_never_used(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    workshop_reminders = fake_discord.channel("reminders").id
    facilitators = fake_discord.world.role("Facilitator").id
    async with bot_runner.running(guild_id=None) as bot:
        leeds = await join_leeds(fake_discord, bot)
        # Stored as if by a database copied from elsewhere, or a bug: Leeds names the workshop's channel and role.
        await bot.services.settings.update(leeds.id, reminder_channel_id=workshop_reminders, ping_role_id=facilitators)
        settings = await bot.services.settings.get(leeds.id)
        assert settings.reminder_channel_id is None and settings.ping_role_id is None
        assert {(w.setting, w.why) for w in settings.withheld} == {
            ("reminder_channel_id", Withholding.FOREIGN),
            ("ping_role_id", Withholding.FOREIGN),
        }
        await leeds_reminder_due(bot, clock, leeds)
        assert leeds_text_in_workshop(fake_discord) == []
        assert not [m for m in fake_discord.messages_in("reminders") if m.mention_role_ids]
        # /setup in Leeds shows it, with the fix.
        await fake_discord.wait_for_global_commands()
        general = fake_discord.channel_in(leeds, "general")
        reply = await (await fake_discord.slash("olga", "setup", in_channel=general)).final()
        settings_text, health = (str(embed) for embed in reply.embeds)
        assert "names a channel of another server" in settings_text and "/setup reminder_channel:" in settings_text
        assert "names a channel of another server" in health
        # Its own channel is used; a ping role the bot cannot find in Leeds (deleted, say) is left out when posting.
        leeds_reminders = fake_discord.channel_in(leeds, "reminders")
        gone_role = fake_discord.world.new_id()
        await bot.services.settings.update(leeds.id, reminder_channel_id=leeds_reminders.id, ping_role_id=gone_role)
        await leeds_reminder_due(bot, clock, leeds)
        [posted] = fake_discord.bot_messages_in(leeds_reminders)
        assert LEEDS_TITLE in posted.content and f"<@&{gone_role}>" not in posted.content
        assert not posted.mention_role_ids


async def test_without_guild_id_a_default_channel_belongs_to_the_server_that_holds_it(
    bot_runner: BotRunner, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    workshop = fake_discord.world.guild.id
    workshop_reminders = fake_discord.channel("reminders").id
    async with bot_runner.running(guild_id=None, reminder_channel_id=workshop_reminders) as bot:
        leeds = await join_leeds(fake_discord, bot)
        assert (await bot.services.settings.get(workshop)).reminder_channel_id == workshop_reminders
        assert (await bot.services.settings.get(leeds.id)).reminder_channel_id is None
        await leeds_reminder_due(bot, clock, leeds)
        assert leeds_text_in_workshop(fake_discord) == []
    # Found once, kept: after a restart the workshop has its default before the gateway says anything.
    async with bot_runner.running(guild_id=None, reminder_channel_id=workshop_reminders) as bot:
        assert bot.services.settings.unplaced_defaults() == {}


async def test_an_organiser_role_that_is_a_server_s_own_id_makes_no_one_an_organiser(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(guild_id=None) as bot:
        leeds = await join_leeds(fake_discord, bot)
        await fake_discord.wait_for_global_commands()
        general = fake_discord.channel_in(leeds, "general")
        alice_setup = await fake_discord.slash("alice", "setup", in_channel=general, check_permissions=False)
        assert "Only organisers" in (await alice_setup.final()).content
    # The same through .env, without GUILD_ID: ORGANISER_ROLE_ID and FACILITATOR_ROLE_ID name Leeds' @everyone.
    async with bot_runner.running(guild_id=None, organiser_role_id=leeds.id, facilitator_role_id=leeds.id) as bot:
        await fake_discord.wait_for(lambda: bot.services.communities.serves(leeds.id), what="Leeds served")
        settings = await bot.services.settings.get(leeds.id)
        assert settings.organiser_role_id is None and settings.facilitator_role_id is None
        assert {w.why for w in settings.withheld} == {Withholding.EVERYONE}
        alice_setup = await fake_discord.slash("alice", "setup", in_channel=general, check_permissions=False)
        assert "Only organisers" in (await alice_setup.final()).content
        alice_threads = await fake_discord.slash(
            "alice", "threads open", in_channel=general, check_permissions=False, week=1
        )
        assert "Only facilitators" in (await alice_threads.final()).content
        # Stored by /setup's predecessor or a copied database: still @everyone, still refused.
        await bot.services.settings.update(leeds.id, organiser_role_id=leeds.id)
        alice_setup = await fake_discord.slash("alice", "setup", in_channel=general, check_permissions=False)
        assert "Only organisers" in (await alice_setup.final()).content
        olga_setup = await fake_discord.slash("olga", "setup", in_channel=general)
        assert "@everyone" in str((await olga_setup.final()).embeds[0])


async def test_check_for_a_second_server_says_the_default_channel_is_not_its_own(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """``python -m bot check --guild LEEDS`` (in-process): the defaults are the development server's."""
    from bot.preflight.cli import run_check

    leeds = fake_discord.world.add_guild("Leeds group", channels=["general"], members=["alice"])
    settings = settings_for_tests(
        fake_discord, tmp_path / "bot.sqlite3", reminder_channel_id=fake_discord.channel("reminders").id
    )
    report = await run_check(
        settings, token="fake-bot-token", database_path=tmp_path / "bot.sqlite3", guild_id=leeds.id
    )
    [line] = [line for line in report.lines() if "another server" in line]
    assert line.startswith("! reminder channel: REMINDER_CHANNEL_ID") and "/setup reminder_channel:" in line
    assert any("reminder channel: none set" in line for line in report.lines())
