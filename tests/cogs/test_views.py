"""The base of every persistent button (cogs/_views.py), through the local Discord: an error reaches the member
who pressed, and a button that belongs to one member answers only them."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.client import WorkshopBot
from cogs._views import PersistentButton
from tests.fakediscord import FakeDiscord


class Broken(PersistentButton, template=r"test:broken:(?P<owner>[0-9]+)"):
    not_owner_text = "Only the member it was made for can press this."

    def __init__(self, owner: int) -> None:
        super().__init__(discord.ui.Button(label="Press", custom_id=f"test:broken:{owner}"))
        self.owner_id = owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Broken:
        return cls(int(match["owner"]))

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        raise RuntimeError("a bug")


async def test_a_button_error_reaches_the_member_and_an_owned_button_refuses_others(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    alice = fake_discord.user("alice").id
    bot.add_dynamic_items(Broken)
    view = discord.ui.View(timeout=None)
    view.add_item(Broken(alice))
    view.stop()  # persistent: nothing kept in memory, the DynamicItem answers
    channel = bot.get_partial_messageable(fake_discord.channel("general").id, guild_id=bot.dev_guild_id)
    sent = await channel.send("A button", view=view)

    refused = await (await fake_discord.click("bob", sent.id, f"test:broken:{alice}")).final()
    assert refused.ephemeral and refused.content == "Only the member it was made for can press this."

    apology = await (await fake_discord.click("alice", sent.id, f"test:broken:{alice}")).final()
    assert apology.ephemeral
    assert apology.content.startswith("Sorry, something went wrong on our side. (error id `")
