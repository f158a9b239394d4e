"""A member's deliberation, written once and run on Discord and on Slack: consent at the first vote, one
statement at a time, never one twice, and a statement of their own, shown without their name."""

from __future__ import annotations

from tests.journeys.drivers import Journey

SEEDS = ["Public meetings should be recorded", "Everyone should get a vote on the budget"]
CONSENT = "Your votes and statements are kept"


async def test_a_member_votes_once_on_each_statement_and_writes_one(journey: Journey) -> None:
    opened = await journey.open_conversation("owner", 5, "What would it look like?", SEEDS)
    assert "Opened conversation 1 with 2 seed statements" in opened

    first = await journey.start_voting("alice")
    assert CONSENT in first and "What would it look like?" in first  # the same notice on both platforms
    shown = [seed for seed in SEEDS if f"> {seed}" in first]
    second = await journey.vote("alice", "Agree")
    assert "Recorded: agree." in second and CONSENT not in second
    shown += [seed for seed in SEEDS if f"> {seed}" in second]
    assert sorted(shown) == sorted(SEEDS)  # each once, in turn
    done = await journey.vote("alice", "Pass / unsure")
    assert "You have voted on every statement so far" in done

    thanks = await journey.write_statement("alice", "Minutes in plain words")
    assert "your statement is in, and others can vote on it now" in thanks

    bob = await journey.start_voting("bob")
    assert CONSENT in bob and "alice" not in bob.lower()
