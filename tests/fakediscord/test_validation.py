"""The fake checks itself: its REST answers against Discord's OpenAPI document, its gateway payloads against
discord.py's typed payloads; and the shapes those checks made it fix."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord, RecordedEvent, RecordedRequest, get_checker
from tests.fakediscord.typed_check import check_event

GUILD = discord.Object(GUILD_ID)


def answered(method: str, path: str, route: str, status: int, response: Any) -> RecordedRequest:
    rec = RecordedRequest(
        method=method,
        path=path,
        query={},
        headers={},
        json=None,
        files=[],
        time=0.0,
        monotonic=0.0,
        content_type=None,
        has_auth=True,
        status=status,
        route=route,
        response=response,
    )
    rec.response_headers = {"Content-Type": "application/json"}
    return rec


def test_answers_that_do_not_fit_the_document_are_reported() -> None:
    """The fake's answers are validated like the bot's requests (openapi_check.py), so it cannot hand the bot an
    object Discord would never send; one valid answer of a shape does not excuse a later invalid one."""
    checker = get_checker()
    if checker is None:
        pytest.skip("Discord OpenAPI spec not available")
    fake = FakeDiscord()
    channel = fake.channel("general")
    member = fake.member("alice").to_dict()
    good = answered("GET", f"/guilds/{GUILD_ID}/members/1", "/guilds/{guild_id}/members/{user_id}", 200, member)
    assert checker.check_response(good) is None
    broken = {k: v for k, v in member.items() if k != "roles"}
    bad = answered("GET", f"/guilds/{GUILD_ID}/members/1", "/guilds/{guild_id}/members/{user_id}", 200, broken)
    problem = checker.check_response(bad)
    assert problem is not None and "roles" in problem
    error = {"message": "Missing Access"}  # no code: Discord's errors always carry one
    refused = answered("GET", f"/channels/{channel.id}", "/channels/{channel_id}", 403, error)
    assert checker.check_response(refused) is not None


def test_gateway_payloads_are_checked_against_discord_py_types() -> None:
    """discord/types/gateway.py: MessageDeleteEvent needs id and channel_id; optional fields may be null (the
    documentation's "field?: ?type"); documented deviations (events/gateway-events.mdx Ready "shard?") pass."""
    assert check_event(RecordedEvent("MESSAGE_DELETE", {"id": "1", "channel_id": "2"}, 1, 0.0)) == []
    missing = check_event(RecordedEvent("MESSAGE_DELETE", {"id": "1"}, 2, 0.0))
    assert missing == ["gateway MESSAGE_DELETE (s=2): d: missing 'channel_id' (MessageDeleteEvent)"]
    wrong = check_event(RecordedEvent("MESSAGE_DELETE", {"id": "1", "channel_id": ["2"]}, 3, 0.0))
    assert wrong and "channel_id" in wrong[0]
    fake = FakeDiscord()
    member = {**fake.member("alice").to_dict(), "guild_id": str(GUILD_ID)}
    assert member["nick"] is None
    assert check_event(RecordedEvent("GUILD_MEMBER_UPDATE", member, 4, 0.0)) == []


def make_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.01, help_command=None
    )

    class Form(discord.ui.Modal, title="Why?"):
        reason: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Reason", custom_id="reason")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"Because {self.reason.value}", ephemeral=True)

    @bot.tree.command(name="vote", description="Post a vote", guild=GUILD)
    async def vote(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Yes", emoji="✅", custom_id="vote:yes"))
        view.add_item(discord.ui.Button(label="No", custom_id="vote:no", id=1))
        response = await interaction.response.defer(thinking=True)
        bot.deferred_resource = response.resource  # type: ignore[attr-defined]
        await interaction.followup.send("Vote", view=view)

    @bot.tree.command(name="why", description="Ask why", guild=GUILD)
    async def why(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Form())

    async def setup_hook() -> None:
        await bot.tree.sync(guild=GUILD)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def test_answers_take_the_shapes_discord_gives_them(fake_discord: FakeDiscord) -> None:
    """components/reference.mdx ("The id ... is generated sequentially if left empty", skipping ids in use);
    interactions/receiving-and-responding.mdx ("Interaction Callback Resource Object": a message only for
    CHANNEL_MESSAGE_WITH_SOURCE and UPDATE_MESSAGE); resources/message.mdx ("Message Interaction Metadata
    Object": a modal submit's names the interaction that opened the modal)."""
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True) as bot:
        posted = await (await fake_discord.slash("alice", "vote")).final()
        row = posted.components[0]
        assert [c["id"] for c in (row, *row["components"])] == [2, 3, 1]
        assert row["components"][0]["emoji"] == {"name": "✅"}
        assert bot.deferred_resource is None  # type: ignore[attr-defined]
        opened = await fake_discord.slash("bob", "why")
        submitted = await fake_discord.submit_modal(opened, {"Reason": "it is late"})
        reply = await submitted.final()
        assert reply.interaction_metadata is not None
        assert reply.interaction_metadata["triggering_interaction_metadata"]["id"] == str(opened.id)
