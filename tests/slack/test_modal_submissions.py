"""A modal's submission answered with its outcome: in the ack when the work is quick, after a "working" view when
it is not (slack_app/_submission.py). Slack waits 3 seconds for the ack (docs.slack.dev/tools/bolt-python/concepts/
acknowledge) and honours ``response_action: update`` in it (docs.slack.dev/surfaces/modals "Updating views after a
submission")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

import slack_app._submission as submission
from tests.fakeslack import FakeSlack
from tests.slack.harness import SlackRunner
from tests.slack.helpers import until, view_showing, visible

SLACK_ACK_LIMIT = 3.0


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pause between a "working" ack and its update, shortened: these tests wait for the update anyway."""
    monkeypatch.setattr(submission, "ACK_SETTLE", 0.05)


def updates_of(fake: FakeSlack, view_id: str) -> int:
    return sum(1 for call in fake.calls_to("views.update") if call.args.get("view_id") == view_id)


def held(original: Callable[..., Awaitable[Any]], gate: asyncio.Event) -> Callable[..., Awaitable[Any]]:
    """``original``, waiting for ``gate`` first: work that outlasts the ack budget."""

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await original(*args, **kwargs)

    return slow


async def test_a_quick_answer_is_acknowledged_with_its_outcome(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await fake_slack.slash("alice", "/workshop", "answer 1 1")
        form = await view_showing(fake_slack, "alice", "Up to 3,000 characters")
        filled = updates_of(fake_slack, form.id)  # the form itself came by views.update, after "Loading…"
        sent = await fake_slack.submit_view("alice", {"text": "More local housing"}, view=form)
        ack = await sent.acked()
        assert ack is not None and ack["response_action"] == "update"
        assert "Saved your answer" in visible(ack["view"]["blocks"])  # the outcome itself, not "Saving…"
        assert "&gt; More local housing" in visible(form)
        assert sent.ack_seconds is not None and sent.ack_seconds < SLACK_ACK_LIMIT
        assert updates_of(fake_slack, form.id) == filled  # nothing left to race the ack


async def test_a_slow_answer_says_saving_then_shows_its_outcome(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    slack_runner.monkeypatch.setattr(submission, "ACK_BUDGET", 0.2)
    async with slack_runner.running() as front:
        answers = front.context.services.answers
        gate = asyncio.Event()
        slack_runner.monkeypatch.setattr(answers, "submit", held(answers.submit, gate))
        await fake_slack.slash("bob", "/workshop", "answer 1 1")
        form = await view_showing(fake_slack, "bob", "Up to 3,000 characters")
        filled = updates_of(fake_slack, form.id)
        sent = await fake_slack.submit_view("bob", {"text": "Listen first"}, view=form)

        ack = await sent.acked()  # within Slack's 3 s although the saving is still held
        assert ack is not None and "Saving your answer…" in visible(ack["view"]["blocks"])
        assert "Saving your answer…" in visible(form) and updates_of(fake_slack, form.id) == filled

        gate.set()
        done = await view_showing(fake_slack, "bob", "Saved your answer")
        assert done is form and "&gt; Listen first" in visible(done)
        assert updates_of(fake_slack, form.id) == filled + 1


async def test_a_failure_past_the_budget_replaces_saving_with_an_apology(
    fake_slack: FakeSlack, slack_runner: SlackRunner, caplog: pytest.LogCaptureFixture
) -> None:
    slack_runner.monkeypatch.setattr(submission, "ACK_BUDGET", 0.05)
    async with slack_runner.running() as front:
        answers = front.context.services.answers

        async def broken(*_args: Any, **_kwargs: Any) -> Any:
            await asyncio.sleep(0.2)
            raise RuntimeError("the database went away")

        slack_runner.monkeypatch.setattr(answers, "submit", broken)
        await fake_slack.slash("carol", "/workshop", "answer 1 1")
        form = await view_showing(fake_slack, "carol", "Up to 3,000 characters")
        sent = await fake_slack.submit_view("carol", {"text": "Kept nowhere"}, view=form)
        assert "Saving your answer…" in visible((await sent.acked() or {}).get("view", {}).get("blocks", []))
        shown = visible(await view_showing(fake_slack, "carol", "went wrong"))
        assert "your answer was not saved" in shown and "Kept nowhere" not in shown
        assert "the database went away" not in shown


async def test_settings_saved_quickly_or_slowly_end_on_the_saved_notice(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running() as front:
        await fake_slack.slash("owner", "/workshop", "setup")
        form = await view_showing(fake_slack, "owner", "Reminder times")
        filled = updates_of(fake_slack, form.id)
        quick = await fake_slack.submit_view("owner", {"reminder_times": "2h"}, view=form)
        ack = await quick.acked()
        assert ack is not None and "Saved: reminder times." in visible(ack["view"]["blocks"])
        assert updates_of(fake_slack, form.id) == filled

        await fake_slack.close_view("owner")
        slack_runner.monkeypatch.setattr(submission, "ACK_BUDGET", 0.1)
        settings = front.context.services.settings
        gate = asyncio.Event()
        slack_runner.monkeypatch.setattr(settings, "update", held(settings.update, gate))
        await fake_slack.slash("owner", "/workshop", "setup")
        again = await view_showing(fake_slack, "owner", "Reminder times")
        filled = updates_of(fake_slack, again.id)
        slow = await fake_slack.submit_view("owner", {"reminder_times": "3h"}, view=again)
        assert "Saving…" in visible((await slow.acked() or {}).get("view", {}).get("blocks", []))
        gate.set()
        await until(fake_slack, lambda: "Saved: reminder times." in visible(again), "the saved notice")
        assert updates_of(fake_slack, again.id) == filled + 1


def slowed(original: Callable[..., Awaitable[Any]], seconds: float) -> Callable[..., Awaitable[Any]]:
    """``original``, taking ``seconds`` longer: a check before the work that is slow today (Slack's API, a busy
    database)."""

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(seconds)
        return await original(*args, **kwargs)

    return slow


# Slack's 3 s and the 2 s budget, scaled by a half so the tests wait less: the checks before the work take
# CHECK_SECONDS, which the budget must count (counted from the helper's start instead, the ack comes at
# CHECK_SECONDS + budget, past Slack's limit, and Slack shows the member an error while the ack is ignored).
SCALED_ACK_LIMIT = SLACK_ACK_LIMIT / 2
SCALED_BUDGET = submission.ACK_BUDGET / 2
CHECK_SECONDS = 0.7


async def test_the_checks_before_the_work_count_against_the_ack_budget(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    assert CHECK_SECONDS + SCALED_BUDGET > SCALED_ACK_LIMIT > SCALED_BUDGET
    fake_slack.set_ack_timeout(SCALED_ACK_LIMIT)
    slack_runner.monkeypatch.setattr(submission, "ACK_BUDGET", SCALED_BUDGET)
    async with slack_runner.running() as front:
        await fake_slack.slash("owner", "/workshop", "setup")
        form = await view_showing(fake_slack, "owner", "Reminder times")
        filled = updates_of(fake_slack, form.id)
        roles = front.context.roles  # the settings form checks the member is an organiser before saving
        slack_runner.monkeypatch.setattr(roles, "role_of", slowed(roles.role_of, CHECK_SECONDS))
        settings = front.context.services.settings
        gate = asyncio.Event()
        slack_runner.monkeypatch.setattr(settings, "update", held(settings.update, gate))

        sent = await fake_slack.submit_view("owner", {"reminder_times": "3h"}, view=form)
        ack = await sent.acked()  # in time: the budget was counted from the envelope's arrival
        assert ack is not None and "Saving…" in visible(ack["view"]["blocks"])
        assert sent.ack_seconds is not None and CHECK_SECONDS <= sent.ack_seconds < SCALED_ACK_LIMIT
        assert "Saving…" in visible(form)

        gate.set()
        await until(fake_slack, lambda: "Saved: reminder times." in visible(form), "the saved notice")
        assert updates_of(fake_slack, form.id) == filled + 1


async def test_checks_that_spend_the_whole_budget_ack_at_once_then_show_the_outcome(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    fake_slack.set_ack_timeout(SCALED_ACK_LIMIT)
    slack_runner.monkeypatch.setattr(submission, "ACK_BUDGET", SCALED_BUDGET)
    async with slack_runner.running() as front:
        await fake_slack.slash("owner", "/workshop", "setup")
        form = await view_showing(fake_slack, "owner", "Reminder times")
        filled = updates_of(fake_slack, form.id)
        roles = front.context.roles
        slack_runner.monkeypatch.setattr(roles, "role_of", slowed(roles.role_of, SCALED_BUDGET + 0.1))

        sent = await fake_slack.submit_view("owner", {"reminder_times": "4h"}, view=form)
        ack = await sent.acked()  # no budget left to wait in, however quick the saving
        assert ack is not None and "Saving…" in visible(ack["view"]["blocks"])
        assert sent.ack_seconds is not None and sent.ack_seconds < SCALED_ACK_LIMIT
        await until(fake_slack, lambda: "Saved: reminder times." in visible(form), "the saved notice")
        assert updates_of(fake_slack, form.id) == filled + 1
        stored = await front.context.services.settings.get(front.community_id)
        assert stored.reminder_offsets == (timedelta(hours=4),)
