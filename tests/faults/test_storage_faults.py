"""A full disk or a read-only database: a clear message, the bot stays up, nothing is corrupted."""

from __future__ import annotations

import pytest

from bot.client import WorkshopBot
from bot.storage.database import Database
from tests.fakediscord import FakeDiscord

ANSWER = "Your answer"


async def submit_answer(fake: FakeDiscord, user: str, text: str) -> str:
    form = await fake.slash(user, "answer", week=8, prompt=1)
    await form.wait_modal()
    submission = await fake.submit_modal(form, {ANSWER: text})
    reply = await submission.final()
    assert submission.callback_count == 1 and reply.ephemeral
    return reply.content


async def answer_texts(db: Database) -> list[str]:
    return [row["text"] for row in await db.fetchall("SELECT text FROM answers ORDER BY id")]


@pytest.mark.parametrize(
    ("break_it", "mend_it", "expected"),
    [
        ("PRAGMA max_page_count = {pages}", "PRAGMA max_page_count = 1073741823", "the disk is full"),
        ("PRAGMA query_only = ON", "PRAGMA query_only = OFF", "the database file is read-only"),
    ],
    ids=["disk full", "read-only"],
)
async def test_a_storage_failure_is_a_clear_message_and_the_bot_carries_on(
    bot: WorkshopBot, fake_discord: FakeDiscord, break_it: str, mend_it: str, expected: str
) -> None:
    assert (await submit_answer(fake_discord, "alice", "Before the trouble")).startswith("Saved your answer")
    before = await answer_texts(bot.db)
    pages = (await bot.db.fetchone("PRAGMA page_count"))[0]  # type: ignore[index]
    # The writer connection is the one that fails, as it would on a full disk or a remounted file system.
    await bot.db._writer.execute(break_it.format(pages=pages))
    try:
        long_text = "Réponse qui a besoin de pages neuves. " * 100  # over 4 KB: it cannot fit a free corner
        message = await submit_answer(fake_discord, "bob", long_text)
        assert message == f"Could not save: {expected}. Nothing was changed; please try again later."
        assert await answer_texts(bot.db) == before
        # Reading still works: the member can see the programme.
        assert (await (await fake_discord.slash("carol", "next")).final()).ephemeral
    finally:
        await bot.db._writer.execute(mend_it)
    # Once mended, the same answer goes through, and the database is sound.
    await submit_answer(fake_discord, "bob", long_text)
    assert len(await answer_texts(bot.db)) == len(before) + 1
    assert await bot.db.check_integrity() == []
