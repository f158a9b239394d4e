"""The upload flow (files.getUploadURLExternal, the upload URL, files.completeUploadExternal) and rate limits."""

from __future__ import annotations

import time

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack
from tests.fakeslack.interactions import wait_until


async def test_files_upload_v2_to_a_dm(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    dm = (await client.conversations_open(users=fake_slack.world.user("olga").id))["channel"]["id"]
    result = await client.files_upload_v2(
        channel=dm,
        content=b"week,answers\n1,12\n",
        filename="export.csv",
        title="Export",
        initial_comment="Your export",
    )
    file_id = result["file"]["id"]
    assert file_id.startswith("F")
    shown = fake_slack.dm_with("olga")
    assert [m.text for m in shown] == ["Your export"] and shown[0].files == [file_id]
    stored = fake_slack.world.files[file_id]
    assert stored.data == b"week,answers\n1,12\n" and stored.title == "Export" and stored.shares == [dm]
    assert [c.method for c in fake_slack.calls] == [
        "conversations.open",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    history = await client.conversations_history(channel=dm)
    assert history["messages"][0]["files"][0]["id"] == file_id


async def test_complete_without_upload_and_upload_url_single_use(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    got = await client.files_getUploadURLExternal(filename="report.html", length=5)
    with pytest.raises(SlackApiError) as caught:
        await client.files_completeUploadExternal(files=[{"id": got["file_id"]}])
    assert caught.value.response["error"] == "file_not_found"
    async with aiohttp.ClientSession() as session:
        async with session.post(got["upload_url"], data=b"hello") as response:
            assert response.status == 200
        async with session.post(got["upload_url"], data=b"again") as response:
            assert response.status == 404
    general = fake_slack.world.channel("random").id
    with pytest.raises(SlackApiError) as caught:
        await client.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id=general)
    assert caught.value.response["error"] == "not_in_channel"
    done = await client.files_completeUploadExternal(files=[{"id": got["file_id"], "title": "Report"}])
    assert done["files"][0]["id"] == got["file_id"]


async def test_method_limit_answers_429_with_retry_after(fake_slack: FakeSlack) -> None:
    # docs.slack.dev/apis/web-api/rate-limits "Responding to rate limiting conditions".
    fake_slack.rate_limits.set_limit("users.info", 2, 60.0)
    client = fake_slack.web_client()
    alice = fake_slack.world.user("alice").id
    await client.users_info(user=alice)
    await client.users_info(user=alice)
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user=alice)
    assert caught.value.response.status_code == 429
    assert caught.value.response["error"] == "ratelimited"
    assert int(caught.value.response.headers["Retry-After"]) >= 1
    assert fake_slack.rate_limits.limited["users.info"] == 1


async def test_one_message_per_second_per_channel(fake_slack: FakeSlack) -> None:
    # "Posting messages": about one message per second per channel; other channels are not affected.
    fake_slack.rate_limits.set_channel_post_limit(1, 0.3)
    client = fake_slack.web_client()
    general, reminders = fake_slack.world.channel("general").id, fake_slack.world.channel("reminders").id
    await client.chat_postMessage(channel=general, text="1")
    await client.chat_postMessage(channel=reminders, text="other channel")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=general, text="2")
    assert caught.value.response.status_code == 429
    started = time.monotonic()
    while time.monotonic() - started < 1:
        try:
            await client.chat_postMessage(channel=general, text="2")
            break
        except SlackApiError:
            await _sleep(0.05)
    assert [m.text for m in fake_slack.messages_in("general")] == ["1", "2"]


async def test_documented_tiers_scaled(fake_slack: FakeSlack) -> None:
    # Tier 2 (users.list): 20 a minute; scaled so that a minute is 0.6 s.
    fake_slack.rate_limits.enforce(scale=0.01)
    client = fake_slack.web_client()
    for _ in range(20):
        await client.users_list()
    with pytest.raises(SlackApiError):
        await client.users_list()


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_file_input_then_download_with_the_bot_token(fake_slack: FakeSlack) -> None:
    """An import modal's file input: the member attaches a file, the app reads it with files:read."""
    from typing import Any

    from slack_bolt.async_app import AsyncApp

    app = AsyncApp(client=fake_slack.web_client())
    received: list[bytes] = []
    unauthenticated: list[str] = []
    modal: dict[str, Any] = {
        "type": "modal",
        "callback_id": "import",
        "title": {"type": "plain_text", "text": "Import"},
        "submit": {"type": "plain_text", "text": "Preview"},
        "blocks": [
            {
                "type": "input",
                "block_id": "file",
                "label": {"type": "plain_text", "text": "Programme file"},
                "element": {"type": "file_input", "action_id": "upload", "filetypes": ["toml", "txt"], "max_files": 1},
            }
        ],
    }

    @app.command("/workshop")
    async def workshop(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=modal)

    @app.view("import")
    async def submitted(ack: Any, view: dict[str, Any], client: Any) -> None:
        await ack()
        (file,) = view["state"]["values"]["file"]["upload"]["files"]
        info = await client.files_info(file=file["id"])
        url = info["file"]["url_private_download"]
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                unauthenticated.append(response.content_type)
            async with session.get(url, headers={"Authorization": f"Bearer {fake_slack.bot_token}"}) as response:
                received.append(await response.read())

    async with fake_slack.run_app(app):
        await (await fake_slack.slash("olga", "/workshop", "import")).view()
        upload = fake_slack.world.add_file("olga", "programme.toml", b'title = "2020"\n')
        await (await fake_slack.submit_view("olga", {"upload": [upload]})).acked()
        await fake_slack.wait_for_calls("files.info")
        await wait_until(fake_slack.core, lambda: True if received else None, timeout=5, what="the download")
    assert received == [b'title = "2020"\n']
    # Without the token, Slack answers its sign-in page, not the file.
    assert unauthenticated == ["text/html"]


async def test_injected_failures_and_lost_answers(fake_slack: FakeSlack) -> None:
    client = fake_slack.web_client()
    general = fake_slack.world.channel("general").id
    fake_slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=2)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=general, text="first try")
    assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"] == "2"
    assert fake_slack.messages_in("general") == []
    # A lost answer: the message is posted, the app hears fatal_error (it may look before trying again).
    fake_slack.lose_next("chat.postMessage")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=general, text="posted anyway")
    assert caught.value.response["error"] == "fatal_error"
    assert [m.text for m in fake_slack.messages_in("general")] == ["posted anyway"]
    await client.chat_postMessage(channel=general, text="normal again")
    assert len(fake_slack.messages_in("general")) == 2
