"""The unit of work: repositories bound to one write transaction, so services never hold a connection.

``async with uow_factory() as uow:`` opens a transaction; ``uow.answers``, ``uow.consents`` and
``uow.programmes`` read and write inside it, and see each other's writes. A clean exit commits; an exception
rolls everything back. Reads that need no transaction go through the services' own repositories on the
database, as before (they do not wait for the write lock).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from bot.storage.answers import AnswerRepository, ConsentRepository
from bot.storage.engine import Connection, Database
from bot.storage.programmes import ProgrammeRepository


class UnitOfWork:
    """The repositories of one transaction. Built by ``unit_of_work_factory``; not kept past its ``async with``."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.answers = AnswerRepository(db, conn)
        self.consents = ConsentRepository(db, conn)
        self.programmes = ProgrammeRepository(db, conn)


class UnitOfWorkFactory(Protocol):
    def __call__(self, community_id: int | None = None) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work; with ``community_id``, one that touches only that community's rows, and so runs
        beside other communities' writes (``Database.transaction``)."""
        ...


def unit_of_work_factory(db: Database) -> UnitOfWorkFactory:
    """What the composition root hands to the services that write through a unit of work."""

    @asynccontextmanager
    async def unit_of_work(community_id: int | None = None) -> AsyncIterator[UnitOfWork]:
        async with db.transaction(community_id) as conn:
            yield UnitOfWork(db, conn)

    return unit_of_work
