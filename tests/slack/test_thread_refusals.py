"""``/workshop threads`` refused for the channel or the week, as a Slack member reads it: Slack's kinds of channel
(no forums, no text channels), its /invite and /workshop's commands, never Discord's words; nothing is created.

Discord's own wording of the same refusals is pinned in tests/cogs/test_threads.py."""

from __future__ import annotations

from bot.services.threads import ThreadsRefusal
from slack_app._adapters.threads import threads_refusal
from tests.fakeslack import FakeSlack, Message
from tests.slack.harness import SlackRunner
from tests.slack.test_facilitator_journeys import choose_groups_and_channel

# What only Discord has or says: its kinds of channel, its permission menu, its command syntax.
DISCORD_WORDS = ("Discord", "forum", "text channel", "server", "Permissions", "week:", "/threads ", "/setup")


def slack_words_only(reply: str) -> str:
    """The reply, once it is known to name nothing of Discord's and to mention nobody (no <@…>, <!…>)."""
    for words in DISCORD_WORDS:
        assert words not in reply, f"{words!r} in {reply!r}"
    assert "<@" not in reply and "<!" not in reply
    return reply


def bot_posts(fake: FakeSlack, channel: str) -> list[Message]:
    return [m for m in fake.messages_in(channel) if m.via == "api"]


async def test_closing_a_week_without_threads_says_how_to_open_them(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups_and_channel(fake_slack)
        reply = (await (await fake_slack.slash("fay", "/workshop", "threads close 2")).reply()).text
        assert slack_words_only(reply) == ("Week 2 has no threads to close. Open them with `/workshop threads open 2`.")
        assert bot_posts(fake_slack, "discussion") == []


async def test_a_discussion_channel_deleted_since_setup_is_refused(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups_and_channel(fake_slack)
        discussion = fake_slack.world.channel("discussion")
        del fake_slack.world.channels[discussion.id]  # deleted by hand: conversations.info says channel_not_found
        reply = (await (await fake_slack.slash("fay", "/workshop", "threads open 2")).reply()).text
        assert slack_words_only(reply) == (
            f"The discussion channel set with `/workshop setup` (<#{discussion.id}>) no longer exists, or the bot "
            "cannot see it (a private channel it is not a member of). Nothing was created. An organiser can invite "
            "the bot there with /invite, or choose another channel with `/workshop setup`."
        )
        assert bot_posts(fake_slack, "general") == []


async def test_a_private_discussion_channel_without_the_bot_is_refused(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups_and_channel(fake_slack)
        discussion = fake_slack.world.channel("discussion")
        discussion.is_private = True  # made private, and the bot removed: Slack no longer shows it to the bot
        discussion.members.discard(fake_slack.world.bot.id)
        reply = (await (await fake_slack.slash("fay", "/workshop", "threads open 2")).reply()).text
        assert "no longer exists, or the bot cannot see it (a private channel it is not a member of)" in reply
        assert "invite the bot there with /invite" in slack_words_only(reply)
        assert bot_posts(fake_slack, "discussion") == []


async def test_an_archived_discussion_channel_is_refused(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        await choose_groups_and_channel(fake_slack)
        discussion = fake_slack.world.channel("discussion")
        discussion.is_archived = True
        reply = (await (await fake_slack.slash("fay", "/workshop", "threads open 2")).reply()).text
        assert slack_words_only(reply) == (
            f"The discussion channel set with `/workshop setup` (<#{discussion.id}>) is archived, or is not a "
            "channel. Nothing was created. An organiser can unarchive it, or choose another channel with "
            "`/workshop setup`."
        )
        assert bot_posts(fake_slack, "discussion") == []


async def test_opening_in_a_direct_message_without_a_discussion_channel_says_where_to_run_it(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        interaction = await fake_slack.slash("owner", "/workshop", "threads open 2", channel="@owner")
        reply = (await interaction.reply()).text
        assert slack_words_only(reply) == (
            "Threads cannot be opened here: a direct message or an archived channel cannot hold them. Run "
            "`/workshop threads open 2` in a channel the bot is a member of (invite it there with /invite), or ask "
            "an organiser to set a discussion channel with `/workshop setup`."
        )
        assert bot_posts(fake_slack, fake_slack.world.open_dm("owner").id) == []


def test_every_refusal_slack_can_word_names_nothing_of_discords() -> None:
    """Including the one Slack never meets (its gateway never reports a channel to be a thread)."""
    for refusal in ThreadsRefusal:
        said = slack_words_only(threads_refusal(refusal, week=4, channel_id=-42))
        assert "`/workshop setup`" in said or "`/workshop threads open 4`" in said
