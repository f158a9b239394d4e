"""Use cases of a deliberation: open and close, statements, moderation, voting, results, a member's own data."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import Clock, system_clock
from bot.domain.deliberation import Analysis, Vote, VoteMatrix, analyse
from bot.domain.deliberation.analysis import previous_run_from_json, previous_run_to_json
from bot.domain.deliberation.conversation import (
    Conversation,
    ConversationState,
    Moderation,
    Statement,
    StatementOrigin,
    clean_prompt,
    clean_statement,
    seed_statements,
)
from bot.domain.deliberation.member_data import MemberStatement, MemberVote
from bot.domain.errors import NotFoundError, UserFacingError
from bot.storage.deliberation import DeliberationRepository
from bot.storage.engine import Database

log = logging.getLogger(__name__)

MAX_SEEDS = 100


class ConsentRequiredError(UserFacingError):
    """The member has not yet agreed to have their votes kept."""

    def __init__(self) -> None:
        super().__init__(CONSENT_NOTICE)


CONSENT_NOTICE = (
    "Your votes and statements are kept, with your member id, so that the group's results can be worked out, "
    "and so that you can see, export or delete them with /mydata. Results and exports never name you, and "
    "statements never show who wrote them. Vote to agree to this."
)


@dataclass(frozen=True, slots=True)
class Results:
    conversation: Conversation
    statements: dict[int, Statement]  # accepted ones, by id
    analysis: Analysis


@dataclass(frozen=True, slots=True)
class MemberDeliberation:
    votes: tuple[MemberVote, ...]
    statements: tuple[MemberStatement, ...]

    @property
    def is_empty(self) -> bool:
        return not self.votes and not self.statements


class DeliberationService:
    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock
        self.repository = DeliberationRepository(db)

    @property
    def database(self) -> Database:
        return self._db

    def now(self) -> datetime:
        return self._clock()

    # -- facilitators ------------------------------------------------------------------------------------

    async def open(
        self, community_id: int, *, week: int | None, prompt: str, seeds: str = "", auto_accept: bool = True
    ) -> Conversation:
        """A new open conversation, with its seed statements (one a line); nothing is stored if one is refused."""
        cleaned_prompt = clean_prompt(prompt)
        texts = seed_statements(seeds)
        if len(texts) > MAX_SEEDS:
            raise UserFacingError(f"That is {len(texts)} seed statements; the limit is {MAX_SEEDS}.")
        now = self._clock()
        async with self._db.transaction() as conn:
            conversation = await self.repository.create(
                community_id,
                week=week,
                prompt=cleaned_prompt,
                auto_accept=auto_accept,
                origin="bot",
                now=now,
                conn=conn,
            )
            for text in texts:
                await self.repository.add_statement(
                    conn,
                    conversation.id,
                    author=None,
                    text=text,
                    origin=StatementOrigin.SEED,
                    moderation=Moderation.ACCEPTED,
                    now=now,
                )
        log.info("conversation %d opened in community %d with %d seeds", conversation.number, community_id, len(texts))
        return conversation

    async def conversation(self, community_id: int, number: int) -> Conversation:
        found = await self.repository.by_number(community_id, number)
        if found is None:
            raise NotFoundError(f"There is no conversation {number} in this community.")
        return found

    async def by_id(self, conversation_id: int, *, community_id: int | None = None) -> Conversation:
        found = await self.repository.get(conversation_id)
        if found is None or (community_id is not None and found.community_id != community_id):
            raise NotFoundError("That conversation no longer exists.")
        return found

    async def conversations(self, community_id: int) -> list[Conversation]:
        return await self.repository.in_community(community_id)

    async def set_post(self, conversation_id: int, channel_id: int, post_id: int) -> None:
        await self.repository.set_post(conversation_id, channel_id, post_id)

    async def close(self, community_id: int, number: int) -> Conversation:
        conversation = await self.conversation(community_id, number)
        await self.repository.set_state(conversation.id, ConversationState.CLOSED, self._clock())
        return await self.by_id(conversation.id)

    async def moderate(self, community_id: int, statement_id: int, *, accept: bool) -> Statement:
        statement = await self.repository.statement(statement_id)
        if statement is None or (await self.by_id(statement.conversation_id)).community_id != community_id:
            raise NotFoundError("That statement no longer exists.")
        await self.repository.moderate(statement_id, Moderation.ACCEPTED if accept else Moderation.REJECTED)
        found = await self.repository.statement(statement_id)
        assert found is not None
        return found

    async def statement(self, conversation_id: int, statement_id: int) -> Statement:
        """An accepted statement of the conversation, or NotFoundError."""
        found = await self.repository.statement(statement_id)
        if found is None or found.conversation_id != conversation_id or found.moderation is not Moderation.ACCEPTED:
            raise NotFoundError("That statement is no longer in the conversation.")
        return found

    async def statements(self, conversation_id: int) -> list[Statement]:
        """Every statement of the conversation, whatever its moderation, oldest first."""
        return await self.repository.statements(conversation_id)

    async def pending(self, conversation_id: int) -> list[Statement]:
        return await self.repository.statements(conversation_id, moderation=Moderation.PENDING)

    async def open_for_week(self, community_id: int, week: int) -> Conversation | None:
        """The newest open conversation on ``week``, where members may offer their answers as statements."""
        found = [c for c in await self.repository.in_community(community_id) if c.is_open and c.week == week]
        return found[-1] if found else None

    async def offer_answer(self, community_id: int, week: int, user_id: int, answer: str) -> Statement | None:
        """The member's answer as a statement in the week's open conversation (they ticked the box, which is their
        consent); None if there is no open conversation any more. ``StatementRejectedError`` if too long."""
        conversation = await self.open_for_week(community_id, week)
        if conversation is None:
            return None
        return await self.add_statement(conversation.id, user_id, answer, origin=StatementOrigin.ANSWER, consent=True)

    # -- members -----------------------------------------------------------------------------------------

    async def needs_consent(self, community_id: int, user_id: int) -> bool:
        return not await self.repository.has_consented(community_id, user_id)

    async def next_statement(self, conversation_id: int, user_id: int) -> Statement | None:
        """The next statement for the member to vote on, or None when they have voted on every one."""
        return await self.repository.next_statement(conversation_id, user_id)

    async def vote(
        self,
        conversation_id: int,
        user_id: int,
        statement_id: int,
        vote: Vote,
        *,
        consent: bool = False,
        community_id: int | None = None,
    ) -> Conversation:
        """Record (or change) the member's vote; returns the conversation. ``consent``: they agreed in this
        interaction. ``community_id``: where the member acts (another community's conversation is not found)."""
        conversation = await self.by_id(conversation_id, community_id=community_id)
        self._require_open(conversation)
        statement = await self.repository.statement(statement_id)
        if (
            statement is None
            or statement.conversation_id != conversation_id
            or statement.moderation is not Moderation.ACCEPTED
        ):
            raise NotFoundError("That statement is no longer in the conversation.")
        await self._require_consent(conversation, user_id, consent)
        now = self._clock()
        async with self._db.transaction() as conn:
            participant = await self.repository.ensure_participant(conn, conversation_id, user_id, now)
            await self.repository.record_vote(conn, participant, statement_id, vote, now)
        return conversation

    async def add_statement(
        self,
        conversation_id: int,
        user_id: int,
        text: str,
        *,
        origin: StatementOrigin = StatementOrigin.MEMBER,
        consent: bool = False,
    ) -> Statement:
        """A member's statement: accepted at once or waiting for moderation, as the conversation says. Its author
        agrees with it (as in Pol.is), so it is never put to them to vote on."""
        conversation = await self.by_id(conversation_id)
        self._require_open(conversation)
        cleaned = clean_statement(text)
        await self._require_consent(conversation, user_id, consent)
        now = self._clock()
        moderation = Moderation.ACCEPTED if conversation.auto_accept else Moderation.PENDING
        async with self._db.transaction() as conn:
            participant = await self.repository.ensure_participant(conn, conversation_id, user_id, now)
            statement = await self.repository.add_statement(
                conn, conversation_id, author=participant, text=cleaned, origin=origin, moderation=moderation, now=now
            )
            await self.repository.record_vote(conn, participant, statement.id, Vote.AGREE, now)
        return statement

    async def results(self, conversation_id: int) -> Results:
        """The analysis, worked out in a thread; the groups' state is kept so the next run's groups stay put."""
        conversation = await self.by_id(conversation_id)
        statements = await self.repository.statements(conversation_id, moderation=Moderation.ACCEPTED)
        votes = await self.repository.vote_casts(conversation_id)
        previous = previous_run_from_json(await self.repository.groups_state(conversation_id))
        matrix = VoteMatrix.build(votes, [s.id for s in statements])
        analysis = await asyncio.to_thread(analyse, matrix, previous)
        if analysis.grouped:
            await self.repository.save_groups_state(conversation_id, previous_run_to_json(analysis.next_run))
        return Results(conversation, {s.id: s for s in statements}, analysis)

    # -- a member's own data -----------------------------------------------------------------------------

    async def member_data(self, community_id: int, user_id: int) -> MemberDeliberation:
        return MemberDeliberation(
            tuple(await self.repository.member_votes(community_id, user_id)),
            tuple(await self.repository.member_statements(community_id, user_id)),
        )

    async def erase_member(self, community_id: int, user_id: int) -> tuple[int, int]:
        """Erase the member's votes and statements in the community: (votes, statements) erased."""
        return await self.repository.erase_member(community_id, user_id)

    # -- checks --------------------------------------------------------------------------------------------

    @staticmethod
    def _require_open(conversation: Conversation) -> None:
        if not conversation.is_open:
            raise UserFacingError(f"{conversation.name.capitalize()} is closed: it takes no more votes or statements.")

    async def _require_consent(self, conversation: Conversation, user_id: int, consent: bool) -> None:
        if consent or await self.repository.participant(conversation.id, user_id) is not None:
            return
        if await self.repository.has_consented(conversation.community_id, user_id):
            return
        raise ConsentRequiredError()
