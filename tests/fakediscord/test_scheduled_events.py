"""Guild scheduled events in the fake, as developers/resources/guild-scheduled-event.mdx and
developers/events/gateway-events.mdx describe them. Each test names the section it follows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord, Perm
from tests.fakediscord.world import now_utc

BASE = f"/guilds/{GUILD_ID}/scheduled-events"


def make_bot(*, events_intent: bool = True) -> commands.Bot:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_scheduled_events = events_intent
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, help_command=None)


def event_body(**overrides: Any) -> dict[str, Any]:
    start = now_utc() + timedelta(days=2)
    body: dict[str, Any] = {
        "name": "Week 1: Welcome",
        "privacy_level": 2,
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=2)).isoformat(),
        "entity_type": 3,
        "entity_metadata": {"location": "Zoom"},
        "description": "Topic",
    }
    body.update(overrides)
    return body


async def post(bot: commands.Bot, body: dict[str, Any]) -> Any:
    route = discord.http.Route("POST", "/guilds/{guild_id}/scheduled-events", guild_id=GUILD_ID)
    return await bot.http.request(route, json=body)


async def test_create_list_and_the_gateway_event(fake_discord: FakeDiscord) -> None:
    """ "Create Guild Scheduled Event" fires "Guild Scheduled Event Create"; "List Scheduled Events for Guild"
    with ``with_user_count``; an EXTERNAL event has no channel, a location and an end."""
    bot = make_bot()
    async with fake_discord.run_bot(bot):
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        start = now_utc() + timedelta(days=1)
        created = await guild.create_scheduled_event(
            name="Week 1: Welcome",
            start_time=start,
            end_time=start + timedelta(hours=2),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="https://zoom.us/j/1",
            description="Topic",
        )
        await fake_discord.wait_for_event("GUILD_SCHEDULED_EVENT_CREATE")
        listed = await guild.fetch_scheduled_events(with_counts=True)
        assert [e.id for e in listed] == [created.id]
        assert listed[0].location == "https://zoom.us/j/1" and listed[0].user_count == 0
        assert listed[0].creator_id == bot.user.id if bot.user else False


async def test_field_lengths_and_requirements(fake_discord: FakeDiscord) -> None:
    """ "Guild Scheduled Event Structure" (name 1-100, description 1-1000), "Entity Metadata" (location 1-100)
    and "Field Requirements By Entity Type" (EXTERNAL needs scheduled_end_time): 400 code 50035."""
    fake_discord.allow_unchecked("POST", r"/scheduled-events$")
    bot = make_bot()
    async with fake_discord.run_bot(bot):
        for bad in (
            {"name": "x" * 101},
            {"description": "x" * 1001},
            {"entity_metadata": {"location": "x" * 101}},
            {"entity_metadata": {}},
            {"scheduled_end_time": None},
        ):
            with pytest.raises(discord.HTTPException) as caught:
                await post(bot, event_body(**bad))
            assert caught.value.status == 400 and caught.value.code == 50035, bad
    assert fake_discord.scheduled_events() == []


async def test_at_most_100_uncompleted_events(fake_discord: FakeDiscord) -> None:
    """ "Create Guild Scheduled Event": "A guild can have a maximum of 100 events with SCHEDULED or ACTIVE
    status at any time"; topics/opcodes-and-status-codes.mdx: code 30038. A cancelled one frees a place."""
    bot = make_bot(events_intent=False)
    async with fake_discord.run_bot(bot):
        ids = [int((await post(bot, event_body(name=f"E{i}")))["id"]) for i in range(100)]
        with pytest.raises(discord.HTTPException) as caught:
            await post(bot, event_body(name="one too many"))
        assert caught.value.status == 400 and caught.value.code == 30038
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        event = await guild.fetch_scheduled_event(ids[0])
        await event.cancel()
        await post(bot, event_body(name="fits again"))
    assert len(fake_discord.scheduled_events()) == 100


async def test_permissions_are_guild_level(fake_discord: FakeDiscord) -> None:
    """ "Permissions for events with entity_type: EXTERNAL": create needs CREATE_EVENTS; modify or delete an
    event the bot created needs CREATE_EVENTS or MANAGE_EVENTS, someone else's needs MANAGE_EVENTS."""
    role = next(r for r in fake_discord.world.guild.roles.values() if r.managed)
    bot = make_bot()
    async with fake_discord.run_bot(bot):
        own = await post(bot, event_body())
        fake_discord.world.guild.everyone.permissions &= ~(Perm.CREATE_EVENTS | Perm.MANAGE_EVENTS)
        role.permissions &= ~(Perm.CREATE_EVENTS | Perm.MANAGE_EVENTS)
        with pytest.raises(discord.Forbidden) as caught:
            await post(bot, event_body())
        assert caught.value.code == 50013
        role.permissions |= Perm.CREATE_EVENTS
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        event = await guild.fetch_scheduled_event(int(own["id"]))
        await event.edit(name="Renamed")  # its own event: Create Events is enough
        other = fake_discord.scheduled_event(int(own["id"]))
        other.creator_id = fake_discord.world.user("olga").id
        with pytest.raises(discord.Forbidden):
            await event.edit(name="Someone else's")
        role.permissions |= Perm.MANAGE_EVENTS
        await event.delete()
    assert fake_discord.scheduled_events() == []


