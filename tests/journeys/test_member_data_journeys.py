"""A member's reminder setting and the deletion of their data: written once, run on Discord and on Slack."""

from __future__ import annotations

from tests.journeys.drivers import Journey


async def test_a_member_turns_reminder_dms_on_and_off(journey: Journey) -> None:
    assert (await journey.reminders("alice")).startswith("DM reminders are off for you.")
    on = await journey.reminders("alice", "on")
    assert on.startswith("DM reminders are now on. I'll send you a direct message 24 hours and 1 hour before")
    assert (await journey.reminders("alice", "on")).startswith("DM reminders are on for you.")
    assert (await journey.reminders("alice", "off")).startswith("DM reminders are now off.")


async def test_a_member_deletes_everything_the_bot_holds_about_them(journey: Journey) -> None:
    await journey.open_answer_form("alice", 8, 1)
    await journey.send_answer("alice", "Keep it local")
    await journey.reminders("alice", "on")
    question, result = await journey.delete_my_data("alice")
    assert "permanently deletes everything we hold about you" in question
    assert "- 1 answer" in question and "your subscription to reminder DMs" in question
    assert result.startswith("Deleted in ") and "- 1 answer" in result
    assert "We hold nothing about you in " in await journey.my_data("alice")
    assert (await journey.reminders("alice")).startswith("DM reminders are off for you.")
    again = await journey.open_answer_form("alice", 8, 1)
    assert "Before your first answer" in again.text  # consent is asked again
