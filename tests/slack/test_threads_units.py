"""Prompt threads on Slack: the thread gateway and the message listeners with the real threads service and
database, over a small fake of AsyncWebClient. Parent messages, replies collected, edits, deletions, the
summary on close, and the catch-up after downtime, which never removes an answer on a read it cannot trust."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.platform_ids import int_to_slack_ts, slack_id_to_int, slack_ts_to_int
from bot.domain.programme import Programme, SessionRecord
from bot.domain.server_settings import ServerDefaults
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.services.threads import Closed, Opened, ThreadService
from bot.storage.engine import Database
from slack_app._adapters import SlackThreadGateway, SlackWeb
from slack_app._adapters._pacing import Pacer
from slack_app.organiser._setup import problem_lines
from slack_app.threads import handle_message_event
from tests.harness import FakeClock
from tests.slack.delivery_fakes import FakeWebClient, slack_error

TEAM = slack_id_to_int("T0TEAM")
DISCUSS = "C0DISCUSS"
ALICE, BOB = "U0ALICE", "U0BOB"


async def no_sleep(seconds: float) -> None:
    return None


@dataclasses.dataclass
class World:
    service: ThreadService
    gateway: SlackThreadGateway
    client: FakeWebClient
    session: SessionRecord
    problems: RuntimeProblems

    def reply(self, thread_ts: str, user: str, text: str) -> dict[str, Any]:
        message = {"type": "message", "ts": self.client.next_ts(), "thread_ts": thread_ts, "user": user, "text": text}
        self.client.messages[DISCUSS].append(message)
        return {**message, "channel": DISCUSS}

    async def answers(self) -> dict[int, list[str]]:
        return {p.id: [c.text for c in await self.service.contributions.for_prompt(p.id)] for p in self.session.prompts}

    async def thread_ts(self) -> list[str]:
        threads = await self.service.threads.for_prompts([p.id for p in self.session.prompts])
        return [int_to_slack_ts(threads[p.id].thread_id) for p in self.session.prompts]


def fresh_gateway(client: FakeWebClient) -> SlackThreadGateway:
    return SlackThreadGateway(SlackWeb(client, pacer=Pacer(sleep=no_sleep)))  # type: ignore[arg-type]


@pytest.fixture
async def world(db: Database, programme: Programme) -> World:
    clock = FakeClock(datetime(2020, 8, 17, 19, 30, tzinfo=UTC))  # during week 3
    programmes = ProgrammeService(db, clock=clock)
    await programmes.import_programme(TEAM, programme)
    settings = ServerSettingsService(db, ServerDefaults(), clock=clock)
    client = FakeWebClient()
    client.add_channel(DISCUSS)
    client.add_channel("C0OTHER")
    gateway = fresh_gateway(client)
    problems = RuntimeProblems(clock)
    service = ThreadService(db, settings, gateway=gateway, problems=problems, clock=clock)
    session = (await programmes.require(TEAM)).session_for_week(3)
    assert session is not None
    return World(service, gateway, client, session, problems)


async def open_threads(world: World) -> list[str]:
    report = await world.service.open_week(
        world.session, here_channel_id=slack_id_to_int(DISCUSS), collect_replies=True
    )
    assert {o.result for o in report.outcomes} == {Opened.CREATED}
    return await world.thread_ts()


async def test_open_posts_one_parent_per_prompt_with_its_answer_button(world: World) -> None:
    parents = await open_threads(world)
    posts = world.client.calls_of("chat.postMessage")
    assert len(posts) == len(world.session.prompts) == len(parents)
    for post, prompt in zip(posts, world.session.prompts, strict=True):
        assert post["channel"] == DISCUSS and "Reply in this thread to answer" in post["text"]
        [button] = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert button["action_id"] == f"answer:{prompt.id}"


async def test_replies_edits_and_deletions_follow_the_thread(world: World) -> None:
    first, *_ = await open_threads(world)
    prompt = world.session.prompts[0]
    reply = world.reply(first, ALICE, "We need &lt;more&gt; organising")
    await handle_message_event(world.service, reply)
    await handle_message_event(world.service, world.reply(first, "U0BOTX", "bot chatter") | {"bot_id": "B1"})
    await handle_message_event(
        world.service,
        {"type": "message", "ts": world.client.next_ts(), "user": BOB, "text": "not in a thread", "channel": DISCUSS},
    )
    assert (await world.answers())[prompt.id] == ["We need <more> organising"]

    edited = {**reply, "text": "We need more unions", "edited": {"user": ALICE, "ts": world.client.next_ts()}}
    await handle_message_event(
        world.service,
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DISCUSS,
            "message": edited,
            "previous_message": reply,
        },
    )
    assert (await world.answers())[prompt.id] == ["We need more unions"]

    await handle_message_event(
        world.service,
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": DISCUSS,
            "deleted_ts": reply["ts"],
            "previous_message": edited,
        },
    )
    assert (await world.answers())[prompt.id] == []


async def test_close_posts_the_summary_in_each_thread_and_stops_collecting(world: World) -> None:
    parents = await open_threads(world)
    await handle_message_event(world.service, world.reply(parents[0], ALICE, "An answer"))
    report = await world.service.close_week(world.session)
    assert {o.result for o in report.outcomes} == {Closed.ARCHIVED}  # Slack cannot lock a thread
    summaries = [p for p in world.client.calls_of("chat.postMessage") if p.get("thread_ts")]
    assert [s["thread_ts"] for s in summaries] == parents
    assert "1 reply from 1 member was recorded" in summaries[0]["text"]
    await handle_message_event(world.service, world.reply(parents[0], BOB, "Too late"))
    assert (await world.answers())[world.session.prompts[0].id] == ["An answer"]


async def test_after_a_restart_the_gateway_finds_each_threads_channel(world: World) -> None:
    parents = await open_threads(world)
    restarted = fresh_gateway(world.client)
    service = ThreadService(world.service.threads._db, world.service._settings, gateway=restarted)  # type: ignore[attr-defined]
    report = await service.close_week(world.session)
    assert {o.result for o in report.outcomes} == {Closed.ARCHIVED}
    assert len(world.client.calls_of("users.conversations")) == 1  # once: the other threads are looked for where
    # the first one was found
    assert [s["thread_ts"] for s in world.client.calls_of("chat.postMessage") if s.get("thread_ts")] == parents


@pytest.mark.parametrize("code", ["not_in_channel", "missing_scope", "channel_not_found"])
async def test_catch_up_removes_nothing_on_a_read_it_cannot_trust(world: World, code: str) -> None:
    parents = await open_threads(world)
    await handle_message_event(world.service, world.reply(parents[0], ALICE, "Kept"))
    world.client.messages[DISCUSS] = [m for m in world.client.messages[DISCUSS] if m.get("user") != ALICE]
    world.client.errors["conversations.replies"] = [slack_error(code, needed="channels:history")] * 10
    report = await world.service.catch_up(TEAM)
    assert report.removed == 0 and report.unreadable >= 1
    assert (await world.answers())[world.session.prompts[0].id] == ["Kept"]
    assert world.problems.current(TEAM)


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("not_in_channel", "the bot is not a member of <#"),
        ("missing_scope", "the app lacks the scope channels:history: reinstall it from the manifest"),
    ],
)
async def test_a_thread_history_it_cannot_read_is_told_to_organisers_in_slacks_words(
    world: World, code: str, says: str
) -> None:
    """conversations.replies refused (docs.slack.dev/reference/methods/conversations.replies, "Errors"): the
    problem organisers see names the channel by Slack's link and says to invite the bot or reinstall the app."""
    parents = await open_threads(world)
    await handle_message_event(world.service, world.reply(parents[0], ALICE, "Kept"))
    world.client.errors["conversations.replies"] = [slack_error(code, needed="channels:history")] * 10
    await world.service.catch_up(TEAM)
    [problem] = world.problems.current(TEAM)
    assert problem.text.startswith("The bot cannot read the thread's replies: ")
    assert says in problem.text and problem.text.endswith("No answer was removed.")
    [line] = problem_lines([problem])  # as /workshop setup's Health part shows it
    assert "&lt;" not in line  # a channel it names is Slack's link, not escaped text
    assert f"Fix: Invite the bot to <#{DISCUSS}> (/invite there)" in line and "channels:history scope" in line
    for words in ("Discord", "Permissions", "Read Message History", "View Channel", "Edit Channel"):
        assert words not in line


