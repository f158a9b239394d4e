"""The local Slack with the real slack_sdk AsyncWebClient and a tiny bolt AsyncApp over Socket Mode."""

from __future__ import annotations

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
