"""The threads service against a real database and an in-memory stand-in for Discord."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import NotFoundError, SettingsError, UserFacingError
from bot.domain.permissions import Permission
from bot.domain.programme import Programme, ProgrammeRecord, SessionRecord
from bot.domain.server_settings import ServerDefaults
from bot.domain.thread_text import thread_name
from bot.domain.threads import ThreadCounts, posted_at
from bot.services.answers import AnswerService
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.retention import RetentionAction, RetentionService
from bot.services.server_settings import ServerSettingsService
from bot.services.threads import (
    BotLacksPermissionError,
    CatchUpReport,
    CatchUpTrouble,
    ChannelKind,
    Closed,
    CreatedThread,
    DiscordThreadState,
    Opened,
    ProblemWording,
    Starter,
    Summary,
    ThreadArchivedError,
    ThreadGoneError,
    ThreadHistory,
    ThreadLockedError,
    ThreadMessage,
    ThreadsAction,
    ThreadService,
    ThreadsRefusal,
)
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.harness import FakeClock

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

HERE = 10  # the text channel the command is run in
FORUM = 20
VOICE = 30
A_THREAD = 40
ALICE, BOB = 501, 502


@dataclasses.dataclass
class FakeThread:
    parent: int
    name: str
    starter: Starter
    archived: bool = False
    locked: bool = False
    posts: list[Summary] = dataclasses.field(default_factory=list)
    history: list[ThreadMessage] = dataclasses.field(default_factory=list)  # members' messages
    hidden: set[int] = dataclasses.field(default_factory=set)  # still on Discord, but left out of the history


class FakeGateway:
    """Just enough Discord: channels by kind, threads with archived/locked flags, and every call recorded."""

    def __init__(self) -> None:
        self.channels = {HERE: ChannelKind.TEXT, FORUM: ChannelKind.FORUM, VOICE: ChannelKind.OTHER}
        self.channels[A_THREAD] = ChannelKind.THREAD
        self.threads: dict[int, FakeThread] = {}
        self.starters: dict[tuple[int, int], Starter] = {}
        self.calls: list[str] = []
        self.can_lock = True
        self.can_create = True
        self.next_id = 1000
        self.slow = False
        self.unreadable = False
        self.lacking = Permission(0)  # what the bot lacks in every channel
        self.content = True  # the Message Content intent

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    async def channel_kind(self, community_id: int, channel_id: int) -> ChannelKind | None:
        self.calls.append(f"kind {channel_id}")
        return self.channels.get(channel_id)

    async def _create(self, channel_id: int, name: str, starter: Starter, *, forum: bool) -> CreatedThread:
        self.calls.append(f"create {'post' if forum else 'thread'} {name}")
        if self.slow:
            await asyncio.sleep(0.01)  # lets a concurrent open interleave
        if not self.can_create:
            raise BotLacksPermissionError("The bot is not allowed to open threads here.")
        thread_id = self._new_id()
        self.threads[thread_id] = FakeThread(channel_id, name, starter)
        starter_channel = thread_id if forum else channel_id
        self.starters[(starter_channel, thread_id)] = starter
        return CreatedThread(thread_id, starter_channel, thread_id)

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        assert self.channels[channel_id] is ChannelKind.TEXT
        return await self._create(channel_id, name, starter, forum=False)

    async def create_forum_post(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        assert self.channels[channel_id] is ChannelKind.FORUM
        return await self._create(channel_id, name, starter, forum=True)

    def _thread(self, thread_id: int) -> FakeThread:
        if thread_id not in self.threads:
            raise ThreadGoneError(thread_id)
        return self.threads[thread_id]

    async def thread_state(self, thread_id: int) -> DiscordThreadState:
        thread = self._thread(thread_id)
        return DiscordThreadState(thread.archived, thread.locked)

    async def unarchive(self, thread_id: int, *, unlock: bool) -> None:
        self.calls.append(f"unarchive {thread_id} unlock={unlock}")
        thread = self._thread(thread_id)
        if thread.locked and not (unlock and self.can_lock):
            raise BotLacksPermissionError("The bot needs Manage Threads.")
        thread.archived = False
        thread.locked = False

    async def edit_starter(self, channel_id: int, message_id: int, starter: Starter) -> None:
        self.calls.append(f"edit starter {message_id}")
        if (channel_id, message_id) not in self.starters:
            raise ThreadGoneError(message_id)
        self.starters[(channel_id, message_id)] = starter

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        self.calls.append(f"post {thread_id}")
        thread = self._thread(thread_id)
        if thread.archived:
            raise ThreadArchivedError(thread_id)
        if thread.locked:
            raise ThreadLockedError(thread_id)
        thread.posts.append(summary)

    async def thread_history(self, thread_id: int, *, limit: int) -> ThreadHistory:
        self.calls.append(f"history {thread_id}")
        messages = self._thread(thread_id).history
        if self.unreadable:
            raise BotLacksPermissionError("The bot cannot read the history.")
        return ThreadHistory(tuple(messages[:limit]), complete=len(messages) < limit)

    async def missing_permissions(self, channel_id: int, needed: Permission) -> Permission | None:
        self.calls.append(f"permissions {channel_id}")
        return Permission(needed & self.lacking)

    def reads_message_content(self, thread_id: int) -> bool:
        return self.content

    def catch_up_problem(
        self,
        trouble: CatchUpTrouble,
        *,
        parent_id: int,
        thread_id: int,
        missing: Permission | None = None,
        error: str | None = None,
    ) -> ProblemWording:
        """Worded as a platform's adapter words it (Discord's mentions and permission names, shortened)."""
        lacks = missing.label if missing else ""
        where = f"<#{thread_id}>" if trouble is CatchUpTrouble.INCOMPLETE else f"<#{parent_id}>"
        return ProblemWording(
            f"{trouble.value} in {where} {lacks} {error or ''} No answer was removed.",
            f"Give the bot {lacks} in <#{parent_id}>",
        )

    def threads_refused(
        self, action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool = False
    ) -> str:
        """The facts a platform's adapter words (tests/cogs and tests/slack check each platform's words)."""
        kind = "posts" if forum else "threads"
        return f"cannot {action.value} {kind} in <#{channel_id}>: lacks {missing.label}; week {week}"

    def threads_refusal(
        self, refusal: ThreadsRefusal, *, community_id: int, week: int, channel_id: int | None = None
    ) -> str:
        """The facts a platform's adapter words (tests/cogs and tests/slack check each platform's words)."""
        return f"refused: {refusal.value} in community {community_id}, week {week}, channel {channel_id}"

    async def message_deleted(self, thread_id: int, message_id: int) -> bool:
        self.calls.append(f"fetch {message_id}")
        thread = self._thread(thread_id)
        return message_id not in {m.id for m in thread.history} | thread.hidden

    async def lock_and_archive(self, thread_id: int) -> bool:
        self.calls.append(f"lock and archive {thread_id}")
        thread = self._thread(thread_id)
        thread.archived = True
        thread.locked = self.can_lock
        return self.can_lock


@dataclasses.dataclass
class World:
    service: ThreadService
    settings: ServerSettingsService
    programme: ProgrammeRecord
    gateway: FakeGateway
    clock: FakeClock
    service_problems: RuntimeProblems

    def week(self, number: int) -> SessionRecord:
        session = self.programme.session_for_week(number)
        assert session is not None
        return session


@pytest.fixture
async def world(db: Database, programme: Programme) -> World:
    clock = FakeClock(datetime(2020, 8, 17, 19, 30, tzinfo=UTC))  # during week 3
    programmes = ProgrammeService(db, clock=clock)
    await programmes.import_programme(GUILD_ID, programme)
    settings = ServerSettingsService(db, ServerDefaults(), clock=clock)
    gateway = FakeGateway()
    problems = RuntimeProblems(clock)
    service = ThreadService(db, settings, gateway=gateway, problems=problems, clock=clock)
    return World(service, settings, await programmes.require(GUILD_ID), gateway, clock, problems)


async def open_week(world: World, week: int = 3, *, here: int | None = HERE, collect: bool = True):  # type: ignore[no-untyped-def]
    return await world.service.open_week(world.week(week), here_channel_id=here, collect_replies=collect)


def test_thread_names_carry_week_and_question_within_discords_limit() -> None:
    assert (
        thread_name(3, 2, "How can we build up our relationships?")
        == "W3 · Q2 · How can we build up our relationships?"
    )
    words = thread_name(12, 25, "word " * 100)
    assert len(words) <= 100 and words.startswith("W12 · Q25 · word word") and words.endswith("word…")
    assert len(thread_name(12, 25, "x" * 1000)) == 100


# --- open ------------------------------------------------------------------------------------------------


async def test_open_makes_one_thread_per_prompt_in_the_channel_it_is_run_in(world: World) -> None:
    report = await open_week(world)
    week3 = world.week(3)
    assert [o.result for o in report.outcomes] == [Opened.CREATED] * 4
    assert report.channel_id == HERE and report.problems == ()
    assert [t.name for t in world.gateway.threads.values()] == [thread_name(3, p.number, p.text) for p in week3.prompts]
    assert all(t.parent == HERE and t.starter.collect_replies for t in world.gateway.threads.values())
    stored = await world.service.threads_for_week(GUILD_ID, 3)
    assert [t.thread_id for t in stored] == [o.thread_id for o in report.outcomes]
    assert {t.state for t in stored} == {"open"} and {t.starter_channel_id for t in stored} == {HERE}


async def test_the_discussion_channel_wins_and_a_forum_gets_posts(world: World) -> None:
    await world.settings.update(GUILD_ID, discussion_channel_id=FORUM)
    report = await open_week(world, here=A_THREAD)  # run from inside a thread: the setting decides
    assert report.channel_id == FORUM
    assert all(call.startswith("create post") for call in world.gateway.calls if call.startswith("create"))
    stored = await world.service.threads_for_week(GUILD_ID, 3)
    assert all(t.starter_channel_id == t.thread_id and t.parent_channel_id == FORUM for t in stored)


@pytest.mark.parametrize(
    ("here", "message"),
    [
        (A_THREAD, f"refused: in-a-thread in community {GUILD_ID}, week 3, channel None"),
        (VOICE, f"refused: not-here in community {GUILD_ID}, week 3, channel None"),
        (None, f"refused: not-here in community {GUILD_ID}, week 3, channel None"),
        (999, f"refused: not-here in community {GUILD_ID}, week 3, channel None"),
    ],
)
async def test_a_channel_that_cannot_hold_threads_is_refused(world: World, here: int | None, message: str) -> None:
    with pytest.raises(UserFacingError, match=re.escape(message)):
        await open_week(world, here=here)
    assert world.gateway.threads == {}
    assert await world.service.threads_for_week(GUILD_ID, 3) == []


@pytest.mark.parametrize(("discussion", "refusal"), [(999, "discussion-gone"), (VOICE, "discussion-unusable")])
async def test_a_discussion_channel_gone_or_unusable_is_a_clear_error(
    world: World, discussion: int, refusal: str
) -> None:
    await world.settings.update(GUILD_ID, discussion_channel_id=discussion)
    said = f"refused: {refusal} in community {GUILD_ID}, week 3, channel {discussion}"
    with pytest.raises(SettingsError, match=f"^{re.escape(said)}$"):
        await open_week(world)
    assert world.gateway.threads == {}


async def test_a_week_without_prompts_has_nothing_to_open(world: World) -> None:
    empty = dataclasses.replace(world.week(3), prompts=())
    with pytest.raises(NotFoundError, match=re.escape("Week 3 has no prompts, so there are no threads to open.")):
        await world.service.open_week(empty, here_channel_id=HERE, collect_replies=True)


async def test_opening_again_creates_nothing_and_reopens_what_was_archived_or_closed(world: World) -> None:
    first = await open_week(world)
    ids = [o.thread_id for o in first.outcomes]
    assert ids[0] is not None and ids[1] is not None and ids[2] is not None
    world.gateway.threads[ids[0]].archived = True  # Discord archived it after a week of quiet
    world.gateway.threads[ids[1]].archived = world.gateway.threads[ids[1]].locked = True
    await world.service.threads.close(world.week(3).prompts[2].id, world.clock())
    world.gateway.calls.clear()

    again = await open_week(world)
    assert [o.result for o in again.outcomes] == [
        Opened.REOPENED,
        Opened.REOPENED,
        Opened.REOPENED,
        Opened.ALREADY_OPEN,
    ]
    assert [o.thread_id for o in again.outcomes] == ids
    assert not any(call.startswith(("create", "kind")) for call in world.gateway.calls)
    assert f"unarchive {ids[1]} unlock=True" in world.gateway.calls
    assert not any(t.archived or t.locked for t in world.gateway.threads.values())
    assert {t.state for t in await world.service.threads_for_week(GUILD_ID, 3)} == {"open"}


async def test_a_thread_deleted_by_hand_is_made_anew(world: World) -> None:
    first = await open_week(world)
    gone = first.outcomes[1].thread_id
    assert gone is not None
    del world.gateway.threads[gone]
    again = await open_week(world)
    assert [o.result for o in again.outcomes] == [Opened.ALREADY_OPEN, Opened.RECREATED, *[Opened.ALREADY_OPEN] * 2]
    new_id = again.outcomes[1].thread_id
    assert new_id not in (None, gone)
    assert [t.thread_id for t in await world.service.threads_for_week(GUILD_ID, 3)][1] == new_id


async def test_a_missing_permission_stops_creating_and_says_why(world: World) -> None:
    world.gateway.can_create = False
    report = await open_week(world)
    assert [o.result for o in report.outcomes] == [Opened.FAILED] * 4
    assert report.problems == ("The bot is not allowed to open threads here.",)
    assert sum(call.startswith("create") for call in world.gateway.calls) == 1  # no point trying the rest
    world.gateway.can_create = True
    assert [o.result for o in (await open_week(world)).outcomes] == [Opened.CREATED] * 4


@pytest.mark.parametrize(("here", "what"), [(HERE, "threads"), (FORUM, "posts")])
async def test_without_a_permission_threads_need_nothing_is_created_and_the_refusal_names_it(
    world: World, here: int, what: str
) -> None:
    world.gateway.lacking = Permission.SEND_MESSAGES_IN_THREADS
    with pytest.raises(BotLacksPermissionError) as refused:
        await open_week(world, here=here)
    assert str(refused.value) == f"cannot open {what} in <#{here}>: lacks Send Messages in Threads; week 3"
    assert not any(call.startswith("create") for call in world.gateway.calls)
    assert await world.service.threads_for_week(GUILD_ID, 3) == []


async def test_close_touches_no_thread_when_it_may_not_post_the_summaries(world: World) -> None:
    await open_week(world)
    world.gateway.lacking = Permission.SEND_MESSAGES_IN_THREADS
    world.gateway.calls.clear()
    with pytest.raises(BotLacksPermissionError, match=f"^cannot close threads in <#{HERE}>: lacks Send .*; week 3$"):
        await world.service.close_week(world.week(3))
    assert not any(call.startswith(("post", "lock")) for call in world.gateway.calls)
    assert all(t.state == "open" for t in await world.service.threads_for_week(GUILD_ID, 3))


async def test_a_thread_that_cannot_be_reopened_does_not_stop_the_others(world: World) -> None:
    first = await open_week(world)
    q1, q2 = (o.thread_id or 0 for o in first.outcomes[:2])
    world.gateway.threads[q1].archived = world.gateway.threads[q1].locked = True  # locked by a moderator
    world.gateway.can_lock = False  # and the bot may not unlock it
    del world.gateway.threads[q2]
    await world.service.forget_thread(q2)

    report = await open_week(world)
    assert [o.result for o in report.outcomes] == [
        Opened.NOT_REOPENED,
        Opened.CREATED,
        Opened.ALREADY_OPEN,
        Opened.ALREADY_OPEN,
    ]
    assert report.problems == ("The bot needs Manage Threads.",)


async def test_starter_messages_follow_whether_replies_are_collected(world: World) -> None:
    await open_week(world, collect=False)
    assert not any(s.collect_replies for s in world.gateway.starters.values())
    stored = await world.service.threads_for_week(GUILD_ID, 3)
    # The starter of Q2 was deleted by hand: it cannot tell members, so Q2 does not start collecting.
    del world.gateway.starters[(HERE, stored[1].starter_message_id or 0)]

    report = await open_week(world, collect=True)
    assert [o.starter_updated for o in report.outcomes] == [True, False, True, True]
    assert [t.collect_replies for t in await world.service.threads_for_week(GUILD_ID, 3)] == [True, False, True, True]
    assert all(s.collect_replies for s in world.gateway.starters.values())

    # Switching off needs no notice to take effect.
    world.gateway.starters.clear()
    await open_week(world, collect=False)
    assert not any(t.collect_replies for t in await world.service.threads_for_week(GUILD_ID, 3))


async def test_two_facilitators_opening_at_once_make_each_thread_once(world: World) -> None:
    world.gateway.slow = True
    first, second = await asyncio.gather(open_week(world), open_week(world))
    assert len(world.gateway.threads) == 4
    results = sorted([o.result for o in first.outcomes] + [o.result for o in second.outcomes], key=str)
    assert results == sorted([Opened.CREATED] * 4 + [Opened.ALREADY_OPEN] * 4, key=str)


# --- close -----------------------------------------------------------------------------------------------


async def record(world: World, thread_id: int | None, message_id: int, author: int, text: str) -> bool:
    assert thread_id is not None
    return await world.service.record_reply(
        thread_id=thread_id, message_id=message_id, author_id=author, raw_text=text, at=world.clock()
    )


async def test_close_posts_counts_then_locks_and_archives(world: World) -> None:
    opened = await open_week(world)
    q1, q2 = opened.outcomes[0].thread_id, opened.outcomes[1].thread_id
    assert await record(world, q1, 1, ALICE, "one")
    assert await record(world, q1, 2, ALICE, "two")
    assert await record(world, q1, 3, BOB, "three")
    world.gateway.threads[q2 or 0].archived = True  # auto-archived: the first post fails with 50083

    report = await world.service.close_week(world.week(3))
    assert [o.result for o in report.outcomes] == [Closed.CLOSED] * 4
    assert [o.counts for o in report.outcomes] == [ThreadCounts(3, 2), *[ThreadCounts()] * 3]
    assert world.gateway.threads[q1 or 0].posts == [Summary(ThreadCounts(3, 2), collect_replies=True)]
    assert world.gateway.threads[q2 or 0].posts == [Summary(ThreadCounts(), collect_replies=True)]
    q2_calls = [c for c in world.gateway.calls if str(q2) in c]
    assert q2_calls == [f"post {q2}", f"unarchive {q2} unlock=False", f"post {q2}", f"lock and archive {q2}"]
    assert all(t.archived and t.locked for t in world.gateway.threads.values())
    assert {t.state for t in await world.service.threads_for_week(GUILD_ID, 3)} == {"closed"}

    # Replies in a closed thread are not collected; closing again posts nothing.
    assert not await record(world, q1, 4, BOB, "too late")
    world.gateway.calls.clear()
    again = await world.service.close_week(world.week(3))
    assert [o.result for o in again.outcomes] == [Closed.ALREADY_CLOSED] * 4
    assert world.gateway.calls == []


async def test_close_without_manage_threads_archives_without_locking(world: World) -> None:
    await open_week(world)
    world.gateway.can_lock = False
    report = await world.service.close_week(world.week(3))
    assert [o.result for o in report.outcomes] == [Closed.ARCHIVED] * 4
    assert all(t.archived and not t.locked for t in world.gateway.threads.values())


async def test_close_copes_with_deleted_locked_and_missing_threads(world: World) -> None:
    opened = await open_week(world)
    q1, q2, q3 = (o.thread_id or 0 for o in opened.outcomes[:3])
    del world.gateway.threads[q1]
    world.gateway.threads[q2].locked = True  # a moderator locked it; the bot may not unlock it
    world.gateway.can_lock = False
    await world.service.forget_thread(q3)  # Discord told the bot it was deleted
    report = await world.service.close_week(world.week(3))
    assert [o.result for o in report.outcomes] == [Closed.GONE, Closed.FAILED, Closed.NO_THREAD, Closed.ARCHIVED]
    assert report.outcomes[1].problem == "The bot needs Manage Threads."
    assert [t.prompt_id for t in await world.service.threads_for_week(GUILD_ID, 3)] == [
        p.id for p in world.week(3).prompts[1::2]
    ]


async def test_close_with_no_threads_is_refused_for_the_platform_to_word(world: World) -> None:
    said = f"refused: nothing-to-close in community {GUILD_ID}, week 3, channel None"
    with pytest.raises(NotFoundError, match=f"^{re.escape(said)}$"):
        await world.service.close_week(world.week(3))


async def test_status_lists_each_prompt_with_its_thread_and_counts(world: World) -> None:
    opened = await open_week(world)
    await record(world, opened.outcomes[0].thread_id, 1, ALICE, "yes")
    await world.service.forget_thread(opened.outcomes[3].thread_id or 0)
    lines = await world.service.status(world.week(3))
    assert [line.prompt.number for line in lines] == [1, 2, 3, 4]
    assert [line.counts for line in lines] == [ThreadCounts(1, 1), *[ThreadCounts()] * 3]
    assert [line.thread is not None for line in lines] == [True, True, True, False]


# --- collecting replies ----------------------------------------------------------------------------------


async def test_replies_are_cleaned_and_only_collected_where_members_were_told(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id
    assert await record(world, q1, 1, ALICE, "  My\u202e view\r\nhere  ")
    assert not await record(world, q1, 2, ALICE, " \u200b ")  # nothing left once cleaned (an image alone, say)
    assert not await record(world, 12345, 3, ALICE, "not a prompt thread")
    reply = await world.service.contributions.get(1)
    assert reply is not None and reply.text == "My view\nhere" and reply.user_id == ALICE and not reply.late

    await world.service.threads.set_collect_replies(world.week(3).prompts[0].id, False)
    assert not await record(world, q1, 4, BOB, "the starter says replies are not kept")


async def test_the_answer_window_flags_late_replies(world: World) -> None:
    await world.settings.update(GUILD_ID, answer_window=timedelta(hours=1))
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id
    world.clock.now = world.week(3).end + timedelta(minutes=59)
    await record(world, q1, 1, ALICE, "on time")
    world.clock.now = world.week(3).end + timedelta(minutes=61)
    await record(world, q1, 2, ALICE, "late")
    early, late = await world.service.contributions.for_prompt(world.week(3).prompts[0].id)
    assert (early.late, late.late) == (False, True)


async def test_edits_update_keep_history_or_remove_and_deletions_remove(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    await record(world, q1, 1, ALICE, "first")
    world.clock.advance(timedelta(minutes=1))
    await world.service.revise_reply(thread_id=q1, message_id=1, author_id=ALICE, raw_text="second", at=world.clock())
    reply = await world.service.contributions.get(1)
    assert reply is not None and reply.text == "second"
    assert [v.text for v in await world.service.contributions.versions(reply.id)] == ["first"]

    # A message that was only an image gets text: it becomes an answer now.
    await world.service.revise_reply(
        thread_id=q1, message_id=2, author_id=BOB, raw_text="now with words", at=world.clock()
    )
    assert (await world.service.contributions.get(2)) is not None
    # Edited down to nothing: no longer an answer.
    await world.service.revise_reply(thread_id=q1, message_id=2, author_id=BOB, raw_text="", at=world.clock())
    assert await world.service.contributions.get(2) is None
    # Edits elsewhere are none of the bot's business.
    await world.service.revise_reply(thread_id=12345, message_id=1, author_id=ALICE, raw_text="x", at=world.clock())
    assert (await world.service.contributions.get(1)) == reply

    assert await world.service.remove_replies([1, 77]) == 1
    assert await world.service.contributions.for_prompt(world.week(3).prompts[0].id) == []


async def test_after_close_edits_still_apply_but_nothing_new_is_recorded(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    await record(world, q1, 1, ALICE, "before")
    await world.service.close_week(world.week(3))
    await world.service.revise_reply(
        thread_id=q1, message_id=1, author_id=ALICE, raw_text="corrected", at=world.clock()
    )
    await world.service.revise_reply(
        thread_id=q1, message_id=2, author_id=BOB, raw_text="new after close", at=world.clock()
    )
    assert [r.text for r in await world.service.contributions.for_prompt(world.week(3).prompts[0].id)] == ["corrected"]


async def test_a_deleted_thread_is_forgotten_but_its_replies_stay_answers(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    await record(world, q1, 1, ALICE, "kept")
    assert await world.service.forget_thread(q1)
    assert not await world.service.forget_thread(q1)
    assert (await world.service.contributions.get(1)) is not None
    assert not await record(world, q1, 2, ALICE, "a thread no longer known")


# --- catching up after downtime ----------------------------------------------------------------------------


async def test_catch_up_applies_what_happened_while_the_bot_was_away(world: World) -> None:
    opened = await open_week(world)
    q1, q2 = (o.thread_id or 0 for o in opened.outcomes[:2])
    await record(world, q1, q1 * 10_000 + 1, ALICE, "kept as is")
    await record(world, q1, q1 * 10_000 + 2, BOB, "edited while away")
    await record(world, q1, q1 * 10_000 + 3, BOB, "deleted while away")
    await record(world, q1, q1 * 10_000 + 4, ALICE, "edited down to an image")
    posted = world.clock() + timedelta(minutes=5)
    edited = posted + timedelta(minutes=1)
    world.gateway.threads[q1].history = [
        ThreadMessage(q1 * 10_000 + 1, ALICE, "kept as is", world.clock(), None),
        ThreadMessage(q1 * 10_000 + 2, BOB, "edited, and better", world.clock(), edited),
        ThreadMessage(q1 * 10_000 + 4, ALICE, "", world.clock(), edited),
        ThreadMessage(q1 * 10_000 + 5, BOB, "posted while away", posted, None),
    ]
    world.gateway.threads[q2].history = [ThreadMessage(q2 * 10_000 + 1, ALICE, "in the second thread", posted, None)]

    report = await world.service.catch_up(GUILD_ID)
    assert (report.threads, report.added, report.updated, report.removed) == (4, 2, 1, 2)
    q1_replies = await world.service.contributions.for_prompt(world.week(3).prompts[0].id)
    assert [(r.message_id - q1 * 10_000, r.text) for r in q1_replies] == [
        (1, "kept as is"),
        (2, "edited, and better"),
        (5, "posted while away"),
    ]
    assert q1_replies[2].created_at == posted  # when the member posted it, not when the bot read it
    assert [v.text for v in await world.service.contributions.versions(q1_replies[1].id)] == ["edited while away"]
    # Nothing more to do the second time.
    again = await world.service.catch_up(GUILD_ID)
    assert not again.changed


async def test_catch_up_never_undoes_a_newer_live_edit_nor_removes_beyond_what_it_read(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    await record(world, q1, q1 * 10_000 + 1, ALICE, "first")
    await record(world, q1, q1 * 10_000 + 2, BOB, "beyond the read limit")
    live_edit = world.clock() + timedelta(minutes=10)
    await world.service.revise_reply(
        thread_id=q1, message_id=q1 * 10_000 + 1, author_id=ALICE, raw_text="newer", at=live_edit
    )
    # A history read before that edit, and cut short.
    world.gateway.threads[q1].history = [
        ThreadMessage(q1 * 10_000 + 1, ALICE, "older", world.clock(), world.clock() + timedelta(minutes=1)),
        *[ThreadMessage(q1 * 10_000 + 100 + n, BOB, "", world.clock(), None) for n in range(5000)],
    ]
    report = await world.service.catch_up(GUILD_ID)
    assert not report.changed
    texts = [r.text for r in await world.service.contributions.for_prompt(world.week(3).prompts[0].id)]
    assert texts == ["newer", "beyond the read limit"]


async def test_catch_up_skips_threads_it_may_not_read_or_that_do_not_collect_and_forgets_deleted_ones(
    world: World,
) -> None:
    opened = await open_week(world, collect=False)
    q1 = opened.outcomes[0].thread_id or 0
    await world.service.catch_up(GUILD_ID)
    assert not any(call.startswith("history") for call in world.gateway.calls)  # members were told: not kept

    await open_week(world, collect=True)
    del world.gateway.threads[q1]
    world.gateway.unreadable = True
    report = await world.service.catch_up(GUILD_ID)
    assert report == CatchUpReport(unreadable=3)
    assert q1 not in [t.thread_id for t in await world.service.threads_for_week(GUILD_ID, 3)]
    assert len(await world.service.threads_for_week(GUILD_ID, 3)) == 3


async def answers_of(world: World, week: int = 3) -> list[str]:
    texts: list[str] = []
    for prompt in world.week(week).prompts:
        texts += [r.text for r in await world.service.contributions.for_prompt(prompt.id)]
    return texts


async def test_without_read_message_history_the_catch_up_removes_nothing_and_says_why(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    await record(world, q1, q1 * 10_000 + 1, ALICE, "said before the restart")
    # Discord answers an empty history, not an error, to a bot without Read Message History.
    world.gateway.lacking = Permission.READ_MESSAGE_HISTORY
    report = await world.service.catch_up(GUILD_ID)
    assert (report.removed, report.unreadable) == (0, 4)
    assert await answers_of(world) == ["said before the restart"]
    assert not any(call.startswith("history") for call in world.gateway.calls)
    [problem] = world.service_problems.current(GUILD_ID)
    assert f"<#{HERE}>" in problem.text and "Read Message History" in problem.text
    assert "No answer was removed" in problem.text
    assert "Read Message History" in problem.fix and f"<#{HERE}>" in problem.fix

    world.gateway.lacking = Permission(0)  # an organiser gives it back; the next start catches up
    world.gateway.threads[q1].history = []  # and the member had indeed deleted the reply meanwhile
    report = await world.service.catch_up(GUILD_ID)
    assert report.removed == 1 and await answers_of(world) == []
    assert world.service_problems.current(GUILD_ID) == []


async def test_without_message_content_the_catch_up_removes_nothing(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    await record(world, q1, q1 * 10_000 + 1, ALICE, "kept")
    world.gateway.threads[q1].history = [ThreadMessage(q1 * 10_000 + 1, ALICE, "", world.clock(), None)]
    world.gateway.content = False
    report = await world.service.catch_up(GUILD_ID)
    assert report.removed == 0 and await answers_of(world) == ["kept"]
    [problem] = world.service_problems.current(GUILD_ID)
    assert "Message Content" in problem.text and "Message Content Intent" in problem.fix


async def test_a_reply_left_out_of_a_history_but_still_on_discord_keeps_every_unseen_answer(world: World) -> None:
    opened = await open_week(world)
    q1 = opened.outcomes[0].thread_id or 0
    for n in (1, 2, 3):
        await record(world, q1, q1 * 10_000 + n, ALICE, f"reply {n}")
    world.gateway.threads[q1].history = []
    world.gateway.threads[q1].hidden = {q1 * 10_000 + 2}  # 1 was deleted; 2 and 3: no evidence they were
    report = await world.service.catch_up(GUILD_ID)
    assert (report.removed, report.kept) == (1, 2)
    assert await answers_of(world) == ["reply 2", "reply 3"]
    [problem] = world.service_problems.current(GUILD_ID)
    assert f"<#{q1}>" in problem.text and "No answer was removed" in problem.text


# --- erasure and retention: the messages are still on Discord, they must not come back ----------------------

DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)


def snowflake(posted: datetime, n: int) -> int:
    """The id Discord gives a message posted at ``posted`` (an edit's posting time is read from it)."""
    return ((posted - DISCORD_EPOCH) // timedelta(milliseconds=1)) << 22 | n


def test_a_messages_posting_time_is_read_from_its_id() -> None:
    moment = datetime(2020, 8, 17, 19, 30, 0, 123000, tzinfo=UTC)
    assert posted_at(snowflake(moment, 4095)) == moment
    # The example in Discord's documentation of snowflakes.
    assert posted_at(175928847299117063) == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)


async def texts_of(world: World, user_id: int, prompt_number: int = 1) -> list[str]:
    replies = await world.service.contributions.for_prompt(world.week(3).prompts[prompt_number - 1].id)
    return [r.text for r in replies if r.user_id == user_id]


async def consented_at(db: Database, user_id: int) -> str | None:
    row = await db.fetchone(
        "SELECT consented_at FROM consents WHERE community_id = ? AND user_id = ?", (GUILD_ID, user_id)
    )
    return None if row is None else str(row[0])


async def test_an_erased_members_old_messages_never_come_back_but_what_they_post_later_counts(
    world: World, db: Database
) -> None:
    answers = AnswerService(db, clock=world.clock)
    q1 = (await open_week(world)).outcomes[0].thread_id or 0
    t0 = world.clock()
    minute = timedelta(minutes=1)
    first, second, bobs, unseen = (snowflake(t0 + n * minute, n) for n in range(4))
    for message_id, author, text in ((first, ALICE, "my view"), (second, ALICE, "a second thought"), (bobs, BOB, "b")):
        world.clock.now = posted_at(message_id)
        assert await record(world, q1, message_id, author, text)

    world.clock.now = t0 + timedelta(hours=1)
    report = await answers.erase_member(GUILD_ID, ALICE)
    assert (report.answers, report.consent) == (2, True)
    later = world.clock() + 10 * minute
    # The bot restarts: every message is still in the thread, one edited since, one posted while it was down.
    world.gateway.threads[q1].history = [
        ThreadMessage(first, ALICE, "my view", posted_at(first), None),
        ThreadMessage(second, ALICE, "a second thought, edited", posted_at(second), later),
        ThreadMessage(bobs, BOB, "b", posted_at(bobs), None),
        ThreadMessage(unseen, ALICE, "posted while the bot was down", posted_at(unseen), None),
    ]
    caught_up = await world.service.catch_up(GUILD_ID)
    assert (caught_up.added, caught_up.updated, caught_up.removed) == (0, 0, 0)
    assert await texts_of(world, ALICE) == [] and await consented_at(db, ALICE) is None
    assert await texts_of(world, BOB) == ["b"]

    # Editing an old message after the erasure does not record it either.
    world.clock.now = later
    for message_id in (first, unseen):
        await world.service.revise_reply(
            thread_id=q1, message_id=message_id, author_id=ALICE, raw_text="edited after", at=later
        )
    assert await texts_of(world, ALICE) == [] and await consented_at(db, ALICE) is None

    # Posted after the erasure: a new contribution, freely given, with a new consent.
    fresh, image = snowflake(later, 4), snowflake(later + minute, 5)
    assert await record(world, q1, fresh, ALICE, "a new view")
    await world.service.revise_reply(  # posted as an image alone, given words later
        thread_id=q1, message_id=image, author_id=ALICE, raw_text="words added", at=later + 2 * minute
    )
    assert await texts_of(world, ALICE) == ["a new view", "words added"]
    assert await consented_at(db, ALICE) == "2020-08-17T20:40:00.000000Z"
    world.gateway.threads[q1].history += [
        ThreadMessage(fresh, ALICE, "a new view", later, None),
        ThreadMessage(image, ALICE, "words added", later + minute, later + 2 * minute),
    ]
    assert not (await world.service.catch_up(GUILD_ID)).changed
    assert await texts_of(world, ALICE) == ["a new view", "words added"]


async def test_after_retention_nothing_comes_back_and_reopened_threads_collect_only_new_replies(
    world: World, db: Database
) -> None:
    opened = await open_week(world)
    q1, q2 = (o.thread_id or 0 for o in opened.outcomes[:2])
    t0 = world.clock()
    minute = timedelta(minutes=1)
    alices, bobs, unseen = (snowflake(t0 + n * minute, n) for n in range(3))
    for message_id, author in ((alices, ALICE), (bobs, BOB)):
        world.clock.now = posted_at(message_id)
        assert await record(world, q1, message_id, author, f"reply {message_id}")
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) VALUES (?, ?, ?)",
            (GUILD_ID, BOB, "2020-08-01T00:00:00.000000Z"),
        )
    await world.settings.update(GUILD_ID, retention=timedelta(days=1))
    retention = RetentionService(db, world.settings, clock=world.clock)
    world.clock.now = max(s.end for s in world.programme.sessions) + timedelta(days=2)
    assert [o.action for o in await retention.run_due()] == [RetentionAction.WARN]
    world.clock.advance(timedelta(days=7))
    [outcome] = await retention.run_due()
    assert (outcome.action, outcome.deleted) == (RetentionAction.DELETE, 2)
    for table in ("answers", "consents", "dm_subscriptions"):
        assert await db.fetchall(f"SELECT * FROM {table}") == [], table
    assert not any(t.collect_replies for t in await world.service.threads_for_week(GUILD_ID, 3))

    # The bot restarts; the messages are all still on Discord. Live replies are not collected either.
    world.gateway.threads[q1].history = [
        ThreadMessage(alices, ALICE, f"reply {alices}", posted_at(alices), None),
        ThreadMessage(bobs, BOB, f"reply {bobs}", posted_at(bobs), None),
        ThreadMessage(unseen, ALICE, "posted while the bot was down", posted_at(unseen), None),
    ]
    assert not (await world.service.catch_up(GUILD_ID)).changed
    deleted_at = world.clock()
    assert not await record(world, q2, snowflake(deleted_at, 1), BOB, "after the programme")
    assert await db.fetchall("SELECT * FROM answers") == []
    assert await db.fetchall("SELECT * FROM consents") == []

    # A facilitator opens the week again for a new run: new replies count, the old ones stay deleted.
    world.clock.advance(timedelta(days=1))
    reopened = await open_week(world)
    assert all(o.starter_updated for o in reopened.outcomes)
    assert all(t.collect_replies for t in await world.service.threads_for_week(GUILD_ID, 3))
    assert not (await world.service.catch_up(GUILD_ID)).changed
    await world.service.revise_reply(
        thread_id=q1, message_id=alices, author_id=ALICE, raw_text="edited for the new run", at=world.clock()
    )
    assert await texts_of(world, ALICE) == []
    assert await record(world, q1, snowflake(world.clock(), 7), ALICE, "in the new run")
    assert await texts_of(world, ALICE) == ["in the new run"]
