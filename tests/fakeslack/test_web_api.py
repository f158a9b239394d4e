"""Web API methods and their documented errors, through the real slack_sdk AsyncWebClient."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack


async def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    return dict(caught.value.response.data)


def cid(fake: FakeSlack, name: str) -> str:
    return fake.world.channel(name).id


async def test_tokens_not_authed_invalid_auth_and_wrong_kind(fake_slack: FakeSlack) -> None:
    # docs.slack.dev/authentication/tokens; apps.connections.open "Errors".
    assert (await error_of(fake_slack.web_client(token="xoxb-nope").auth_test()))["error"] == "invalid_auth"
    client = fake_slack.web_client()
    client.token = None
    assert (await error_of(client.auth_test()))["error"] == "not_authed"
    bot = fake_slack.web_client()
    assert (await error_of(bot.apps_connections_open(app_token=fake_slack.bot_token)))[
        "error"
    ] == "not_allowed_token_type"
    app = fake_slack.web_client(token=fake_slack.app_token)
    assert (await error_of(app.chat_postMessage(channel=cid(fake_slack, "general"), text="x")))["error"] == (
        "not_allowed_token_type"
    )
    opened = await app.apps_connections_open(app_token=fake_slack.app_token)
    assert opened["url"].startswith("ws://127.0.0.1:")
    fake_slack.revoke_tokens()
    assert (await error_of(bot.auth_test()))["error"] == "invalid_auth"


async def test_channels_membership_and_users(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    assert (await error_of(client.chat_postMessage(channel="C0NOSUCH00", text="x")))["error"] == "channel_not_found"
    # The bot is not in #random: chat:write needs membership (chat.postMessage "Errors": not_in_channel).
    assert (await error_of(client.chat_postMessage(channel=cid(fake_slack, "random"), text="x")))["error"] == (
        "not_in_channel"
    )
    assert (await error_of(client.conversations_history(channel=cid(fake_slack, "random"))))[
        "error"
    ] == "not_in_channel"
    joined = await client.conversations_join(channel=cid(fake_slack, "random"))
    assert joined["channel"]["is_member"] is True
    again = await client.conversations_join(channel=cid(fake_slack, "random"))
    assert again["warning"] == "already_in_channel"
    posted = await client.chat_postMessage(channel=cid(fake_slack, "random"), text="Hello")
    assert posted["message"]["text"] == "Hello"
    assert (await error_of(client.users_info(user="U0NOSUCH00")))["error"] == "user_not_found"
    alice = await client.users_info(user=fake_slack.world.user("alice").id)
    assert alice["user"]["name"] == "alice" and alice["user"]["tz"] == "Europe/London"
    owner = await client.users_info(user=fake_slack.world.user("owner").id)
    assert owner["user"]["is_owner"] and owner["user"]["is_admin"]
    members = await client.conversations_members(channel=cid(fake_slack, "general"))
    assert fake_slack.world.bot.id in members["members"]
    info = await client.conversations_info(channel=cid(fake_slack, "general"))
    assert info["channel"]["name"] == "general" and info["channel"]["is_member"]
    team = await client.team_info()
    assert team["team"]["id"].startswith("T")
    listed = await client.users_list()
    assert {"alice", "workshopbot"} <= {m["name"] for m in listed["members"]}
    bot = await client.bots_info(bot=(await client.auth_test())["bot_id"])
    assert bot["bot"]["user_id"] == fake_slack.world.bot.id


async def test_user_groups(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    groups = await client.usergroups_list(include_users=True)
    by_handle = {g["handle"]: g for g in groups["usergroups"]}
    assert by_handle["facilitators"]["users"] == [fake_slack.world.user("fay").id]
    users = await client.usergroups_users_list(usergroup=by_handle["organisers"]["id"])
    assert users["users"] == [fake_slack.world.user("olga").id]
    assert (await error_of(client.usergroups_users_list(usergroup="S0NOSUCH00")))["error"] == "no_such_subteam"
    fake_slack.bot_scopes.discard("usergroups:read")
    missing = await error_of(client.usergroups_list())
    assert missing["error"] == "missing_scope" and missing["needed"] == "usergroups:read"


async def test_dm_open_post_and_read_as_the_member(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    alice = fake_slack.world.user("alice")
    opened = await client.conversations_open(users=alice.id)
    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    assert (await client.conversations_open(users=alice.id))["already_open"] is True
    await client.chat_postMessage(channel=dm, text="Your reminder")
    # Posting to a user id goes to the app's DM with them (chat.postMessage "channel").
    await client.chat_postMessage(channel=alice.id, text="Second")
    assert [m.text for m in fake_slack.dm_with("alice")] == ["Your reminder", "Second"]
    assert (await error_of(client.conversations_open(users="U0NOSUCH00")))["error"] == "user_not_found"


async def test_ephemeral_update_delete_permalink(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    general = cid(fake_slack, "general")
    await client.chat_postEphemeral(channel=general, user=fake_slack.world.user("bob").id, text="Only you")
    assert [m.text for m in fake_slack.messages_in("general", as_user="bob")] == ["Only you"]
    assert fake_slack.messages_in("general", as_user="alice") == []
    outsider = fake_slack.world.add_user("zed")
    assert (await error_of(client.chat_postEphemeral(channel=general, user=outsider.id, text="x")))["error"] == (
        "user_not_in_channel"
    )
    posted = await client.chat_postMessage(channel=general, text="Draft")
    updated = await client.chat_update(channel=general, ts=posted["ts"], text="Final")
    assert updated["text"] == "Final" and fake_slack.latest("general").text == "Final"
    link = await client.chat_getPermalink(channel=general, message_ts=posted["ts"])
    assert posted["ts"].replace(".", "") in link["permalink"]
    member_msg = await fake_slack.post_message("alice", "general", "Mine")
    assert (await error_of(client.chat_update(channel=general, ts=member_msg.ts, text="x")))["error"] == (
        "cant_update_message"
    )
    assert (await error_of(client.chat_delete(channel=general, ts=member_msg.ts)))["error"] == "cant_delete_message"
    await client.chat_delete(channel=general, ts=posted["ts"])
    assert (await error_of(client.chat_delete(channel=general, ts=posted["ts"])))["error"] == "message_not_found"
    assert [m.text for m in fake_slack.messages_in("general")] == ["Mine"]


async def test_message_length_rules(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    general = cid(fake_slack, "general")
    # chat.postMessage "Truncating content": more than 40,000 characters are cut, not refused.
    long = await client.chat_postMessage(channel=general, text="x" * 40_001)
    assert len(long["message"]["text"]) == 40_000
    bob = fake_slack.world.user("bob").id
    assert (await error_of(client.chat_postEphemeral(channel=general, user=bob, text="x" * 40_001)))["error"] == (
        "msg_too_long"
    )
    assert (await error_of(client.chat_update(channel=general, ts=long["ts"], text="x" * 40_001)))["error"] == (
        "msg_too_long"
    )
    with pytest.warns(UserWarning, match="text"):  # slack_sdk's own warning about the missing text
        assert (await error_of(client.chat_postMessage(channel=general)))["error"] == "no_text"


async def test_block_kit_limits_in_messages(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    general = cid(fake_slack, "general")
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    await client.chat_postMessage(channel=general, text="ok", blocks=[section] * 50)
    too_many = await error_of(client.chat_postMessage(channel=general, text="x", blocks=[section] * 51))
    assert too_many["error"] == "invalid_blocks"
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    assert (await error_of(client.chat_postMessage(channel=general, text="x", blocks=[header])))["error"] == (
        "invalid_blocks"
    )
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}
    refused = await error_of(client.chat_postMessage(channel=general, text="x", blocks=[long_section]))
    assert any("/blocks/0/text/text" in e for e in refused["errors"])
    button = {"type": "button", "action_id": "a" * 256, "text": {"type": "plain_text", "text": "Go"}}
    actions = {"type": "actions", "elements": [button]}
    assert (await error_of(client.chat_postMessage(channel=general, text="x", blocks=[actions])))["error"] == (
        "invalid_blocks"
    )
    twice = [dict(section, block_id="same"), dict(section, block_id="same")]
    assert (await error_of(client.chat_postMessage(channel=general, text="x", blocks=twice)))[
        "error"
    ] == "invalid_blocks"
    assert (await error_of(client.chat_postMessage(channel=general, text="x", blocks="[{")))["error"] == (
        "invalid_blocks_format"
    )


async def test_metadata_is_returned_only_when_asked(fake_slack: FakeSlack) -> None:
    # docs.slack.dev/messaging/message-metadata: include_all_metadata on conversations.history.
    client = fake_slack.web_client()
    general = cid(fake_slack, "general")
    metadata = {"event_type": "reminder_claim", "event_payload": {"claim": "42"}}
    await client.chat_postMessage(channel=general, text="Reminder", metadata=metadata)
    plain = await client.conversations_history(channel=general)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=general, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata
    bad = await error_of(client.chat_postMessage(channel=general, text="x", metadata={"event_payload": {}}))
    assert bad["error"] == "invalid_metadata_schema"


async def test_threads_history_and_pagination(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    general = cid(fake_slack, "discussion")
    parent = await client.chat_postMessage(channel=general, text="Prompt 1")
    for i in range(5):
        await fake_slack.post_message("alice", "discussion", f"answer {i}", thread_ts=parent["ts"])
    history = await client.conversations_history(channel=general)
    assert [m["text"] for m in history["messages"]] == ["Prompt 1"]
    assert history["messages"][0]["reply_count"] == 5
    first = await client.conversations_replies(channel=general, ts=parent["ts"], limit=4)
    assert first["has_more"] is True
    second = await client.conversations_replies(
        channel=general, ts=parent["ts"], limit=4, cursor=first["response_metadata"]["next_cursor"]
    )
    texts = [m["text"] for m in first["messages"] + second["messages"]]
    assert texts == ["Prompt 1"] + [f"answer {i}" for i in range(5)]
    assert second["has_more"] is False
    assert (await error_of(client.conversations_replies(channel=general, ts="1.000001")))["error"] == "thread_not_found"
    reply = await client.chat_postMessage(channel=general, text="Summary", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert (await error_of(client.chat_postMessage(channel=general, text="x", thread_ts="1.000001")))["error"] == (
        "thread_not_found"
    )


async def test_views_limits_and_triggers(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    alice = fake_slack.world.user("alice").id

    def modal(**changes: Any) -> dict[str, Any]:
        view: dict[str, Any] = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Answer"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "b",
                    "label": {"type": "plain_text", "text": "Answer"},
                    "element": {"type": "plain_text_input", "action_id": "a", "max_length": 3000},
                }
            ],
        }
        view.update(changes)
        return view

    trigger = fake_slack.core.new_trigger(alice)
    # The modal title is at most 24 characters (reference/views "title").
    refused = await error_of(
        client.views_open(trigger_id=trigger, view=modal(title={"type": "plain_text", "text": "t" * 25}))
    )
    assert refused["error"] == "invalid_arguments"
    assert "/view/title/text" in refused["response_metadata"]["messages"][0]
    long_input = modal()
    long_input["blocks"][0]["element"]["max_length"] = 3001
    assert (await error_of(client.views_open(trigger_id=trigger, view=long_input)))["error"] == "invalid_arguments"
    section = {"type": "section", "text": {"type": "plain_text", "text": "s"}}
    assert (await error_of(client.views_open(trigger_id=trigger, view=modal(blocks=[section] * 101))))["error"] == (
        "invalid_arguments"
    )
    no_submit = modal()
    del no_submit["submit"]
    assert (await error_of(client.views_open(trigger_id=trigger, view=no_submit)))["error"] == "invalid_arguments"
    opened = await client.views_open(trigger_id=trigger, view=modal())
    assert opened["view"]["id"].startswith("V")
    # Single use (views.open "Errors": exchanged_trigger_id).
    assert (await error_of(client.views_open(trigger_id=trigger, view=modal())))["error"] == "exchanged_trigger_id"
    assert (await error_of(client.views_open(trigger_id="1.2.nope", view=modal())))["error"] == "invalid_trigger_id"
    fake_slack.set_trigger_ttl(0.0)
    late = fake_slack.core.new_trigger(alice)
    assert (await error_of(client.views_open(trigger_id=late, view=modal())))["error"] == "expired_trigger_id"
    updated = await client.views_update(
        view_id=opened["view"]["id"], view=modal(title={"type": "plain_text", "text": "Thanks"})
    )
    assert updated["view"]["title"]["text"] == "Thanks"
    stale = await error_of(client.views_update(view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=modal()))
    assert stale["error"] == "hash_conflict"


async def test_home_tab_publish(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    alice = fake_slack.world.user("alice").id
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Programme"}}]}
    await client.views_publish(user_id=alice, view=home)
    view = fake_slack.home_view("alice")
    assert view is not None and view.blocks[0]["text"]["text"] == "Programme"
    modal_as_home = dict(home, type="modal")
    assert (await error_of(client.views_publish(user_id=alice, view=modal_as_home)))["error"] == "invalid_arguments"


async def test_broadcast_reply_shows_in_the_channel_too(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    channel = cid(fake_slack, "discussion")
    parent = await client.chat_postMessage(channel=channel, text="Prompt")
    await fake_slack.post_message("bob", "discussion", "Also in the channel", thread_ts=parent["ts"], broadcast=True)
    history = await client.conversations_history(channel=channel)
    newest = history["messages"][0]
    assert newest["subtype"] == "thread_broadcast" and newest["thread_ts"] == parent["ts"]
    assert newest["client_msg_id"]


async def test_a_token_inside_a_json_body_is_not_a_token(fake_slack: FakeSlack) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        url = fake_slack.api_url + "auth.test"
        async with session.post(url, json={"token": fake_slack.bot_token}) as response:
            assert (await response.json())["error"] == "not_authed"
        async with session.post(url, data={"token": fake_slack.bot_token}) as response:
            assert (await response.json())["ok"] is True


async def test_channel_by_name_and_disabled_users(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    await client.chat_postMessage(channel="#reminders", text="By name")
    assert fake_slack.latest("reminders").text == "By name"
    gone = fake_slack.world.add_user("gone", deleted=True)
    assert (await error_of(client.conversations_open(users=gone.id)))["error"] == "user_disabled"
