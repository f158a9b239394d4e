"""Deliberation in Slack, driven only as Slack would: ``/workshop deliberate`` typed, buttons pressed, modals
submitted. A facilitator opens a conversation with seeds; members vote privately in a modal (consent at the
first vote, one statement at a time, none twice), change a vote and write statements; organisers moderate; the
results come with the opinion map in the member's DM; the Vote button works after a restart; members' words
never ping anyone."""

from __future__ import annotations

import asyncio

from tests.fakeslack import FakeSlack, View
from tests.fakeslack.world import Message
from tests.slack.harness import SlackRunner, dm_files
from tests.slack.helpers import action_ids, until, view_showing, visible

PROMPT = "What would deliberative policy making look like?"
SEEDS = ["Citizens' assemblies should set the agenda", "Votes on policy should be online", "Experts should decide"]
CONSENT = "Your votes and statements are kept"
HOSTILE = "Ask <!channel> and <@U0ADMIN> what they think & more"


async def choose_groups(fake: FakeSlack, *, organisers: bool = False) -> None:
    """What an organiser does first: the facilitator group (and the organiser group), in the setup modal."""
    await fake.slash("owner", "/workshop", "setup")
    form = await view_showing(fake, "owner", "Facilitator user group")
    values = {"facilitator_group": fake.world.usergroup("facilitators").id}
    if organisers:
        values["organiser_group"] = fake.world.usergroup("organisers").id
    await fake.submit_view("owner", values, view=form)
    await view_showing(fake, "owner", "Saved:")
    await fake.close_view("owner")


async def open_conversation(fake: FakeSlack, seeds: list[str], *, hold: bool = False) -> Message:
    """Fay opens a conversation on week 5 in #general; the post with its Vote button."""
    await fake.slash("fay", "/workshop", f"deliberate open 5 {PROMPT}")
    form = await view_showing(fake, "fay", "Seed statements")
    assert visible(form).count(PROMPT) == 1  # the prompt typed is in the form, editable
    values: dict[str, object] = {"seeds": "\n".join(seeds)}
    if hold:
        values["hold"] = ["hold"]
    await fake.submit_view("fay", values, view=form)
    done = await view_showing(fake, "fay", "Opened")
    assert f"with {len(seeds)} seed statement" in visible(done)
    await fake.close_view("fay")
    return await until(
        fake,
        lambda: next(
            (m for m in fake.messages_in("general") if any("deliberate:vote:" in a for a in action_ids(m))), None
        ),
        "the conversation's post in #general",
    )


def vote_button(post: Message) -> str:
    return next(a for a in action_ids(post) if a.startswith("deliberate:vote:"))


def button_labelled(view: View, label: str) -> str:
    for block in view.blocks:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "button" and element["text"]["text"] == label:
                return str(element["action_id"])
    raise AssertionError(f"no {label!r} button in {visible(view)!r}")


async def press(fake: FakeSlack, member: str, label: str, then: str) -> View:
    """Press a button in the member's modal; the modal once the bot has moved it on and it shows ``then``."""
    view = fake.current_view(member)
    assert view is not None
    before = view.spec
    await fake.click(member, button_labelled(view, label), view=view)

    def moved_on() -> View | None:
        now = fake.current_view(member)
        return now if now is not None and now.spec is not before and then in visible(now) else None

    return await until(fake, moved_on, f"the modal showing {then!r} after {label}")


async def vote(fake: FakeSlack, member: str, label: str, *, then: str = "Recorded") -> View:
    return await press(fake, member, label, then)


