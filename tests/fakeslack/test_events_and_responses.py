"""Events the app receives (message, its subtypes, app_home_opened, member_joined_channel) and response URLs,
with a bolt AsyncApp over Socket Mode."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack
from tests.fakeslack.interactions import wait_until


def recording_app(fake: FakeSlack) -> tuple[AsyncApp, list[dict[str, Any]]]:
    app = AsyncApp(client=fake.web_client())
    seen: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    @app.event("member_joined_channel")
    async def on_join(event: dict[str, Any]) -> None:
        seen.append(event)

    return app, seen


async def test_thread_reply_edit_and_delete_reach_the_app(fake_slack: FakeSlack) -> None:
    app, seen = recording_app(fake_slack)
    async with fake_slack.run_app(app):
        parent = await app.client.chat_postMessage(channel=fake_slack.world.channel("discussion").id, text="Prompt")
        reply = await fake_slack.post_message("alice", "discussion", "My answer", thread_ts=parent["ts"])
        await fake_slack.edit_message(reply, "My better answer")
        await fake_slack.delete_message(reply)
        await wait_until(fake_slack.core, lambda: True if len(seen) >= 3 else None, timeout=5, what="3 events")
    # bolt ignores the app's own message (bot_id): the three member events remain.
    posted, changed, deleted = seen
    assert posted["thread_ts"] == parent["ts"] and posted["text"] == "My answer"
    assert posted["channel_type"] == "channel" and posted["user"] == fake_slack.world.user("alice").id
    assert changed["subtype"] == "message_changed"
    assert changed["message"]["text"] == "My better answer" and changed["previous_message"]["text"] == "My answer"
    assert changed["message"]["thread_ts"] == parent["ts"]
    assert deleted["subtype"] == "message_deleted" and deleted["deleted_ts"] == reply.ts
    assert fake_slack.thread("discussion", parent["ts"])[1:] == []


async def test_no_events_from_channels_without_the_app_or_scope(fake_slack: FakeSlack) -> None:
    app, seen = recording_app(fake_slack)
    async with fake_slack.run_app(app):
        await fake_slack.post_message("alice", "random", "Not for the bot")
        fake_slack.bot_scopes.discard("channels:history")
        await fake_slack.post_message("alice", "general", "No scope to read this")
        await fake_slack.post_message("alice", "dm", "Hello bot")
        await wait_until(fake_slack.core, lambda: True if seen else None, timeout=5, what="the DM event")
    assert [(e["channel_type"], e["text"]) for e in seen] == [("im", "Hello bot")]


async def test_member_joined_channel(fake_slack: FakeSlack) -> None:
    app, seen = recording_app(fake_slack)
    newcomer = fake_slack.world.add_user("nina")
    async with fake_slack.run_app(app):
        await fake_slack.join_channel("nina", "general")
        await wait_until(fake_slack.core, lambda: True if seen else None, timeout=5, what="the join")
    assert seen[0]["type"] == "member_joined_channel" and seen[0]["user"] == newcomer.id


def button_app(fake: FakeSlack) -> AsyncApp:
    app = AsyncApp(client=fake.web_client())

    @app.command("/workshop")
    async def workshop(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        if command["text"] == "public":
            await respond(text="Everyone sees this", response_type="in_channel")
            return
        await respond(
            text="Week 3",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "done",
                            "text": {"type": "plain_text", "text": "Done"},
                            "value": "3",
                        }
                    ],
                }
            ],
        )

    @app.action("done")
    async def done(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(text=f"Saved week {body['actions'][0]['value']}", replace_original=True)

    return app


async def test_response_url_replace_original_and_in_channel(fake_slack: FakeSlack) -> None:
    async with fake_slack.run_app(button_app(fake_slack)):
        i = await fake_slack.slash("carol", "/workshop", "")
        menu = await i.reply()
        assert menu.ephemeral_to == fake_slack.world.user("carol").id
        click = await fake_slack.click("carol", "done", message=menu)
        await click.acked()
        await wait_until(
            fake_slack.core, lambda: True if menu.text.startswith("Saved") else None, timeout=5, what="edit"
        )
        assert menu.text == "Saved week 3"
        public = await fake_slack.slash("carol", "/workshop", "public")
        shown = await public.reply()
        assert shown.ephemeral_to is None and shown in fake_slack.messages_in("general")


async def test_response_url_is_used_at_most_five_times(fake_slack: FakeSlack) -> None:
    import aiohttp

    app = AsyncApp(client=fake_slack.web_client())

    @app.command("/workshop")
    async def workshop(ack: Any) -> None:
        await ack()

    async with fake_slack.run_app(app):
        i = await fake_slack.slash("alice", "/workshop")
        await i.acked()
        assert i.response_url is not None
        async with aiohttp.ClientSession() as session:
            statuses = []
            for n in range(6):
                async with session.post(i.response_url, json={"text": f"reply {n}"}) as response:
                    statuses.append((response.status, await response.text()))
    assert statuses[:5] == [(200, "ok")] * 5 and statuses[5] == (404, "used_url")
    assert len(i.responses) == 5


async def test_uninstall_sends_app_uninstalled_then_tokens_fail(fake_slack: FakeSlack) -> None:
    app = AsyncApp(client=fake_slack.web_client())
    seen: list[str] = []

    @app.event("app_uninstalled")
    async def uninstalled(event: dict[str, Any]) -> None:
        seen.append(event["type"])

    async with fake_slack.run_app(app):
        fake_slack.uninstall()
        await wait_until(fake_slack.core, lambda: True if seen else None, timeout=5, what="app_uninstalled")
    assert seen == ["app_uninstalled"]
    with pytest.raises(SlackApiError) as caught:
        await fake_slack.web_client().auth_test()
    assert caught.value.response["error"] == "invalid_auth"


async def test_dm_fan_out_to_many_members(fake_slack: FakeSlack) -> None:
    """Many DMs in a row (a reminder fan-out): each lands in the member's DM, and the teardown checks stay cheap."""
    members = fake_slack.world.add_members(100)
    client = fake_slack.web_client()
    for member in members:
        dm = (await client.conversations_open(users=member.id))["channel"]["id"]
        await client.chat_postMessage(channel=dm, text="Week 3 starts at 19:00")
    assert all(len(fake_slack.dm_with(m)) == 1 for m in members)
    assert fake_slack.count("chat.postMessage") == 100
