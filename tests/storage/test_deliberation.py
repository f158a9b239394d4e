"""The deliberation tables on each engine: numbering, one current vote, the voting order, erasure's cascade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.deliberation import Vote
from bot.domain.deliberation.conversation import Moderation, StatementOrigin
from bot.storage.communities import CommunityRepository
from bot.storage.deliberation import DeliberationRepository
from bot.storage.engine import Database

GUILD, OTHER = 100000000000000001, 100000000000000002
ALICE, BOB = 111, 222
NOW = datetime(2026, 3, 2, 19, tzinfo=UTC)


async def test_votes_replace_erasure_cascades_and_communities_stay_apart(db: Database) -> None:
    repo = DeliberationRepository(db)
    first = await repo.create(GUILD, week=5, prompt="P", auto_accept=True, origin="bot", now=NOW)
    second = await repo.create(GUILD, week=6, prompt="Q", auto_accept=True, origin="bot", now=NOW)
    elsewhere = await repo.create(OTHER, week=5, prompt="P", auto_accept=True, origin="bot", now=NOW)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    a, b = await repo.add_statements(first.id, ["A", "B"], StatementOrigin.SEED, NOW)

    async with db.transaction() as conn:
        alice = await repo.ensure_participant(conn, first.id, ALICE, NOW)
        bob = await repo.ensure_participant(conn, first.id, BOB, NOW)
        assert await repo.ensure_participant(conn, first.id, ALICE, NOW) == alice
        own = await repo.add_statement(
            conn,
            first.id,
            author=alice,
            text="C",
            origin=StatementOrigin.MEMBER,
            moderation=Moderation.ACCEPTED,
            now=NOW,
        )
        await repo.record_vote(conn, alice, a.id, Vote.AGREE, NOW)
        await repo.record_vote(conn, alice, a.id, Vote.DISAGREE, NOW + timedelta(seconds=1))
        await repo.record_vote(conn, bob, own.id, Vote.AGREE, NOW)

    assert [(v.participant, v.statement, v.vote) for v in await repo.votes(first.id)] == [
        (bob, own.id, Vote.AGREE),
        (alice, a.id, Vote.DISAGREE),
    ]
    # B has no votes yet, so Bob sees it before A.
    assert (await repo.next_statement(first.id, BOB)).id == b.id  # type: ignore[union-attr]
    assert (await repo.next_statement(first.id, ALICE)).id == b.id  # type: ignore[union-attr]
    assert await repo.has_consented(GUILD, ALICE)
    assert not await repo.has_consented(OTHER, ALICE)

    assert await repo.erase_member(GUILD, ALICE) == (1, 1)

    assert await repo.statement(own.id) is None
    assert await repo.votes(first.id) == []  # Bob's vote was on Alice's statement: it went with it
    assert await repo.member_votes(GUILD, ALICE) == []
    assert [s.text for s in await repo.statements(first.id)] == ["A", "B"]


async def test_a_departed_community_is_purged_with_its_deliberations(db: Database) -> None:
    repo = DeliberationRepository(db)
    communities = CommunityRepository(db)
    for community in (GUILD, OTHER):
        await communities.record_present(community, NOW, joined=True)
        conversation = await repo.create(community, week=1, prompt="P", auto_accept=True, origin="bot", now=NOW)
        (statement,) = await repo.add_statements(conversation.id, ["A"], StatementOrigin.SEED, NOW)
        async with db.transaction() as conn:
            voter = await repo.ensure_participant(conn, conversation.id, ALICE, NOW)
            await repo.record_vote(conn, voter, statement.id, Vote.AGREE, NOW)
    await communities.record_left(GUILD, NOW)

    assert await communities.purge(GUILD, left_before=NOW)

    assert await repo.in_community(GUILD) == [] and await repo.member_votes(GUILD, ALICE) == []
    assert len(await repo.member_votes(OTHER, ALICE)) == 1
