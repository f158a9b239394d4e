"""Facilitators run a week's threads with ``/workshop threads``, driven only as Slack would: one parent message
per prompt in the discussion channel, replies collected as answers, the Answer buttons on the parents opening
the answer form, and close posting the summaries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from tests.fakeslack import FakeSlack
from tests.slack.harness import SlackRunner
from tests.slack.helpers import action_ids, until, view_showing, visible


async def answers_of(fake: FakeSlack, member: str) -> str:
    return visible(await (await fake.slash(member, "/workshop", "mydata show")).reply())


async def eventually(
    look: Callable[[], Awaitable[str]], holds: Callable[[str], bool], what: str, timeout: float = 10.0
) -> str:
    """Look again, as a member would, until what they see holds (the bot records replies as events arrive)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = await look()
        if holds(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {seen!r}")
        await asyncio.sleep(0.05)


async def choose_groups_and_channel(fake: FakeSlack) -> None:
    """What an organiser does first: the discussion channel and the facilitator group, in the setup modal."""
    world = fake.world
    await fake.slash("owner", "/workshop", "setup")
    form = await view_showing(fake, "owner", "Facilitator user group")
    await fake.submit_view(
        "owner",
        {"discussion_channel": world.channel("discussion").id, "facilitator_group": world.usergroup("facilitators").id},
        view=form,
    )
    await view_showing(fake, "owner", "Saved:")
    await fake.close_view("owner")


async def test_a_facilitator_opens_collects_and_closes_a_weeks_threads(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups_and_channel(fake_slack)
        refused = await (await fake_slack.slash("alice", "/workshop", "threads open 2")).reply()
        assert refused.text.startswith("Only facilitators can use `/workshop threads`")

        opened = await (await fake_slack.slash("fay", "/workshop", "threads open 2")).reply()
        assert "one thread per question in <#" in opened.text and "*Q1* · created" in opened.text
        parents = await until(
            fake_slack,
            lambda: [m for m in fake_slack.messages_in("discussion") if m.via == "api"],
            "the thread parents in #discussion",
        )
        assert len(parents) == opened.text.count("· created")

        await fake_slack.post_message("bob", "discussion", "Talk <!channel> to neighbours", thread_ts=parents[0].ts)
        mine = await eventually(
            lambda: answers_of(fake_slack, "bob"), lambda text: "Talk" in text, "bob's reply recorded as an answer"
        )
        assert "Talk &lt;!channel&gt; to neighbours" in mine and "<!channel>" not in mine

        button = next(a for a in action_ids(parents[0]) if a.startswith("answer:"))
        await fake_slack.click("carol", button, message=parents[0])
        assert "Week 2" in visible(await view_showing(fake_slack, "carol", "prompt 1 of"))

        closed = await (await fake_slack.slash("fay", "/workshop", "threads close 2")).reply()
        assert "Slack cannot lock a thread" in closed.text and "1 reply from 1 member" in closed.text
        assert "*Q1* · closed · 1 reply from 1 member" in closed.text  # Slack's threads are never archived
        assert "archived" not in closed.text and "locked" not in closed.text


DISCORD_WORDS = ("Discord", "Permissions", "Send Messages", "Create Public Threads", "week:")


async def test_a_channel_without_the_bot_refuses_threads_in_slacks_words(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    """Slack has no channel permissions to grant: the fix is inviting the bot, and the command is /workshop's."""
    async with slack_runner.running():
        await choose_groups_and_channel(fake_slack)
        world = fake_slack.world
        discussion = world.channel("discussion")
        discussion.members.discard(world.bot.id)
        refused = (await (await fake_slack.slash("fay", "/workshop", "threads open 2")).reply()).text
        assert f"The bot cannot open threads in <#{discussion.id}>: it is not a member of the channel" in refused
        assert "Nothing was created." in refused
        assert f"Invite the bot to <#{discussion.id}> (/invite there)" in refused
        assert "then run `/workshop threads open 2` again." in refused
        assert not [m for m in fake_slack.messages_in("discussion") if m.via == "api"]

        discussion.members.add(world.bot.id)
        opened = (await (await fake_slack.slash("fay", "/workshop", "threads open 2")).reply()).text
        assert "· created" in opened
        discussion.members.discard(world.bot.id)
        refused_close = (await (await fake_slack.slash("fay", "/workshop", "threads close 2")).reply()).text
        assert f"The bot cannot close the threads in <#{discussion.id}>" in refused_close
        assert "so it cannot post their summaries. Nothing was closed." in refused_close
        assert "then run `/workshop threads close 2` again." in refused_close
        for words in DISCORD_WORDS:
            assert words not in refused and words not in refused_close
