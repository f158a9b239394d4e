"""Where a bot process's memory goes, by owner: tracemalloc in the bot process, read by the benchmark.

A benchmark that starts the bot with ``bot_process(..., **traced_bot(workdir, name))`` gets a traced bot
(``benchmarks.bot_process`` with the .env line ``BENCHMARK_MEMORY_SNAPSHOT=<file>``): tracemalloc runs from the
process's first line, and on SIGUSR1 the bot collects garbage and dumps a snapshot of what is live to that file.
``traced_memory`` sends the signal and groups the snapshot by owner, in the benchmark's process.

A block belongs to whoever asked for it: its traceback is walked from the innermost frame out, and the first
frame in discord.py's package makes it discord.py's (its cache: guilds, channels, roles, members, the parsed
gateway payloads it keeps), the first in the bot's own code (``bot/``, ``cogs/``, ``slack_app/``) the bot's (with
what the libraries it calls keep for it: the scheduler's jobs, the database driver's caches). A block with
neither in its traceback (the interpreter starting, imports of other libraries) is "other".

tracemalloc slows a process several times over and adds its own bookkeeping per block: a traced start measures
where the bytes are, not how fast or how big the process is, so the benchmarks run it apart from their timed
starts and compare its figures with one traced server's, in the same run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import importlib.util
import inspect
import linecache
import os
import signal
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.common import Figure

SNAPSHOT_SETTING = "BENCHMARK_MEMORY_SNAPSHOT"
TRACED_MODULE = "benchmarks.bot_process"  # the entry point that reads SNAPSHOT_SETTING
# Deep enough that an allocation inside json, asyncio or the driver still reaches the frame that asked for it.
TRACE_FRAMES = 40
TOP_SITES = 25  # the largest allocation sites kept of each owner (for finding what to cut)

BOT, DISCORD, OTHER = "bot", "discord.py", "other"
_REPO_ROOT = Path(__file__).resolve().parents[1]
_BOT_FOLDERS = tuple(str(_REPO_ROOT / name) + os.sep for name in ("bot", "cogs", "slack_app"))
_DISCORD_SPEC = importlib.util.find_spec("discord")
assert _DISCORD_SPEC is not None and _DISCORD_SPEC.origin is not None


def _data_received_lines() -> frozenset[int]:
    """The lines of asyncio's socket transport that hand received bytes to the protocol."""
    source = inspect.getsource(asyncio.selector_events._SelectorSocketTransport)
    first = inspect.getsourcelines(asyncio.selector_events._SelectorSocketTransport)[1]
    return frozenset(first + n for n, line in enumerate(source.splitlines()) if "self._protocol.data_received(" in line)


_DATA_RECEIVED = (os.path.join("asyncio", "selector_events.py"), _data_received_lines())
_DISCORD_FOLDER = str(Path(_DISCORD_SPEC.origin).resolve().parent) + os.sep


@dataclass(frozen=True)
class TracedMemory:
    """Live bytes by owner in one traced bot process, after a full garbage collection."""

    by_owner: dict[str, int]
    top: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # each owner's largest sites, bytes
    programme_cache: int = 0  # of the bot's own: the programmes its cache holds (``programme_cache_bytes``)

    @property
    def total(self) -> int:
        return sum(self.by_owner.values())

    def __add__(self, other: TracedMemory) -> TracedMemory:
        owners = self.by_owner.keys() | other.by_owner.keys()
        top = {}
        for owner in owners:
            sites: Counter[str] = Counter(dict(self.top.get(owner, [])))
            sites.update(dict(other.top.get(owner, [])))
            top[owner] = sites.most_common(TOP_SITES)
        added = {o: self.by_owner.get(o, 0) + other.by_owner.get(o, 0) for o in owners}
        return TracedMemory(added, top, self.programme_cache + other.programme_cache)

    def owner(self, name: str) -> int:
        return self.by_owner.get(name, 0)


def owner_of(frames: tracemalloc.Traceback) -> tuple[str, tracemalloc.Frame]:
    """The owner of a block and the frame that decided it (innermost first; the innermost frame if none did)."""
    for frame in reversed(frames):  # tracemalloc lists the oldest call first
        if frame.filename.startswith(_DISCORD_FOLDER):
            return DISCORD, frame
        if frame.filename.startswith(_BOT_FOLDERS):
            return BOT, frame
    innermost = frames[-1]
    if innermost.filename.endswith(_DATA_RECEIVED[0]) and innermost.lineno in _DATA_RECEIVED[1]:
        # Made in compiled code handed the bytes a socket received, with no Python frame of its own: asyncpg's
        # protocol building the rows of a query (aiohttp's websocket reader, discord.py's, is Python code and
        # its messages are decoded in discord.py's frames). Rows are read for the bot, and what it keeps of them
        # (a programme's texts, ids) is the bot's.
        return BOT, innermost
    return OTHER, innermost


def _site(frame: tracemalloc.Frame) -> str:
    name = frame.filename
    for folder in (*_BOT_FOLDERS, _DISCORD_FOLDER):
        if name.startswith(folder):
            name = name[len(str(Path(folder).parent)) + 1 :]
            break
    line = linecache.getline(frame.filename, frame.lineno).strip()
    return f"{name}:{frame.lineno}: {line[:100]}"


