"""A server's reminders go to its own channels only, whatever its stored settings say, driven through the local
Discord: the reminder is routed by the server it is for, never by its channel's id, and Discord's sender refuses a
channel that is not the server's own (another platform's id, which a copied database can hold, or another
server's). Nothing is posted there, organisers see it in /setup's health section, and the reminder is not sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core._routing import ReminderRouter
from bot.domain.platform_ids import DISCORD, SLACK, slack_id_to_int
from bot.domain.programme import Programme, Session
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.programme import ProgrammeService
from bot.services.reminders import ChannelRefused, OutgoingMessage, ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database, SqliteDatabase
from bot.storage.reminders import DeliveryState, TargetKind
from slack_app._adapters import SlackReminderSender, SlackWeb
from tests.conftest import GUILD_ID
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.slack.delivery_fakes import FakeWebClient
from tests.slack.harness import FAST

H = timedelta(hours=1)
SLACK_CHANNEL = "C0THEIRS"  # a Slack workspace's reminder channel, served by the same process
TITLE = "Campaigning"


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Database]:
    """The reminder service's own database, beside the running bot's (whose core has no Slack attached)."""
    async with SqliteDatabase.open(tmp_path / "wall.sqlite3") as db:
        yield db


def programme(start_in: timedelta, clock: FakeClock) -> Programme:
    start = clock() + start_in
    session = Session(
        week=1,
        title=TITLE,
        start=start,
        end=start + 2 * H,
        location="Zoom",
        description="",
        prompts=("What now?",),
    )
    return Programme(title="Test", timezone="Europe/London", sessions=(session,))


async def test_a_server_whose_stored_channel_is_a_slack_channel_posts_nothing_on_either_platform(
    bot_runner: BotRunner, fake_discord: FakeDiscord, ledger: Database
) -> None:
    """One process serving both platforms: the server's reminder goes to Discord's sender (its community's),
    which refuses the Slack id; Slack is never asked, though its sender would have posted it."""
    slack = FakeWebClient()
    slack.add_channel(SLACK_CHANNEL, name="reminders")
    clock = FakeClock()
    async with bot_runner.running() as bot:
        await bot.wait_until_ready()
        router = ReminderRouter(
            {DISCORD: bot.discord_adapters.reminders, SLACK: SlackReminderSender(SlackWeb(slack, limits=FAST))}  # type: ignore[arg-type]
        )
        settings = ServerSettingsService(ledger, ServerDefaults(reminder_offsets=parse_offsets("1h")), clock=clock)
        service = ReminderService(
            ledger,
            ProgrammeService(ledger, clock=clock),
            settings,
            community_ids=(GUILD_ID,),
            sender=router,
            problems=bot.services.problems,  # what /setup's health section shows
            clock=clock,
        )
        await ProgrammeService(ledger, clock=clock).import_programme(GUILD_ID, programme(1.5 * H, clock))
        # Stored as if by a database copied from elsewhere, or a bug: /setup offers the server's channels only.
        await settings.update(GUILD_ID, reminder_channel_id=slack_id_to_int(SLACK_CHANNEL))
        clock.advance(H)

        await service.run_pass(GUILD_ID)

        assert slack.calls == []
        assert not [m for c in fake_discord.world.channels.values() for m in fake_discord.bot_messages_in(c)]
        [delivery] = [d for d in await service.repository.deliveries(GUILD_ID) if d.target_kind is TargetKind.CHANNEL]
        assert delivery.state is DeliveryState.PENDING and delivery.message_id is None
        assert delivery.last_error == "it is not one of this server's channels"
        [problem] = bot.services.problems.current(GUILD_ID)
        assert problem.text == (
            "The bot cannot post reminders in the reminder channel: it is not one of this server's channels "
            "(deleted, or another server's)."
        )
        assert problem.fix == (
            "Choose one of this server's channels as the reminder channel (/setup reminder_channel:). "
            "The bot retries the reminder a few times."
        )
        health = str((await (await fake_discord.slash("olga", "setup")).final()).embeds)
        assert "not one of this server's channels" in health and str(slack_id_to_int(SLACK_CHANNEL)) not in health

        # The retries are refused the same way, and the reminder is given up unsent once its session started.
        for _ in range(3):
            clock.advance(H / 4)
            await service.run_pass(GUILD_ID)
        assert slack.calls == []
        assert {d.state for d in await service.repository.deliveries(GUILD_ID)} <= {
            DeliveryState.PENDING,
            DeliveryState.SKIPPED,
            DeliveryState.UNDELIVERABLE,
        }
        await service.close()


async def test_another_server_s_channel_is_refused_as_not_the_server_s_own(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    """Asked directly (the settings leave out a channel the cache knows as another server's): refused for organisers
    to fix, not given up unseen, and nothing is posted there."""
    leeds = fake_discord.world.add_guild("Leeds group", channels=["general", "reminders"], members=["alice"])
    leeds_reminders = fake_discord.channel_in(leeds, "reminders")
    async with bot_runner.running() as bot:
        await bot.wait_until_ready()
        sender = bot.discord_adapters.reminders
        message = OutgoingMessage(content="Reminder", community_id=GUILD_ID)
        with pytest.raises(ChannelRefused) as refused:
            await sender.send_to_channel(leeds_reminders.id, message, nonce="n")
        assert refused.value.foreign and refused.value.where == "the reminder channel"
        assert f"<#{leeds_reminders.id}>" not in refused.value.problem + refused.value.fix
        assert fake_discord.bot_messages_in(leeds_reminders) == []
        with pytest.raises(ChannelRefused, match="not one of this server's channels"):  # a channel deleted since
            await sender.send_to_channel(fake_discord.world.new_id(), message, nonce="n")
        # A look there after a crash finds nothing without reading it: the bot never posts there.
        found = await sender.find_in_channel(
            leeds_reminders.id, community_id=GUILD_ID, nonce="n", digest="-", after=None
        )
        assert found is None
        assert fake_discord.requests_matching("GET", rf"/channels/{leeds_reminders.id}/messages") == []
