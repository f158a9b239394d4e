"""Deliberation through the local Discord: a facilitator opens a conversation, members vote privately one
statement at a time (consent at the first vote), write statements, and see results with an opinion map; the
buttons keep working after a restart; organisers moderate."""

from __future__ import annotations

import json

from bot.client import WorkshopBot
from tests.fakediscord import FakeDiscord, Message
from tests.harness import BotRunner

PNG = b"\x89PNG\r\n\x1a\n"
OFFER = "Also offer my answer as a statement"
SEEDS = "Public meetings should be recorded\nEveryone should get a vote on the budget\n"


async def open_conversation(fake: FakeDiscord, *, auto_accept: bool = True) -> Message:
    """/deliberate open with seeds typed in the form; returns the channel post with the Vote button."""
    interaction = await fake.slash(
        "owner", "deliberate open", week=5, prompt="What would it look like?", auto_accept=auto_accept
    )
    submitted = await fake.submit_modal(interaction, {"Seed statements (optional)": SEEDS})
    reply = await submitted.final()
    assert reply.ephemeral and "Opened **conversation 1** with 2 seed statements" in reply.content
    post = fake.messages_in("general")[-1]
    assert post.custom_ids == ["deliberate:vote:1"]
    assert "What would it look like?" in post.content
    return post