async def test_members_vote_change_a_vote_and_write_statements(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups(fake_slack)
        post = await open_conversation(fake_slack, SEEDS)
        assert PROMPT in visible(post) and fake_slack.pings(post) == []

        await fake_slack.click("alice", vote_button(post), message=post)
        first = await view_showing(fake_slack, "alice", CONSENT)  # consent at the first vote: the domain's words
        seen = [next(s for s in SEEDS if s in visible(first))]
        view = await vote(fake_slack, "alice", "Agree")
        assert CONSENT not in visible(view) and "Recorded: *agree*" in visible(view)
        for _ in SEEDS[1:]:
            seen.append(next(s for s in SEEDS if s in visible(view) and s not in seen))
            view = await vote(fake_slack, "alice", "Disagree")
        assert sorted(seen) == sorted(SEEDS)  # each statement once
        assert "You have voted on every statement so far" in visible(view)

        again = await press(fake_slack, "alice", "Change that vote", "Vote again on this statement")
        assert seen[-1] in visible(again)
        view = await vote(fake_slack, "alice", "Pass / unsure", then="Recorded: *pass / unsure*")

        await fake_slack.click("alice", button_labelled(view, "Write a statement"), view=view)
        form = await view_showing(fake_slack, "alice", "Your statement")
        assert CONSENT not in visible(form)  # she agreed at her first vote
        with_limit = next(b for b in form.blocks if b.get("type") == "input")
        assert with_limit["element"]["max_length"] == 280 and "280 characters" in visible(form)
        await fake_slack.submit_view("alice", {"text": "Meetings should be in the evening"}, view=form)
        assert "others can vote on it now" in visible(await view_showing(fake_slack, "alice", "Thank you"))

        # Bob's first statement, before any vote: the form shows the notice, and sending it is his consent.
        await fake_slack.click("bob", vote_button(post), message=post)
        bob_view = await view_showing(fake_slack, "bob", CONSENT)
        await fake_slack.click("bob", button_labelled(bob_view, "Write a statement"), view=bob_view)
        bob_form = await view_showing(fake_slack, "bob", "Send to agree")
        await fake_slack.submit_view("bob", {"text": "  "}, view=bob_form)
        assert "empty" in (await until(fake_slack, lambda: bob_form.errors.get("statement"), "the form's error"))
        await fake_slack.submit_view("bob", {"text": HOSTILE}, view=bob_form)
        await view_showing(fake_slack, "bob", "Thank you")

        # Carol meets Bob's statement escaped: nothing a member wrote pings or links.
        await fake_slack.click("carol", vote_button(post), message=post)
        carol = await view_showing(fake_slack, "carol", CONSENT)
        for _ in range(len(SEEDS) + 1):
            if "what they think" in visible(carol):
                break
            carol = await vote(fake_slack, "carol", "Pass / unsure")
        shown = visible(carol)
        assert "&lt;!channel&gt;" in shown and "&lt;@U0ADMIN&gt;" in shown and "<!channel>" not in shown
        assert "&amp; more" in shown and "Meetings should be in the evening" not in shown  # one at a time

        # Three voters are too few for groups: counts only, the reason said, and no map.
        results = await (await fake_slack.slash("alice", "/workshop", "deliberate results 1")).reply()
        assert "No opinion groups yet" in visible(results) and "&lt;!channel&gt;" in visible(results)
        assert fake_slack.pings(results) == [] and dm_files(fake_slack, "alice") == []


async def test_moderation_close_and_results_with_the_map(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    members = [u.name for u in fake_slack.world.add_members(12, channels=["general"])]
    async with slack_runner.running():
        await choose_groups(fake_slack, organisers=True)
        post = await open_conversation(fake_slack, SEEDS[:2], hold=True)

        await fake_slack.click("bob", vote_button(post), message=post)
        view = await view_showing(fake_slack, "bob", CONSENT)
        await fake_slack.click("bob", button_labelled(view, "Write a statement"), view=view)
        form = await view_showing(fake_slack, "bob", "Your statement")
        await fake_slack.submit_view("bob", {"text": "Policy should be tested in small pilots"}, view=form)
        assert "once an organiser has accepted it" in visible(await view_showing(fake_slack, "bob", "Thank you"))

        refused = await (await fake_slack.slash("fay", "/workshop", "deliberate moderate 1")).reply()
        assert refused.text.startswith("Only organisers can moderate statements")
        step = await (await fake_slack.slash("olga", "/workshop", "deliberate moderate 1")).reply()
        assert "1 waiting" in visible(step) and "small pilots" in visible(step)
        await fake_slack.click("olga", next(a for a in action_ids(step) if a.endswith(":a")), message=step)
        done = await until(
            fake_slack,
            lambda: next(
                (m for m in fake_slack.messages_in("general", as_user="olga") if "Accepted" in visible(m)), None
            ),
            "the moderation message updated",
        )
        assert "No statements are waiting" in visible(done)

        # Two planted camps of six vote on the three statements, side by side.
        async def vote_all(member: str, agree: bool) -> None:
            await fake_slack.click(member, vote_button(post), message=post)
            await view_showing(fake_slack, member, CONSENT)
            for _ in range(3):
                await vote(fake_slack, member, "Agree" if agree else "Disagree")

        await asyncio.gather(*(vote_all(m, i % 2 == 0) for i, m in enumerate(members)))

        await fake_slack.click("carol", vote_button(post), message=post)  # her modal stays open over the close
        await view_showing(fake_slack, "carol", CONSENT)
        closed = await (await fake_slack.slash("fay", "/workshop", "deliberate close 1")).reply()
        assert "Closed *conversation 1*" in closed.text
        assert "(closed)" in visible(post) and not action_ids(post)  # the post, edited: no Vote button
        await vote(fake_slack, "carol", "Agree", then="is closed: it takes no more votes")

        results = await (await fake_slack.slash("alice", "/workshop", "deliberate results 1")).replies(2)
        text = next(visible(m) for m in results if "Voters" in visible(m))
        assert "Group A" in text and "Group B" in text
        assert "The opinion map: in your direct messages with the bot" in text
        files = dict(await until(fake_slack, lambda: dm_files(fake_slack, "alice"), "the map in alice's DM"))
        assert files["opinion-map.png"].startswith(b"\x89PNG")
        assert "conversation-1.json" not in files  # the figures as JSON are for facilitators

        staff = await (await fake_slack.slash("fay", "/workshop", "deliberate results 1")).replies(3)
        assert any("The opinion map and the figures as JSON: in your direct" in visible(m) for m in staff)
        figures = await until(
            fake_slack, lambda: dict(dm_files(fake_slack, "fay")).get("conversation-1.json"), "the JSON in fay's DM"
        )
        assert b"small pilots" in figures and b'"U0' not in figures  # statements and counts; no member named


async def test_the_vote_button_works_after_a_restart(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        await choose_groups(fake_slack)
        post = await open_conversation(fake_slack, SEEDS[:1])
    async with slack_runner.running():
        await fake_slack.click("alice", vote_button(post), message=post)
        view = await view_showing(fake_slack, "alice", "assemblies should set the agenda")
        assert CONSENT in visible(view)


async def test_only_facilitators_open_and_close(fake_slack: FakeSlack, slack_runner: SlackRunner) -> None:
    async with slack_runner.running():
        await choose_groups(fake_slack)
        await fake_slack.slash("alice", "/workshop", f"deliberate open 5 {PROMPT}")
        refused = await view_showing(fake_slack, "alice", "Only facilitators")
        assert refused.spec.get("submit") is None
        await fake_slack.close_view("alice")
        closing = await (await fake_slack.slash("alice", "/workshop", "deliberate close 1")).reply()
        assert closing.text.startswith("Only facilitators can close conversations")
        assert not [m for m in fake_slack.messages_in("general") if m.via == "api"]

        member_help = visible(await (await fake_slack.slash("alice", "/workshop", "help")).reply())
        assert "deliberate results N" in member_help and "deliberate open" not in member_help
        staff_help = visible(await (await fake_slack.slash("fay", "/workshop", "help")).reply())
        assert "deliberate open WEEK PROMPT | close N | results N" in staff_help


async def test_an_answer_offered_as_a_statement_only_when_ticked(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups(fake_slack)
        await fake_slack.slash("alice", "/workshop", "answer 4 1")
        no_conversation = await view_showing(fake_slack, "alice", "Before your first answer")
        assert not [b for b in no_conversation.blocks if b.get("block_id") == "offer"]
        await fake_slack.close_view("alice")

        post = await open_conversation(fake_slack, SEEDS[:1])
        await fake_slack.slash("alice", "/workshop", "answer 5 1")
        form = await view_showing(fake_slack, "alice", "This week's conversation")
        box = next(b for b in form.blocks if b.get("block_id") == "offer")
        assert box["element"]["options"][0]["text"]["text"] == "Also offer my answer as a statement"
        assert box["optional"] and "initial_options" not in box["element"]  # off by default
        await fake_slack.submit_view("alice", {"text": "Juries of citizens, drawn by lot", "offer": ["offer"]})
        saved = visible(await view_showing(fake_slack, "alice", "Saved your answer"))
        assert "also a statement in this week's conversation" in saved
        await fake_slack.close_view("alice")

        await fake_slack.slash("bob", "/workshop", "answer 5 1")
        await view_showing(fake_slack, "bob", "This week's conversation")
        await fake_slack.submit_view("bob", {"text": "Not offered, this one"})  # the box left unticked
        assert "statement" not in visible(await view_showing(fake_slack, "bob", "Saved your answer"))

        await fake_slack.click("carol", vote_button(post), message=post)
        view = await view_showing(fake_slack, "carol", CONSENT)
        seen = [visible(view)]
        for _ in range(2):
            view = await vote(fake_slack, "carol", "Agree")
            seen.append(visible(view))
        assert any("Juries of citizens" in text for text in seen)
        assert not any("Not offered" in text for text in seen)


async def test_bad_input_is_refused_clearly_and_changes_nothing(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups(fake_slack)
        for text, expected in {
            "deliberate": "Use `/workshop deliberate open WEEK PROMPT`",
            "deliberate shout 1": "Use `/workshop deliberate open WEEK PROMPT`",
            "deliberate close x": "`x` is not a conversation number",
            "deliberate results 99": "There is no conversation 99",
        }.items():
            reply = await (await fake_slack.slash("fay", "/workshop", text)).reply()
            assert expected in reply.text, (text, reply.text)

        await fake_slack.slash("fay", "/workshop", "deliberate open 0 Why?")
        assert "`0` is not a week number" in visible(await view_showing(fake_slack, "fay", "not a week"))
        await fake_slack.close_view("fay")

        await fake_slack.slash("fay", "/workshop", f"deliberate open 5 {PROMPT}")
        form = await view_showing(fake_slack, "fay", "Seed statements")
        await fake_slack.submit_view("fay", {"prompt": "   ", "seeds": "fine\n" + "x" * 281}, view=form)
        errors = await until(fake_slack, lambda: form.errors if len(form.errors) == 2 else None, "both errors")
        assert "needs a prompt" in errors["prompt"] and "limit is 280" in errors["seeds"]
        with_limits = {b["block_id"]: b["element"].get("max_length") for b in form.blocks if b["type"] == "input"}
        assert with_limits["prompt"] == 1000 and with_limits["seeds"] == 3000  # Slack's 3,000, said in the hint
        assert "3,000 characters" in visible(form)
        await fake_slack.close_view("fay")
        assert not [m for m in fake_slack.messages_in("general") if m.via == "api"]  # nothing opened
        nothing = await (await fake_slack.slash("fay", "/workshop", "deliberate results 1")).reply()
        assert "There is no conversation 1" in nothing.text


async def test_a_channel_without_the_bot_gets_no_post_and_no_open_conversation(
    fake_slack: FakeSlack, slack_runner: SlackRunner
) -> None:
    async with slack_runner.running():
        await choose_groups(fake_slack)
        await fake_slack.slash("fay", "/workshop", "deliberate open 5 Less &lt;b&gt; more", channel="random")
        form = await view_showing(fake_slack, "fay", "Seed statements")
        assert "Less <b> more" in visible(form)  # the prompt as typed (Slack sends the command's text escaped)
        await fake_slack.submit_view("fay", {"seeds": SEEDS[0]}, view=form)
        refused = visible(await view_showing(fake_slack, "fay", "Slack refused the post"))
        assert "not_in_channel" in refused and "conversation 1 was closed at once" in refused
        assert "<#C" in refused  # the channel as Slack's link
        assert not [m for m in fake_slack.messages_in("random") if m.via == "api"]
