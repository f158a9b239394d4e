"""Prompt threads on the local Slack: the bot (bolt over Socket Mode, the thread listeners, the threads service
with the Slack gateway) posts one parent per prompt; members reply, edit and delete as they would in Slack;
close posts the summary and stops collecting; the catch-up reads what happened while the bot was away and
removes nothing on a read it cannot trust."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from slack_bolt.async_app import AsyncApp

from bot.domain.platform_ids import slack_id_to_int, slack_ts_to_int
from bot.domain.programme import Programme, SessionRecord
from bot.domain.server_settings import ServerDefaults
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.services.threads import Closed, Opened, ThreadService
from bot.storage.engine import Database
from slack_app import threads as thread_listeners
from slack_app._adapters import SlackLimits, SlackThreadGateway, SlackWeb
from slack_app.organiser._setup import problem_lines
from tests.fakeslack import TEAM_ID, FakeSlack, Message
from tests.harness import FakeClock
from tests.slack.delivery_fakes import local_slack  # noqa: F401 - the fixture

TEAM = slack_id_to_int(TEAM_ID)
FAST = SlackLimits(scale=600)


@dataclasses.dataclass
class Bot:
    fake: FakeSlack
    service: ThreadService
    gateway: SlackThreadGateway
    session: SessionRecord
    problems: RuntimeProblems

    @property
    def threads(self) -> ThreadService:  # what the listeners are given: the core's services
        return self.service

    async def answers(self, prompt_index: int = 0) -> list[str]:
        prompt = self.session.prompts[prompt_index]
        return sorted(c.text for c in await self.service.contributions.for_prompt(prompt.id))

    async def until(self, probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not await probe():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def open(self) -> list[str]:
        channel = slack_id_to_int(self.fake.world.channel("discussion").id)
        report = await self.service.open_week(self.session, here_channel_id=channel, collect_replies=True)
        assert {o.result for o in report.outcomes} == {Opened.CREATED}
        threads = await self.service.threads.for_prompts([p.id for p in self.session.prompts])
        parents = [m.ts for m in self.fake.world.history("discussion") if m.bot_id]
        assert [slack_ts_to_int(ts) for ts in parents] == [threads[p.id].thread_id for p in self.session.prompts]
        return parents


@pytest.fixture
async def bot(local_slack: FakeSlack, db: Database, programme: Programme) -> AsyncIterator[Bot]:  # noqa: F811
    clock = FakeClock(datetime(2020, 8, 17, 19, 30, tzinfo=UTC))  # during week 3
    programmes = ProgrammeService(db, clock=clock)
    await programmes.import_programme(TEAM, programme)
    settings = ServerSettingsService(db, ServerDefaults(), clock=clock)
    gateway = SlackThreadGateway(SlackWeb(local_slack.web_client(), limits=FAST))
    problems = RuntimeProblems(clock)
    service = ThreadService(db, settings, gateway=gateway, problems=problems, clock=clock)
    session = (await programmes.require(TEAM)).session_for_week(3)
    assert session is not None
    yield Bot(local_slack, service, gateway, session, problems)


@pytest.fixture
async def listening(bot: Bot) -> AsyncIterator[Bot]:
    app = AsyncApp(client=bot.fake.web_client())
    thread_listeners.register(app, bot, gateway=bot.gateway)
    async with bot.fake.run_app(app):
        yield bot


async def test_replies_edits_and_deletions_in_a_thread_follow_the_members(listening: Bot) -> None:
    bot = listening
    first, second, *_ = await bot.open()
    parent = bot.fake.world.message("discussion", first)
    assert parent is not None and "Reply in this thread to answer" in parent.text
    reply: Message = await bot.fake.post_message(
        "alice", "discussion", "We need <!channel> more organising", thread_ts=first
    )
    await bot.fake.post_message("bob", "discussion", "Not in a thread")
    await bot.fake.post_message("carol", "discussion", "Also sent to the channel", thread_ts=second, broadcast=True)

    async def recorded() -> bool:
        return await bot.answers() == ["We need <!channel> more organising"] and len(await bot.answers(1)) == 1

    await bot.until(recorded, "the replies as answers")
    await bot.fake.edit_message(reply, "We need more unions")

    async def edited() -> bool:
        return await bot.answers() == ["We need more unions"]

    await bot.until(edited, "the edit")
    await bot.fake.delete_message(reply)

    async def removed() -> bool:
        return await bot.answers() == []

    await bot.until(removed, "the deletion")


async def test_close_posts_a_summary_in_each_thread_and_later_replies_are_not_kept(listening: Bot) -> None:
    bot = listening
    parents = await bot.open()
    await bot.fake.post_message("alice", "discussion", "An answer", thread_ts=parents[0])

    async def one() -> bool:
        return await bot.answers() == ["An answer"]

    await bot.until(one, "the reply")
    report = await bot.service.close_week(bot.session)
    assert {o.result for o in report.outcomes} == {Closed.ARCHIVED}  # Slack cannot lock a thread
    for ts in parents:
        summary = bot.fake.world.thread("discussion", ts)[-1]
        assert summary.bot_id and "This question is closed" in summary.text
    assert "1 reply from 1 member was recorded" in bot.fake.world.thread("discussion", parents[0])[-1].text
    await bot.fake.post_message("bob", "discussion", "Too late", thread_ts=parents[0])
    await asyncio.sleep(0.2)
    assert await bot.answers() == ["An answer"]


async def test_after_a_restart_the_catch_up_finds_each_thread_and_applies_what_happened_meanwhile(
    bot: Bot, db: Database
) -> None:
    """A new process knows no thread's channel: it finds them with users.conversations, then reads each thread
    and records the replies posted, edited and deleted while the bot was down."""
    parents = await bot.open()
    edited = await bot.fake.post_message("alice", "discussion", "First thoughts", thread_ts=parents[0])
    gone = await bot.fake.post_message("bob", "discussion", "Posted then deleted", thread_ts=parents[0])
    report = await bot.service.catch_up(TEAM)
    assert report.added == 2
    # The process stops; meanwhile one reply is edited, one deleted and one posted.
    await bot.fake.edit_message(edited, "Second thoughts")
    await bot.fake.delete_message(gone)
    await bot.fake.post_message("carol", "discussion", "While it was down", thread_ts=parents[1])
    clock = FakeClock(datetime(2020, 8, 17, 20, 0, tzinfo=UTC))
    restarted = ThreadService(
        db,
        ServerSettingsService(db, ServerDefaults(), clock=clock),
        gateway=SlackThreadGateway(SlackWeb(bot.fake.web_client(), limits=FAST)),
        problems=RuntimeProblems(clock),
        clock=clock,
    )
    looked_up = bot.fake.count("users.conversations")
    report = await restarted.catch_up(TEAM)
    assert bot.fake.count("users.conversations") == looked_up + 1  # once: every thread is in the same channel
    assert report.removed == 1 and report.unreadable == 0
    assert await bot.answers() == ["Second thoughts"]
    assert await bot.answers(1) == ["While it was down"]


async def test_the_catch_up_records_replies_posted_while_the_bot_was_away(bot: Bot) -> None:
    """The bot was not listening (its socket was down): the catch-up reads each thread."""
    parents = await bot.open()
    await bot.fake.post_message("alice", "discussion", "Written while it was down", thread_ts=parents[0])
    await bot.fake.post_message("bob", "discussion", "Me too", thread_ts=parents[0])
    report = await bot.service.catch_up(TEAM)
    assert report.added == 2 and report.removed == 0
    assert await bot.answers() == ["Me too", "Written while it was down"]


async def test_the_catch_up_removes_nothing_when_the_bot_may_not_read_the_channel(bot: Bot) -> None:
    parents = await bot.open()
    await bot.service.record_reply(
        thread_id=slack_ts_to_int(parents[0]),
        message_id=slack_ts_to_int(
            (await bot.fake.post_message("alice", "discussion", "Kept", thread_ts=parents[0])).ts
        ),
        author_id=slack_id_to_int(bot.fake.world.user("alice").id),
        raw_text="Kept",
        at=datetime(2020, 8, 17, 19, 31, tzinfo=UTC),
    )
    world = bot.fake.world
    world.channel("discussion").members.discard(world.bot.id)  # removed from the channel while down
    report = await bot.service.catch_up(TEAM)
    assert report.removed == 0 and report.unreadable >= 1
    assert await bot.answers() == ["Kept"]
    assert bot.problems.current(TEAM)


DISCORD_WORDS = ("Discord", "Permissions", "Read Message History", "View Channel", "Manage", "Send Messages")


async def test_organisers_are_told_in_slacks_words_to_invite_the_bot_back_to_the_threads_channel(bot: Bot) -> None:
    """Slack has no channel permissions to edit: a bot removed from the channel is invited back, and the channel
    is named by Slack's own link (<#C…>), which Slack shows as the channel's name."""
    await bot.open()
    world = bot.fake.world
    channel = world.channel("discussion").id
    world.channel("discussion").members.discard(world.bot.id)
    await bot.service.catch_up(TEAM)
    [line] = problem_lines(bot.problems.current(TEAM))  # as /workshop setup's Health part shows it
    assert line.startswith(f"✗ while running: The bot cannot read the prompt threads in <#{channel}>: it is not a")
    assert "No answer was removed. Fix: Invite the bot to <#" + channel + "> (/invite there)" in line
    for words in DISCORD_WORDS:
        assert words not in line

    world.channel("discussion").members.add(world.bot.id)  # invited back: the next catch-up clears it
    await bot.service.catch_up(TEAM)
    assert bot.problems.current(TEAM) == []


async def test_a_reply_counts_as_deleted_only_when_slack_shows_the_thread_without_it(bot: Bot) -> None:
    parents = await bot.open()
    reply = await bot.fake.post_message("alice", "discussion", "Here", thread_ts=parents[0])
    thread, message = slack_ts_to_int(parents[0]), slack_ts_to_int(reply.ts)
    assert not await bot.gateway.message_deleted(thread, message)
    await bot.fake.delete_message(reply)
    world = bot.fake.world
    world.channel("discussion").members.discard(world.bot.id)
    assert not await bot.gateway.message_deleted(thread, message)  # cannot read: no evidence
    world.channel("discussion").members.add(world.bot.id)
    assert await bot.gateway.message_deleted(thread, message)


async def test_a_parent_deleted_by_hand_is_made_anew_when_the_week_is_opened_again(bot: Bot) -> None:
    parents = await bot.open()
    parent = bot.fake.world.message("discussion", parents[0])
    assert parent is not None
    await bot.fake.delete_message(parent)
    channel = slack_id_to_int(bot.fake.world.channel("discussion").id)
    report = await bot.service.open_week(bot.session, here_channel_id=channel, collect_replies=True)
    assert [o.result for o in report.outcomes] == [Opened.RECREATED] + [Opened.ALREADY_OPEN] * (len(parents) - 1)


async def test_closing_a_thread_whose_parent_was_deleted_forgets_it_and_posts_nothing_there(bot: Bot) -> None:
    parents = await bot.open()
    parent = bot.fake.world.message("discussion", parents[0])
    assert parent is not None
    await bot.fake.delete_message(parent)
    report = await bot.service.close_week(bot.session)
    assert [o.result for o in report.outcomes] == [Closed.GONE] + [Closed.ARCHIVED] * (len(parents) - 1)
    assert bot.fake.world.thread("discussion", parents[0]) == []
