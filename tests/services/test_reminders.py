"""The reminder service against a real database and a fake sender that behaves like Discord.

The sender dedupes by nonce like Discord, refuses DMs to members whose DMs are closed (50007) and can
fail on demand (429/5xx). Time is virtual where it matters: the throttle's sleep advances the clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.permissions import Permission
from bot.domain.programme import Programme, Session, SessionRecord
from bot.domain.reminder_text import status_text
from bot.domain.reminders import DMS_CLOSED, parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders import (
    CHANNEL_POST_COST,
    FIRST_RETRY,
    MAX_ATTEMPTS,
    NONCE_WINDOW,
    SWEEP_JOB_ID,
    WAKE_JOB_ID,
    ChannelRefused,
    DeliveryFailed,
    DeliveryRefused,
    OutboxUnreadable,
    OutgoingMessage,
    ReminderService,
    Throttle,
    content_digest,
)
from bot.services.reminders._wakeups import WakeUps
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database, SqliteDatabase
from bot.storage.reminders import CommunityPlan, Delivery, DeliveryState, ManyReplanned, TargetKind
from tests.conftest import GUILD_ID
from tests.harness import FakeClock

H, M, S = timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)
CHANNEL, ROLE = 700000000000000001, 800000000000000001
ALICE, BOB, CAROL = 501, 502, 503
IMPORTED = datetime(2020, 7, 1, tzinfo=UTC)


class VirtualTime:
    """Monotonic seconds and the service's clock, moved together by ``sleep`` (no real waiting)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds

    async def sleep(self, delay: float) -> None:
        self.seconds += delay
        self.clock.advance(timedelta(seconds=delay))
        await asyncio.sleep(0)


@dataclasses.dataclass
class Sent:
    kind: TargetKind
    target: int
    message: OutgoingMessage
    nonce: str
    at: float  # monotonic seconds