async def test_catch_up_removes_nothing_on_a_partial_read(world: World) -> None:
    parents = await open_threads(world)
    events = [world.reply(parents[0], f"U0M{n}", f"Reply {n}") for n in range(5)]
    for event in events:
        await handle_message_event(world.service, event)
    world.client.page_size = 2
    # The second page fails: the history is partial, so the replies it did not show are kept.
    world.client.messages[DISCUSS] = [m for m in world.client.messages[DISCUSS] if m.get("text") != "Reply 0"]

    calls = {"n": 0}
    original = world.client.conversations_replies

    async def failing_second_page(**arguments: Any) -> Any:
        calls["n"] += 1
        if arguments.get("cursor"):
            raise slack_error("internal_error", status=500)
        return await original(**arguments)

    world.client.conversations_replies = failing_second_page  # type: ignore[method-assign]
    report = await world.service.catch_up(TEAM)
    assert report.removed == 0
    assert len((await world.answers())[world.session.prompts[0].id]) == 5


def test_ids_of_replies_are_their_ts() -> None:
    assert slack_ts_to_int("1700000000.000002") != slack_ts_to_int("1700000000.000001")


# The gateway's own reads, which the catch-up relies on: a refused read is never an empty history.


@pytest.mark.parametrize("code", ["not_in_channel", "missing_scope", "channel_not_found"])
async def test_a_refused_history_is_an_error_never_empty(world: World, code: str) -> None:
    from bot.services.threads import BotLacksPermissionError

    parents = await open_threads(world)
    world.client.errors["conversations.replies"].append(slack_error(code, needed="channels:history"))
    with pytest.raises(BotLacksPermissionError):
        await world.gateway.thread_history(slack_ts_to_int(parents[0]), limit=100)


