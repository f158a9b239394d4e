"""A member answers a prompt, is refused a blank answer, changes the answer and finds it in their data: the
same journey, written once, on Discord and on Slack."""

from __future__ import annotations

from tests.journeys.drivers import Journey

HOSTILE = "Start with <@everyone> & @here <!channel> friends"


async def test_a_member_answers_is_refused_a_blank_answer_edits_it_and_sees_it(journey: Journey) -> None:
    first = await journey.open_answer_form("alice", 8, 1)
    assert "Before your first answer, what we keep" in first.text
    assert "Week 8 · prompt 1 of 3" in first.text
    assert first.prefilled is None

    refused = await journey.send_answer("alice", "   \n ")
    assert "Your answer is empty" in refused
    assert "We hold nothing about you in " in await journey.my_data("alice")

    await journey.open_answer_form("alice", 8, 1)
    saved = await journey.send_answer("alice", HOSTILE)
    assert "Saved your answer to Week 8 · prompt 1 of 3" in saved
    assert "This was your first answer" in saved
    for ping in ("<@everyone>", "<!channel>"):
        assert ping not in saved  # shown, never pinging

    again = await journey.open_answer_form("alice", 8, 1)
    assert again.prefilled == HOSTILE
    assert "Before your first answer" not in again.text
    updated = await journey.send_answer("alice", "Second thoughts")
    assert "Updated your answer to Week 8 · prompt 1 of 3" in updated

    mine = await journey.my_data("alice")
    assert "Week 8 · prompt 1" in mine and "Second thoughts" in mine and "1 earlier version kept" in mine
