"""Use cases for members' answers: the form, saving an answer, and a member's own data (see, export, erase)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from bot.domain.answering import AnswerForm, PromptContext, SavedAnswer
from bot.domain.answers import clean_answer_text, is_late
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import NotFoundError
from bot.domain.member_data import ErasureReport, MemberData, export_json, export_json_everywhere
from bot.storage.answers import Answering, AnswerRepository, ConsentRepository
from bot.storage.engine import Database
from bot.storage.members import MemberDataRepository
from bot.storage.unit_of_work import UnitOfWorkFactory, unit_of_work_factory

log = logging.getLogger(__name__)

PROMPT_GONE = (
    "That prompt is no longer part of this server's programme (it may have been changed since this message "
    "was posted). Use `/answer` to pick one of the current prompts."
)


def _in_community(found: Answering | None, community_id: int | None) -> Answering:
    """What was read, or NotFoundError if the prompt does not exist (any more) or belongs to another server."""
    if found is None or (community_id is not None and found.context.community_id != community_id):
        raise NotFoundError(PROMPT_GONE)
    return found


def _form(found: Answering) -> AnswerForm:
    return AnswerForm(
        context=found.context,
        current_text=found.current.text if found.current else None,
        needs_consent=found.consented_at is None,
    )


class AnswerService:
    def __init__(
        self,
        db: Database,
        *,
        uow: UnitOfWorkFactory | None = None,
        clock: Clock = system_clock,
    ) -> None:
        """``db`` serves the reads; writes go through a unit of work from ``uow`` (by default, on ``db``)."""
        self._uow = uow or unit_of_work_factory(db)
        self._clock = clock
        self.answers = AnswerRepository(db)
        self.consents = ConsentRepository(db)
        self.members = MemberDataRepository(db)

    async def prompt(self, prompt_id: int, *, community_id: int | None) -> PromptContext:
        """The prompt, or NotFoundError if it does not exist (any more) or belongs to another server.

        ``community_id`` is the server the member acts in; None in a DM, where the prompt's own server counts.
        """
        context = await self.answers.prompt_context(prompt_id)
        if context is None or (community_id is not None and context.community_id != community_id):
            raise NotFoundError(PROMPT_GONE)
        return context

    async def prompt_id(self, community_id: int, week: int, number: int) -> int | None:
        """The id of prompt ``number`` of ``week`` in the server, or None if there is no such prompt."""
        return await self.answers.prompt_id_in_week(community_id, week, number)

    async def form(self, prompt_id: int, user_id: int, *, community_id: int | None) -> AnswerForm:
        """What the answer form shows this member: the prompt, their current answer, the consent notice or not."""
        return _form(_in_community(await self.answers.answering(prompt_id, user_id), community_id))

    async def form_in_week(self, community_id: int, week: int, number: int, user_id: int) -> AnswerForm | None:
        """``form`` for prompt ``number`` of ``week`` in the server, in one read; None if there is no such prompt."""
        found = await self.answers.answering_in_week(community_id, week, number, user_id)
        return _form(found) if found is not None else None

    async def submit(self, prompt_id: int, user_id: int, raw_text: str, *, community_id: int | None) -> SavedAnswer:
        """Store the member's answer (or its new version) and, if it is their first, their consent.

        Bad text raises AnswerRejectedError and changes nothing. The answer is late if it arrives after
        the session's end plus the server's answer window; it is kept either way.
        """
        text = clean_answer_text(raw_text)
        if community_id is None:  # a DM: the prompt's own server is the one written to
            community_id = (await self.prompt(prompt_id, community_id=None)).community_id
        now = self._clock()
        async with self._uow(community_id) as uow:
            # Everything is read under the community's write lock, in one statement: the prompt may have been
            # dropped by an import, the window changed, or the answer given in another process since the form.
            found = _in_community(await uow.answers.answering(prompt_id, user_id), community_id)
            context = found.context
            late = is_late(context.session_end, found.answer_window, now)
            consent_recorded = found.consented_at is None and await uow.consents.record(community_id, user_id, now)
            answer, outcome = await uow.answers.store_answer(
                found.current,
                community_id=community_id,
                prompt_id=prompt_id,
                user_id=user_id,
                text=text,
                now=now,
                late=late,
            )
        log.debug("answer %s to prompt %s: %s%s", answer.id, prompt_id, outcome.value, " (late)" if late else "")
        return SavedAnswer(answer=answer, context=context, outcome=outcome, consent_recorded=consent_recorded)

    async def consented_at(self, community_id: int, user_id: int) -> datetime | None:
        """When the member agreed to their answers being kept (their first answer), or None."""
        return await self.consents.consented_at(community_id, user_id)

    # --- the member's own data -------------------------------------------------------------------------

    async def member_data(self, community_id: int, user_id: int) -> MemberData:
        return await self.members.load(community_id, user_id)

    async def export_member_data(self, community_id: int, user_id: int) -> tuple[MemberData, bytes]:
        """The member's data and the same as a JSON document (for /mydata export)."""
        data = await self.members.load(community_id, user_id)
        return data, export_json(data, self._clock())

    async def member_communities(self, user_id: int) -> list[int]:
        """The communities holding the member's data, wherever they ask from (left ones included)."""
        return await self.members.communities_of(user_id)

    async def member_data_everywhere(self, user_id: int) -> list[MemberData]:
        """The member's data in every community that holds some, one MemberData each."""
        return [await self.members.load(c, user_id) for c in await self.members.communities_of(user_id)]

    async def export_member_data_everywhere(
        self, user_id: int, names: Mapping[int, str]
    ) -> tuple[list[MemberData], bytes]:
        """Everything held about the member in every community, as one JSON document (``names``: where known)."""
        found = await self.member_data_everywhere(user_id)
        return found, export_json_everywhere(user_id, found, names, self._clock())

    async def erasure_preview(self, community_id: int, user_id: int) -> ErasureReport:
        return await self.members.summary(community_id, user_id)

    async def erase_member(self, community_id: int, user_id: int) -> ErasureReport:
        """Delete everything stored about the member in the server; returns what was deleted.

        Their thread messages posted until now are never recorded again, even though they stay on Discord.
        """
        report = await self.members.erase(community_id, user_id, at=self._clock())
        # No member id in the log: the point is that nothing about them is left.
        log.info(
            "erased a member's data in community %s: %d answers, %d versions, consent %s, DM subscription %s, "
            "%d DM reminder records",
            community_id,
            report.answers,
            report.versions,
            report.consent,
            report.dm_subscription,
            report.dm_reminders,
        )
        return report