async def test_a_history_cut_short_is_incomplete(world: World) -> None:
    parents = await open_threads(world)
    for n in range(5):
        world.reply(parents[0], f"U0M{n}", f"Reply {n}")
    world.client.page_size = 2
    original = world.client.conversations_replies

    async def failing_later_pages(**arguments: Any) -> Any:
        if arguments.get("cursor"):
            raise slack_error("ratelimited", status=429, retry_after=120)
        return await original(**arguments)

    world.client.conversations_replies = failing_later_pages  # type: ignore[method-assign]
    history = await world.gateway.thread_history(slack_ts_to_int(parents[0]), limit=100)
    assert not history.complete and [m.text for m in history.messages] == ["Reply 0", "Reply 1"]
    world.client.conversations_replies = original  # type: ignore[method-assign]
    history = await world.gateway.thread_history(slack_ts_to_int(parents[0]), limit=100)
    assert history.complete and len(history.messages) == 5
    assert not (await world.gateway.thread_history(slack_ts_to_int(parents[0]), limit=3)).complete


async def test_a_message_counts_as_deleted_only_on_evidence(world: World) -> None:
    parents = await open_threads(world)
    event = world.reply(parents[0], ALICE, "Here")
    thread, message = slack_ts_to_int(parents[0]), slack_ts_to_int(event["ts"])
    assert not await world.gateway.message_deleted(thread, message)
    world.client.messages[DISCUSS] = [m for m in world.client.messages[DISCUSS] if m["ts"] != event["ts"]]
    world.client.errors["conversations.replies"].append(slack_error("not_in_channel"))
    assert not await world.gateway.message_deleted(thread, message)  # no evidence either way
    assert await world.gateway.message_deleted(thread, message)


async def test_a_thread_found_in_no_channel_the_bot_is_in_is_unreadable_not_gone(world: World) -> None:
    from bot.services.threads import BotLacksPermissionError

    parents = await open_threads(world)
    world.client.channels[DISCUSS]["is_member"] = False  # the bot was removed from the channel while down
    restarted = fresh_gateway(world.client)
    with pytest.raises(BotLacksPermissionError, match="invite it back"):
        await restarted.thread_state(slack_ts_to_int(parents[0]))