async def test_members_vote_privately_one_statement_at_a_time_and_write_their_own(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    post = await open_conversation(fake_discord)

    first = await (await fake_discord.click("alice", post, "deliberate:vote:1")).final()
    assert first.ephemeral
    assert "votes and statements are kept" in first.content  # the consent notice, at the first vote
    assert "> Public meetings should be recorded" in first.content
    agree = next(c for c in first.custom_ids if c.endswith(":a:1"))

    second = await (await fake_discord.click("alice", first, agree)).final()
    assert "Recorded: **agree**" in second.content
    assert "votes and statements are kept" not in second.content  # consent was given
    assert "> Everyone should get a vote on the budget" in second.content
    passed = next(c for c in second.custom_ids if c.endswith(":p:0"))
    done = await (await fake_discord.click("alice", second, passed)).final()
    assert "You have voted on every statement so far" in done.content

    form = await fake_discord.click("bob", post, "deliberate:vote:1")
    write = next(c for c in (await form.final()).custom_ids if c.startswith("deliberate:write:"))
    opened = await fake_discord.click("bob", await form.final(), write)
    sent = await (
        await fake_discord.submit_modal(opened, {"Your statement": "Minutes in plain @everyone words"})
    ).final()
    assert sent.ephemeral and "your statement is in" in sent.content

    # Alice sees Bob's statement next, without his name, and nothing pings anyone.
    again = await (await fake_discord.click("alice", post, "deliberate:vote:1")).final()
    assert "> Minutes in plain @everyone words" in again.content
    assert "bob" not in again.content.lower()
    rows = await bot.db.fetchall("SELECT vote FROM deliberation_votes ORDER BY voted_at")
    assert len(rows) == 3  # alice's two, and bob's agree with his own statement

    # Alice changes her mind about the statement she just voted on.
    voted = await (await fake_discord.click("alice", again, next(c for c in again.custom_ids if ":a:0" in c))).final()
    change = next(c for c in voted.custom_ids if c.startswith("deliberate:change:"))
    shown = await (await fake_discord.click("alice", voted, change)).final()
    assert "vote again on this statement" in shown.content and "> Minutes in plain @everyone words" in shown.content
    disagree = next(c for c in shown.custom_ids if ":d:0" in c)
    await (await fake_discord.click("alice", shown, disagree)).final()
    votes = await bot.db.fetchall("SELECT vote FROM deliberation_votes ORDER BY voted_at")
    assert sorted(r[0] for r in votes) == [-1, 0, 1, 1]  # her vote on Bob's statement replaced, not added


async def test_results_show_counts_until_there_are_groups_then_a_map(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    await open_conversation(fake_discord)

    early = await (await fake_discord.slash("carol", "deliberate results", conversation=1)).final()
    assert early.ephemeral and "No opinion groups yet" in early.content and early.files == []

    # Twelve members in two camps (written straight to the database: the flow is tested above).
    service = bot.services.deliberation
    statements = await service.repository.statements(1)
    extra = await service.repository.add_statements(
        1, [f"Statement {n}" for n in range(6)], statements[0].origin, statements[0].created_at
    )
    for member in range(12):
        for index, statement in enumerate([*statements, *extra]):
            vote = 1 if (member % 2 == 0) == (index % 2 == 0) else -1
            await service.vote(1, 900 + member, statement.id, vote, consent=True)  # type: ignore[arg-type]

    # The first analysis and map of a process load scikit-learn and matplotlib: seconds on a busy machine.
    late = await (await fake_discord.slash("carol", "deliberate results", conversation=1)).final(timeout=30)
    assert "**Group A** (6 members)" in late.content and "**Group B** (6 members)" in late.content
    ((name, data),) = late.files
    assert name == "opinion-map.png" and data.startswith(PNG)
    assert "900" not in late.content

    # A facilitator also gets the figures as JSON: every statement with its vote counts, no member named.
    figures = await (await fake_discord.slash("owner", "deliberate results", conversation=1)).final(timeout=30)
    assert [name for name, _ in figures.files] == ["opinion-map.png", "conversation-1.json"]
    document = json.loads(figures.files[1][1])
    assert len(document["statements"]) == 8
    assert document["statements"][0] == {
        "text": "Public meetings should be recorded",
        "agree": "6",
        "disagree": "6",
        "pass": "0",
    }
    assert [g["members"] for g in document["groups"]] == ["6", "6"]
    assert "90" not in json.dumps(document["groups"])


async def test_moderation_holds_statements_and_closing_ends_voting(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    post = await open_conversation(fake_discord, auto_accept=False)
    form = await (await fake_discord.click("bob", post, "deliberate:vote:1")).final()
    opened = await fake_discord.click("bob", form, "deliberate:write:1")
    held = await (await fake_discord.submit_modal(opened, {"Your statement": "Held for a look"})).final()
    assert "once an organiser has accepted it" in held.content

    refused = await (
        await fake_discord.slash("alice", "deliberate moderate", conversation=1, check_permissions=False)
    ).final()
    assert refused.ephemeral and "Only organisers" in refused.content
    queue = await (await fake_discord.slash("olga", "deliberate moderate", conversation=1)).final()
    assert "> Held for a look" in queue.content
    accepted = await (await fake_discord.click("olga", queue, queue.custom_ids[0])).final()
    assert "Accepted" in accepted.content and "No statements are waiting" in accepted.content

    closed = await (await fake_discord.slash("owner", "deliberate close", conversation=1)).final()
    assert "Closed **conversation 1**" in closed.content
    assert "(closed)" in fake_discord.core.message(post.id).content
    late = await (await fake_discord.click("alice", form, form.custom_ids[0])).final()
    assert late.ephemeral and "closed" in late.content


async def test_the_vote_button_works_after_a_restart(bot_runner: BotRunner, fake_discord: FakeDiscord) -> None:
    async with bot_runner.running():
        post = await open_conversation(fake_discord)
    async with bot_runner.running():
        reply = await (await fake_discord.click("carol", post, "deliberate:vote:1")).final()
        assert "> Public meetings should be recorded" in reply.content


async def test_another_servers_conversation_is_not_found(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    other = await bot.services.deliberation.open(12345, week=1, prompt="Elsewhere", seeds="Secret")
    reply = await (await fake_discord.slash("carol", "deliberate results", conversation=other.number)).final()
    assert "There is no conversation" in reply.content


async def test_mydata_shows_exports_and_erases_votes_and_statements(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    post = await open_conversation(fake_discord)
    first = await (await fake_discord.click("alice", post, "deliberate:vote:1")).final()
    await (await fake_discord.click("alice", first, next(c for c in first.custom_ids if c.endswith(":d:1")))).final()
    opened = await fake_discord.click("alice", first, "deliberate:write:1")
    await (await fake_discord.submit_modal(opened, {"Your statement": "Alice's own point"})).final()

    show = await (await fake_discord.slash("alice", "mydata show")).final()
    description = show.embeds[0]["description"]
    assert "You voted disagree" in description and "Public meetings should be recorded" in description
    assert "Alice's own point" in description
    export = await (await fake_discord.slash("alice", "mydata export")).final()
    ((_, document),) = export.files
    (server,) = json.loads(document)["servers"]
    assert [v["vote"] for v in server["deliberation"]["votes"]] == ["disagree", "agree"]
    assert [s["text"] for s in server["deliberation"]["statements"]] == ["Alice's own point"]

    alice = fake_discord.user("alice").id
    question = await (await fake_discord.slash("alice", "mydata delete")).final()
    assert "2 votes in deliberations" in question.content and "1 statement you wrote" in question.content
    await (await fake_discord.click("alice", question, f"mydata:erase:{alice}:{bot.dev_guild_id}:yes")).final()
    assert await bot.db.fetchall("SELECT 1 FROM deliberation_votes") == []
    assert [r[0] for r in await bot.db.fetchall("SELECT text FROM statements ORDER BY id")] == [
        "Public meetings should be recorded",
        "Everyone should get a vote on the budget",
    ]


async def test_an_answer_is_offered_as_a_statement_only_when_the_member_ticks_the_box(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    opened = await fake_discord.slash("owner", "deliberate open", week=8, prompt="Supporting campaigners")
    await (await fake_discord.submit_modal(opened, {})).final()
    other_week = await fake_discord.slash("alice", "answer", week=7, prompt=1)
    assert OFFER not in [f.label for f in (await other_week.wait_modal()).fields]

    form = await fake_discord.slash("alice", "answer", week=8, prompt=1)
    assert OFFER in [f.label for f in (await form.wait_modal()).fields]
    quiet = await (await fake_discord.submit_modal(form, {"Your answer": "Kept to myself"})).final()
    assert "statement" not in quiet.content
    form = await fake_discord.slash("bob", "answer", week=8, prompt=1)
    offered = await (await fake_discord.submit_modal(form, {"Your answer": "Share the load", OFFER: True})).final()
    assert "Your answer is also a statement" in offered.content

    statements = await bot.db.fetchall("SELECT text, origin FROM statements")
    assert [(r[0], r[1]) for r in statements] == [("Share the load", "answer")]


async def test_seed_statements_come_from_a_text_file_and_a_bad_file_is_refused(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    binary = await fake_discord.slash(
        "owner", "deliberate open", week=5, prompt="P", seeds=("seeds.txt", b"\xff\xfe\x00")
    )
    refused = await binary.final()
    assert refused.ephemeral and "not UTF-8 text" in refused.content
    too_long = await fake_discord.slash("owner", "deliberate open", week=5, prompt="P", seeds=("s.txt", b"x" * 300))
    assert "the limit is 280" in (await too_long.final()).content
    assert await bot.services.deliberation.conversations(bot.dev_guild_id) == []

    opened = await fake_discord.slash(
        "owner", "deliberate open", week=5, prompt="P", seeds=("seeds.txt", "One\n\nTwo, with é\n".encode())
    )
    assert "with 2 seed statements" in (await opened.final()).content
    member = await (
        await fake_discord.slash("alice", "deliberate open", week=5, prompt="P", check_permissions=False)
    ).final()
    assert member.ephemeral and "Only facilitators" in member.content


async def test_the_conversation_option_autocompletes_the_servers_conversations(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    await open_conversation(fake_discord)
    await bot.services.deliberation.open(bot.dev_guild_id, week=6, prompt="Budgets and " + "very " * 30 + "long")
    await bot.services.deliberation.open(12345, week=6, prompt="Another server's")

    choices = await fake_discord.autocomplete("carol", "deliberate results", focused="conversation")
    assert [c["value"] for c in choices] == [2, 1]
    assert all(len(c["name"]) <= 100 for c in choices) and "Another" not in str(choices)
    typed = await fake_discord.autocomplete("carol", "deliberate results", focused="conversation", conversation="budg")
    assert [c["value"] for c in typed] == [2]
