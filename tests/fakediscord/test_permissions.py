"""Permissions in the fake, as developers/topics/permissions.mdx describes them.

Each test names the page and section it follows. The world-level tests check the computation itself;
the others drive an unmodified discord.py client and check what it is refused and what it is told.
"""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from tests.fakediscord import GUILD_ID, ChannelType, FakeDiscord, Intents, Perm, World
from tests.fakediscord.world import now_utc

GUILD = discord.Object(GUILD_ID)


def make_bot(*, members: bool = False) -> commands.Bot:
    """A tiny bot whose /perms reports what the interaction says about permissions."""
    intents = discord.Intents.default()
    intents.members = members
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, help_command=None)

    @bot.tree.command(name="perms", description="Report permissions", guild=GUILD)
    async def perms(interaction: discord.Interaction) -> None:
        app, member = interaction.app_permissions, interaction.permissions
        await interaction.response.send_message(
            f"app send={app.send_messages} history={app.read_message_history}; member send={member.send_messages}",
            ephemeral=True,
        )

    async def setup_hook() -> None:
        await bot.tree.sync(guild=GUILD)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


def text_channel(bot: commands.Bot, fake: FakeDiscord, name: str) -> discord.TextChannel:
    channel = bot.get_channel(fake.channel(name).id)
    assert isinstance(channel, discord.TextChannel)
    return channel


# ----------------------------------------------------------------------------------- the computation
def test_overwrites_apply_in_the_documented_order() -> None:
    """topics/permissions.mdx, "Permission Overwrites": @everyone deny/allow, then the member's roles
    (all their denies and allows combined), then the member's own overwrite."""
    world = World()
    general, alice, fay = world.channel("general"), world.member("alice"), world.member("fay")
    world.set_overwrite(general, "@everyone", deny=Perm.SEND_MESSAGES)
    assert not world.permissions_in(alice, general) & Perm.SEND_MESSAGES
    world.set_overwrite(general, "Facilitator", allow=Perm.SEND_MESSAGES)
    assert world.permissions_in(fay, general) & Perm.SEND_MESSAGES
    # One role denying and another allowing: the allow wins ("Permission Hierarchy": roles' order does not matter).
    helpers = world.add_role("Helpers")
    fay.roles.append(helpers.id)
    world.set_overwrite(general, helpers, deny=Perm.SEND_MESSAGES)
    assert world.permissions_in(fay, general) & Perm.SEND_MESSAGES
    # The member's own overwrite comes last.
    world.set_overwrite(general, "fay", deny=Perm.SEND_MESSAGES)
    assert not world.permissions_in(fay, general) & Perm.SEND_MESSAGES
    world.set_overwrite(general, "alice", allow=Perm.SEND_MESSAGES)
    assert world.permissions_in(alice, general) & Perm.SEND_MESSAGES


def test_administrator_and_owner_ignore_overwrites() -> None:
    """topics/permissions.mdx, "Permission Overwrites" pseudocode: the owner and ADMINISTRATOR get ALL."""
    world = World()
    general = world.channel("general")
    world.set_overwrite(general, "@everyone", deny=Perm.VIEW_CHANNEL)
    assert world.permissions_in(world.member("owner"), general) == Perm.ALL
    admins = world.add_role("Admins", permissions=Perm.ADMINISTRATOR)
    world.set_overwrite(general, admins, deny=Perm.VIEW_CHANNEL)
    bob = world.member("bob")
    bob.roles.append(admins.id)
    assert world.permissions_in(bob, general) == Perm.ALL


def test_no_view_channel_means_no_access_and_no_send_means_no_attachments() -> None:
    """topics/permissions.mdx, "Implicit Permissions"."""
    world = World()
    general, alice = world.channel("general"), world.member("alice")
    world.set_overwrite(general, "alice", deny=Perm.VIEW_CHANNEL)
    assert world.permissions_in(alice, general) == 0
    world.set_overwrite(general, "alice", deny=Perm.SEND_MESSAGES)
    perms = world.permissions_in(alice, general)
    assert perms & Perm.READ_MESSAGE_HISTORY and not perms & (Perm.ATTACH_FILES | Perm.EMBED_LINKS)


