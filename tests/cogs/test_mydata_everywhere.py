"""/mydata reaches every community holding the member's data, wherever they ask (issue 20, item 4).

Through the local Discord, without GUILD_ID (global commands, so /mydata works in the bot's DMs too): a member
with answers in two servers, one of which the bot has since left (its data is kept for the grace period), sees,
exports and deletes their data by server, from a DM or from either server.
"""

from __future__ import annotations

import json

from bot.client import WorkshopBot
from bot.domain.parsers import parse_programme_file
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import FakeDiscord, Guild
from tests.harness import BotRunner


async def answer_in(bot: WorkshopBot, community_id: int, user_id: int, text: str) -> None:
    programme = parse_programme_file(
        PROGRAMME_TOML.read_bytes(), filename=PROGRAMME_TOML.name, default_timezone="Europe/London"
    )
    if await bot.services.programme.get(community_id) is None:
        await bot.services.programme.import_programme(community_id, programme)
    prompt_id = await bot.services.answers.prompt_id(community_id, 8, 1)
    assert prompt_id is not None
    await bot.services.answers.submit(prompt_id, user_id, text, community_id=community_id)


async def two_servers(fake: FakeDiscord, bot: WorkshopBot) -> tuple[int, Guild]:
    await fake.wait_for_global_commands()
    await bot.wait_until_ready()
    leeds = fake.add_guild("Leeds group", channels=["general"], members=["alice", "bob"])
    await fake.wait_for(lambda: bot.services.communities.serves(leeds.id), what="the bot serving Leeds")
    alice = fake.user("alice").id
    await answer_in(bot, fake.world.guild.id, alice, "Workshop answer")
    await answer_in(bot, leeds.id, alice, "Leeds answer")
    await answer_in(bot, leeds.id, fake.user("bob").id, "Bob's Leeds answer")
    # The bot is removed from Leeds: Leeds' data is kept for the grace period, and still the member's to see.
    fake.remove_bot_from_guild(leeds)
    await fake.wait_for(lambda: not bot.services.communities.serves(leeds.id), what="the bot leaving Leeds")
    return alice, leeds


async def test_mydata_in_a_dm_shows_and_exports_every_server_by_name_or_id(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running(guild_id=None) as bot:
        _, leeds = await two_servers(fake_discord, bot)
        await (await fake_discord.slash("alice", "reminders", setting="off")).final()  # a record about her too
        dm = fake_discord.dm_channel("alice")
        shown = await (await fake_discord.slash("alice", "mydata show", in_channel=dm)).final()
        text = shown.embed_text
        workshop = fake_discord.world.guild.id
        assert f"In Workshop (server {workshop})" in text and "Workshop answer" in text
        assert f"In server {leeds.id}" in text and "Leeds answer" in text  # the bot left: no name, its id
        assert "Bob" not in text and "You turned reminder DMs off" in text

        export = await (await fake_discord.slash("alice", "mydata export", in_channel=dm)).final()
        assert f"- Workshop (server {workshop}): 1 answer" in export.content
        assert f"- server {leeds.id}: 1 answer" in export.content
        [(_, data)] = export.files
        everything = json.loads(data)
        assert [(s["server_id"], s["server_name"]) for s in everything["servers"]] == sorted(
            [(str(workshop), "Workshop"), (str(leeds.id), None)]
        )
        assert "Bob" not in data.decode()
        [here] = [s for s in everything["servers"] if s["server_id"] == str(workshop)]
        assert here["reminder_dms"]["turned_off_at"] is not None


async def test_mydata_delete_asks_which_server_then_confirms(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running(guild_id=None) as bot:
        alice, leeds = await two_servers(fake_discord, bot)
        workshop = fake_discord.world.guild.id
        choice = await (await fake_discord.slash("alice", "mydata delete")).final()  # in the Workshop server
        assert choice.ephemeral and "Several servers hold data about you" in choice.content
        assert choice.custom_ids == [
            f"mydata:erase:{alice}:{workshop}:ask",
            f"mydata:erase:{alice}:{leeds.id}:ask",
            f"mydata:erase:{alice}:all:ask",
            f"mydata:erase:{alice}:no",
        ]
        # Every server: asked, then kept.
        everywhere = await (await fake_discord.click("alice", choice, f"mydata:erase:{alice}:all:ask")).final()
        assert "in every server" in everywhere.content and f"in server {leeds.id}" in everywhere.content
        kept = await (await fake_discord.click("alice", everywhere, f"mydata:erase:{alice}:all:no")).final()
        assert kept.content == "Nothing was deleted."
        assert await bot.services.answers.member_communities(alice) == sorted([workshop, leeds.id])
        # Leeds only (a server the bot left), confirmed.
        choice = await (await fake_discord.slash("alice", "mydata delete")).final()
        one = await (await fake_discord.click("alice", choice, f"mydata:erase:{alice}:{leeds.id}:ask")).final()
        assert one.content.startswith(f"This permanently deletes everything we hold about you in server {leeds.id}:")
        done = await (await fake_discord.click("alice", one, f"mydata:erase:{alice}:{leeds.id}:yes")).final()
        assert done.content.startswith(f"Deleted in server {leeds.id}:\n- 1 answer")
        assert await bot.services.answers.member_communities(alice) == [workshop]
        assert await bot.services.answers.member_communities(fake_discord.user("bob").id) == [leeds.id]
        # From a DM, the one server left: its question at once, then gone (her turning DMs off included).
        await (await fake_discord.slash("alice", "reminders", setting="off")).final()
        dm = fake_discord.dm_channel("alice")
        question = await (await fake_discord.slash("alice", "mydata delete", in_channel=dm)).final()
        assert "in Workshop (server" in question.content
        assert "the record that you turned reminder DMs off" in question.content
        done = await (await fake_discord.click("alice", question, f"mydata:erase:{alice}:{workshop}:yes")).final()
        assert done.content.startswith(f"Deleted in Workshop (server {workshop}):")
        assert await bot.services.answers.member_communities(alice) == []
        assert await bot.db.fetchall("SELECT * FROM dm_opt_outs WHERE user_id = ?", (alice,)) == []
