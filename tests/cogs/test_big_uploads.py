"""No request carries more than Discord's 25 MiB, whatever a server's upload limit (resources/message.mdx, Create
Message, "Limitations": "The maximum request size when sending a message is 25 MiB"): a boosted server's
100 MiB ``attachment_size_limit`` still gets an export of more than 25 MiB compressed."""

from __future__ import annotations

import io
import random
import zipfile

from cogs._uploads import MAX_FILE_BYTES, MAX_REQUEST_BYTES
from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.harness import BotRunner
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids

MiB = 1024 * 1024
WORDS = [
    "land",
    "housing",
    "transport",
    "care",
    "energy",
    "democracy",
    "party",
    "members",
    "local",
    "branch",
    "vote",
    "policy",
]


async def test_an_export_over_25_mib_on_a_boosted_server_is_compressed_to_fit_one_request(
    fake_discord: FakeDiscord, bot_runner: BotRunner
) -> None:
    fake_discord.attachment_size_limit = 100 * MiB  # a server boosted to level 3
    rng = random.Random(20)
    async with bot_runner.running() as bot:
        [prompt, *_] = await prompt_ids(bot.db, GUILD_ID, week=8)
        text = " ".join(rng.choice(WORDS) for _ in range(650))  # ~4,000 characters an answer
        await insert_answers(bot.db, GUILD_ID, [AnswerRow(prompt, 400000000000000000 + n, text) for n in range(7000)])
        reply = await (await fake_discord.slash("olga", "export answers", format="csv")).final(timeout=30)

    [(name, data)] = reply.files
    assert name.endswith(".csv.zip") and len(data) <= MAX_FILE_BYTES
    assert "over Discord's 25 MB upload limit, so it is compressed as a zip" in reply.content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [inside] = archive.infolist()
        assert inside.file_size > MAX_REQUEST_BYTES  # the file itself would not have fit one request
    uploads = [r for r in fake_discord.requests if r.files]
    assert uploads and all(sum(len(f.data) for f in r.files) <= MAX_FILE_BYTES for r in uploads)
    assert [r for r in fake_discord.requests if r.status == 413] == []
