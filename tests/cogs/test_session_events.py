"""Sessions as Discord scheduled events, through the local Discord: the switch, the sync (import, re-date,
remove, re-import, a lost response and a restart, edits by hand, the 100-event limit), Interested as the
RSVP (DMs, /session, /next, /stats, /mydata, erasure) and the permissions."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import discord
import discord.state
import pytest

from bot.client import WorkshopBot
from bot.domain.errors import UserFacingError
from bot.domain.programme import Programme, Session, redate
from bot.services.session_events import PROBLEM_PUT_BACK, PROBLEM_REFUSED, PROBLEM_REJECTED, SYNC_INTERVAL_HOURS
from cogs._discord.session_events import DiscordInternalsMovedError
from tests.fakediscord import GUILD_ID, FakeDiscord, Perm
from tests.fakediscord.scheduled_events import EventStatus, ScheduledEvent
from tests.harness import BotRunner, FakeClock

H = timedelta(hours=1)
BEFORE_THE_PROGRAMME = datetime(2020, 7, 1, 12, tzinfo=UTC)
WEEK8_START = datetime(2020, 10, 26, 19, tzinfo=UTC)
EVENT_ROUTE = r"^/guilds/\d+/scheduled-events"


@pytest.fixture(autouse=True)
def fake_follows_the_bots_clock(fake_discord: FakeDiscord, clock: FakeClock) -> None:
    """The fake completes events by the same clock the bot reads (the seed programme is in 2020)."""
    fake_discord.core.event_clock = clock


async def switch_on(fake: FakeDiscord, bot: WorkshopBot, **more: object) -> str:
    await bot.wait_until_ready()
    await bot.services.events.settled(bot.dev_guild_id)  # the check at start is over
    reply = await (await fake.slash("olga", "setup", events=True, **more)).final()
    await bot.services.events.settled(bot.dev_guild_id)
    return reply.content


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def live_events(fake: FakeDiscord) -> list[ScheduledEvent]:
    return fake.scheduled_events()


def by_name(fake: FakeDiscord) -> dict[str, ScheduledEvent]:
    events = live_events(fake)
    assert len({e.name for e in events}) == len(events), "two events for one session"
    return {e.name: e for e in events}


def creates(fake: FakeDiscord) -> int:
    return len(fake.requests_matching("POST", EVENT_ROUTE + "$"))


async def test_switched_off_no_event_calls_at_all(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = BEFORE_THE_PROGRAMME
    async with bot_runner.running() as bot:
        shown = await (await fake_discord.slash("olga", "setup")).final()
        assert any("**Discord events:** off" in e.get("description", "") for e in shown.embeds)
        programme = await bot.services.programme.require(bot.dev_guild_id)
        await bot.services.programme.import_programme(bot.dev_guild_id, _as_programme(programme, shift_days=7))
        await bot.services.events.settled(bot.dev_guild_id)
        session = await (await fake_discord.slash("alice", "session", week=3)).final()
        assert "Discord event" not in str(session.embeds)
    assert fake_discord.requests_matching("*", EVENT_ROUTE) == []


async def test_import_redate_remove_and_reimport_make_exactly_the_right_events(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = BEFORE_THE_PROGRAMME
    async with bot_runner.running(extensions=None) as bot:
        await switch_on(fake_discord, bot, meeting_link="https://zoom.us/j/123")
        programme = await bot.services.programme.require(bot.dev_guild_id)
        events = by_name(fake_discord)
        assert len(events) == 12
        week3 = events["Week 3: Outward-facing local parties"]
        session3 = programme.session_for_week(3)
        assert session3 is not None
        assert (week3.start, week3.end) == (session3.start, session3.end)
        assert week3.location == "https://zoom.us/j/123" and week3.channel_id is None and week3.entity_type == 3
        assert week3.description is not None and week3.description.endswith("/session week:3")
        assert session3.prompts[0].text in week3.description

        # Re-dated a week later: the same twelve events, moved; nothing created or cancelled.
        original = _as_programme(programme)
        later = redate(original, date(2020, 8, 10))
        await bot.services.programme.import_programme(bot.dev_guild_id, later)
        await bot.services.events.settled(bot.dev_guild_id)
        moved = by_name(fake_discord)
        assert {e.id for e in moved.values()} == {e.id for e in events.values()} and creates(fake_discord) == 12
        assert moved["Week 3: Outward-facing local parties"].start == session3.start + timedelta(days=7)

        # Week 5 removed: its event alone is cancelled.
        without5 = dataclasses.replace(later, sessions=tuple(s for s in later.sessions if s.week != 5))
        await bot.services.programme.import_programme(bot.dev_guild_id, without5)
        await bot.services.events.settled(bot.dev_guild_id)
        cancelled = [
            e for e in fake_discord.scheduled_events(include_finished=True) if e.status == EventStatus.CANCELED
        ]
        assert [e.name for e in cancelled] == ["Week 5: Deliberative policy making"]
        assert len(live_events(fake_discord)) == 11

        # Re-imported: week 5 gets a new event; the others are untouched.
        await bot.services.programme.import_programme(bot.dev_guild_id, later)
        await bot.services.events.settled(bot.dev_guild_id)
        assert len(by_name(fake_discord)) == 12 and creates(fake_discord) == 13
    # Every request the bot made was valid per the OpenAPI document (checked at teardown).


async def test_a_lost_create_response_then_a_restart_leaves_no_duplicate(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = BEFORE_THE_PROGRAMME
    async with bot_runner.running() as bot:
        fake_discord.lose_next_event_create()  # the first event is made, but the bot never hears so
        await switch_on(fake_discord, bot)
        assert len(live_events(fake_discord)) == 1
        problems = bot.services.problems.current(bot.dev_guild_id)
        assert any("did not answer" in p.text for p in problems)
    async with bot_runner.running() as bot:
        await eventually(lambda: _count_is(fake_discord, 12), "the sync at start")
        await bot.services.events.settled(bot.dev_guild_id)
        assert len(by_name(fake_discord)) == 12
        assert creates(fake_discord) == 12  # the lost one was adopted, not made again
        assert not [e for e in fake_discord.scheduled_events(include_finished=True) if e.status == EventStatus.CANCELED]
        assert not any("did not answer" in p.text for p in bot.services.problems.current(bot.dev_guild_id))


async def test_discord_py_retrying_a_lost_create_is_cleaned_up(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    """A 502 makes discord.py repeat the POST: Discord then holds two events for one week; the next sync
    cancels the one the bot did not store."""
    clock.now = BEFORE_THE_PROGRAMME
    async with bot_runner.running() as bot:
        fake_discord.lose_next_event_create(status=502)
        await switch_on(fake_discord, bot)
        assert len(live_events(fake_discord)) == 13
        bot.services.events.request_sync(bot.dev_guild_id)
        await bot.services.events.settled(bot.dev_guild_id)
        assert len(by_name(fake_discord)) == 12


async def test_events_edited_or_deleted_by_hand_are_put_back_at_start(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = BEFORE_THE_PROGRAMME
    async with bot_runner.running() as bot:
        await switch_on(fake_discord, bot)
        before = by_name(fake_discord)
    edited = before["Week 2: A better party culture"]
    fake_discord.edit_event_by_hand(edited, name="Party!", start=edited.start + H, end=edited.end + H)
    fake_discord.delete_event_by_hand(before["Week 4: Rebuilding across the whole country"])
    async with bot_runner.running() as bot:
        await eventually(lambda: _count_is(fake_discord, 12), "the sync at start")
        await bot.services.events.settled(bot.dev_guild_id)
        after = by_name(fake_discord)
        assert after["Week 2: A better party culture"].id == edited.id
        assert after["Week 2: A better party culture"].start == before["Week 2: A better party culture"].start
        assert "Week 4: Rebuilding across the whole country" in after
        [problem] = [p for p in bot.services.problems.current(bot.dev_guild_id) if p.key == PROBLEM_PUT_BACK]
        assert "week 2 (edited by hand)" in problem.text and "week 4 (deleted by hand)" in problem.text


async def test_interested_members_get_dms_by_choice_and_never_after_reminders_off(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    async with bot_runner.running() as bot:
        await switch_on(fake_discord, bot)
        [week8] = live_events(fake_discord)
        await (await fake_discord.slash("bob", "reminders", setting="on")).final()
        for member in ("carol", "alice"):
            fake_discord.mark_interested(member, week8)
        await eventually(lambda: _interested_is(bot, 8, 2), "the Interested clicks")

        # Opted-in only (the default): Bob alone.
        clock.now = WEEK8_START - 24 * H
        bot.services.reminders.request(bot.dev_guild_id)
        await bot.services.reminders.idle()
        assert len(fake_discord.dms_to("bob")) == 1 and fake_discord.dms_to("carol") == []

        # Opted-in plus Interested; Alice turned reminders off, which wins over her click.
        await (await fake_discord.slash("alice", "reminders", setting="off")).final()
        clock.now = WEEK8_START - H
        reply = await (await fake_discord.slash("olga", "setup", reminder_dms_to="opted_in_and_interested")).final()
        assert any("Interested in the session's event" in e.get("description", "") for e in reply.embeds)
        bot.services.reminders.request(bot.dev_guild_id)
        await bot.services.reminders.idle()
        assert len(fake_discord.dms_to("bob")) == 2
        assert len(fake_discord.dms_to("carol")) == 1 and "Week 8" in fake_discord.dms_to("carol")[0].content
        assert fake_discord.dms_to("alice") == []


async def test_interest_shows_in_session_next_stats_and_mydata_and_erasure_removes_it(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    async with bot_runner.running() as bot:
        await switch_on(fake_discord, bot)
        [week8] = live_events(fake_discord)
        fake_discord.mark_interested("carol", week8)
        fake_discord.mark_interested("bob", week8)
        fake_discord.unmark_interested("bob", week8)
        # The exact set, not a count: the count is also 1 for a moment after Carol's click alone.
        carol_only = [fake_discord.user("carol").id]
        await eventually(lambda: _interested_members_are(bot, week8.id, carol_only), "the Interested clicks")
        url = f"https://discord.com/events/{GUILD_ID}/{week8.id}"
        for command, options in (("next", {}), ("session", {"week": 8})):
            shown = await (await fake_discord.slash("alice", command, **options)).final()
            fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
            assert fields["Discord event"] == f"1 member is interested · [open the event]({url})"
        stats = await (await fake_discord.slash("olga", "stats")).final()
        text = "\n".join(e.get("description", "") for e in stats.embeds)
        assert "Interested in the event: <5" in text
        mydata = await (await fake_discord.slash("carol", "mydata show")).final()
        assert "Interested in the Discord events of week 8" in str(mydata.embeds) + mydata.content
        report = await bot.services.answers.erasure_preview(bot.dev_guild_id, fake_discord.user("carol").id)
        assert report.interest == 1
        await bot.services.answers.erase_member(bot.dev_guild_id, fake_discord.user("carol").id)
        assert await bot.services.events.repository.interested_count(bot.dev_guild_id, 8) == 0


async def test_interest_while_the_bot_was_away_is_caught_up_from_the_paged_users_list(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    async with bot_runner.running() as bot:
        await switch_on(fake_discord, bot)
    [week8] = live_events(fake_discord)
    members = [fake_discord.add_member(f"member{i}") for i in range(130)]
    for member in members:
        fake_discord.mark_interested(member, week8)
    read_before = len(fake_discord.requests_matching("GET", EVENT_ROUTE + r"/\d+/users$"))
    async with bot_runner.running() as bot:
        await eventually(lambda: _interested_is(bot, 8, 130), "the catch-up")
    pages = fake_discord.requests_matching("GET", EVENT_ROUTE + r"/\d+/users$")[read_before:]
    assert [r.query.get("limit") for r in pages] == ["100", "100"]


async def test_interest_missed_while_running_is_caught_up_by_the_periodic_sync(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    async with bot_runner.running() as bot:
        await switch_on(fake_discord, bot)
        [week8] = live_events(fake_discord)
        # Clicks whose gateway events never arrived (a session that could not be resumed, say).
        week8.user_ids.update(fake_discord.user(name).id for name in ("alice", "bob"))
        bot.services.events.request_sync(bot.dev_guild_id)  # an import's sync at once: not yet read again
        await bot.services.events.settled(bot.dev_guild_id)
        assert await _interested_is(bot, 8, 0)
        clock.advance(timedelta(hours=SYNC_INTERVAL_HOURS))
        bot.services.events.request_sync(bot.dev_guild_id)  # what the scheduler does every six hours
        await bot.services.events.settled(bot.dev_guild_id)
        assert await _interested_is(bot, 8, 2)


async def test_a_refused_event_is_named_and_the_others_are_synced(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    """Only a 403 or code 50013 means a missing permission; any other refusal is about that event alone."""
    clock.now = BEFORE_THE_PROGRAMME
    async with bot_runner.running() as bot:
        fake_discord.fail_next(
            "POST",
            EVENT_ROUTE + "$",
            400,
            code=50035,
            message="Invalid Form Body",
            errors={"name": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be 100 or fewer."}]}},
        )
        await switch_on(fake_discord, bot)
        assert len(by_name(fake_discord)) == 11  # the others were not held back
        problems = {p.key: p for p in bot.services.problems.current(bot.dev_guild_id)}
        assert PROBLEM_REFUSED not in problems
        text = problems[PROBLEM_REJECTED].text
        assert text.startswith("Discord refused 1 session event (the others were synced): week 1 (“Week 1:")
        assert "400, code 50035: Invalid Form Body In name: Must be 100 or fewer." in text

        bot.services.events.request_sync(bot.dev_guild_id)  # the next sync makes it, and the problem goes
        await bot.services.events.settled(bot.dev_guild_id)
        assert len(by_name(fake_discord)) == 12
        assert PROBLEM_REJECTED not in {p.key for p in bot.services.problems.current(bot.dev_guild_id)}

        # A 403 (or 50013) is a missing permission, whatever the cache said: the sync stops there.
        fake_discord.fail_next("GET", EVENT_ROUTE + "$", 403, code=50013, message="Missing Permissions")
        bot.services.events.request_sync(bot.dev_guild_id)
        await bot.services.events.settled(bot.dev_guild_id)
        [refused] = [p for p in bot.services.problems.current(bot.dev_guild_id) if p.key == PROBLEM_REFUSED]
        assert "lacks Manage Events and Create Events (forbidden (code 50013))" in refused.text

        # Reading who is Interested: an event Discord no longer knows is skipped, the others are read.
        fake_discord.mark_interested("carol", by_name(fake_discord)["Week 12: Campaigning in 2021"])
        fake_discord.fail_next("GET", EVENT_ROUTE + r"/\d+/users$", 404, code=10070, message="Unknown Event")
        assert await bot.services.events.catch_up_interest(bot.dev_guild_id) >= 0
        assert await _interested_is(bot, 12, 1)


async def test_the_start_fails_in_one_line_when_discord_py_moved_the_interest_parsers(
    bot_runner: BotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(discord.state.ConnectionState, "parse_guild_scheduled_event_user_add")
    with pytest.raises(AssertionError, match="the bot task ended") as raised:
        async with bot_runner.running():
            pass
    # A UserFacingError out of the start: `python -m bot run` prints it as its one line, "error: ...".
    stopped_by = raised.value.__cause__
    # (By name: discord.py imports an extension's modules afresh at each load.)
    assert type(stopped_by).__name__ == DiscordInternalsMovedError.__name__ and isinstance(stopped_by, UserFacingError)
    message = str(stopped_by)
    assert "\n" not in message and "GUILD_SCHEDULED_EVENT_USER_ADD" in message
    assert "install the discord.py version the bot's pyproject.toml names" in message


async def test_forty_sessions_within_the_limit_and_a_longer_programme(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = BEFORE_THE_PROGRAMME
    # 70 events of the server's own already take places under Discord's 100.
    for i in range(70):
        _other_event(fake_discord, f"Other {i}")
    async with bot_runner.running() as bot:
        await bot.services.programme.import_programme(bot.dev_guild_id, _weekly(40))
        await switch_on(fake_discord, bot)
        ours = [e for e in live_events(fake_discord) if e.name.startswith("Week ")]
        assert sorted(int(e.name.split(":")[0].split()[1]) for e in ours) == list(range(1, 31))
        # The others end: the next sync fills the room with the following sessions, and never passes 100.
        for event in fake_discord.scheduled_events():
            if event.name.startswith("Other"):
                event.status = EventStatus.CANCELED
        await bot.services.programme.import_programme(bot.dev_guild_id, _weekly(120))
        await bot.services.events.settled(bot.dev_guild_id)
        ours = [e for e in live_events(fake_discord) if e.name.startswith("Week ")]
        assert sorted(int(e.name.split(":")[0].split()[1]) for e in ours) == list(range(1, 101))
    assert not [r for r in fake_discord.requests_matching("POST", EVENT_ROUTE) if r.status == 400]


async def test_without_create_and_manage_events_the_organiser_is_told_and_the_rest_works(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = BEFORE_THE_PROGRAMME
    guild = fake_discord.world.guild
    for role in guild.roles.values():
        role.permissions &= ~(Perm.CREATE_EVENTS | Perm.MANAGE_EVENTS)
    async with bot_runner.running() as bot:
        reply = await switch_on(fake_discord, bot)
        assert "give its role Manage Events and Create Events" in reply
        [problem] = [p for p in bot.services.problems.current(bot.dev_guild_id) if p.key == PROBLEM_REFUSED]
        assert "Manage Events and Create Events" in problem.text and "Server Settings > Roles" in problem.fix
        session = await (await fake_discord.slash("alice", "session", week=3)).final()
        assert "Week 3" in session.embeds[0]["title"]
    assert fake_discord.requests_matching("*", EVENT_ROUTE) == []


# --- helpers ----------------------------------------------------------------------------------------------


async def _count_is(fake: FakeDiscord, n: int) -> bool:
    return len(live_events(fake)) == n


async def _interested_is(bot: WorkshopBot, week: int, n: int) -> bool:
    return await bot.services.events.repository.interested_count(bot.dev_guild_id, week) == n


async def _interested_members_are(bot: WorkshopBot, event_id: int, user_ids: list[int]) -> bool:
    found = await bot.db.fetchall("SELECT user_id FROM event_interest WHERE event_id = ?", (event_id,))
    return sorted(row[0] for row in found) == sorted(user_ids)


def _as_programme(record: object, *, shift_days: int = 0) -> Programme:
    from bot.domain.programme import ProgrammeRecord

    assert isinstance(record, ProgrammeRecord)
    shift = timedelta(days=shift_days)
    return Programme(
        title=record.title,
        timezone=record.timezone,
        introduction=record.introduction,
        sessions=tuple(
            Session(
                week=s.week,
                title=s.title,
                start=s.start + shift,
                end=s.end + shift,
                location=s.location,
                description=s.description,
                prompts=tuple(p.text for p in s.prompts),
                meeting_link=s.meeting_link,
            )
            for s in record.sessions
        ),
    )


def _weekly(n: int) -> Programme:
    first = datetime(2020, 8, 3, 18, tzinfo=UTC)
    return Programme(
        title="Long",
        timezone="UTC",
        sessions=tuple(
            Session(
                week=i,
                title=f"Session {i}",
                start=first + timedelta(weeks=i - 1),
                end=first + timedelta(weeks=i - 1) + 2 * H,
                location="Zoom",
                description="",
                prompts=("Why?",),
            )
            for i in range(1, n + 1)
        ),
    )


def _other_event(fake: FakeDiscord, name: str) -> None:
    start = datetime(2020, 9, 1, 18, tzinfo=UTC)
    event = ScheduledEvent(
        id=fake.world.new_id(),
        guild_id=GUILD_ID,
        creator_id=fake.world.user("olga").id,
        name=name,
        description=None,
        start=start,
        end=start + H,
        location="Town hall",
    )
    fake.core.scheduled_events[event.id] = event
