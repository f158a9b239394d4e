"""/import through the local Discord: the warnings an organiser needs before Confirm, the outcome after it,
and the same preview from `python -m bot programme import --dry-run`."""

from __future__ import annotations

import asyncio

from bot.client import WorkshopBot
from tests.bot.test_main import cli
from tests.conftest import GUILD_ID, PROGRAMME_TOML, SEED_LISTING
from tests.fakediscord import FakeDiscord
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids


async def test_the_listing_over_the_toml_warns_and_the_command_line_previews_the_same(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    listing = SEED_LISTING.read_bytes()
    preview = await (await fake_discord.slash("olga", "import", file=("workshops-2020.txt", listing))).final()
    text = preview.embeds[0]["description"]
    assert '⚠️ 11 session titles would be lost (weeks 1-7, 9-12): this file names them only "Week N"' in text

    dry_run = await asyncio.to_thread(
        cli, "programme", "import", str(SEED_LISTING), "--dry-run", "--db", str(bot.db.path), "--guild", str(GUILD_ID)
    )
    assert dry_run.returncode == 0, dry_run.stderr
    in_discord = [line.replace("**", "") for line in text.splitlines() if line.startswith("**Week ")]
    at_the_command_line = [line for line in dry_run.stdout.splitlines() if line.startswith("Week ")]
    assert len(in_discord) == 12 and at_the_command_line == in_discord
    for line in text.splitlines()[:3]:
        assert line.replace("**", "") in dry_run.stdout


async def test_a_new_start_on_another_weekday_warns(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    seed = PROGRAMME_TOML.read_bytes()
    preview = await (
        await fake_discord.slash("olga", "import", file=("programme.toml", seed), start="2021-01-05")
    ).final()
    text = preview.embeds[0]["description"]
    assert "⚠️ 2021-01-05 is a Tuesday, but the programme's first session is on a Monday" in text
    moved = "⚠️ 12 sessions would move (weeks 1-12): week 1 from Mon 03 Aug 2020 19:00 to Tue 05 Jan 2021 19:00 GMT"
    assert moved in text


async def test_confirming_reports_the_deleted_answers_in_the_past_tense(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    week12 = await prompt_ids(bot.db, GUILD_ID, 12)
    await insert_answers(bot.db, GUILD_ID, [AnswerRow(week12[0], fake_discord.user("carol").id, "keep me?")])
    without_week12 = PROGRAMME_TOML.read_text(encoding="utf-8").split("week = 12")[0].rsplit("[[sessions]]", 1)[0]
    file = ("programme.toml", without_week12.encode())
    preview = await (await fake_discord.slash("olga", "import", file=file)).final()
    assert "1 answer would be deleted" in preview.embeds[0]["description"]
    click = await fake_discord.click("olga", preview, preview.custom_ids[0])
    await click.wait(lambda i: preview.content != "", what="the preview replaced by the outcome")
    assert preview.content.endswith("1 removed (week 12); 11 unchanged (weeks 1-11); 1 answer deleted.")
