"""Answer buttons clicked by many members at once, right after a reminder fan-out, under Discord-like route
limits: every click gets its form as the first response, within Discord's 3 seconds
(interactions/receiving-and-responding.mdx, "Responding to an Interaction": a modal cannot follow a deferral,
and a token not answered in time is 10062 "Unknown interaction")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.fakediscord import FakeDiscord
from tests.fakediscord.ratelimits import TYPICAL_ROUTE_LIMITS
from tests.harness import BotRunner, FakeClock

WEEK8_START = datetime(2020, 10, 26, 19, tzinfo=UTC)
MEMBER_ROUTE = r"^/guilds/\d+/members/\d+$"
CLICKS = 50


async def test_fifty_answer_clicks_right_after_a_fan_out_all_open_their_form(
    fake_discord: FakeDiscord, bot_runner: BotRunner, clock: FakeClock
) -> None:
    members = [fake_discord.add_member(f"burst{n:02}") for n in range(CLICKS)]
    reminders = fake_discord.channel("reminders").id
    async with bot_runner.running(reminder_channel_id=reminders, dm_rate_per_second=500) as bot:
        for member in members:
            await bot.services.reminders.set_dm_reminders(bot.dev_guild_id, member.id, True)
        clock.now = WEEK8_START - timedelta(hours=1)
        bot.services.reminders.request(bot.dev_guild_id)
        await bot.services.reminders.idle()
        dms = [fake_discord.dms_to(member) for member in members]
        assert all(len(sent) == 1 for sent in dms)

        # Right after the fan-out, every member clicks at once, against buckets of Discord's order (the
        # member fetch: 5 per 5 s, per server).
        fake_discord.set_route_limits(TYPICAL_ROUTE_LIMITS)
        button = dms[0][0].custom_ids[0]
        clicks = await asyncio.gather(
            *(fake_discord.click(member, sent[0], button) for member, sent in zip(members, dms, strict=True))
        )
        responses = await asyncio.gather(*(click.response(timeout=10) for click in clicks))

        assert [r.type_name for r in responses] == ["MODAL"] * CLICKS
        for click, response in zip(clicks, responses, strict=True):
            assert click.callback_count == 1
            assert response.time - click.created < 3.0  # Discord's limit for the first response
        assert fake_discord.requests_matching("GET", MEMBER_ROUTE) == []  # nothing asked before the form
        assert [r for r in fake_discord.requests if r.status == 404 and "callback" in r.path] == []

        # Sending the form checks membership after deferring (15 minutes to answer: a wait on the member bucket
        # would be harmless there; a few sent one after the other stay under it, so the test does not sleep).
        for n, click in enumerate(clicks[:4]):
            submission = await fake_discord.submit_modal(click, {"Your answer": f"Answer {n}"})
            assert (await submission.final(timeout=10)).content.startswith("Saved your answer")
        assert len(fake_discord.requests_matching("GET", MEMBER_ROUTE)) == 4
