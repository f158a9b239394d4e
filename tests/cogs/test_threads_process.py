"""The Message Content intent refused by Discord at login: the real `python -m bot run` carries on without it."""

from __future__ import annotations

from pathlib import Path

from tests.fakediscord import FakeDiscord, Intents
from tests.process import BotProcess


async def test_a_refused_message_content_intent_leaves_a_working_bot_that_says_so(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.set_privileged_intents_allowed(False)  # the intent is not switched on in the developer portal
    bot = BotProcess(fake_discord, tmp_path, MESSAGE_CONTENT_INTENT="true")
    await bot.start()
    try:
        assert fake_discord.stats.identifies == 2  # refused with 4014, then again without the intent
        assert fake_discord.intents is not None and not fake_discord.intents & Intents.MESSAGE_CONTENT
        # The commands were synced before Discord refused the intent; the second login finds them unchanged.
        assert fake_discord.command("threads")

        reply = await (await fake_discord.slash("owner", "threads open", week=3)).final(timeout=10)
        assert reply.ephemeral
        assert "⚠️ The bot cannot read messages (the Message Content intent is off)" in reply.content
        assert "Discord refused the Message Content intent when the bot logged in." in reply.content
        threads = fake_discord.threads_in("general")
        assert len(threads) == 4
        assert (
            "Replies in this thread are **not** kept as answers" in fake_discord.bot_messages_in("general")[0].content
        )

        # Answering still works: the Answer button opens the form.
        starter = fake_discord.bot_messages_in("general")[0]
        click = await fake_discord.click("alice", starter, starter.custom_ids[0])
        await click.wait_modal(timeout=10)

        # ... and the bot said so at start, once ready.
        warning = "the Message Content intent is off: replies in prompt threads are not collected"
        await fake_discord.wait_for(lambda: warning in bot.log(), timeout=10, what="the warning in the log")
    finally:
        returncode = await bot.stop()
    assert returncode == 0, bot.stderr.decode()
    log = bot.log()
    assert "Discord refused the Message Content intent" in log
