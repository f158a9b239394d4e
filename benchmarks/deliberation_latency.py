"""Vote submit latency: INTERACTION_CREATE to the bot's first callback when 200 members press Agree at once in
the private voting flow (a vote written, the next statement read, the message updated), against a no-op command
on the same local Discord. The bot is its own process."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.common import Figure, bot_process, percentile
from benchmarks.latency import latencies
from tests.fakediscord import FakeDiscord, Interaction, Message

MEMBERS = 200
SEEDS = "\n".join(f"Statement {n}: local audits should be published" for n in range(6))


async def open_conversation(fake: FakeDiscord) -> Message:
    opened = await fake.slash("owner", "deliberate open", week=5, prompt="What would it look like?")
    await (await fake.submit_modal(opened, {"Seed statements (optional)": SEEDS}, timeout=30)).final(timeout=30)
    return fake.messages_in("general")[-1]


async def shown(interaction: Interaction, into: list[float]) -> Message:
    """The message once the next statement is on it; records how long after the click that was."""
    message = await interaction.final(timeout=30)
    into.append((time.monotonic() - interaction.created) * 1000)
    return message


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
                post = await open_conversation(fake)
                # Each member opens the voting flow (in batches, as people arrive), then all vote at once.
                current: list[Message] = []
                for start in range(0, MEMBERS, 25):
                    batch = [await fake.click(name, post, post.custom_ids[0]) for name in names[start : start + 25]]
                    current += await asyncio.gather(*(i.final(timeout=30) for i in batch))
                vote_ms: list[float] = []
                shown_ms: list[float] = []
                noop_ms: list[float] = []
                for _ in range(rounds):
                    noops = await asyncio.gather(*(fake.slash(name, "noop") for name in names))
                    await asyncio.gather(*(i.response(timeout=30) for i in noops))
                    noop_ms += latencies(list(noops))
                    clicks = await asyncio.gather(
                        *(
                            fake.click(name, message, next(c for c in message.custom_ids if ":a:" in c))
                            for name, message in zip(names, current, strict=True)
                        )
                    )
                    current = list(await asyncio.gather(*(shown(i, shown_ms) for i in clicks)))
                    vote_ms += latencies(list(clicks))
    size = f"{MEMBERS} members at once x {rounds}"
    return [
        *(Figure("deliberation", f"vote submit p{p}", size, percentile(vote_ms, p), percentile(noop_ms, p), "ms",
                 "p99 ratio <= 2, p99 << 3000 ms", "no-op command") for p in (50, 99)),
        Figure("deliberation", "vote to next statement shown p99", size, percentile(shown_ms, 99),
               percentile(noop_ms, 99), "ms", "(reported)", "no-op command's first callback"),
    ]  # fmt: skip