async def test_status_transitions_and_automation(fake_discord: FakeDiscord) -> None:
    """ "Valid Guild Scheduled Event Status Transitions" (a cancelled event can no longer change) and "Status
    Update Automation" (an EXTERNAL event is ACTIVE from its start, COMPLETED at its end)."""
    fake_discord.allow_unchecked("PATCH", r"/scheduled-events/\d+$")
    bot = make_bot()
    async with fake_discord.run_bot(bot):
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        first = await guild.fetch_scheduled_event(int((await post(bot, event_body()))["id"]))
        await first.cancel()
        with pytest.raises(discord.HTTPException) as caught:
            await first.edit(name="too late")
        assert caught.value.status == 400
        second = fake_discord.scheduled_event(int((await post(bot, event_body()))["id"]))
        second.start = now_utc() - timedelta(minutes=5)
        fetched = await guild.fetch_scheduled_event(second.id)
        assert fetched.status is discord.EventStatus.active
        second.end = now_utc() - timedelta(minutes=1)
        fetched = await guild.fetch_scheduled_event(second.id)
        assert fetched.status is discord.EventStatus.completed


async def test_interested_users_page_in_ascending_id_order(fake_discord: FakeDiscord) -> None:
    """ "Get Guild Scheduled Event Users": limit up to 100, ascending by user id, ``after``/``before`` paging
    (``before`` wins); and each click is a "Guild Scheduled Event User Add" to a bot with the intent."""
    bot = make_bot()
    async with fake_discord.run_bot(bot):
        created = await post(bot, event_body())
        event = fake_discord.scheduled_event(int(created["id"]))
        members = [fake_discord.add_member(f"member{i}") for i in range(130)]
        for member in members:
            fake_discord.mark_interested(member, event)
        fake_discord.unmark_interested(members[0], event)
        await fake_discord.wait_for_event("GUILD_SCHEDULED_EVENT_USER_REMOVE")
        route = discord.http.Route(
            "GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users", guild_id=GUILD_ID, event_id=event.id
        )
        first = await bot.http.request(route, params={"limit": 100})
        ids = [int(u["user"]["id"]) for u in first]
        assert len(ids) == 100 and ids == sorted(ids)
        rest = await bot.http.request(route, params={"limit": 100, "after": ids[-1]})
        both = await bot.http.request(route, params={"limit": 5, "after": ids[-1], "before": ids[3]})
        assert [int(u["user"]["id"]) for u in both] == ids[:3]
        everyone = ids + [int(u["user"]["id"]) for u in rest]
        assert everyone == sorted(m.user.id for m in members[1:])
    adds = [e for e in fake_discord.events if e.name == "GUILD_SCHEDULED_EVENT_USER_ADD"]
    assert len(adds) == 130 and adds[0].data["guild_scheduled_event_id"] == str(event.id)


async def test_no_event_dispatch_without_the_intent(fake_discord: FakeDiscord) -> None:
    """topics/gateway.mdx, "List of Intents": GUILD_SCHEDULED_EVENTS (1 << 16) covers the five events."""
    bot = make_bot(events_intent=False)
    async with fake_discord.run_bot(bot):
        created = await post(bot, event_body())
        fake_discord.mark_interested("alice", int(created["id"]))
    assert not [e for e in fake_discord.events if e.name.startswith("GUILD_SCHEDULED_EVENT")]


async def test_a_lost_create_response_still_creates_the_event(fake_discord: FakeDiscord) -> None:
    """The fault a test injects (``lose_next_event_create``): Discord made the event (and sent "Guild
    Scheduled Event Create"), the caller got a 503 instead of the object."""
    bot = make_bot()
    async with fake_discord.run_bot(bot):
        fake_discord.lose_next_event_create()
        with pytest.raises(discord.DiscordServerError):
            await post(bot, event_body())
        await fake_discord.wait_for_event("GUILD_SCHEDULED_EVENT_CREATE")
        await post(bot, event_body(name="second"))
    assert [e.name for e in fake_discord.scheduled_events()] == ["Week 1: Welcome", "second"]
