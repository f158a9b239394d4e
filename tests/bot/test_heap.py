"""Returning freed heap to the system (bot/heap.py)."""

from __future__ import annotations

import platform

import pytest

from bot import heap


async def test_freed_heap_is_returned_on_glibc_and_nothing_breaks() -> None:
    garbage = [bytes(4096) for _ in range(2000)]  # ~8 MiB on the C heap, then freed
    del garbage
    assert heap.release_free_heap() is (platform.libc_ver()[0] == "glibc")
    await heap.release_free_heap_soon()  # in a thread; twice is harmless


async def test_without_glibc_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)
    assert heap.release_free_heap() is False
    await heap.release_free_heap_soon()