def report(snapshot: tracemalloc.Snapshot) -> dict[str, Any]:
    """Live bytes and blocks by owner, and each owner's largest allocation sites."""
    snapshot = snapshot.filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
    by_owner: Counter[str] = Counter()
    blocks: Counter[str] = Counter()
    sites: dict[str, Counter[str]] = {BOT: Counter(), DISCORD: Counter(), OTHER: Counter()}
    for stat in snapshot.statistics("traceback"):
        owner, frame = owner_of(stat.traceback)
        by_owner[owner] += stat.size
        blocks[owner] += stat.count
        sites[owner][_site(frame)] += stat.size
    return {
        "bytes": dict(by_owner),
        "blocks": dict(blocks),
        "top": {owner: found.most_common(TOP_SITES) for owner, found in sites.items()},
    }


def _deep_size(roots: Iterable[object]) -> int:
    """Bytes of ``roots`` and everything they reach through containers and dataclass fields, each object once
    (time zones, shared by every programme, and the interpreter's small ints are not counted)."""
    seen: set[int] = set()
    stack = list(roots)
    total = 0
    while stack:
        found = stack.pop()
        if id(found) in seen or isinstance(found, tzinfo) or (type(found) is int and -5 <= found <= 256):
            continue
        seen.add(id(found))
        total += sys.getsizeof(found)
        if isinstance(found, dict):
            stack.extend(found.keys())
            stack.extend(found.values())
        elif isinstance(found, list | tuple | set | frozenset):
            stack.extend(found)
        elif dataclasses.is_dataclass(found) and not isinstance(found, type):
            stack.extend(getattr(found, f.name) for f in dataclasses.fields(found))
    return total


def programme_cache_bytes() -> int:
    """In the traced bot: the programmes its programme cache holds, with their sessions, prompts, texts and
    times (README: "programmes in a cache of the 256 most recently used"), to tell the growth beyond them."""
    from bot.services.programme import ProgrammeService

    caches = [found._cache for found in gc.get_objects() if isinstance(found, ProgrammeService)]
    return _deep_size(caches)


def write_snapshot(path: Path) -> None:
    """In the traced bot: a snapshot of what is live after a full collection, for the benchmark to read (the
    grouping, the slow part, is done there: the bot's loop is held only while the snapshot is taken), and the
    size of the programme cache beside it."""
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    path.with_suffix(".programmes").write_text(str(programme_cache_bytes()), encoding="ascii")
    partial = path.with_suffix(".partial")
    snapshot.dump(str(partial))
    partial.replace(path)  # whole or absent: the benchmark polls for it


def trace_if_asked(settings: Mapping[str, str | None]) -> None:
    """In the bot process, first thing: trace it when the .env names a snapshot file (written on SIGUSR1)."""
    target = settings.get(SNAPSHOT_SETTING)
    if not target:
        return
    tracemalloc.start(TRACE_FRAMES)
    # A plain signal handler: it runs on the main thread between two bytecodes, so the snapshot is consistent.
    signal.signal(signal.SIGUSR1, lambda _signum, _frame: write_snapshot(Path(target)))


def read_snapshot(path: Path) -> TracedMemory:
    found = report(tracemalloc.Snapshot.load(str(path)))
    programmes = int(path.with_suffix(".programmes").read_text(encoding="ascii"))
    return TracedMemory(found["bytes"], found["top"], programmes)


async def traced_memory(pid: int, path: Path, *, within: float = 300.0) -> TracedMemory:
    """Ask the traced bot ``pid`` for a snapshot (SIGUSR1) and read it by owner."""
    path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.perf_counter() + within
    while not path.exists():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no memory snapshot from process {pid} in {path} within {within} s")
        await asyncio.sleep(0.1)
    return await asyncio.to_thread(read_snapshot, path)


def traced_bot(workdir: Path, name: str) -> dict[str, str]:
    """``bot_process`` arguments for a traced bot named ``name``: the entry point, and the .env line that makes
    it snapshot itself to a file in ``workdir`` on SIGUSR1."""
    return {"module": TRACED_MODULE, SNAPSHOT_SETTING: str(workdir / f"{name}.snapshot")}


async def traced_memories(workdir: Path, names: Sequence[str], pids: Sequence[int]) -> TracedMemory:
    """The traced bots' (``traced_bot``) live bytes by owner, added up."""
    total = TracedMemory({})
    for name, pid in zip(names, pids, strict=True):
        total += await traced_memory(pid, workdir / f"{name}.snapshot")
    return total


def growth_figures(
    benchmark: str, size: str, count: int, *, one: TracedMemory, many: TracedMemory, rss_growth_kib: float
) -> list[Figure]:
    """Growth per server by owner, from a traced start at ``count`` servers against a traced start at one, each
    beside the resident growth per server the untraced starts of the same run measured."""
    from benchmarks.common import Figure  # here: the traced bot imports this module, and not the benchmarks'

    def per_server_kib(owner: str) -> float:
        return (many.owner(owner) - one.owner(owner)) / count / 1024

    untraced = rss_growth_kib - (many.total - one.total) / count / 1024
    programmes = (many.programme_cache - one.programme_cache) / count / 1024
    rows = (
        ("the bot's own (tracemalloc; programme cache included)", per_server_kib(BOT)),
        ("the bot's own beyond its programme cache", per_server_kib(BOT) - programmes),
        ("discord.py's cache (tracemalloc)", per_server_kib(DISCORD)),
        ("not traced (allocator's free heap, C libraries)", untraced),
    )
    return [
        Figure(benchmark, f"memory growth per server: {name}", size, value, rss_growth_kib, "KiB", "(reported)",
               "resident growth per server")
        for name, value in rows
    ]  # fmt: skip
