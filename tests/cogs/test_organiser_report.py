"""/report and /stats' chart through the local Discord: private, deferred, audited, and the same figures."""

from __future__ import annotations

import html
import io
import re
import zipfile

from bot.client import WorkshopBot
from tests.conftest import GUILD_ID
from tests.fakediscord import FakeDiscord
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids

PNG = b"\x89PNG\r\n\x1a\n"


async def some_answers(bot: WorkshopBot) -> None:
    week1, week2 = await prompt_ids(bot.db, GUILD_ID, 1), await prompt_ids(bot.db, GUILD_ID, 2)
    rows = [AnswerRow(week1[0], 800000000000000000 + n, f"Week one <b>answer</b> {n}") for n in range(6)]
    rows += [AnswerRow(week2[0], 800000000000000000 + n, f"Week two answer {n}", source="thread") for n in range(3)]
    await insert_answers(bot.db, GUILD_ID, rows)


def chart_rows(page: str, title: str) -> dict[str, list[str]]:
    """A chart's figures, from its table in the report: {"Week 1": ["6"], ...}."""
    figure = page[page.index(f">{html.escape(title)}</figcaption>") :]
    table = figure[figure.index("<tbody>") : figure.index("</tbody>")]
    rows = re.findall(r'<tr><th scope="row">(Week \d+)</th>(.*?)</tr>', table)
    return {week: [html.unescape(v) for v in re.findall(r'<td class="n">(.*?)</td>', cells)] for week, cells in rows}


def stats_weeks(text: str) -> dict[str, tuple[str, str]]:
    """(answers, members) per week, as /stats writes them."""
    found = re.findall(r"\*\*(Week \d+) · .*?\*\*\n(?:(\S+) answers|answers (hidden)) from (\S+) members", text)
    return {week: (answers or hidden, members) for week, answers, hidden, members in found}


async def test_report_is_deferred_private_audited_and_its_charts_are_stats_figures(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    await some_answers(bot)
    interaction = await fake_discord.slash("olga", "report")
    reply = await interaction.final()
    assert interaction.callbacks[0].type_name == "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE"
    assert interaction.callbacks[0].ephemeral and reply.ephemeral
    assert reply.content.startswith("The programme report (all weeks; 6 answers shown, under pseudonyms)")
    ((name, data),) = reply.files
    assert name == "report-all-weeks-2020-10-20.html"
    page = data.decode("utf-8")
    assert "Week one &lt;b&gt;answer&lt;/b&gt; 5" in page and "Week two answer" not in page  # 3 members: withheld
    assert str(800000000000000000) not in page and "olga" not in page.lower()

    stats = await (await fake_discord.slash("olga", "stats")).final()
    shown = stats_weeks(stats.embeds[0]["description"])
    assert len(shown) == 12
    answers, members = chart_rows(page, "Answers per week"), chart_rows(page, "Members who answered, per week")
    assert {week: (answers[week][0], members[week][0]) for week in answers} == shown

    audit = await (await fake_discord.slash("olga", "export audit")).final()
    line = audit.embeds[0]["description"]
    assert line.endswith(
        f"<@{fake_discord.user('olga').id}> · all weeks · report (HTML) · pseudonymous · 6 answers shown"
    )


async def test_a_report_over_the_upload_limit_is_zipped(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await some_answers(bot)
    fake_discord.attachment_size_limit = 60 * 1024
    reply = await (await fake_discord.slash("olga", "report", week=1)).final()
    assert "over Discord's 60 KB upload limit, so it is compressed as a zip" in reply.content
    ((name, data),) = reply.files
    assert name == "report-week-1-2020-10-20.html.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "Week one &lt;b&gt;answer&lt;/b&gt; 0" in archive.read("report-week-1-2020-10-20.html").decode()


async def test_report_of_an_unknown_week_is_a_clear_error(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    reply = await (await fake_discord.slash("olga", "report", week=13)).final()
    assert reply.ephemeral and reply.content.startswith("There is no week 13 in this programme.")
    assert not reply.files
    assert (await bot.services.exports.audit(GUILD_ID))[1] == 0


async def test_stats_attaches_its_chart_as_a_png(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    await some_answers(bot)
    interaction = await fake_discord.slash("olga", "stats")
    reply = await interaction.final()
    assert interaction.callbacks[0].type_name == "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE"
    assert reply.embeds[0]["description"]  # the text is still there: the accessible version
    ((name, data),) = reply.files
    assert name == "participation.png" and data.startswith(PNG)
