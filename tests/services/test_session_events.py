"""The session-event service over a recording port: what it asks of Discord, and what organisers are told."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.domain.permissions import Permission
from bot.domain.programme import Programme
from bot.domain.server_settings import ServerDefaults
from bot.domain.session_events import EventSpec, RemoteEvent
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.services.session_events import (
    PROBLEM_FAILED,
    PROBLEM_REFUSED,
    EventsUnavailable,
    SessionEventService,
)
from bot.storage.engine import Database
from tests.conftest import GUILD_ID

NOW = datetime(2020, 7, 1, tzinfo=UTC)
NOTHING = Permission(0)


class RecordingPort:
    def __init__(self, *, lacking: Permission = NOTHING, unavailable: bool = False) -> None:
        self.calls: list[str] = []
        self.lacking = lacking
        self.unavailable = unavailable
        self.events: dict[int, RemoteEvent] = {}

    def missing_permissions(self, community_id: int, needed: Permission) -> Permission | None:
        self.calls.append("permissions")
        return self.lacking

    async def list_events(self, community_id: int) -> list[RemoteEvent]:
        self.calls.append("list")
        if self.unavailable:
            raise EventsUnavailable("Discord answered 503")
        return list(self.events.values())

    async def create(self, community_id: int, spec: EventSpec) -> int:
        self.calls.append("create")
        return 1000 + spec.week

    async def update(self, community_id: int, event_id: int, spec: EventSpec) -> None:
        self.calls.append("update")

    async def cancel(self, community_id: int, event_id: int) -> None:
        self.calls.append("cancel")

    async def interested(self, community_id: int, event_id: int) -> list[int]:
        self.calls.append("interested")
        return []


async def service(db: Database, programme: Programme, port: RecordingPort, *, on: bool) -> SessionEventService:
    programmes = ProgrammeService(db, clock=lambda: NOW)
    await programmes.import_programme(GUILD_ID, programme)
    settings = ServerSettingsService(db, ServerDefaults(), clock=lambda: NOW)
    await settings.update(GUILD_ID, events_enabled=on)
    return SessionEventService(
        db, programmes, settings, port=port, problems=RuntimeProblems(lambda: NOW), clock=lambda: NOW
    )


async def test_switched_off_it_asks_nothing_of_discord(db: Database, programme: Programme) -> None:
    port = RecordingPort()
    events = await service(db, programme, port, on=False)
    assert await events.start(GUILD_ID) is None
    assert await events.info(GUILD_ID, 3) is None
    assert port.calls == []


async def test_missing_permissions_stop_before_any_call_and_are_shown(db: Database, programme: Programme) -> None:
    port = RecordingPort(lacking=Permission.CREATE_EVENTS)
    events = await service(db, programme, port, on=True)
    report = await events.sync(GUILD_ID)
    assert report is not None and report.stopped == "missing permissions"
    assert port.calls == ["permissions"]
    [problem] = events._problems.current(GUILD_ID)
    assert problem.key == PROBLEM_REFUSED and "Create Events" in problem.text


async def test_discord_unavailable_is_retried_later_and_then_cleared(db: Database, programme: Programme) -> None:
    port = RecordingPort()
    events = await service(db, programme, port, on=True)
    port.unavailable = True
    report = await events.sync(GUILD_ID)
    assert report is not None and report.stopped == "unavailable"
    port.unavailable = False
    report = await events.sync(GUILD_ID)
    assert report is not None and report.created == 12 and report.stopped is None
    assert [p.key for p in events._problems.current(GUILD_ID) if p.key == PROBLEM_FAILED] == []
    info = await events.info(GUILD_ID, 3)
    assert info is not None and info.url.endswith("/1003") and info.interested == 0


async def test_nothing_is_kept_per_server_once_its_syncs_are_done(db: Database, programme: Programme) -> None:
    """A process serving many servers keeps no finished task and no idle lock for each of them."""
    port = RecordingPort()
    events = await service(db, programme, port, on=True)

    async def ready() -> None:
        return None

    events.request_start(GUILD_ID, ready=ready)
    await events.settled(GUILD_ID)
    events.request_sync(GUILD_ID)
    await events.settled(GUILD_ID)
    await asyncio.sleep(0)  # a finished task is let go on the loop's next turn
    assert "create" in port.calls
    assert events._tasks == {} and len(events._locks) == 0