class FakeSender:
    """Like Discord: one message per (target, nonce); 50007 for closed DMs; failures on demand."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self.monotonic = monotonic
        self.messages: list[Sent] = []
        self.attempts: list[Sent] = []
        self.closed_dms: set[int] = set()
        self.failures: dict[tuple[TargetKind, int], list[Exception]] = {}
        self.after_send: Callable[[Sent], None] | None = None
        self._by_nonce: dict[tuple[int, str], int] = {}
        self._ids = itertools.count(1)
        self.sent_ids: dict[int, Sent] = {}
        self.unreadable: set[int] = set()  # targets whose messages the bot may not read
        self.unavailable: set[int] = set()  # targets whose messages cannot be read for now (5xx)
        self.looks: list[int] = []
        self.deduplicates = True  # Discord drops a resend with the same nonce; False: like Slack, it posts it again

    def drops_resends(self, target_id: int) -> bool:
        return self.deduplicates

    def nonce_window_passes(self) -> None:
        """Discord forgets nonces after a few minutes: a resend is then a second message."""
        self._by_nonce.clear()

    async def find_in_channel(
        self, channel_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        return self._find(TargetKind.CHANNEL, channel_id, digest, after)

    async def find_in_dms(
        self, user_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        return self._find(TargetKind.DM, user_id, digest, after)

    def _find(self, kind: TargetKind, target_id: int, digest: str, after: int | None) -> int | None:
        self.looks.append(target_id)
        if target_id in self.unavailable:
            raise DeliveryFailed("unavailable (503)")
        if target_id in self.unreadable:
            raise OutboxUnreadable(  # worded as the platform's adapter words it
                "missing Read Message History",
                missing=Permission.READ_MESSAGE_HISTORY,
                where=f"<#{target_id}>",
                lacks="it lacks Read Message History there",
                fix=f"Give the bot Read Message History in <#{target_id}> so that it can check by itself next time.",
            )
        for message_id, sent in self.sent_ids.items():
            mine = (sent.kind, sent.target) == (kind, target_id) and message_id > (after or 0)
            if mine and content_digest(sent.message.content) == digest:
                return message_id
        return None

    def fail(self, kind: TargetKind, target: int, *errors: Exception) -> None:
        self.failures.setdefault((kind, target), []).extend(errors)

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        return self._send(Sent(TargetKind.CHANNEL, channel_id, message, nonce, self.monotonic()))

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        return self._send(Sent(TargetKind.DM, user_id, message, nonce, self.monotonic()))

    def _send(self, sent: Sent) -> int:
        self.attempts.append(sent)
        queued = self.failures.get((sent.kind, sent.target))
        if queued:
            raise queued.pop(0)
        if sent.kind is TargetKind.DM and sent.target in self.closed_dms:
            raise DeliveryRefused(DMS_CLOSED)
        known = self._by_nonce.get((sent.target, sent.nonce)) if self.deduplicates else None
        if known is not None:
            return known  # Discord with enforce_nonce: the same message again
        message_id = next(self._ids)
        self._by_nonce[(sent.target, sent.nonce)] = message_id
        self.messages.append(sent)
        self.sent_ids[message_id] = sent
        if self.after_send is not None:
            self.after_send(sent)
        return message_id

    def to(self, kind: TargetKind, target: int) -> list[Sent]:
        return [m for m in self.messages if m.kind is kind and m.target == target]


def one_session_programme(start: datetime, *, prompts: tuple[str, ...] = ("What now?", "Who else?")) -> Programme:
    return Programme(
        title="Test programme",
        timezone="Europe/London",
        sessions=(
            Session(
                week=1,
                title="Campaigning",
                start=start,
                end=start + 2 * H,
                location="Zoom",
                description="A session.",
                prompts=prompts,
                meeting_link="https://example.org/meet",
            ),
        ),
    )


START = datetime(2020, 8, 3, 18, tzinfo=UTC)  # Monday 19:00 BST


@dataclasses.dataclass
class World:
    db: Database
    clock: FakeClock
    time: VirtualTime
    sender: FakeSender
    programme: ProgrammeService
    settings: ServerSettingsService
    defaults: ServerDefaults
    problems: RuntimeProblems = dataclasses.field(default_factory=RuntimeProblems)
    reopened: list[SqliteDatabase] = dataclasses.field(default_factory=list)

    async def restart_process(self) -> None:
        """The process died: the next one opens the same database again, and so is another owner of claims."""
        assert isinstance(self.db, SqliteDatabase)
        self.db = await SqliteDatabase.connect(self.db.path)
        self.reopened.append(self.db)
        self.programme = ProgrammeService(self.db, clock=self.clock)
        self.settings = ServerSettingsService(self.db, self.defaults, clock=self.clock)

    def service(self, *, rate: float = 5.0, scheduler: AsyncIOScheduler | None = None) -> ReminderService:
        service = ReminderService(
            self.db,
            self.programme,
            self.settings,
            community_ids=(GUILD_ID,),
            sender=self.sender,
            problems=self.problems,
            clock=self.clock,
            dm_rate_per_second=rate,
            scheduler=scheduler,
            monotonic=self.time.monotonic,
            sleep=self.time.sleep,
        )
        return service

    async def session(self) -> SessionRecord:
        programme = await self.programme.require(GUILD_ID)
        return programme.sessions[0]

    async def ledger(self) -> list[Delivery]:
        return await ReminderService(
            self.db, self.programme, self.settings, community_ids=(GUILD_ID,)
        ).repository.deliveries(GUILD_ID)


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    clock = FakeClock(START - 2 * 24 * H)
    time = VirtualTime(clock)
    defaults = ServerDefaults(
        reminder_offsets=parse_offsets("24h,1h"), reminder_channel_id=CHANNEL, home_community_id=GUILD_ID
    )
    programme = ProgrammeService(db, clock=clock)
    await programme.import_programme(GUILD_ID, one_session_programme(START))
    made = World(
        db=db,
        clock=clock,
        time=time,
        sender=FakeSender(time.monotonic),
        programme=programme,
        settings=ServerSettingsService(db, defaults, clock=clock),
        defaults=defaults,
    )
    yield made
    for reopened in made.reopened:
        await reopened.close()


async def subscribe(service: ReminderService, *users: int, at: datetime) -> None:
    for user in users:
        await service.repository.subscribe(GUILD_ID, user, at)


# --- pacing -----------------------------------------------------------------------------------------


async def test_the_throttle_spaces_sends_from_start_to_start() -> None:
    time = VirtualTime(FakeClock())
    throttle = Throttle(4, monotonic=time.monotonic, sleep=time.sleep)
    starts = []
    for pause in (None, None, 2.0, None):
        await throttle.wait()
        starts.append(time.seconds)
        time.seconds += 0.1  # the send itself takes a while
        throttle.sent(pause=pause)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
    assert gaps == [0.25, 0.25, 2.1]  # the 0.1 s each send takes is inside the spacing; a 429 asked for 2 s


async def test_a_channel_post_takes_half_a_dms_slot_one_request_against_two() -> None:
    time = VirtualTime(FakeClock())
    throttle = Throttle(4, monotonic=time.monotonic, sleep=time.sleep)
    starts = []
    for cost in (CHANNEL_POST_COST, 1.0, 1.0, CHANNEL_POST_COST):
        await throttle.wait(cost)
        starts.append(time.seconds)
        throttle.sent()
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [0.125, 0.25, 0.25]


# --- on time, once ----------------------------------------------------------------------------------


async def test_a_due_reminder_goes_to_the_channel_and_to_subscribers_once(world: World) -> None:
    service = world.service()
    await subscribe(service, ALICE, BOB, at=IMPORTED)
    await world.settings.update(GUILD_ID, ping_role_id=ROLE)
    await service.run_pass(GUILD_ID)
    assert world.sender.messages == []  # 48 hours before: nothing due
    assert [(d.target_kind, d.state) for d in await world.ledger()] == [("channel", "pending")] * 2

    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    await service.run_pass(GUILD_ID)  # a second wake-up for the same instant sends nothing more
    (post,) = world.sender.to(TargetKind.CHANNEL, CHANNEL)
    assert post.message.ping_role_id == ROLE and post.message.content.startswith(f"<@&{ROLE}>")
    for user in (ALICE, BOB):
        (dm,) = world.sender.to(TargetKind.DM, user)
        assert dm.message.ping_role_id is None and "<@&" not in dm.message.content
    assert world.sender.messages[0].kind is TargetKind.CHANNEL  # the channel first, then the DMs
    ledger = await world.ledger()
    day_before = [d for d in ledger if d.offset_minutes == 24 * 60]
    assert {d.state for d in day_before} == {DeliveryState.SENT} and len(day_before) == 3
    assert all(d.message_id is not None and d.attempts == 1 for d in day_before)
    assert [d.state for d in ledger if d.offset_minutes == 60] == [DeliveryState.PENDING]  # DMs come when due


@pytest.mark.parametrize(
    ("back_at", "sent_offsets", "states"),
    [
        pytest.param(START - 24 * H + 5 * H, ["24h"], {"24h": "sent", "1h": "pending"}, id="24h-late-still-latest"),
        pytest.param(START - 30 * M, ["1h"], {"24h": "skipped", "1h": "sent"}, id="24h-superseded-by-1h"),
        pytest.param(START - M, ["1h"], {"24h": "skipped", "1h": "sent"}, id="1h-late-session-not-started"),
        pytest.param(START, [], {"24h": "skipped", "1h": "skipped"}, id="session-started"),
        pytest.param(START + 3 * H, [], {"24h": "skipped", "1h": "skipped"}, id="session-over"),
    ],
)
async def test_catch_up_after_the_bot_was_down(
    world: World, back_at: datetime, sent_offsets: list[str], states: dict[str, str]
) -> None:
    before = world.service()
    await subscribe(before, ALICE, at=IMPORTED)
    await before.run_pass(GUILD_ID)  # planned while running, then down until back_at
    world.clock.now = back_at
    after = world.service()
    await after.start()
    await after.idle()
    labels = {24 * 60: "24h", 60: "1h"}
    sent = sorted({labels[r.offset_minutes] for r in await world.ledger() if r.state is DeliveryState.SENT})
    assert sent == sorted(sent_offsets)
    assert len(world.sender.messages) == (2 if sent_offsets else 0)  # the channel and Alice, once
    channel_states = {
        labels[r.offset_minutes]: r.state.value for r in await world.ledger() if r.target_kind == "channel"
    }
    assert channel_states == states


async def test_a_crash_in_the_middle_of_a_fan_out_loses_nothing_and_doubles_nothing(world: World) -> None:
    members = list(range(1001, 1011))
    first = world.service()
    await subscribe(first, *members, at=IMPORTED)
    world.clock.now = START - H

    def crash_after_third_dm(sent: Sent) -> None:
        if sent.kind is TargetKind.DM and len(world.sender.messages) == 4:  # the channel post and three DMs
            raise asyncio.CancelledError  # killed after Discord took the message, before the ledger knew

    world.sender.after_send = crash_after_third_dm
    await first.start()
    await first.idle()
    assert len(world.sender.messages) == 4
    ledger = await world.ledger()
    assert Counter(d.state for d in ledger if d.offset_minutes == 60) == {"sent": 3, "claimed": 1, "pending": 7}

    world.sender.after_send = None
    await world.restart_process()
    restarted = world.service()
    await restarted.start()  # the outbox check settles the claimed DM, then the catch-up pass
    await restarted.idle()
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    for member in members:
        assert len(world.sender.to(TargetKind.DM, member)) == 1, member
    # The DM in flight was found in the member's DMs: recorded as sent, not sent again.
    assert world.sender.looks == [1003]
    assert len([a for a in world.sender.attempts if a.target == 1003]) == 1
    ledger = await world.ledger()
    assert {d.state for d in ledger if d.offset_minutes == 60} == {DeliveryState.SENT}


async def test_two_thousand_subscribers_closed_dms_and_rate_limits(world: World) -> None:
    """2,000 subscribers, 10% with closed DMs, 5% rate-limited once: each open DM arrives once, on pace."""
    rate = 5.0
    service = world.service(rate=rate)
    members = list(range(10_000, 12_000))
    await subscribe(service, *members, at=IMPORTED)
    closed = set(members[::10])
    limited = members[3::20]
    world.sender.closed_dms = closed
    for member in limited:
        world.sender.fail(TargetKind.DM, member, DeliveryFailed("rate limited", retry_after=2.0))
    world.clock.now = START - H

    await service.run_pass(GUILD_ID)
    assert world.time.seconds - 1000 >= (len(members) - 1) / rate  # 2,000 DMs take 400 s at 5 a second
    world.clock.advance(FIRST_RETRY)
    await service.run_pass(GUILD_ID)  # the rate-limited ones, later, with the same nonce

    delivered = Counter(m.target for m in world.sender.messages if m.kind is TargetKind.DM)
    assert delivered == {member: 1 for member in members if member not in closed}
    dm_attempts = [a for a in world.sender.attempts if a.kind is TargetKind.DM]
    assert len(dm_attempts) == len(members) + len(limited)
    nonces: dict[int, set[str]] = {}
    for attempt in dm_attempts:
        nonces.setdefault(attempt.target, set()).add(attempt.nonce)
    assert all(len(used) == 1 for used in nonces.values())  # a retry carries the same nonce

    # The pace: every DM starts at least 1/rate after the previous send, a channel post (one request, not
    # two) half that (virtual time is exact).
    def slot(kind: TargetKind) -> float:
        return (CHANNEL_POST_COST if kind is TargetKind.CHANNEL else 1.0) / rate

    attempts = world.sender.attempts
    assert all(b.at - a.at >= slot(a.kind) - 1e-9 for a, b in itertools.pairwise(attempts))
    # A 429 asked for 2 s: the next request waited that long.
    seen: set[int] = set()
    for previous, following in itertools.pairwise(world.sender.attempts):
        if previous.kind is TargetKind.DM and previous.target in limited and previous.target not in seen:
            seen.add(previous.target)
            assert following.at - previous.at >= 2.0
    assert seen == set(limited)

    ledger = await world.ledger()
    dms = [d for d in ledger if d.target_kind is TargetKind.DM and d.offset_minutes == 60]
    assert Counter(d.state for d in dms) == {"sent": 1800, "undeliverable": 200}
    assert all(d.last_error == DMS_CLOSED for d in dms if d.state is DeliveryState.UNDELIVERABLE)

    # Nobody is named in a channel (that would show who asked for DMs): each member with closed DMs is owed
    # one private notice, given the next time they use the bot.
    assert not [m for m in world.sender.to(TargetKind.CHANNEL, CHANNEL) if m.message.ping_user_ids]
    owed = {member for member in members if await service.take_dms_closed_notice(GUILD_ID, member)}
    assert owed == closed
    assert not [member for member in closed if await service.take_dms_closed_notice(GUILD_ID, member)]


async def test_rate_limited_dms_pause_the_fan_out_for_retry_after(world: World) -> None:
    service = world.service(rate=5)
    await subscribe(service, ALICE, BOB, at=IMPORTED)
    world.sender.fail(TargetKind.DM, ALICE, DeliveryFailed("rate limited", retry_after=3.0))
    world.clock.now = START - H
    await service.run_pass(GUILD_ID)
    alice, bob = (a for a in world.sender.attempts if a.kind is TargetKind.DM)
    assert bob.at - alice.at >= 3.0
    (row,) = [d for d in await world.ledger() if d.target_id == ALICE]
    assert row.state is DeliveryState.PENDING and row.last_error == "rate limited"
    assert row.next_attempt_at is not None and row.next_attempt_at - world.clock.now >= FIRST_RETRY - 5 * S


async def test_transient_failures_are_retried_with_the_same_nonce_then_given_up(world: World) -> None:
    service = world.service()
    world.sender.fail(
        TargetKind.CHANNEL, CHANNEL, *[DeliveryFailed(f"Discord unavailable ({n})") for n in range(MAX_ATTEMPTS)]
    )
    world.clock.now = START - 24 * H
    for _ in range(MAX_ATTEMPTS + 2):
        await service.run_pass(GUILD_ID)
        world.clock.advance(20 * M)  # past the longest backoff
    attempts = [a for a in world.sender.attempts if a.kind is TargetKind.CHANNEL and a.target == CHANNEL]
    assert len(attempts) == MAX_ATTEMPTS and len({a.nonce for a in attempts[:MAX_ATTEMPTS]}) == 1
    day_before = next(d for d in await world.ledger() if d.offset_minutes == 24 * 60)
    assert day_before.state is DeliveryState.UNDELIVERABLE
    assert day_before.last_error == f"gave up after {MAX_ATTEMPTS} attempts: Discord unavailable ({MAX_ATTEMPTS - 1})"


async def test_a_failure_is_retried_at_the_next_pass_after_the_backoff(world: World) -> None:
    service = world.service()
    world.sender.fail(TargetKind.CHANNEL, CHANNEL, DeliveryFailed("Discord unavailable (503)"))
    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    world.clock.advance(FIRST_RETRY - S)
    await service.run_pass(GUILD_ID)
    assert world.sender.messages == []
    world.clock.advance(S)
    await service.run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1


async def test_a_refused_channel_post_is_not_retried_and_dms_still_go(world: World) -> None:
    service = world.service()
    await subscribe(service, ALICE, at=IMPORTED)
    world.sender.fail(TargetKind.CHANNEL, CHANNEL, DeliveryRefused("forbidden (code 50013)"))
    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    await service.run_pass(GUILD_ID)
    assert [(a.kind, a.target) for a in world.sender.attempts] == [
        (TargetKind.CHANNEL, CHANNEL),
        (TargetKind.DM, ALICE),
    ]
    channel_row = next(d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL)
    assert (channel_row.state, channel_row.last_error) == ("undeliverable", "forbidden (code 50013)")


async def test_a_channel_the_bot_may_not_post_in_is_shown_to_organisers_and_retried(world: World) -> None:
    service = world.service()
    refusal = ChannelRefused(  # worded as the platform's adapter words it
        CHANNEL,
        Permission.SEND_MESSAGES,
        "missing Send Messages",
        where=f"<#{CHANNEL}>",
        problem=f"The bot cannot post reminders in <#{CHANNEL}>: it lacks Send Messages there.",
        fix=f"Give the bot Send Messages in <#{CHANNEL}> (Edit Channel > Permissions)",
    )
    world.sender.fail(TargetKind.CHANNEL, CHANNEL, refusal)
    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    assert world.sender.messages == []
    [problem] = world.problems.current(GUILD_ID)
    assert problem.text == f"The bot cannot post reminders in <#{CHANNEL}>: it lacks Send Messages there."
    assert f"Give the bot Send Messages in <#{CHANNEL}>" in problem.fix
    channel_row = next(d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL)
    assert channel_row.state is DeliveryState.PENDING  # an organiser can fix it: tried again later
    world.clock.advance(FIRST_RETRY)
    await service.run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    assert world.problems.current(GUILD_ID) == []


async def test_without_a_channel_dms_still_go_and_closed_dms_are_owed_a_private_notice(world: World) -> None:
    await world.settings.update(GUILD_ID, reminder_channel_id=None)
    service = ReminderService(
        world.db,
        world.programme,
        ServerSettingsService(
            world.db, dataclasses.replace(world.defaults, reminder_channel_id=None), clock=world.clock
        ),
        community_ids=(GUILD_ID,),
        sender=world.sender,
        clock=world.clock,
        monotonic=world.time.monotonic,
        sleep=world.time.sleep,
    )
    await subscribe(service, ALICE, BOB, at=IMPORTED)
    world.sender.closed_dms = {BOB}
    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    assert [(m.kind, m.target) for m in world.sender.messages] == [(TargetKind.DM, ALICE)]
    assert not await service.take_dms_closed_notice(GUILD_ID, ALICE)
    assert await service.take_dms_closed_notice(GUILD_ID, BOB)
    await service.release_dms_closed_notice(GUILD_ID, BOB)  # the notice could not be shown: owed again
    assert await service.take_dms_closed_notice(GUILD_ID, BOB)
    assert not await service.take_dms_closed_notice(GUILD_ID, BOB)


async def test_turning_dms_off_mid_fan_out_drops_the_unsent_dm(world: World) -> None:
    service = world.service()
    await subscribe(service, ALICE, BOB, CAROL, at=IMPORTED)

    def carol_leaves(sent: Sent) -> None:
        if sent.target == ALICE:
            asyncio.get_running_loop().create_task(service.set_dm_reminders(GUILD_ID, CAROL, False))

    world.sender.after_send = carol_leaves
    world.clock.now = START - H
    await service.run_pass(GUILD_ID)
    assert [m.target for m in world.sender.messages if m.kind is TargetKind.DM] == [ALICE, BOB]
    assert CAROL not in {d.target_id for d in await world.ledger()}


async def test_a_member_subscribing_after_a_reminder_went_out_gets_the_next_one(world: World) -> None:
    service = world.service()
    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    world.clock.advance(M)
    status = await service.set_dm_reminders(GUILD_ID, ALICE, True)
    assert status.on and status.changed and status.offsets == parse_offsets("24h,1h")
    await service.run_pass(GUILD_ID)
    assert world.sender.to(TargetKind.DM, ALICE) == []
    world.clock.now = START - H
    await service.run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.DM, ALICE)) == 1


async def test_a_redated_session_takes_its_reminders_to_the_new_time(world: World) -> None:
    service = world.service()
    await service.run_pass(GUILD_ID)
    later = START + 7 * 24 * H
    await world.programme.import_programme(GUILD_ID, one_session_programme(later))
    world.clock.now = START - H  # the old time's reminder would be due now
    await service.run_pass(GUILD_ID)
    assert world.sender.messages == []
    assert sorted(d.due_at for d in await world.ledger()) == [later - 24 * H, later - H]
    world.clock.now = later - H
    await service.run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1


async def test_a_plan_change_cuts_a_fan_out_short_and_the_old_time_is_not_sent(world: World) -> None:
    service = world.service()
    members = list(range(2001, 2011))
    await subscribe(service, *members, at=IMPORTED)
    world.programme.on_change(service.on_programme_change)
    moved = False

    def move_session_on_second_dm(sent: Sent) -> None:
        nonlocal moved
        if sent.target == members[1] and not moved:
            moved = True
            asyncio.get_running_loop().create_task(
                world.programme.import_programme(GUILD_ID, one_session_programme(START + 24 * H))
            )

    world.sender.after_send = move_session_on_second_dm
    world.clock.now = START - H
    service.request(GUILD_ID)
    await service.idle()
    await asyncio.sleep(0.05)  # let the import's listener run
    await service.idle()
    dm_targets = [m.target for m in world.sender.messages if m.kind is TargetKind.DM]
    assert 2 <= len(dm_targets) <= 3 and dm_targets[:2] == members[:2]
    assert not [d for d in await world.ledger() if d.state is DeliveryState.PENDING and d.due_at == START - H]


async def test_settings_changes_replan(world: World) -> None:
    service = world.service()
    world.settings.on_change(service.on_settings_change)
    service.request(GUILD_ID)
    await service.idle()
    await world.settings.update(GUILD_ID, reminder_offsets=parse_offsets("2d,15m"))
    await service.idle()
    assert sorted(d.offset_minutes for d in await world.ledger()) == [15, 2 * 24 * 60]


# --- the outbox check: a send whose outcome a crash left unknown ------------------------------------------


def crash(_: object) -> None:
    raise asyncio.CancelledError  # the process dies: the ledger never hears how the send went


async def crashed_channel_post(world: World, *, taken: bool) -> None:
    """The channel reminder is claimed; the bot dies just after Discord took it (or just before)."""
    if taken:
        world.sender.after_send = crash
    else:
        world.sender.fail(TargetKind.CHANNEL, CHANNEL, asyncio.CancelledError())
    world.clock.now = START - 24 * H
    with pytest.raises(asyncio.CancelledError):
        await world.service().run_pass(GUILD_ID)
    world.sender.after_send = None
    [row] = [d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL and d.due_at <= world.clock()]
    assert row.state is DeliveryState.CLAIMED
    await world.restart_process()


async def test_a_reminder_posted_just_before_a_crash_is_found_after_the_nonce_window_not_sent_again(
    world: World,
) -> None:
    await crashed_channel_post(world, taken=True)
    world.sender.nonce_window_passes()
    world.clock.advance(NONCE_WINDOW * 5)  # the bot was down for a while
    await world.service().run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    [row] = [d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL and d.state != "pending"]
    assert row.state is DeliveryState.SENT and row.message_id == next(iter(world.sender.sent_ids))


async def test_a_reminder_the_crash_stopped_before_discord_took_it_is_sent_after_the_look(world: World) -> None:
    await crashed_channel_post(world, taken=False)
    world.clock.advance(NONCE_WINDOW * 5)
    await world.service().run_pass(GUILD_ID)
    assert world.sender.looks == [CHANNEL]
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1


async def test_when_the_bot_cannot_look_it_resends_only_within_the_nonce_window(world: World) -> None:
    await crashed_channel_post(world, taken=True)
    world.sender.unreadable = {CHANNEL}
    world.clock.advance(NONCE_WINDOW / 2)  # a quick restart: Discord still drops the resend by its nonce
    await world.service().run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    assert world.problems.current(GUILD_ID) == []


async def test_when_the_bot_cannot_look_after_the_window_it_does_not_risk_a_duplicate_and_says_so(
    world: World,
) -> None:
    await crashed_channel_post(world, taken=True)
    world.sender.unreadable = {CHANNEL}
    world.sender.nonce_window_passes()
    world.clock.advance(NONCE_WINDOW * 5)
    await world.service().run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    [row] = [d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL and d.last_error]
    assert row.state is DeliveryState.UNDELIVERABLE
    assert row.last_error == "outcome unknown: missing Read Message History"
    [problem] = world.problems.current(GUILD_ID)
    assert "cannot check whether it was posted: it lacks Read Message History there" in problem.text
    assert f"Look in <#{CHANNEL}>" in problem.fix


async def test_where_the_platform_keeps_no_nonce_a_claim_it_cannot_check_is_never_resent_blind(world: World) -> None:
    """Like Slack: a resend would be a second post. Even a quick restart, within the nonce window, does not resend
    a claim whose channel the bot may not read; organisers are told why, in words true of that platform."""
    world.sender.deduplicates = False
    await crashed_channel_post(world, taken=True)
    world.sender.unreadable = {CHANNEL}
    world.clock.advance(NONCE_WINDOW / 2)
    await world.service().run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    [row] = [d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL and d.last_error]
    assert row.state is DeliveryState.UNDELIVERABLE
    assert row.last_error == "outcome unknown: missing Read Message History"
    [problem] = world.problems.current(GUILD_ID)
    assert "It was not posted again, because this platform would show a second copy rather than drop it." in (
        problem.text
    )
    assert f"Look in <#{CHANNEL}>" in problem.fix


async def test_where_the_platform_keeps_no_nonce_a_look_it_cannot_answer_now_is_tried_again_not_resent(
    world: World,
) -> None:
    world.sender.deduplicates = False
    await crashed_channel_post(world, taken=True)
    world.sender.unavailable = {CHANNEL}
    world.clock.advance(NONCE_WINDOW / 4)
    service = world.service()
    await service.run_pass(GUILD_ID)
    [row] = [d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL and d.due_at <= world.clock()]
    assert row.state is DeliveryState.CLAIMED  # left for the next look, and nothing sent meanwhile
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    world.sender.unavailable = set()
    world.clock.advance(NONCE_WINDOW / 4)
    await service.run_pass(GUILD_ID)  # the platform answers: the post is found, recorded as sent
    assert len(world.sender.to(TargetKind.CHANNEL, CHANNEL)) == 1
    assert (await world.service().repository.get(row.id)).state is DeliveryState.SENT  # type: ignore[union-attr]
    assert world.problems.current(GUILD_ID) == []


async def test_where_the_platform_keeps_no_nonce_a_look_still_unanswered_after_the_window_gives_up(
    world: World,
) -> None:
    world.sender.deduplicates = False
    await crashed_channel_post(world, taken=False)  # never posted: but the bot cannot know
    world.sender.unavailable = {CHANNEL}
    service = world.service()
    world.clock.advance(NONCE_WINDOW / 2)
    await service.run_pass(GUILD_ID)
    world.clock.advance(NONCE_WINDOW)
    await service.run_pass(GUILD_ID)
    assert world.sender.to(TargetKind.CHANNEL, CHANNEL) == []
    [row] = [d for d in await world.ledger() if d.target_kind is TargetKind.CHANNEL and d.last_error]
    assert (row.state, row.last_error) == (DeliveryState.UNDELIVERABLE, "outcome unknown: unavailable (503)")
    [problem] = world.problems.current(GUILD_ID)
    assert "cannot check whether it was posted. It was not posted again" in problem.text


async def test_a_dm_given_up_unchecked_is_told_to_the_member_and_to_organisers(world: World) -> None:
    world.sender.deduplicates = False
    await subscribe(world.service(), ALICE, at=IMPORTED)
    world.sender.after_send = lambda sent: crash(sent) if sent.kind is TargetKind.DM else None
    world.clock.now = START - H
    with pytest.raises(asyncio.CancelledError):
        await world.service().run_pass(GUILD_ID)
    world.sender.after_send = None
    await world.restart_process()
    world.sender.unreadable = {ALICE}
    service = world.service()
    await service.run_pass(GUILD_ID)
    assert len(world.sender.to(TargetKind.DM, ALICE)) == 1
    status = await service.dm_reminder_status(GUILD_ID, ALICE)
    assert status.on and status.last_outcome_unknown and not status.dms_found_closed
    assert "Your last reminder may not have reached you" in status_text(status, dms_closed="")
    [problem] = world.problems.current(GUILD_ID)
    assert "cannot check whether the member got it" in problem.text
    assert "the member is told when they next look at their reminder setting" in problem.text


async def test_closing_stops_between_two_sends_and_a_restart_finishes(db: Database, world: World) -> None:
    members = list(range(3001, 3021))
    sender = FakeSender(asyncio.get_running_loop().time)
    real = ReminderService(
        db,
        world.programme,
        world.settings,
        community_ids=(GUILD_ID,),
        sender=sender,
        clock=world.clock,
        dm_rate_per_second=40,
    )
    await subscribe(real, *members, at=IMPORTED)
    five_sent = asyncio.Event()
    sender.after_send = lambda _: five_sent.set() if len(sender.messages) >= 5 else None
    world.clock.now = START - H
    await real.start()
    await asyncio.wait_for(five_sent.wait(), 5)
    await real.close()
    stopped_at = len(sender.messages)
    assert stopped_at < 21
    assert not [d for d in await world.ledger() if d.state is DeliveryState.CLAIMED]  # nothing left in flight
    restarted = ReminderService(
        db,
        world.programme,
        world.settings,
        community_ids=(GUILD_ID,),
        sender=sender,
        clock=world.clock,
        dm_rate_per_second=40,
    )
    await restarted.start()
    await restarted.idle()
    assert sorted(m.target for m in sender.messages if m.kind is TargetKind.DM) == members


# --- waking up --------------------------------------------------------------------------------------


async def test_one_wake_up_at_the_earliest_waiting_reminder_follows_the_plan(world: World) -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        service = world.service(scheduler=scheduler)
        await service.start()
        await service.idle()
        jobs = {job.id: job for job in scheduler.get_jobs()}
        # One wake-up however many reminders wait (two here: a day and an hour before), and the sweep.
        assert set(jobs) == {SWEEP_JOB_ID, WAKE_JOB_ID}
        sweep = jobs[SWEEP_JOB_ID]
        assert sweep.trigger.interval == timedelta(seconds=30)
        for job in jobs.values():
            assert job.misfire_grace_time is None and job.coalesce

        def wake_ahead() -> timedelta:
            job = scheduler.get_job(WAKE_JOB_ID)
            assert job is not None
            ahead: timedelta = job.next_run_time - datetime.now(UTC)
            return ahead

        # APScheduler keeps real time: the wake-up is as far ahead as the earliest reminder is on the service's clock.
        assert abs(wake_ahead() - (START - 24 * H - world.clock.now)) < timedelta(seconds=5)

        # Sent: the wake-up moves on to the hour-before reminder; with that offset removed, nothing waits.
        world.clock.now = START - 24 * H
        await service.run_pass(GUILD_ID)
        assert abs(wake_ahead() - 23 * H) < timedelta(seconds=5)
        await world.settings.update(GUILD_ID, reminder_offsets=parse_offsets("24h"))
        await service.run_pass(GUILD_ID)
        assert {job.id for job in scheduler.get_jobs()} == {SWEEP_JOB_ID}
        await service.close()
        assert scheduler.get_jobs() == []
    finally:
        scheduler.shutdown(wait=False)


async def test_start_up_re_plans_only_the_communities_whose_programme_or_settings_changed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    others = [GUILD_ID + n for n in range(1, 4)]
    for community_id in others:
        await world.programme.import_programme(community_id, one_session_programme(START + n_days(community_id)))

    def service() -> ReminderService:
        return ReminderService(
            world.db,
            world.programme,
            world.settings,
            community_ids=(GUILD_ID, *others),
            sender=world.sender,
            clock=world.clock,
            monotonic=world.time.monotonic,
            sleep=world.time.sleep,
        )

    first = service()
    await first.start()
    await first.idle()
    await first.close()

    # A restart with nothing changed plans nothing; then one programme and another's settings change while down.
    planned: list[int] = []

    def counting(service: ReminderService) -> ReminderService:
        """Counts the communities planned, by a pass or a chunk at a time."""
        real_pass, real_many = service.run_pass, service.repository.replan_many

        async def run_pass(community_id: int) -> None:
            planned.append(community_id)
            await real_pass(community_id)

        async def replan_many(plans: Sequence[CommunityPlan], now: datetime) -> ManyReplanned:
            planned.extend(plan.community_id for plan in plans)
            return await real_many(plans, now)

        monkeypatch.setattr(service, "run_pass", run_pass)
        monkeypatch.setattr(service.repository, "replan_many", replan_many)
        return service

    unchanged = counting(service())
    await unchanged.start()
    await unchanged.idle()
    await unchanged.close()
    assert planned == []

    await world.programme.import_programme(others[0], one_session_programme(START + 3 * H), force=True)
    await world.settings.update(others[1], reminder_offsets=parse_offsets("2h"))
    changed = counting(service())
    await changed.start()
    await changed.idle()
    assert sorted(planned) == [others[0], others[1]]

    # Its next reminder falling due is enough, though nothing else changed: the sweep (or the wake-up) plans it.
    planned.clear()
    world.clock.now = START - 24 * H
    await changed._sweep()
    await changed.idle()
    assert GUILD_ID in planned and others[2] not in planned
    assert [m.target for m in world.sender.messages if m.kind is TargetKind.CHANNEL] == [CHANNEL]
    await changed.close()


def n_days(community_id: int) -> timedelta:
    return (community_id - GUILD_ID) * 7 * 24 * H


async def test_the_wake_up_wakes_every_community_due_then_and_keeps_one_entry_per_community() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    woken: list[list[int]] = []
    try:
        base = datetime.now(UTC) + timedelta(hours=1)
        now = [base]
        wakeups = WakeUps(scheduler, woken.append, now=lambda: now[0])
        for community_id in range(1, 1001):
            for minutes in (30, 0, 10):  # re-planned twice: only the last time counts
                wakeups.set(community_id, base + timedelta(minutes=minutes + community_id % 2))
        assert len(wakeups) == 1000
        job = scheduler.get_job(WAKE_JOB_ID)
        assert job is not None and job.next_run_time == base + timedelta(minutes=10)
        assert len(scheduler.get_jobs()) == 1
        now[0] = base + timedelta(minutes=10)
        await wakeups.fire()
        (first,) = woken
        assert sorted(first) == list(range(2, 1001, 2))  # due at +10 minutes: the even ones
        assert len(wakeups) == 500
        job = scheduler.get_job(WAKE_JOB_ID)
        assert job is not None and job.next_run_time == base + timedelta(minutes=11)
        for community_id in range(1, 1001, 2):
            wakeups.forget(community_id)
        assert len(wakeups) == 0 and scheduler.get_job(WAKE_JOB_ID) is None
    finally:
        scheduler.shutdown(wait=False)


async def test_a_pass_that_fails_is_logged_and_the_next_request_runs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    service = world.service()
    calls = 0
    original = service.repository.replan

    async def broken_once(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk on fire")
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    service.repository.replan = broken_once  # type: ignore[method-assign]
    service.request(GUILD_ID)
    await service.idle()
    assert "a reminder pass failed" in caplog.text
    service.request(GUILD_ID)
    await service.idle()
    assert calls == 2 and len(await world.ledger()) == 2


async def test_dm_status_reports_closed_dms(world: World) -> None:
    service = world.service()
    await service.set_dm_reminders(GUILD_ID, ALICE, True)
    world.sender.closed_dms = {ALICE}
    world.clock.now = START - H
    await service.run_pass(GUILD_ID)
    status = await service.dm_reminder_status(GUILD_ID, ALICE)
    assert status.on and status.dms_found_closed and not status.changed and status.channel_id == CHANNEL
    off = await service.set_dm_reminders(GUILD_ID, ALICE, False)
    assert not off.on and off.changed and not off.dms_found_closed


async def test_schedule_shows_each_reminder_with_its_states(world: World) -> None:
    service = world.service()
    await subscribe(service, ALICE, BOB, at=IMPORTED)
    world.sender.closed_dms = {BOB}
    world.clock.now = START - 24 * H
    await service.run_pass(GUILD_ID)
    schedule = await service.schedule(GUILD_ID)
    assert schedule.title == "Test programme" and schedule.subscribers == 2 and schedule.channel_id == CHANNEL
    day_before, hour_before = schedule.entries
    assert day_before.reminder.offset == 24 * H and day_before.title == "Campaigning"
    assert day_before.channel is not None and day_before.channel.state is DeliveryState.SENT
    assert day_before.dm_states == {DeliveryState.SENT: 1, DeliveryState.UNDELIVERABLE: 1}
    assert hour_before.channel is not None and hour_before.channel.state is DeliveryState.PENDING
    assert hour_before.dm_states == {}
