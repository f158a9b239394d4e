"""The deliberation service against a real database (each engine): opening, statements, voting order, consent,
moderation, results, a member's own data, and Pol.is import/export with the real conversations (see
tests/polis_data.py for their attribution: CC BY 4.0, The Computational Democracy Project)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sklearn.metrics import adjusted_rand_score

from bot.domain.deliberation import Vote
from bot.domain.deliberation.conversation import Moderation, StatementOrigin, StatementRejectedError
from bot.domain.deliberation.polis import PolisFormatError, read_polis
from bot.domain.errors import NotFoundError, UserFacingError
from bot.services.deliberation import (
    ConsentRequiredError,
    DeliberationService,
    export_polis,
    import_polis,
    read_export,
)
from bot.storage.engine import Database
from bot.storage.retention import RetentionRepository
from tests.conftest import GUILD_ID
from tests.harness import FakeClock
from tests.polis_data import polis_data, polis_groups

OTHER_GUILD = GUILD_ID + 1
ALICE, BOB = 111, 222


@pytest.fixture
def service(db: Database, clock: FakeClock) -> DeliberationService:
    return DeliberationService(db, clock=clock)


async def test_members_vote_on_each_statement_once_newest_statements_first(
    service: DeliberationService, clock: FakeClock
) -> None:
    conversation = await service.open(
        GUILD_ID, week=5, prompt="What would deliberative policy look like?", seeds="A\n\nB\n"
    )
    assert conversation.name == "conversation 1"
    first = await service.next_statement(conversation.id, ALICE)
    assert first is not None and first.text == "A"

    with pytest.raises(ConsentRequiredError):
        await service.vote(conversation.id, ALICE, first.id, Vote.AGREE)
    await service.vote(conversation.id, ALICE, first.id, Vote.AGREE, consent=True)
    clock.advance(timedelta(minutes=1))
    mine = await service.add_statement(conversation.id, BOB, "C, said Bob", consent=True)
    await service.vote(conversation.id, BOB, first.id, Vote.DISAGREE)

    # B and C have no votes from others yet; B is older. Alice never sees A again.
    shown = []
    while (statement := await service.next_statement(conversation.id, ALICE)) is not None:
        shown.append(statement.text)
        await service.vote(conversation.id, ALICE, statement.id, Vote.PASS)
    assert shown == ["B", "C, said Bob"]
    # Bob agrees with his own statement already, and is not asked about it.
    assert (await service.next_statement(conversation.id, BOB)).text == "B"  # type: ignore[union-attr]

    await service.vote(conversation.id, ALICE, mine.id, Vote.DISAGREE)  # changing a vote replaces it
    counts = {c.statement: c for c in (await service.results(conversation.id)).analysis.counts}
    assert (counts[mine.id].agree, counts[mine.id].disagree, counts[mine.id].passed) == (1, 1, 0)


async def test_too_few_voters_show_counts_only_with_the_reason(service: DeliberationService) -> None:
    conversation = await service.open(GUILD_ID, week=1, prompt="P", seeds="One\nTwo")
    statement = await service.next_statement(conversation.id, ALICE)
    assert statement is not None
    await service.vote(conversation.id, ALICE, statement.id, Vote.AGREE, consent=True)

    results = await service.results(conversation.id)

    assert not results.analysis.grouped
    assert results.analysis.reason is not None and "at least" in results.analysis.reason
    assert [c.agree for c in results.analysis.counts] == [1, 0]


async def test_moderation_holds_statements_until_accepted_and_closing_stops_votes(service: DeliberationService) -> None:
    conversation = await service.open(GUILD_ID, week=1, prompt="P", auto_accept=False)
    held = await service.add_statement(conversation.id, ALICE, "Held back", consent=True)
    assert held.moderation is Moderation.PENDING
    assert await service.next_statement(conversation.id, BOB) is None
    assert [s.id for s in await service.pending(conversation.id)] == [held.id]

    with pytest.raises(NotFoundError):
        await service.moderate(OTHER_GUILD, held.id, accept=True)
    await service.moderate(GUILD_ID, held.id, accept=True)
    assert (await service.next_statement(conversation.id, BOB)).id == held.id  # type: ignore[union-attr]

    with pytest.raises(NotFoundError):  # a vote through another server's interaction
        await service.vote(conversation.id, BOB, held.id, Vote.AGREE, consent=True, community_id=OTHER_GUILD)
    await service.close(GUILD_ID, conversation.number)
    with pytest.raises(UserFacingError, match="closed"):
        await service.vote(conversation.id, BOB, held.id, Vote.AGREE, consent=True)
    with pytest.raises(NotFoundError):
        await service.close(OTHER_GUILD, conversation.number)


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "x" * 281])
async def test_bad_statements_are_refused_and_nothing_is_stored(service: DeliberationService, text: str) -> None:
    conversation = await service.open(GUILD_ID, week=1, prompt="P")
    with pytest.raises(StatementRejectedError):
        await service.add_statement(conversation.id, ALICE, text, consent=True)
    with pytest.raises(StatementRejectedError):
        await service.open(GUILD_ID, week=1, prompt="P", seeds=f"fine\n{text}" if text.strip() else "x" * 281)
    assert [c.number for c in await service.conversations(GUILD_ID)] == [conversation.number]
    assert (await service.member_data(GUILD_ID, ALICE)).is_empty


async def test_a_members_votes_and_statements_are_theirs_to_see_and_erase(service: DeliberationService) -> None:
    conversation = await service.open(GUILD_ID, week=2, prompt="P", seeds="Seed")
    seed = await service.next_statement(conversation.id, ALICE)
    assert seed is not None
    await service.vote(conversation.id, ALICE, seed.id, Vote.DISAGREE, consent=True)
    await service.add_statement(conversation.id, ALICE, "Mine", origin=StatementOrigin.ANSWER)
    await service.vote(conversation.id, BOB, seed.id, Vote.AGREE, consent=True)

    data = await service.member_data(GUILD_ID, ALICE)
    assert [(v.statement, v.vote) for v in data.votes] == [("Seed", Vote.DISAGREE), ("Mine", Vote.AGREE)]
    assert [s.text for s in data.statements] == ["Mine"]
    assert (await service.member_data(OTHER_GUILD, ALICE)).is_empty

    assert await service.erase_member(GUILD_ID, ALICE) == (2, 1)

    assert (await service.member_data(GUILD_ID, ALICE)).is_empty
    counts = (await service.results(conversation.id)).analysis.counts
    assert [(c.agree, c.disagree) for c in counts] == [(1, 0)]
    assert not (await service.member_data(GUILD_ID, BOB)).is_empty
    assert await service.needs_consent(GUILD_ID, ALICE)


async def test_a_real_polis_conversation_imports_analyses_and_exports_with_its_ids(
    service: DeliberationService,
) -> None:
    folder = polis_data() / "london.youth.policing"
    comments, votes = (folder / "comments.csv").read_text(), (folder / "votes.csv").read_text()

    conversation, statements, cast = await import_polis(
        service, GUILD_ID, await read_export(comments, votes), (folder / "summary.csv").read_text()
    )

    original = read_polis(comments, votes)
    assert (statements, cast) == (len(original.comments), len(original.votes))
    assert conversation.prompt.startswith("What is the best way to engage more young people")
    assert not conversation.is_open
    files = await export_polis(service, conversation)
    back = read_polis(files.comments, files.votes)
    assert {(v.participant, v.statement, v.vote) for v in back.votes} == {
        (v.participant, v.statement, v.vote) for v in original.votes
    }
    assert {(c.id, c.author, c.moderated, c.text) for c in back.comments} == {
        (c.id, c.author, c.moderated, c.text) for c in original.comments
    }
    rows = list(csv.DictReader(io.StringIO(files.participants_votes)))
    ours = {int(r["participant"]): int(r["group-id"]) for r in rows if r["group-id"]}
    theirs = polis_groups(folder)
    assert set(ours) == set(theirs)
    assert adjusted_rand_score([theirs[p] for p in theirs], [ours[p] for p in theirs]) > 0.1
    summary = dict(csv.reader(io.StringIO(files.summary)))
    assert summary["voters"] == "26" and summary["comments"] == str(len(original.comments))


async def test_a_broken_export_imports_nothing(service: DeliberationService) -> None:
    folder = polis_data() / "london.youth.policing"
    broken_votes = (folder / "votes.csv").read_text() + "1,x,1,1,7\n"

    with pytest.raises(PolisFormatError, match=r"votes\.csv, line"):
        await import_polis(service, GUILD_ID, await read_export((folder / "comments.csv").read_text(), broken_votes))

    assert await service.conversations(GUILD_ID) == []


async def test_retention_deletes_conversations_with_their_votes(
    db: Database, service: DeliberationService, clock: FakeClock
) -> None:
    old = await service.open(GUILD_ID, week=1, prompt="Old", seeds="A")
    seed = await service.next_statement(old.id, ALICE)
    assert seed is not None
    await service.vote(old.id, ALICE, seed.id, Vote.AGREE, consent=True)
    clock.advance(timedelta(days=1))
    kept = await service.open(GUILD_ID, week=2, prompt="New")
    elsewhere = await service.open(OTHER_GUILD, week=1, prompt="Elsewhere")

    await RetentionRepository(db).delete_answers(GUILD_ID, created_before=clock() - timedelta(hours=1))

    assert [c.id for c in await service.conversations(GUILD_ID)] == [kept.id]
    assert [c.id for c in await service.conversations(OTHER_GUILD)] == [elsewhere.id]
    assert (await service.member_data(GUILD_ID, ALICE)).is_empty
