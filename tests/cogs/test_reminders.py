"""Reminders through the local Discord: /reminders, the posts and DMs, the scheduler, crashes and pacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.client import WorkshopBot
from bot.domain.clock import system_clock
from bot.domain.programme import Programme, Session
from bot.domain.reminders import parse_offsets
from bot.services.reminders import FIRST_RETRY, NONCE_WINDOW, WAKE_JOB_ID, OutgoingMessage
from bot.storage.database import Database
from bot.storage.reminders import DeliveryState
from cogs.reminders import describe_offsets
from tests.fakediscord import FakeDiscord, Message, Perm
from tests.fakediscord.ratelimits import TYPICAL_ROUTE_LIMITS
from tests.harness import FakeClock, settings_for_tests

H, M = timedelta(hours=1), timedelta(minutes=1)
WEEK8_START = datetime(2020, 10, 26, 19, tzinfo=UTC)  # the seed programme's next session after DEFAULT_NOW


@asynccontextmanager
async def running(
    fake: FakeDiscord,
    database_path: Path,
    clock: Callable[[], datetime],
    *,
    sweep: float = 30.0,
    **settings: Any,
) -> AsyncIterator[WorkshopBot]:
    """The bot over ``database_path`` (re-enter: a restart), with the reminder sweep interval chosen."""
    async with Database.open(database_path, exclusive=True) as db:
        bot = WorkshopBot(
            settings=settings_for_tests(fake, database_path, **settings),
            db=db,
            clock=clock,
            reminder_sweep_interval=sweep,
        )
        async with fake.run_bot(bot) as started:
            assert started is bot
            yield bot


def channel_id(fake: FakeDiscord, name: str = "reminders") -> int:
    return fake.channel(name).id


def reminders_in(fake: FakeDiscord) -> list[Message]:
    return [m for m in fake.bot_messages_in("reminders") if "**Reminder:" in m.content]


def message_posts(fake: FakeDiscord, channel: int) -> list[Any]:
    return [r for r in fake.requests_matching("POST", rf"^/channels/{channel}/messages$") if r.status == 200]


async def run_passes(bot: WorkshopBot) -> None:
    bot.services.reminders.request(bot.dev_guild_id)
    await bot.services.reminders.idle()


def near_future_programme(start: datetime) -> Programme:
    return Programme(
        title="Soon",
        timezone="Europe/London",
        sessions=(
            Session(
                week=1,
                title="Right now",
                start=start,
                end=start + 2 * H,
                location="Zoom",
                description="",
                prompts=("What now?",),
            ),
        ),
    )


# --- /reminders ---------------------------------------------------------------------------------------


async def test_members_turn_dm_reminders_on_and_off_privately(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    shown = await (await fake_discord.slash("alice", "reminders")).final()
    assert shown.ephemeral and shown.content.startswith("DM reminders are **off** for you.")

    on = await (await fake_discord.slash("alice", "reminders", setting="on")).final()
    assert on.ephemeral
    assert on.content.startswith(
        "DM reminders are now **on**. I'll send you a direct message 24 hours and 1 hour before each session."
    )
    again = await (await fake_discord.slash("alice", "reminders", setting="on")).final()
    assert again.content.startswith("DM reminders are **on** for you.")
    assert (await (await fake_discord.slash("alice", "reminders")).final()).content.startswith(
        "DM reminders are **on**"
    )
    assert await bot.services.reminders.repository.subscriber_count(bot.dev_guild_id) == 1

    off = await (await fake_discord.slash("alice", "reminders", setting="off")).final()
    assert off.ephemeral and off.content.startswith("DM reminders are now **off**.")
    assert await bot.services.reminders.repository.subscriber_count(bot.dev_guild_id) == 0
    command = fake_discord.command("reminders")
    (option,) = command["options"]
    assert [c["value"] for c in option["choices"]] == ["on", "off"] and not option.get("required")


def test_offsets_read_naturally() -> None:
    assert describe_offsets(parse_offsets("24h,1h")) == "24 hours and 1 hour"
    assert describe_offsets(parse_offsets("2d,90m,15m,1m")) == "2 days, 1 hour 30 minutes, 15 minutes and 1 minute"
    assert describe_offsets(parse_offsets("1d")) == "24 hours"


# --- what members see ---------------------------------------------------------------------------------


async def test_the_reminder_in_the_channel_and_by_dm(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    role = fake_discord.add_role("Workshop members")
    fake_discord.member("bob").accepts_dms = False
    reminders = channel_id(fake_discord)
    async with running(
        fake_discord, tmp_path / "bot.sqlite3", clock, reminder_channel_id=reminders, ping_role_id=role.id
    ) as bot:
        for member in ("alice", "bob"):
            await (await fake_discord.slash(member, "reminders", setting="on")).final()
        clock.now = WEEK8_START - 24 * H
        await run_passes(bot)

        (post,) = reminders_in(fake_discord)
        stamp = int(WEEK8_START.timestamp())
        assert post.content.startswith(f"<@&{role.id}>\n⏰ **Reminder: Week 8 · Supporting our campaigners")
        assert f"<t:{stamp}:F>" in post.content and f"<t:{stamp}:R>" in post.content
        assert "**Where:** Zoom" in post.content and "**1.** How might this audit work?" in post.content
        programme = await bot.services.programme.require(bot.dev_guild_id)
        week8 = programme.session_for_week(8)
        assert week8 is not None
        assert post.custom_ids == [f"answer:prompt:{p.id}" for p in week8.prompts]
        assert post.mention_role_ids == [role.id]
        (request,) = [r for r in message_posts(fake_discord, reminders) if r.json["content"] == post.content]
        assert request.json["allowed_mentions"] == {"parse": [], "roles": [role.id]}
        assert request.json["enforce_nonce"] is True and len(request.json["nonce"]) <= 25

        (dm,) = fake_discord.dms_to("alice")
        assert dm.content.startswith("⏰ **Reminder: Week 8") and "<@&" not in dm.content
        assert dm.custom_ids == post.custom_ids
        assert fake_discord.dms_to("bob") == []

        # Bob's DMs are closed: nothing public says so (it would show who asked for DMs); he is told privately,
        # once, the next time he uses the bot.
        assert not [m for m in fake_discord.bot_messages_in("reminders") if "DMs are closed" in m.content]
        used = await fake_discord.slash("bob", "next")
        await used.final()
        notice = await fake_discord.wait_for(
            lambda: next((m for m in used.followups if "DMs are closed" in m.content), None), what="the notice"
        )
        assert notice.ephemeral and "I won't mention this again" in notice.content
        status = await (await fake_discord.slash("bob", "reminders")).final()
        assert status.content.endswith(
            "\n⚠️ Your last reminder could not be delivered because your direct messages are closed to me: allow "
            "direct messages from members of this server in its Privacy Settings."
        )

        # The hour-before reminder: Bob is not told again; the Answer button in the DM opens the form.
        clock.now = WEEK8_START - H
        await run_passes(bot)
        assert len(reminders_in(fake_discord)) == 2 and len(fake_discord.dms_to("alice")) == 2
        again = await fake_discord.slash("bob", "next")
        await again.final()
        await asyncio.sleep(0.2)
        assert not [m for m in again.followups if "DMs are closed" in m.content]
        click = await fake_discord.click("alice", fake_discord.dms_to("alice")[-1], post.custom_ids[0])
        assert (await click.response()).type_name == "MODAL"


async def test_without_a_ping_role_nobody_is_pinged(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    reminders = channel_id(fake_discord)
    async with running(fake_discord, tmp_path / "bot.sqlite3", clock, reminder_channel_id=reminders) as bot:
        clock.now = WEEK8_START - H
        await run_passes(bot)
    (post,) = reminders_in(fake_discord)
    assert "<@" not in post.content and post.mention_role_ids == []
    (request,) = message_posts(fake_discord, reminders)
    assert request.json["allowed_mentions"] == {"parse": []}


async def test_the_channel_set_with_setup_replans_at_once(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    clock.now = WEEK8_START - H
    async with running(fake_discord, tmp_path / "bot.sqlite3", clock) as bot:
        await bot.services.reminders.idle()
        assert reminders_in(fake_discord) == []  # no channel yet
        await bot.services.settings.update(bot.dev_guild_id, reminder_channel_id=channel_id(fake_discord))
        await fake_discord.wait_for(lambda: reminders_in(fake_discord), what="the reminder after /setup")


# --- the scheduler, on the real clock ------------------------------------------------------------------


async def test_the_scheduler_posts_a_reminder_at_its_time(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    reminders = channel_id(fake_discord)
    async with running(
        fake_discord,
        tmp_path / "bot.sqlite3",
        system_clock,
        sweep=3600,  # no sweep: only the reminder's own job can send it
        reminder_channel_id=reminders,
        reminder_offsets=parse_offsets("1h"),
    ) as bot:
        due = datetime.now(UTC) + timedelta(seconds=1.5)
        await bot.services.programme.import_programme(bot.dev_guild_id, near_future_programme(due + H), force=True)
        await bot.services.reminders.idle()
        session = (await bot.services.programme.require(bot.dev_guild_id)).sessions[0]
        job = bot.scheduler.get_job(WAKE_JOB_ID)
        assert job is not None and abs(job.next_run_time - due) < timedelta(seconds=1)
        assert reminders_in(fake_discord) == []
        (post,) = [await fake_discord.wait_for_message("reminders", timeout=10)]
        assert "Week 1 · Right now" in post.content
        assert datetime.now(UTC) >= due
        await bot.services.reminders.idle()
        ledger = await bot.services.reminders.repository.deliveries(bot.dev_guild_id)
        assert [(d.target_kind, d.state) for d in ledger if d.due_at == session.start - H] == [("channel", "sent")]


async def test_a_loop_blocked_for_three_seconds_at_the_due_instant_still_sends(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    reminders = channel_id(fake_discord)
    async with running(
        fake_discord,
        tmp_path / "bot.sqlite3",
        system_clock,
        sweep=3600,
        reminder_channel_id=reminders,
        reminder_offsets=parse_offsets("1h"),
    ) as bot:
        due = datetime.now(UTC) + timedelta(seconds=1)
        await bot.services.programme.import_programme(bot.dev_guild_id, near_future_programme(due + H), force=True)
        await bot.services.reminders.idle()
        loop = asyncio.get_running_loop()
        blocked = loop.create_future()

        def block() -> None:
            time.sleep(3)  # the whole bot stalls: a slow disk, a CPU hog, a debugger
            blocked.set_result(None)

        loop.call_later((due - datetime.now(UTC)).total_seconds() - 0.05, block)
        await blocked
        post = await fake_discord.wait_for_message("reminders", timeout=10)
        assert "Week 1 · Right now" in post.content
        await asyncio.sleep(0.2)
        assert len(reminders_in(fake_discord)) == 1


async def test_the_sweep_sends_what_the_scheduler_dropped(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    reminders = channel_id(fake_discord)
    async with running(
        fake_discord,
        tmp_path / "bot.sqlite3",
        system_clock,
        sweep=0.3,
        reminder_channel_id=reminders,
        reminder_offsets=parse_offsets("1h"),
    ) as bot:
        due = datetime.now(UTC) + timedelta(seconds=0.5)
        await bot.services.programme.import_programme(bot.dev_guild_id, near_future_programme(due + H), force=True)
        await bot.services.reminders.idle()
        bot.scheduler.remove_job(WAKE_JOB_ID)  # as if APScheduler lost it
        # The sweep re-plans (re-arming the wake-up) and sends once due; either way it arrives, once.
        post = await fake_discord.wait_for_message("reminders", timeout=10)
        assert "Week 1 · Right now" in post.content
        await asyncio.sleep(0.7)
        assert len(reminders_in(fake_discord)) == 1


# --- crashes and restarts -----------------------------------------------------------------------------


def crash_after_dms(monkeypatch: pytest.MonkeyPatch, bot: WorkshopBot, dms: int) -> None:
    """From now on the bot's n-th DM reaches Discord, then the bot dies before the ledger knows."""
    sender = bot.discord_adapters.reminders
    real_send = sender.send_to_member
    remaining = [dms]

    async def send_then_crash(user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        message_id = await real_send(user_id, message, nonce=nonce)
        remaining[0] -= 1
        if remaining[0] == 0:
            raise asyncio.CancelledError
        return message_id

    monkeypatch.setattr(sender, "send_to_member", send_then_crash)


async def test_a_crash_mid_fan_out_then_a_restart_loses_nothing_and_doubles_nothing(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = [fake_discord.add_member(f"member{n}") for n in range(8)]
    reminders = channel_id(fake_discord)
    database = tmp_path / "bot.sqlite3"
    async with running(fake_discord, database, clock, reminder_channel_id=reminders, dm_rate_per_second=40) as bot:
        for member in members:
            await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, member.id, True)
        crash_after_dms(monkeypatch, bot, 3)
        clock.now = WEEK8_START - H
        await run_passes(bot)
        monkeypatch.undo()
        assert sum(len(fake_discord.dms_to(m)) for m in members) == 3
        states = [d.state for d in await bot.services.reminders.repository.deliveries(bot.dev_guild_id)]
        assert states.count(DeliveryState.CLAIMED) == 1

    async with running(fake_discord, database, clock, reminder_channel_id=reminders, dm_rate_per_second=40) as bot:
        await bot.services.reminders.idle()
        for member in members:
            assert len(fake_discord.dms_to(member)) == 1, member
        assert len(reminders_in(fake_discord)) == 1
        # The DM in flight at the crash was found in the member's DMs (the outbox check), not sent again.
        third = fake_discord.dm_channel(members[2])
        assert len(fake_discord.requests_matching("POST", rf"^/channels/{third.id}/messages$")) == 1
        ledger = await bot.services.reminders.repository.deliveries(bot.dev_guild_id)
        hour_before = [d for d in ledger if d.due_at == WEEK8_START - H]
        assert {d.state for d in hour_before} == {DeliveryState.SENT} and len(hour_before) == 1 + len(members)


async def test_a_restart_in_the_middle_of_a_fan_out_finishes_it(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    members = [fake_discord.add_member(f"member{n}") for n in range(12)]
    database = tmp_path / "bot.sqlite3"
    clock.now = WEEK8_START - 2 * H
    async with running(fake_discord, database, clock, dm_rate_per_second=10) as bot:
        for member in members:
            await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, member.id, True)
        clock.now = WEEK8_START - H
        bot.services.reminders.request(bot.dev_guild_id)
        await fake_discord.wait_for(lambda: sum(len(fake_discord.dms_to(m)) for m in members) >= 3, what="3 DMs")
    # Stopped mid-way (the shutdown waits for the DM in flight, then stops); the restart sends the rest.
    assert sum(len(fake_discord.dms_to(m)) for m in members) < len(members)
    async with running(fake_discord, database, clock, dm_rate_per_second=40) as bot:
        await bot.services.reminders.idle()
        assert [len(fake_discord.dms_to(m)) for m in members] == [1] * len(members)


# --- pacing against the real clock ---------------------------------------------------------------------


async def test_dms_keep_to_the_rate_and_rate_limits_are_retried_with_the_same_nonce(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    rate = 10.0
    members = [fake_discord.add_member(f"member{n}", accepts_dms=n % 10 != 0) for n in range(20)]
    reminders = channel_id(fake_discord)
    # One member's DMs answer 429 five times in a row (discord.py gives up: retried later by the bot);
    # another's once (discord.py waits and retries by itself).
    stubborn, brief = fake_discord.dm_channel(members[3]), fake_discord.dm_channel(members[5])
    fake_discord.fail_next("POST", rf"^/channels/{stubborn.id}/messages$", 429, count=5, retry_after=0.02)
    fake_discord.fail_next("POST", rf"^/channels/{brief.id}/messages$", 429, count=1, retry_after=0.02)
    async with running(
        fake_discord, tmp_path / "bot.sqlite3", clock, reminder_channel_id=reminders, dm_rate_per_second=rate
    ) as bot:
        for member in members:
            await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, member.id, True)
        clock.now = WEEK8_START - H
        await run_passes(bot)
        assert fake_discord.dms_to(members[3]) == []
        clock.advance(timedelta(seconds=31))
        await run_passes(bot)

        for n, member in enumerate(members):
            assert len(fake_discord.dms_to(member)) == (0 if n % 10 == 0 else 1), member
        attempts = [r for r in fake_discord.requests_matching("POST", rf"^/channels/{stubborn.id}/messages$")]
        assert len(attempts) == 6 and len({r.json["nonce"] for r in attempts}) == 1
        # The rate held: no second saw more messages than the rate allows (sends are spaced start to start,
        # so one that is slow to open its DM channel can land a little closer to the next).
        accepted = sorted(
            r.monotonic for r in fake_discord.requests_matching("POST", r"^/channels/\d+/messages$") if r.status == 200
        )
        assert len(accepted) >= 19
        busiest = max(sum(1 for t in accepted if start <= t < start + 1) for start in accepted)
        assert busiest <= rate + 1, busiest
        assert (accepted[-1] - accepted[0]) >= (len(accepted) - 1) / rate * 0.9
        assert not [m for m in fake_discord.bot_messages_in("reminders") if "DMs are closed" in m.content]
        closed = [m for n, m in enumerate(members) if n % 10 == 0]
        for member in closed:  # each is owed a private notice, and nobody else is
            assert await bot.services.reminders.take_dms_closed_notice(bot.dev_guild_id, member.id)
        assert not await bot.services.reminders.take_dms_closed_notice(bot.dev_guild_id, members[1].id)


# --- a reminder channel the bot may not post in -------------------------------------------------------------


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for the bot to have handled a gateway event (its cache changes in its own time)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the bot never handled the event")
        await asyncio.sleep(0.01)


async def test_a_reminder_channel_whose_overwrite_denies_send_messages_is_named_to_organisers(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    alice = fake_discord.add_member("dm-alice")
    reminders = channel_id(fake_discord)
    bot_role = fake_discord.world.bot_user.username
    database = tmp_path / "bot.sqlite3"
    async with running(fake_discord, database, clock, reminder_channel_id=reminders) as bot:
        await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, alice.id, True)
        fake_discord.set_overwrite("reminders", bot_role, deny=Perm.SEND_MESSAGES)
        await until(lambda: bool(getattr(bot.get_channel(reminders), "overwrites", None)))
        clock.now = WEEK8_START - H
        await run_passes(bot)
        # Not even tried (the bot knew from the overwrite), and the DMs still went.
        assert not fake_discord.requests_matching("POST", rf"^/channels/{reminders}/messages$")
        assert len(fake_discord.dms_to(alice)) == 1
        [problem] = bot.services.problems.current(bot.dev_guild_id)
        assert problem.text == f"The bot cannot post reminders in <#{reminders}>: it lacks Send Messages there."
        assert problem.fix.startswith(f"Give the bot Send Messages in <#{reminders}> (Edit Channel > Permissions)")

        # An organiser lifts the overwrite; the retry posts the reminder, once, and the problem goes.
        fake_discord.remove_overwrite("reminders", bot_role)
        await until(lambda: not getattr(bot.get_channel(reminders), "overwrites", True))
        clock.advance(FIRST_RETRY)
        await run_passes(bot)
        assert len(reminders_in(fake_discord)) == 1
        assert bot.services.problems.current(bot.dev_guild_id) == []


# --- the outbox check on restart ------------------------------------------------------------------------------


def crash_after_channel_post(monkeypatch: pytest.MonkeyPatch, bot: WorkshopBot) -> None:
    """The reminder channel post reaches Discord, then the bot dies before the ledger knows."""
    sender = bot.discord_adapters.reminders
    real_send = sender.send_to_channel

    async def send_then_crash(channel: int, message: OutgoingMessage, *, nonce: str) -> int:
        await real_send(channel, message, nonce=nonce)
        raise asyncio.CancelledError

    monkeypatch.setattr(sender, "send_to_channel", send_then_crash)


@pytest.mark.parametrize("can_read_history", [True, False])
async def test_a_post_of_unknown_outcome_is_not_repeated_after_discords_nonce_window(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, can_read_history: bool
) -> None:
    reminders = channel_id(fake_discord)
    database = tmp_path / "bot.sqlite3"
    async with running(fake_discord, database, clock, reminder_channel_id=reminders) as bot:
        crash_after_channel_post(monkeypatch, bot)
        clock.now = WEEK8_START - H
        await run_passes(bot)
        monkeypatch.undo()
        assert len(reminders_in(fake_discord)) == 1
        [claimed] = [
            d for d in await bot.services.reminders.repository.deliveries(bot.dev_guild_id) if d.state == "claimed"
        ]

    # The bot stays down longer than Discord remembers nonces: a resend would now be a second message.
    fake_discord.core.nonces.clear()
    clock.advance(NONCE_WINDOW * 3)
    if not can_read_history:
        fake_discord.set_overwrite("reminders", fake_discord.world.bot_user.username, deny=Perm.READ_MESSAGE_HISTORY)
    async with running(fake_discord, database, clock, reminder_channel_id=reminders) as bot:
        await bot.services.reminders.idle()
        assert len(reminders_in(fake_discord)) == 1  # never twice
        assert len(message_posts(fake_discord, reminders)) == 1
        row = await bot.services.reminders.repository.get(claimed.id)
        assert row is not None
        if can_read_history:
            assert (row.state, row.message_id) == (DeliveryState.SENT, reminders_in(fake_discord)[0].id)
            assert bot.services.problems.current(bot.dev_guild_id) == []
        else:
            assert row.state is DeliveryState.UNDELIVERABLE
            [problem] = bot.services.problems.current(bot.dev_guild_id)
            assert f"<#{reminders}>" in problem.text and "lacks Read Message History" in problem.text


# --- a fan-out stays inside Discord's per-route limits (developers/topics/rate-limits.mdx) -----------------------


async def test_a_reminder_fan_out_meets_no_429_and_survives_opening_dms_too_fast(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    members = [fake_discord.add_member(f"fan{n}") for n in range(7)]
    reminders = channel_id(fake_discord)
    async with running(
        fake_discord, tmp_path / "bot.sqlite3", clock, reminder_channel_id=reminders, dm_rate_per_second=40
    ) as bot:
        for member in members:
            await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, member.id, True)
        fake_discord.set_route_limits(TYPICAL_ROUTE_LIMITS)  # DM opens share one bucket: 5 per 5 s
        clock.now = WEEK8_START - H
        await run_passes(bot)
        assert len(reminders_in(fake_discord)) == 1
        assert all(len(fake_discord.dms_to(m)) == 1 for m in members)
        assert [r for r in fake_discord.requests if r.status == 429] == []

        # Discord also limits how fast DMs are opened, without headers to see it coming (40003): the reminder
        # still reaches everyone, once.
        fake_discord.set_route_limits()
        fake_discord.set_dm_open_limit(3, per=1.0)
        more = [fake_discord.add_member(f"late{n}") for n in range(5)]
        for member in more:
            await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, member.id, True)
        clock.now = WEEK8_START - 15 * M  # a later reminder of the same session
        await bot.services.settings.update(bot.dev_guild_id, reminder_offsets=parse_offsets("1h,15m"))
        await run_passes(bot)
        assert all(len(fake_discord.dms_to(m)) == 1 for m in more)
        assert all(len(fake_discord.dms_to(m)) == 2 for m in members)
        assert [r for r in fake_discord.requests_matching("POST", "^/users/@me/channels$") if r.status == 429]
