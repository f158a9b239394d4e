"""The local Slack with the real slack_sdk AsyncWebClient and a tiny bolt AsyncApp over Socket Mode."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack

ANSWER_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "answer",
    "title": {"type": "plain_text", "text": "Your answer"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "answer_block",
            "label": {"type": "plain_text", "text": "Answer"},
            "element": {"type": "plain_text_input", "action_id": "answer", "multiline": True, "max_length": 500},
        }
    ],
}


def tiny_app(fake: FakeSlack) -> AsyncApp:
    """A workshop-like app: /workshop answer opens a modal, other text replies; App Home shows a button."""
    app = AsyncApp(client=fake.web_client())
    saved: list[str] = []
    app.saved = saved  # type: ignore[attr-defined]

    @app.command("/workshop")
    async def workshop(ack: Any, command: dict[str, Any], client: Any, respond: Any) -> None:
        text = command["text"].strip()
        if text == "answer":
            await ack()
            await client.views_open(trigger_id=command["trigger_id"], view=ANSWER_MODAL)
        elif text == "later":
            await ack()
            await respond(text="A later reply", response_type="ephemeral")
        elif text == "public":
            await ack()
            await client.chat_postMessage(channel=command["channel_id"], text="Hello, everyone")
        else:
            await ack(text=f"You typed: {text}")

    @app.view("answer")
    async def answer(ack: Any, view: dict[str, Any]) -> None:
        value = view["state"]["values"]["answer_block"]["answer"]["value"]
        if value.strip() == "bad":
            await ack(response_action="errors", errors={"answer_block": "Please write more"})
            return
        saved.append(value)
        await ack()

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: Any) -> None:
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*Next session*: Week 3"}},
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "answer_button",
                                "text": {"type": "plain_text", "text": "Answer"},
                                "value": "3",
                            }
                        ],
                    },
                ],
            },
        )

    @app.action("answer_button")
    async def answer_button(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=ANSWER_MODAL)

    return app


async def test_auth_test_names_the_bot_and_its_scopes(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    response = await client.auth_test()
    assert response["user_id"] == fake_slack.world.bot.id
    assert response["team_id"].startswith("T")
    assert "chat:write" in response.headers["x-oauth-scopes"].split(",")


async def test_slash_command_ack_reply_is_ephemeral(fake_slack: FakeSlack) -> None:
    async with fake_slack.run_app(tiny_app(fake_slack)):
        i = await fake_slack.slash("alice", "/workshop", "programme")
        assert await i.acked() == {"text": "You typed: programme"}
        reply = await i.reply()
        assert reply.text == "You typed: programme"
        assert reply.ephemeral_to == fake_slack.world.user("alice").id
        assert fake_slack.messages_in("general") == []
        assert fake_slack.messages_in("general", as_user="alice") == [reply]


async def test_slash_command_opens_a_modal_and_submit_saves(fake_slack: FakeSlack) -> None:
    app = tiny_app(fake_slack)
    async with fake_slack.run_app(app):
        i = await fake_slack.slash("alice", "/workshop", "answer")
        view = await i.view()
        assert view.callback_id == "answer"
        s = await fake_slack.submit_view("alice", {"answer": "bad"})
        await s.acked()
        assert view.errors == {"answer_block": "Please write more"}
        assert fake_slack.current_view("alice") is view
        s = await fake_slack.submit_view("alice", {"answer": "We need more housing"})
        assert await s.acked() is None
        assert fake_slack.current_view("alice") is None
    assert app.saved == ["We need more housing"]  # type: ignore[attr-defined]


async def test_response_url_reply(fake_slack: FakeSlack) -> None:
    async with fake_slack.run_app(tiny_app(fake_slack)):
        i = await fake_slack.slash("bob", "/workshop", "later")
        reply = await i.reply()
        assert reply.text == "A later reply" and reply.via == "response_url"
        assert reply.ephemeral_to == fake_slack.world.user("bob").id


async def test_app_home_and_button(fake_slack: FakeSlack) -> None:
    async with fake_slack.run_app(tiny_app(fake_slack)):
        home = await fake_slack.open_app_home("carol")
        assert "Week 3" in home.blocks[0]["text"]["text"]
        click = await fake_slack.click("carol", "answer_button", view=home)
        view = await click.view()
        assert view.type == "modal"


async def test_missing_scope_names_the_needed_scope(fake_slack: FakeSlack) -> None:
    fake_slack.bot_scopes.discard("chat:write")
    client = fake_slack.web_client()
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=fake_slack.world.channel("general").id, text="hi")
    assert caught.value.response["error"] == "missing_scope"
    assert caught.value.response["needed"] == "chat:write"
    assert "chat:write" not in caught.value.response["provided"]


def stacked_app(fake: FakeSlack) -> AsyncApp:
    """Modal flows that answer a submission with each response_action."""
    app = AsyncApp(client=fake.web_client())

    def modal(callback_id: str, title: str, *, notify: bool = False) -> dict[str, Any]:
        return dict(
            ANSWER_MODAL, callback_id=callback_id, title={"type": "plain_text", "text": title}, notify_on_close=notify
        )

    @app.command("/workshop")
    async def workshop(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=modal(command["text"], "Step 1", notify=True))

    @app.view("update")
    async def update(ack: Any) -> None:
        await ack(response_action="update", view=modal("closing", "Step 2", notify=True))

    @app.view("push")
    async def push(ack: Any) -> None:
        await ack(response_action="push", view=modal("done", "Pushed"))

    @app.view("clear")
    async def clear(ack: Any) -> None:
        await ack(response_action="clear")

    @app.view("late")
    async def late(ack: Any) -> None:
        await asyncio.sleep(0.3)  # past the ack timeout the test sets
        await ack(response_action="update", view=modal("late", "Too late"))

    closed: list[str] = []
    app.closed = closed  # type: ignore[attr-defined]

    @app.view_closed("closing")
    async def on_close(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        closed.append(view["id"])

    return app


async def test_response_actions_update_push_clear_and_close(fake_slack: FakeSlack) -> None:
    app = stacked_app(fake_slack)
    async with fake_slack.run_app(app):
        first = await (await fake_slack.slash("alice", "/workshop", "update")).view()
        await (await fake_slack.submit_view("alice", {"answer": "a"})).acked()
        current = fake_slack.current_view("alice")
        assert current is first and current.spec["title"]["text"] == "Step 2"
        await fake_slack.close_view("alice")
        assert fake_slack.current_view("alice") is None

        await (await fake_slack.slash("bob", "/workshop", "push")).view()
        await (await fake_slack.submit_view("bob", {"answer": "b"})).acked()
        pushed = fake_slack.current_view("bob")
        assert pushed is not None and pushed.spec["title"]["text"] == "Pushed"
        assert len(fake_slack.world.modal_stacks[fake_slack.world.user("bob").id]) == 2

        await (await fake_slack.slash("carol", "/workshop", "clear")).view()
        await (await fake_slack.submit_view("carol", {"answer": "c"})).acked()
        assert fake_slack.current_view("carol") is None
        await fake_slack.wait_for_calls("views.open", 3)
    # Closing the updated modal (notify_on_close) sent view_closed to the app.
    assert app.closed == [first.id]  # type: ignore[attr-defined]


async def test_a_submission_acked_too_late_leaves_the_modal_as_it_was(fake_slack: FakeSlack) -> None:
    """socket.py: an interaction not acknowledged in time shows the member an error; the late ack's
    response_action is not applied."""
    async with fake_slack.run_app(stacked_app(fake_slack)):
        opened = await (await fake_slack.slash("alice", "/workshop", "late")).view()
        fake_slack.set_ack_timeout(0.1)
        sent = await fake_slack.submit_view("alice", {"answer": "a"})
        with pytest.raises(AssertionError, match="did not acknowledge"):
            await sent.acked(timeout=2)
        await asyncio.wait_for(sent.envelope.acked.wait(), 2)  # the late ack arrived, and changed nothing
        assert fake_slack.current_view("alice") is opened and opened.spec["title"]["text"] == "Step 1"


async def test_slack_refuses_to_submit_what_the_inputs_forbid(fake_slack: FakeSlack) -> None:
    async with fake_slack.run_app(tiny_app(fake_slack)):
        await (await fake_slack.slash("alice", "/workshop", "answer")).view()
        with pytest.raises(ValueError, match="required"):
            await fake_slack.submit_view("alice", {})
        with pytest.raises(ValueError, match="max_length"):
            await fake_slack.submit_view("alice", {"answer": "x" * 501})


async def test_a_late_views_open_gets_expired_trigger_id(fake_slack: FakeSlack) -> None:
    fake_slack.set_trigger_ttl(0.0)
    app = AsyncApp(client=fake_slack.web_client())
    errors: list[str] = []

    @app.command("/workshop")
    async def workshop(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        try:
            await client.views_open(trigger_id=command["trigger_id"], view=ANSWER_MODAL)
        except SlackApiError as exc:
            errors.append(exc.response["error"])

    async with fake_slack.run_app(app):
        i = await fake_slack.slash("alice", "/workshop", "answer")
        await i.acked()
        await fake_slack.wait_for_calls("views.open")
    assert fake_slack.calls_to("views.open")[0].error == "expired_trigger_id"
    assert i.views == [] and errors == ["expired_trigger_id"]


async def test_slash_command_in_a_dm_and_shortcut(fake_slack: FakeSlack) -> None:
    app = tiny_app(fake_slack)

    @app.shortcut("open_answer")
    async def open_answer(ack: Any, shortcut: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=shortcut["trigger_id"], view=ANSWER_MODAL)

    async with fake_slack.run_app(app):
        i = await fake_slack.slash("alice", "/workshop", "hi", channel="@alice")
        reply = await i.reply()
        assert reply in fake_slack.dm_with("alice") and reply.text == "You typed: hi"
        s = await fake_slack.shortcut("bob", "open_answer")
        assert (await s.view()).callback_id == "answer"
