"""The communities this process serves, and what happens when the bot joins or leaves one.

``CommunityService`` is the live set every per-server job iterates (reminders, retention, the thread
catch-up, the sessions' events): the servers the bot is in whose shard this process owns. It is loaded
from the database at start, so jobs can start before the gateway is ready, and kept up to date as Discord
reports joins and removals.

Joining: the server is recorded and greeted once (``welcomed_at``), with one short "how to set me up"
message where the bot may post. Leaving: ``left_at`` is recorded and the server's data kept for the grace
period; a daily job then deletes it. A server that comes back within the grace period finds everything as
it was; after it, it starts afresh (and is greeted again).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.domain.clock import Clock, system_clock
from bot.domain.communities import DEFAULT_LEAVE_GRACE, Shard, purge_due
from bot.storage.communities import CommunityRepository
from bot.storage.engine import Database

log = logging.getLogger(__name__)

Listener = Callable[[int], Awaitable[None]]
# Told of the communities that arrived together: one at a join, every new one of a shard at its ready.
ArrivalListener = Callable[[list[int]], Awaitable[None]]


class WelcomePoster(Protocol):
    """Posts the one welcome message in a server (a Discord adapter in cogs/_discord)."""

    async def post_welcome(self, community_id: int) -> bool:
        """True when posted; False when the bot may post nowhere there (nothing else is tried)."""
        ...


@dataclass(frozen=True, slots=True)
class Joined:
    community_id: int
    welcomed: bool  # the welcome message was posted now
    returned: bool  # the bot had left and came back within the grace period: its data was kept


class CommunityService:
    def __init__(
        self,
        db: Database,
        *,
        owns: Callable[[int], bool] = lambda community_id: True,
        welcome: WelcomePoster | None = None,
        leave_grace: timedelta = DEFAULT_LEAVE_GRACE,
        clock: Clock = system_clock,
    ) -> None:
        self.repository = CommunityRepository(db)
        self._owns = owns
        self._welcome = welcome
        self.leave_grace = leave_grace
        self._clock = clock
        self._served: set[int] = set()
        self._on_arrival: list[ArrivalListener] = []
        self._on_departure: list[Listener] = []

    # --- the live set ---------------------------------------------------------------------------------

    def served(self) -> frozenset[int]:
        """The communities this process serves now."""
        return frozenset(self._served)

    def serves(self, community_id: int) -> bool:
        return community_id in self._served

    def owns(self, community_id: int) -> bool:
        """Whether this process's shards cover the community (it may not be in it)."""
        return self._owns(community_id)

    def on_arrival(self, listener: ArrivalListener) -> None:
        """Called with the communities this process starts serving after start-up (joined, back, or found at a
        shard's ready): all those found together in one call."""
        self._on_arrival.append(listener)

    def on_departure(self, listener: Listener) -> None:
        self._on_departure.append(listener)

    async def load(self, *, also: Iterable[int] = ()) -> frozenset[int]:
        """The servers the database says the bot is in, plus ``also`` (the development server), as served."""
        for community_id in also:
            record = await self.repository.get(community_id)
            if record is None or record.left_at is not None:
                await self.repository.record_present(community_id, self._clock(), joined=False)
        self._served = {r.id for r in await self.repository.present() if self._owns(r.id)}
        return self.served()

    async def known(self) -> list[int]:
        """Every server with data in the database, the bot in it or not (for the command line)."""
        return await self.repository.known_ids()

    # --- what Discord reports -------------------------------------------------------------------------

    async def present(self, community_ids: Iterable[int]) -> None:
        """The gateway says the bot is in these servers (at ready): any the database did not know, or
        thought left (re-added while the bot was down), are recorded and served. No message is posted.

        Set-based: a few statements for them all, and the listeners told once (a shard's ready may list
        thousands of servers)."""
        arriving = sorted({c for c in community_ids if self._owns(c) and c not in self._served})
        if not arriving:
            return
        await self.repository.record_present_many(arriving, self._clock())
        self._served.update(arriving)
        await self._arrived(arriving)

    async def reconcile(self, community_ids: Iterable[int], *, shard: Shard) -> list[int]:
        """Discord lists every server of ``shard`` the bot is in (at each of the shard's (re)connections): those
        listed are served, as ``present`` does; those of the shard the database holds as present but not listed
        were left while the bot was away, and are recorded as left (their data then kept for the grace period and
        purged, as after a removal seen live). Returns those. Reads the shard's servers only."""
        listed = set(community_ids)
        await self.present(listed)
        gone = []
        for record in await self.repository.present(shard):
            if record.id in listed or not self._owns(record.id):
                continue
            log.info("server %s removed the bot while it was away", record.id)
            await self.left(record.id)
            gone.append(record.id)
        return gone

    async def joined(self, community_id: int) -> Joined:
        """Discord says the bot was just added to the server: record it, greet it once, serve it."""
        before = await self.repository.get(community_id)
        returned = before is not None and before.left_at is not None
        await self._arrive(community_id, joined=True)
        welcomed = await self._greet(community_id)
        log.info("joined server %s (%s)", community_id, "back within the grace period" if returned else "new")
        return Joined(community_id, welcomed=welcomed, returned=returned)

    async def left(self, community_id: int) -> None:
        """Discord says the bot was removed from the server: its data is kept for the grace period."""
        await self.repository.record_left(community_id, self._clock())
        was_served = community_id in self._served
        self._served.discard(community_id)
        log.info(
            "removed from server %s: its data is deleted in %s days unless the bot is added back",
            community_id,
            self.leave_grace.days,
        )
        if was_served:
            for listener in self._on_departure:
                await self._call(listener, community_id)

    async def _arrive(self, community_id: int, *, joined: bool) -> None:
        await self.repository.record_present(community_id, self._clock(), joined=joined)
        if community_id in self._served or not self._owns(community_id):
            return
        self._served.add(community_id)
        await self._arrived([community_id])

    async def _arrived(self, community_ids: list[int]) -> None:
        for listener in self._on_arrival:
            try:
                await listener(community_ids)
            except Exception:
                log.exception("an arrival listener failed for %d communities; the others go on", len(community_ids))

    async def _greet(self, community_id: int) -> bool:
        if self._welcome is None or not await self.repository.claim_welcome(community_id, self._clock()):
            return False
        try:
            posted = await self._welcome.post_welcome(community_id)
        except Exception:
            log.exception("the welcome message in server %s failed", community_id)
            posted = False
        if not posted:
            await self.repository.release_welcome(community_id)
        return posted

    async def _call(self, listener: Listener, community_id: int) -> None:
        try:
            await listener(community_id)
        except Exception:
            log.exception("a listener failed for community %s; the others go on", community_id)

    # --- the daily job --------------------------------------------------------------------------------

    async def purge_departed(self) -> list[int]:
        """Delete the data of every server (of this process's shards) the bot left more than the grace
        period ago. Returns their ids."""
        now = self._clock()
        purged = []
        for record in await self.repository.departed():
            if not self._owns(record.id) or not purge_due(record.left_at, now, self.leave_grace):
                continue
            if await self.repository.purge(record.id, left_before=now - self.leave_grace):
                purged.append(record.id)
                log.info("deleted the data of server %s, which the bot left on %s", record.id, record.left_at)
        return purged
