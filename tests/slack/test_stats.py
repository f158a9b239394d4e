"""``/workshop stats`` for a long programme: the figures paged over the command's replies as Slack allows (a
response_url takes 5 messages, docs.slack.dev/interactivity/implementing-slash-commands "Sending delayed responses";
each at most 50 blocks of 3,000-character sections), and past that, every figure as a file in the organiser's DM."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.domain.programme import Programme, Session
from slack_app.organiser._files import STATS_FILE, STATS_PAGE_CHARS, STATS_PAGES
from tests.fakeslack import FakeSlack, Interaction, Message
from tests.slack.harness import COMMUNITY_ID, SlackRunner, dm_files
from tests.slack.helpers import until, visible

FIRST = datetime(2020, 8, 3, 18, tzinfo=UTC)
LOUD = "<!channel> <@U0000BOSS>"  # an organiser's title, shown as typed: it pings nobody


def long_programme(weeks: int) -> Programme:
    """``weeks`` weekly sessions with long titles (about 270 characters of figures each)."""
    sessions = tuple(
        Session(
            week=week,
            title=f"Session {week}: {LOUD} " + "a long and careful title " * 4,
            start=FIRST + timedelta(weeks=week - 1),
            end=FIRST + timedelta(weeks=week - 1, hours=2),
            location="Zoom",
            description="",
            prompts=(f"What did week {week} teach us?",),
        )
        for week in range(1, weeks + 1)
    )
    return Programme(title="A long programme", timezone="Europe/London", sessions=sessions)


async def replies(fake: FakeSlack, interaction: Interaction, count: int) -> list[Message]:
    return list(
        await until(fake, lambda: interaction.responses if len(interaction.responses) >= count else None, "replies")
    )


def weeks_in(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\*Week (\d+) · ", text)]


async def test_a_long_programmes_figures_are_paged_over_the_replies(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running(programme=False) as front:
        await front.context.services.programme.import_programme(COMMUNITY_ID, long_programme(100))
        asked = await fake_slack.slash("adam", "/workshop", "stats")
        pages = await replies(fake_slack, asked, 3)
        await until(fake_slack, lambda: dm_files(fake_slack, "adam"), "the chart")
        assert len(asked.responses) == 3 <= STATS_PAGES
        shown = [visible(page.blocks) for page in pages]  # the blocks, without the notification text
        assert shown[0].startswith("*Participation: A long programme*") and "Whole programme" in shown[0]
        assert shown[1].startswith("*Participation: A long programme* (continued, 2 of 3)")
        assert shown[2].startswith("*Participation: A long programme* (continued, 3 of 3)")
        assert [week for text in shown for week in weeks_in(text)] == list(range(1, 101))  # each once, in order
        assert "Counts of 1 to" in shown[2] and "The chart is in your direct messages" in shown[2]
        for page in pages:
            assert page.ephemeral_to == fake_slack.world.user("adam").id
            sections = [block["text"]["text"] for block in page.blocks or []]
            assert sum(map(len, sections)) <= STATS_PAGE_CHARS and all(len(s) <= 3000 for s in sections)
            assert fake_slack.pings(page) == []
            assert "&lt;!channel&gt;" in visible(page)
        assert [name for name, _ in dm_files(fake_slack, "adam")] == ["participation.png"]


async def test_figures_past_what_the_replies_carry_arrive_as_a_file(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running(programme=False) as front:
        await front.context.services.programme.import_programme(COMMUNITY_ID, long_programme(260))
        asked = await fake_slack.slash("adam", "/workshop", "stats")
        [reply] = await replies(fake_slack, asked, 1)
        said = visible(reply)
        assert "Whole programme" in said and f"as {STATS_FILE}, with the chart" in said
        assert fake_slack.pings(reply) == []
        files = dict(dm_files(fake_slack, "adam"))
        assert set(files) == {STATS_FILE, "participation.png"}
        document = files[STATS_FILE].decode()
        assert document.startswith("# Participation: A long programme")
        assert [int(n) for n in re.findall(r"\*\*Week (\d+) · ", document)] == list(range(1, 261))
        assert "Counts of 1 to" in document
        assert len(asked.responses) == 1  # nothing more came after the reply
