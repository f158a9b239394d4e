"""Hostile input: the worst 1 MB listing, parsed, against an ordinary listing of the same size (issue 12.2);
a large programme's calendar for ten members, shared, against rendering it for each, and what other members
wait for meanwhile, the bot running as its own process (issue 12.3).

The worst listing is the one that froze the bot before: every line a session whose place is followed by a
long run of spaces (the old patterns backtracked quadratically over it). Parsing is linear now, so it should
cost about what an ordinary file of the same size costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import Figure, bot_process, median, percentile, populate, synthetic_programme
from bot.domain.calendar import programme_to_ics
from bot.domain.errors import UserFacingError
from bot.domain.parsers import MAX_FILE_BYTES, parse_programme_file
from bot.domain.programme import ProgrammeRecord, Prompt, SessionRecord
from cogs.programme import Renderings
from tests.fakediscord import FakeDiscord, Interaction

HEAD = "Programme\nAn introduction.\n"


def worst_listing(size: int = MAX_FILE_BYTES) -> bytes:
    line = "Date: 3/8/2020 Time: 19:00 - 21:00 Location: Z" + " " * 4000 + "x\n"
    return (HEAD + line * ((size - len(HEAD)) // len(line))).encode()


def ordinary_listing(size: int = MAX_FILE_BYTES) -> bytes:
    block = "Date: 3/8/2020 Time: 19:00 - 21:00 Location: Zoom\n" + "What can we do about it? " * 160 + "\n"
    return (HEAD + block * ((size - len(HEAD)) // len(block))).encode()


def parse_seconds(data: bytes, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        # Both files are refused in the end (too many sessions): the reading is what is measured.
        with contextlib.suppress(UserFacingError):
            parse_programme_file(data, filename="listing.txt", default_timezone="Europe/London")
        timings.append(time.perf_counter() - started)
    return median(timings)


def stored(sessions: int) -> ProgrammeRecord:
    programme = synthetic_programme(sessions, prompts_per_session=5)
    return ProgrammeRecord(
        community_id=1,
        title=programme.title,
        timezone=programme.timezone,
        introduction="",
        sessions=tuple(
            SessionRecord(
                id=s.week, community_id=1, week=s.week, title=s.title, start=s.start, end=s.end, location=s.location,
                description=s.description * 20, meeting_link=None,
                prompts=tuple(Prompt(s.week * 10 + n, s.week, s.week, n, t) for n, t in enumerate(s.prompts, 1)),
            )
            for s in programme.sessions
        ),
        version=1,
    )  # fmt: skip


async def ten_calendars(programme: ProgrammeRecord, *, shared: bool) -> float:
    now = datetime.now(UTC)
    renderings = Renderings()
    started = time.perf_counter()
    if shared:
        await asyncio.gather(
            *(renderings.get(("ics", 1), lambda: programme_to_ics(programme, now=now)) for _ in range(10))
        )
    else:
        for _ in range(10):
            programme_to_ics(programme, now=now)
    return time.perf_counter() - started


def first_callback_ms(interaction: Interaction) -> float:
    return (interaction.callbacks[0].time - interaction.created) * 1000


async def next_latency(sessions: int) -> tuple[list[float], list[float]]:
    """Milliseconds to the first callback of /next from ten members: alone, then while ten others ask for
    the calendar (a fresh bot, so the calendar is rendered for the first time)."""
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        await populate(workdir / "bot.sqlite3", sessions=sessions, answers=0)
        async with FakeDiscord() as fake:
            fake.interaction_ack_deadline = None  # measured here, not enforced
            askers = [fake.add_member(f"asker{n}").user for n in range(10)]
            others = [fake.add_member(f"other{n}").user for n in range(10)]
            async with bot_process(fake, workdir, workdir / "bot.sqlite3"):
                await fake.wait_until_ready(timeout=60)
                await fake.wait_for_commands(timeout=60)
                warm_up = [await fake.slash(user, "next") for user in others]  # the first read fills caches
                await asyncio.gather(*(i.response(timeout=60) for i in warm_up))
                alone = [await fake.slash(user, "next") for user in others]
                await asyncio.gather(*(i.response(timeout=60) for i in alone))
                calendars = [await fake.slash(user, "calendar") for user in askers]
                during = []
                for user in others:
                    during.append(await fake.slash(user, "next"))
                    await asyncio.sleep(0.02)
                await asyncio.gather(*(i.final(timeout=120) for i in [*calendars, *during]))
    return [first_callback_ms(i) for i in during], [first_callback_ms(i) for i in alone]


async def run(*, quick: bool) -> list[Figure]:
    repeats = 1 if quick else 3
    size = MAX_FILE_BYTES // 10 if quick else MAX_FILE_BYTES
    worst = parse_seconds(worst_listing(size), repeats)
    ordinary = parse_seconds(ordinary_listing(size), repeats)
    label = f"{size / 1e6:g} MB listing"
    figures = [
        Figure("hostile input", "worst listing parse", label, worst, ordinary, "s", "< 1 s", "ordinary listing"),
    ]
    programme = stored(100 if quick else 1000)
    shared = await ten_calendars(programme, shared=True)
    each = await ten_calendars(programme, shared=False)
    sessions = f"{len(programme.sessions)} sessions"
    aim = "≈ 0.1 (one rendering, off the loop)"
    measure = "10 × /calendar render"
    figures.append(Figure("hostile input", measure, sessions, shared, each, "s", aim, "rendered each time"))
    during, alone = await next_latency(100 if quick else 1000)
    figures.append(
        Figure("hostile input", "/next worst, during 10 × /calendar", f"{1000 if not quick else 100} sessions",
               max(during), percentile(alone, 100), "ms", "≪ 3000 ms", "/next alone")
    )  # fmt: skip
    return figures
