"""Use cases for the programme: read it, preview an import, import it."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from bot.domain.clock import Clock, system_clock
from bot.domain.errors import ImportConflictError, NotFoundError
from bot.domain.importing import ImportPlan, carry_over_week_links, plan_import
from bot.domain.programme import Programme, ProgrammeRecord, storable
from bot.storage.engine import Database
from bot.storage.programmes import ProgrammeRepository
from bot.storage.unit_of_work import UnitOfWorkFactory, unit_of_work_factory

log = logging.getLogger(__name__)

ProgrammeListener = Callable[[int], Awaitable[None]]
PROGRAMME_CACHE_SIZE = 256  # programmes kept in memory, the most recently used


class ProgrammeService:
    def __init__(self, db: Database, *, uow: UnitOfWorkFactory | None = None, clock: Clock = system_clock) -> None:
        """``db`` serves the reads; writes go through a unit of work from ``uow`` (by default, on ``db``)."""
        self._uow = uow or unit_of_work_factory(db)
        self._clock = clock
        self.repository = ProgrammeRepository(db)
        self._listeners: list[ProgrammeListener] = []
        # The most recently used programmes (commands and autocomplete come from the busy servers): memory follows
        # the servers in use, not every server the process has ever planned.
        self._cache: OrderedDict[int, ProgrammeRecord] = OrderedDict()
        self._loading: dict[int, tuple[asyncio.Lock, int]] = {}  # a lock and its users, while it has any

    def on_change(self, listener: ProgrammeListener) -> None:
        """Call ``listener(community_id)`` after an import changed a server's programme (reminders re-plan)."""
        self._listeners.append(listener)

    async def get(self, community_id: int) -> ProgrammeRecord | None:
        """The stored programme, from memory while it has not changed (every command and autocomplete reads
        it: a programme of a thousand sessions took tens of milliseconds of the event loop to rebuild)."""
        version = await self.repository.version(community_id)
        if version is None:
            self._cache.pop(community_id, None)
            return None
        cached = self._cached(community_id, version)
        if cached is not None:
            return cached
        lock, users = self._loading.get(community_id, (asyncio.Lock(), 0))
        self._loading[community_id] = (lock, users + 1)
        try:
            async with lock:  # many asking at once: one reads
                cached = self._cached(community_id, version)
                if cached is not None:
                    return cached
                programme = await self.repository.load(community_id)
                if programme is None:
                    return None
                programme = dataclasses.replace(programme, version=version)
                if await self.repository.version(community_id) == version:  # not changed while it was read
                    self._cache[community_id] = programme
                    if len(self._cache) > PROGRAMME_CACHE_SIZE:
                        self._cache.popitem(last=False)
                return programme
        finally:
            lock, users = self._loading[community_id]
            if users == 1:
                del self._loading[community_id]
            else:
                self._loading[community_id] = (lock, users - 1)

    def _cached(self, community_id: int, version: int) -> ProgrammeRecord | None:
        cached = self._cache.get(community_id)
        if cached is None or cached.version != version:
            return None
        self._cache.move_to_end(community_id)
        return cached

    async def load_many(self, community_ids: Sequence[int]) -> dict[int, ProgrammeRecord]:
        """The stored programmes of several communities, in a few queries for them all (planning at start-up).
        Not kept in the cache: it holds the programmes in use, and planning every server would flush it."""
        return await self.repository.load_many(community_ids)

    async def fingerprints(self, community_ids: Sequence[int] | None = None) -> dict[int, str]:
        """A stable digest of each stored programme (of every community, or the ones named), in a query for
        all of them or one a statement's worth of named ids."""
        return await self.repository.fingerprints(community_ids)

    async def require(self, community_id: int) -> ProgrammeRecord:
        programme = await self.get(community_id)
        if programme is None:
            raise NotFoundError(
                "No programme has been imported for this server yet. An organiser can import one with /import."
            )
        return programme

    async def set_week_meeting_link(self, community_id: int, week: int, link: str | None) -> None:
        """Set or clear one week's own meeting link (the programme-wide one is a server setting)."""
        if not await self.repository.set_week_meeting_link(community_id, week, link):
            programme = await self.require(community_id)
            raise NotFoundError(
                f"There is no week {week} in this programme. Valid weeks: {', '.join(map(str, programme.weeks))}."
            )
        log.info("meeting link for week %s %s in community %s", week, "set" if link else "cleared", community_id)
        for listener in self._listeners:
            try:
                await listener(community_id)
            except Exception:
                log.exception("a programme-change listener failed for community %s", community_id)

    async def preview(self, community_id: int, programme: Programme) -> ImportPlan:
        programme = storable(programme)  # the same text on every engine, however the programme was built
        current = await self.repository.load(community_id)
        counts = await self.repository.answer_counts(community_id)
        return plan_import(current, counts, carry_over_week_links(current, programme))

    async def import_programme(
        self,
        community_id: int,
        programme: Programme,
        *,
        force: bool = False,
        expected_answers_lost: int | None = None,
    ) -> ImportPlan:
        """Import all-or-nothing. Refuses (unless ``force``) to drop prompts that have answers.

        ``expected_answers_lost`` is what a preview showed the organiser: the import deletes exactly that
        many answers or nothing at all (answers given since the preview make it refuse).
        """
        programme = storable(programme)  # the same text on every engine, however the programme was built
        async with self._uow() as uow:
            current = await uow.programmes.load(community_id)
            counts = await uow.programmes.answer_counts(community_id)
            programme = carry_over_week_links(current, programme)  # links set with /setup survive re-imports
            plan = plan_import(current, counts, programme)
            if expected_answers_lost is not None:
                if plan.answers_lost != expected_answers_lost:
                    raise ImportConflictError(
                        f"Answers changed since the preview: this import would now delete {plan.answers_lost} "
                        "answer(s). Nothing was changed; preview the file again."
                    )
                force = True
            if plan.answers_lost and not force:
                weeks = sorted({p.week for p in plan.dropped_prompts})
                raise ImportConflictError(
                    f"This import would delete {plan.answers_lost} answer(s) to prompts it removes "
                    f"(week {', '.join(map(str, weeks))}). Nothing was changed. "
                    "Keep those prompts, or import again with --force to delete the answers."
                )
            if plan.changes_anything:
                await uow.programmes.apply(community_id, current, programme, plan, self._clock())
        if plan.changes_anything:
            log.info("programme imported for community %s: %s", community_id, plan.summary(done=True))
            for listener in self._listeners:
                try:
                    await listener(community_id)
                except Exception:
                    log.exception("a programme-change listener failed for community %s", community_id)
        return plan
