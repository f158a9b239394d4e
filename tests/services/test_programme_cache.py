"""The programme cache follows the servers in use, not every server the process has planned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.domain.parsers import parse_listing
from bot.services import programme as programme_module
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database
from tests.conftest import SEED_LISTING

NOW = datetime(2020, 7, 1, tzinfo=UTC)
SERVERS = (101, 102, 103)


async def test_only_the_most_recently_used_programmes_stay_in_memory(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(programme_module, "PROGRAMME_CACHE_SIZE", 2)
    service = ProgrammeService(db, clock=lambda: NOW)
    for server in SERVERS:
        await service.import_programme(
            server, parse_listing(SEED_LISTING.read_text(encoding="utf-8"), timezone="Europe/London")
        )
    first = await service.get(101)
    await asyncio.gather(*(service.get(server) for server in SERVERS for _ in range(3)))  # many asking at once
    await service.get(101)  # used last: kept
    assert set(service._cache) == {101, 103}
    assert service._loading == {}  # no lock left behind per server
    again = await service.get(102)  # read again from the database, the same programme
    assert again is not None and first is not None and again.sessions[0].title == first.sessions[0].title
    assert set(service._cache) == {101, 102}