def test_threads_take_their_parents_permissions() -> None:
    """topics/permissions.mdx, "Inherited Permissions (Threads)": the parent's overwrites apply; Send Messages
    in Threads, not Send Messages, is what talking in a thread needs. topics/threads.mdx, "Permissions": a
    private thread is visible to its members and to those with Manage Threads."""
    world = World()
    general, alice = world.channel("general"), world.member("alice")
    thread = world.new_thread(general, "Week 1")
    world.set_overwrite(general, "@everyone", deny=Perm.SEND_MESSAGES)
    assert world.permissions_in(alice, thread) & Perm.SEND_MESSAGES_IN_THREADS
    world.set_overwrite(general, "@everyone", deny=Perm.SEND_MESSAGES_IN_THREADS)
    assert not world.permissions_in(alice, thread) & Perm.SEND_MESSAGES_IN_THREADS
    world.set_overwrite(general, "@everyone", deny=Perm.VIEW_CHANNEL)
    assert world.permissions_in(alice, thread) == 0
    world.remove_overwrite(general, "@everyone")
    private = world.new_thread(general, "Private", type=ChannelType.PRIVATE_THREAD)
    assert world.permissions_in(alice, private) == 0
    private.member_ids[alice.id] = now_utc()
    assert world.permissions_in(alice, private) & Perm.VIEW_CHANNEL


# ----------------------------------------------------------------------------------- enforced on REST routes
async def test_routes_refuse_with_missing_access_or_missing_permissions(fake_discord: FakeDiscord) -> None:
    """topics/opcodes-and-status-codes.mdx (JSON error codes 50001 Missing Access, 50013 Missing Permissions)
    and each route's requirement: resources/message.mdx (Create Message: Send Messages; a reply: Read Message
    History; Get Channel Message: View Channel and Read Message History), resources/channel.mdx (Start Thread
    from Message: Create Public Threads), topics/permissions.mdx ("Implicit Permissions": no View Channel,
    nothing)."""
    async with fake_discord.run_bot(make_bot()) as bot:
        general = text_channel(bot, fake_discord, "general")
        hello = await general.send("hello")
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.CREATE_PUBLIC_THREADS)
        with pytest.raises(discord.Forbidden) as no_threads:
            await hello.create_thread(name="Week 1")
        assert no_threads.value.code == 50013
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.READ_MESSAGE_HISTORY)
        with pytest.raises(discord.Forbidden) as no_reply:
            await hello.reply("a reply")
        assert no_reply.value.code == 50013
        with pytest.raises(discord.Forbidden) as no_fetch:
            await general.fetch_message(hello.id)
        assert no_fetch.value.code == 50013
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.SEND_MESSAGES)
        with pytest.raises(discord.Forbidden) as no_send:
            await general.send("again")
        assert no_send.value.code == 50013
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.VIEW_CHANNEL)
        for attempt in (general.send("hidden"), bot.fetch_channel(general.id), hello.edit(content="edited")):
            with pytest.raises(discord.Forbidden) as no_access:
                await attempt
            assert no_access.value.code == 50001
        assert [m.content for m in fake_discord.messages_in("general")] == ["hello"]


async def test_history_without_read_message_history_is_empty_not_refused(fake_discord: FakeDiscord) -> None:
    """resources/message.mdx, Get Channel Messages: "If the current user is missing the READ_MESSAGE_HISTORY
    permission in the channel, then no messages will be returned" (200 and []); View Channel is required."""
    async with fake_discord.run_bot(make_bot()) as bot:
        general = text_channel(bot, fake_discord, "general")
        await fake_discord.post_message("general", "alice", "my answer")
        assert [m.content async for m in general.history(limit=10)] == ["my answer"]
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.READ_MESSAGE_HISTORY)
        assert [m async for m in general.history(limit=10)] == []
        assert fake_discord.requests_matching("GET", r"/messages$")[-1].status == 200
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.VIEW_CHANNEL)
        with pytest.raises(discord.Forbidden) as hidden:
            _ = [m async for m in general.history(limit=10)]
        assert hidden.value.code == 50001


async def test_threads_inherit_the_parents_permissions_on_routes(fake_discord: FakeDiscord) -> None:
    """topics/permissions.mdx, "Inherited Permissions (Threads)": in a thread the bot needs Send Messages in
    Threads from the parent; Send Messages has no effect there (topics/threads.mdx, "Permissions")."""
    async with fake_discord.run_bot(make_bot()) as bot:
        general = text_channel(bot, fake_discord, "general")
        thread = await (await general.send("Week 1")).create_thread(name="Week 1")
        fake_discord.set_overwrite("general", "@everyone", deny=Perm.SEND_MESSAGES)
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.SEND_MESSAGES)
        await thread.send("still allowed in the thread")
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.SEND_MESSAGES_IN_THREADS)
        with pytest.raises(discord.Forbidden) as refused:
            await thread.send("not any more")
        assert refused.value.code == 50013


