"""``/workshop answer`` on Slack: the answer modal's submission, from the envelope to the bot's ack, for many
members at once, against a no-op slash command on the same local Slack and the same Socket Mode connection.
Slack wants every ack within 3 seconds (docs.slack.dev, "Using Socket Mode": "Acknowledge events")."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from slack_bolt.context.ack.async_ack import AsyncAck

from benchmarks.common import Figure, percentile
from tests.fakeslack import FakeSlack, Interaction
from tests.harness import FakeClock
from tests.slack.harness import SlackRunner
from tests.slack.helpers import view_showing

MEMBERS = 100
NOOP = "/noop"


def ack_ms(interactions: list[Interaction]) -> list[float]:
    return [i.ack_seconds * 1000 for i in interactions if i.ack_seconds is not None]


async def one_run(fake: FakeSlack, names: list[str], round_number: int) -> tuple[list[float], list[float]]:
    noops = await asyncio.gather(*(fake.slash(name, NOOP) for name in names))
    await asyncio.gather(*(i.acked(timeout=30) for i in noops))
    for name in names:  # forms opened beforehand, as people type
        await fake.slash(name, "/workshop", "answer 8 1")
    await asyncio.gather(*(view_showing(fake, name, "Up to 3,000 characters", timeout=30) for name in names))
    submissions = await asyncio.gather(
        *(fake.submit_view(name, {"text": f"Round {round_number}: {name} thinks audits should be local."})
          for name in names)
    )  # fmt: skip
    await asyncio.gather(*(s.acked(timeout=30) for s in submissions))
    await asyncio.gather(*(view_showing(fake, name, "You can change it any time", timeout=30) for name in names))
    for name in names:
        await fake.close_view(name)
    return ack_ms(list(submissions)), ack_ms(list(noops))


async def run(*, quick: bool) -> list[Figure]:
    rounds = 2 if quick else 5
    members = 25 if quick else MEMBERS
    answer_ms: list[float] = []
    noop_ms: list[float] = []
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        fake = FakeSlack()
        await fake.start()
        try:
            names = [f"member{n:03}" for n in range(members)]
            for name in names:
                fake.world.add_user(name)
            runner = SlackRunner(fake, Path(folder) / "bot.sqlite3", FakeClock(), patch)
            async with runner.running() as front:

                @front.app.command(NOOP)
                async def noop(ack: AsyncAck) -> None:
                    await ack()

                for round_number in range(rounds):
                    measured, baseline = await one_run(fake, names, round_number)
                    answer_ms += measured
                    noop_ms += baseline
        finally:
            await fake.stop()
    size = f"{members} members at once x {rounds}"
    return [
        Figure("slack answer", f"/workshop answer submit ack p{p}", size, percentile(answer_ms, p),
               percentile(noop_ms, p), "ms", "p99 ratio <= 2, p99 << 3000 ms", "no-op slash command")
        for p in (50, 99)
    ]  # fmt: skip
