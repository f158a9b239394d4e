"""PostgreSQL restarted in the middle of a burst of answers: every answer whose confirmation a member saw is
stored, once, a member whose answer could not be saved is told so, and the bot (never restarted) saves the
answers that come after the restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.storage.engine import open_database
from tests.fakediscord import FakeDiscord, Interaction
from tests.postgres import PostgresServer
from tests.process import BotProcess

ANSWER = "Your answer"
MEMBERS = 30


def errors_in(log: str) -> list[str]:
    """The exception lines of the bot's log (no member's words: the bot never logs them)."""
    return [line for line in log.splitlines() if "Error" in line and not line.startswith(" ")][-12:]


async def reply_of(submission: Interaction) -> str:
    try:
        reply = await submission.final(timeout=20)
    except AssertionError:
        return ""
    return reply.content


async def burst(
    fake: FakeDiscord, names: list[str], prompt: int, label: str
) -> tuple[list[Interaction], dict[str, str]]:
    opened = [await fake.slash(name, "answer", week=8, prompt=prompt) for name in names]
    await asyncio.gather(*(form.wait_modal() for form in opened))
    texts = {name: f"{label}: {name}'s view on prompt {prompt}" for name in names}
    submissions = [
        await fake.submit_modal(form, {ANSWER: texts[name]}) for form, name in zip(opened, names, strict=True)
    ]
    return submissions, texts


async def test_a_postgres_restart_mid_burst_loses_no_confirmed_answer_and_the_bot_recovers(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    fake_discord.interaction_ack_deadline = None  # answers wait on the database while it restarts
    names = [f"member{n:02}" for n in range(MEMBERS)]
    for name in names:
        fake_discord.add_member(name)
    bot = BotProcess(fake_discord, tmp_path, DATABASE_URL=postgres_dsn)
    await bot.start()
    try:
        submissions, texts = await burst(fake_discord, names, 1, "During")
        await fake_discord.wait_for(
            lambda: sum(1 for s in submissions if s.followups) >= 3, timeout=30, what="the first confirmations"
        )
        await asyncio.to_thread(postgres_server.restart)
        replies = await asyncio.gather(*(reply_of(s) for s in submissions))
        confirmed = {name for name, reply in zip(names, replies, strict=True) if reply.startswith("Saved your answer")}
        refused = [reply for reply in replies if not reply.startswith("Saved your answer")]
        assert len(confirmed) >= 3
        # Told, not left hanging, and not with "something went wrong": the bot knew what happened. ("Could not
        # confirm the save": the connection went during COMMIT, so the answer may or may not be stored.)
        assert all(reply.startswith(("Could not save", "Could not confirm the save")) for reply in refused), (
            refused,
            errors_in(bot.log()),
        )

        # The same process, never restarted: every answer after the server's restart is saved.
        after, after_texts = await burst(fake_discord, names, 2, "After")
        after_replies = await asyncio.gather(*(reply_of(s) for s in after))
        assert all(reply.startswith("Saved your answer") for reply in after_replies), (
            after_replies,
            errors_in(bot.log()),
        )
        assert bot.process is not None and bot.process.returncode is None
    finally:
        assert await bot.stop() == 0, bot.stderr.decode()

    async with open_database(postgres_dsn) as db:
        rows = await db.fetchall(
            "SELECT a.user_id, p.position, a.text FROM answers a JOIN prompts p ON p.id = a.prompt_id"
        )
    stored: dict[tuple[int, int], list[str]] = {}
    for row in rows:
        stored.setdefault((row["user_id"], row["position"]), []).append(row["text"])
    for name in confirmed:
        assert stored.get((fake_discord.member(name).id, 1)) == [texts[name]], f"{name}'s confirmed answer is missing"
    for name in names:
        assert stored.get((fake_discord.member(name).id, 2)) == [after_texts[name]]
    log_text = bot.log() + bot.stderr.decode()
    assert "view on prompt" not in log_text and "password" not in log_text.lower()
