"""Per-key locks and tasks that last only while in use (bot/services/_keyed.py)."""

from __future__ import annotations

import asyncio

from bot.services._keyed import KeyedLocks, forget_when_done


async def test_a_keys_lock_serialises_its_holders_and_is_gone_once_free() -> None:
    locks: KeyedLocks[int] = KeyedLocks()
    order: list[str] = []

    async def hold(key: int, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(hold(1, "a"), hold(1, "b"), hold(2, "c"))
    assert order.index("a out") < order.index("b in")  # one key: one at a time
    assert order.index("c in") < order.index("a out")  # another key: side by side
    assert len(locks) == 0


async def test_a_failing_holder_frees_the_key() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    try:
        async with locks.hold("x"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert len(locks) == 0
    async with locks.hold("x"):
        assert len(locks) == 1


async def test_a_finished_task_is_forgotten_but_not_its_successor() -> None:
    tasks: dict[int, asyncio.Task[None]] = {}
    first = asyncio.create_task(asyncio.sleep(0))
    forget_when_done(tasks, 7, first)
    await first
    await asyncio.sleep(0)  # done callbacks run on the next turn of the loop
    assert tasks == {}

    release = asyncio.Event()
    old = asyncio.create_task(asyncio.sleep(0))
    forget_when_done(tasks, 7, old)
    new = asyncio.create_task(release.wait())
    forget_when_done(tasks, 7, new)  # replaced before the old one finished
    await old
    await asyncio.sleep(0)
    assert tasks == {7: new}
    release.set()
    await new
    await asyncio.sleep(0)
    assert tasks == {}
