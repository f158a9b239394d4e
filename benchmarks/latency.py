"""Interaction latency: INTERACTION_CREATE to the bot's first callback, for /answer submits from 200
members at once, against a no-op command on the same local Discord. The bot is its own process."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from benchmarks.common import Figure, bot_process, percentile
from tests.fakediscord import FakeDiscord, Interaction

REPO_ROOT = Path(__file__).resolve().parents[1]
MEMBERS = 200
ANSWER_FIELD = "Your answer"


def latencies(interactions: list[Interaction]) -> list[float]:
    return [(i.callbacks[0].time - i.created) * 1000 for i in interactions if i.callbacks]


async def one_run(fake: FakeDiscord, names: list[str], round_number: int) -> tuple[list[float], list[float]]:
    # Baseline: every member runs the no-op command at once.
    noops = await asyncio.gather(*(fake.slash(name, "noop") for name in names))
    await asyncio.gather(*(i.response(timeout=30) for i in noops))
    # Measured: every member submits an answer form at once (forms opened beforehand, as people type).
    forms = []
    for start in range(0, len(names), 25):
        batch = [await fake.slash(name, "answer", week=8, prompt=1) for name in names[start : start + 25]]
        await asyncio.gather(*(form.wait_modal(timeout=30) for form in batch))
        forms += batch
    submissions = await asyncio.gather(
        *(
            fake.submit_modal(form, {ANSWER_FIELD: f"Round {round_number}: {name} thinks audits should be local."})
            for form, name in zip(forms, names, strict=True)
        )
    )
    await asyncio.gather(*(s.final(timeout=30) for s in submissions))
    return latencies(list(submissions)), latencies(list(noops))


async def run(*, quick: bool) -> list[Figure]:
    rounds = 2 if quick else 5
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        async with FakeDiscord() as fake:
            fake.interaction_ack_deadline = None  # measured here, not enforced
            names = [f"member{n:03}" for n in range(MEMBERS)]
            for name in names:
                fake.add_member(name)
            async with bot_process(fake, workdir, workdir / "bot.sqlite3", module="benchmarks.bot_process"):
                await fake.wait_until_ready(timeout=60)
                await fake.wait_for_commands(timeout=60)
                answer_ms: list[float] = []
                noop_ms: list[float] = []
                for round_number in range(rounds):
                    measured, baseline = await one_run(fake, names, round_number)
                    answer_ms += measured
                    noop_ms += baseline
    size = f"{MEMBERS} members at once x {rounds}"
    return [
        Figure("interaction latency", f"/answer submit p{p}", size, percentile(answer_ms, p),
               percentile(noop_ms, p), "ms", "p99 ratio <= 2, p99 << 3000 ms", "no-op command")
        for p in (50, 99)
    ]  # fmt: skip