# ----------------------------------------------------------------------------------- what the bot is told
async def test_overwrites_reach_the_bot_in_guild_create_and_channel_update(fake_discord: FakeDiscord) -> None:
    """resources/channel.mdx (channel object: permission_overwrites; Edit Channel Permissions fires Channel
    Update); the bot's discord.py cache computes the same permissions as the fake."""
    fake_discord.world.set_overwrite("reminders", "WorkshopBot", deny=Perm.SEND_MESSAGES)
    async with fake_discord.run_bot(make_bot()) as bot:
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        reminders = text_channel(bot, fake_discord, "reminders")
        assert not reminders.permissions_for(guild.me).send_messages
        general = text_channel(bot, fake_discord, "general")
        assert general.permissions_for(guild.me).send_messages
        fake_discord.set_overwrite("general", "@everyone", deny=Perm.READ_MESSAGE_HISTORY)
        await fake_discord.wait_for_event("CHANNEL_UPDATE")
        await fake_discord.wait_for(
            lambda: not general.permissions_for(guild.me).read_message_history, 2, "CHANNEL_UPDATE in the cache"
        )
        expected = fake_discord.core.bot_permissions(fake_discord.channel("general"))
        # discord.py leaves voice permissions out of a text channel's; the documented computation has no such step.
        assert general.permissions_for(guild.me).value == expected & ~(Perm.CONNECT | Perm.SPEAK)


async def test_interactions_carry_permissions_computed_for_the_channel(fake_discord: FakeDiscord) -> None:
    """interactions/receiving-and-responding.mdx (Interaction object: app_permissions, member.permissions,
    computed in the channel with overwrites)."""
    async with fake_discord.run_bot(make_bot(), wait_for_commands=True):
        fake_discord.set_overwrite("general", "WorkshopBot", deny=Perm.READ_MESSAGE_HISTORY)
        fake_discord.set_overwrite("general", "alice", deny=Perm.SEND_MESSAGES)
        reply = await (await fake_discord.slash("alice", "perms")).final()
        assert reply.content == "app send=True history=False; member send=False"
        other = await (await fake_discord.slash("bob", "perms", in_channel="reminders")).final()
        assert other.content == "app send=True history=True; member send=True"


async def test_the_bots_own_member_update_arrives_without_the_members_intent(fake_discord: FakeDiscord) -> None:
    """events/gateway.mdx, "Caveats": Guild Member Update is sent for current-user updates regardless of the
    GUILD_MEMBERS intent (other members' updates need it)."""
    async with fake_discord.run_bot(make_bot(members=False)) as bot:
        assert fake_discord.intents is not None and not fake_discord.intents & Intents.GUILD_MEMBERS
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
        moderators = fake_discord.add_role("Moderators", permissions=Perm.MANAGE_THREADS)
        fake_discord.set_member_roles("alice", ["Facilitator"])
        fake_discord.set_member_roles("WorkshopBot", ["WorkshopBot", moderators])
        event = await fake_discord.wait_for_event("GUILD_MEMBER_UPDATE")
        assert event.data["user"]["id"] == str(bot.user.id)  # type: ignore[union-attr]
        assert len(fake_discord.events_named("GUILD_MEMBER_UPDATE")) == 1
        await fake_discord.wait_for(lambda: guild.me.guild_permissions.manage_threads, 2, "the bot's new role")


async def test_the_bot_is_not_told_about_what_it_cannot_see(fake_discord: FakeDiscord) -> None:
    """topics/threads.mdx ("Permissions": no gateway events for threads it cannot view; "Gaining Access to
    Channels": THREAD_LIST_SYNC when it gains access), events/gateway-events.mdx (Thread List Sync)."""
    fake_discord.world.set_overwrite("general", "WorkshopBot", deny=Perm.VIEW_CHANNEL)
    async with fake_discord.run_bot(make_bot()):
        await fake_discord.post_message("general", "alice", "unseen")
        thread = await fake_discord.create_thread("general", "alice", "Hidden thread")
        assert not fake_discord.events_named("MESSAGE_CREATE") and not fake_discord.events_named("THREAD_CREATE")
        fake_discord.remove_overwrite("general", "WorkshopBot")
        sync = await fake_discord.wait_for_event("THREAD_LIST_SYNC")
        assert sync.data["channel_ids"] == [str(fake_discord.channel("general").id)]
        assert [t["id"] for t in sync.data["threads"]] == [str(thread.id)]
        await fake_discord.post_message("general", "alice", "seen")
        await fake_discord.wait_for_event("MESSAGE_CREATE")
