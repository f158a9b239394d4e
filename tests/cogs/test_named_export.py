"""A named export of several hundred answerers, through the local Discord: display names come from Discord's
bulk member lookup (events/gateway-events.mdx, "Request Guild Members": 100 ``user_ids`` a request), not from
one REST request per member, so it is delivered in moments even under Discord-like route limits."""

from __future__ import annotations

import csv
import io
import time

from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.fakediscord.ratelimits import TYPICAL_ROUTE_LIMITS
from tests.harness import BotRunner
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids

ANSWERERS = 420


async def test_a_named_export_of_hundreds_of_answerers_asks_discord_once_per_hundred(
    fake_discord: FakeDiscord, bot_runner: BotRunner
) -> None:
    people = [fake_discord.world.add_member(f"answerer{n:03}") for n in range(ANSWERERS)]
    people[7].nick = "Seven of Nine"
    left = fake_discord.world.add_user("gone")  # answered, then left the server
    async with bot_runner.running() as bot:
        [first_prompt, *_] = await prompt_ids(bot.db, GUILD_ID, week=8)
        await insert_answers(
            bot.db,
            GUILD_ID,
            [AnswerRow(first_prompt, p.id, f"answer {n}") for n, p in enumerate(people)]
            + [AnswerRow(first_prompt, left.id, "mine")],
        )
        fake_discord.set_route_limits(TYPICAL_ROUTE_LIMITS)
        ask = await (await fake_discord.slash("olga", "export answers", format="csv", identities="named")).final()
        started = time.monotonic()
        click = await fake_discord.click("olga", ask, ask.custom_ids[0])
        (delivered,) = await click.wait_followups(1, timeout=20)
        took = time.monotonic() - started

    ((_, data),) = delivered.files
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    names = {row["discord_id"].lstrip("'"): row["display_name"] for row in rows}
    assert len(rows) == ANSWERERS + 1
    assert names[str(people[0].id)] == "Answerer000" and names[str(people[7].id)] == "Seven of Nine"
    assert names[str(left.id)] == ""  # no longer a member: the id without a name
    lookups = [data for _, op, data in fake_discord.core.gateway.received if op == 8]
    assert len(lookups) == 5 and all(len(d["user_ids"]) <= 100 for d in lookups)
    assert fake_discord.requests_matching("GET", r"^/guilds/\d+/members/") == []
    assert took < 10  # a REST request per member, 5 per 5 s, would take about seven minutes
