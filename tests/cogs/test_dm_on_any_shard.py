"""A member's DM interaction is served by the process that receives it (issue 20, item 6).

Discord delivers DMs to shard 0 only (events/gateway.mdx, "Sharding"). Two instances over one database, each
running one of two shards, as tests/bot/test_shards.py does: a reminder DM sent by the instance owning a server
on shard 1 is answered through shard 0's instance, which only needs the database (and a REST look at the
membership); /mydata in a DM there reaches that server's data too. Only scheduled jobs belong to a shard's owner.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.communities import shard_of
from bot.storage.database import Database
from tests.cogs.test_reminders import near_future_programme
from tests.fakediscord import FakeDiscord
from tests.harness import FakeClock, one_instance_per_shard

SHARDS = 2
ANSWER = "Your answer"


async def test_a_dm_answer_for_a_server_on_another_shard_is_served_by_shard_zero(
    fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    guilds = fake_discord.world.add_guilds(4, channels=["general"], members=["alice"])
    chosen = next(g for g in guilds if shard_of(g.id, SHARDS) == 1)
    alice = fake_discord.user("alice").id
    path = tmp_path / "bot.sqlite3"
    async with (
        Database.open(path, exclusive=True) as db,
        one_instance_per_shard(fake_discord, db, path, clock, shard_count=SHARDS) as bots,
    ):
        zero, owner = bots
        await fake_discord.wait_for(lambda: owner.services.communities.serves(chosen.id), what="shard 1 served")
        assert zero.get_guild(chosen.id) is None  # not in shard 0's cache
        # The owner sends the reminder DM (its 1h reminder falls due), with an Answer button.
        await owner.services.reminders.set_dm_reminders(chosen.id, alice, True)
        await owner.services.programme.import_programme(
            chosen.id, near_future_programme(clock() + timedelta(minutes=61))
        )
        clock.advance(timedelta(minutes=2))
        owner.services.reminders.request(chosen.id)
        await owner.services.reminders.idle()
        [reminder] = fake_discord.dms_to("alice")
        [button] = [c for c in reminder.custom_ids if c.startswith("answer:prompt:")]

        click = await fake_discord.click("alice", reminder, button)  # a DM: it reaches shard 0
        await click.wait_modal()
        submission = await fake_discord.submit_modal(click, {ANSWER: "Answered from a DM"})
        confirmation = await submission.final()
        assert "a server this bot is no longer in" not in confirmation.content
        assert confirmation.ephemeral and "saved" in confirmation.content.lower()
        [row] = await db.fetchall("SELECT community_id, user_id, text FROM answers")
        assert tuple(row) == (chosen.id, alice, "Answered from a DM")
        received = [i for i in fake_discord.core.interactions if i.guild_id is None]
        assert received and all(i.callback_count == 1 for i in received)

        shown = await (
            await fake_discord.slash("alice", "mydata show", in_channel=fake_discord.dm_channel("alice"))
        ).final()
        assert f"In server {chosen.id}" in shown.embed_text and "Answered from a DM" in shown.embed_text
