"""The Slack reminder sender, file delivery, names and the pacer against a small fake of AsyncWebClient: what
is posted (metadata claims, blocks, no pings), what the outbox check finds, and how Slack's errors map."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.platform_ids import int_to_slack_ts, slack_id_to_int, slack_ts_to_int
from bot.domain.reminders import DMS_CLOSED
from bot.services.reminders import (
    AnswerButtonSpec,
    ChannelRefused,
    DeliveryFailed,
    DeliveryRefused,
    OutboxUnreadable,
    OutgoingMessage,
    content_digest,
)
from slack_app._adapters import (
    EVENT_TYPE,
    SlackDisplayNames,
    SlackFiles,
    SlackReminderSender,
    SlackWeb,
    SlackWelcome,
)
from slack_app._adapters._pacing import MARGIN, Pacer, SlackLimits
from slack_app._adapters._text import to_mrkdwn
from slack_app._adapters.files import FileDeliveryError
from tests.slack.delivery_fakes import TEAM, FakeWebClient, slack_error

CHANNEL = "C0REMIND"
MEMBER = "U0MEMBER1"
GROUP = "S0ORGS"
WORKSPACE = slack_id_to_int(TEAM)  # the workspace the fake's token is installed in (auth.test)
MESSAGE = OutgoingMessage(
    content="⏰ **Reminder: Week 1 · Rights** <t:1700000000:F> <!channel> <@U0EVIL> & more: see `/session 1`",
    answer_buttons=(AnswerButtonSpec(11, "Answer 1"), AnswerButtonSpec(12, "Answer 2")),
    community_id=WORKSPACE,
)


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def client() -> FakeWebClient:
    fake = FakeWebClient()
    fake.add_channel(CHANNEL)
    return fake


@pytest.fixture
def web(client: FakeWebClient, time: VirtualTime) -> SlackWeb:
    return SlackWeb(client, pacer=Pacer(monotonic=time.monotonic, sleep=time.sleep))  # type: ignore[arg-type]


@pytest.fixture
def sender(web: SlackWeb) -> SlackReminderSender:
    return SlackReminderSender(web)


async def test_a_channel_reminder_carries_its_claim_and_pings_nobody(
    sender: SlackReminderSender, client: FakeWebClient
) -> None:
    message_id = await sender.send_to_channel(slack_id_to_int(CHANNEL), MESSAGE, nonce="n-1")
    [post] = client.calls_of("chat.postMessage")
    assert int_to_slack_ts(message_id) == client.messages[CHANNEL][0]["ts"]
    assert post["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"nonce": "n-1", "digest": content_digest(MESSAGE.content)},
    }
    assert "<!channel>" not in post["text"] and "<@U0EVIL>" not in post["text"]
    assert "&lt;!channel&gt;" in post["text"] and "&amp; more" in post["text"]
    assert "<!date^1700000000^" in post["text"] and "*Reminder: Week 1 · Rights*" in post["text"]
    assert "`/workshop session 1`" in post["text"]  # one slash command on Slack
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("answer:11", "11"), ("answer:12", "12")]
    assert post["unfurl_links"] is False


async def test_the_ping_group_is_the_only_mention(sender: SlackReminderSender, client: FakeWebClient) -> None:
    group = slack_id_to_int(GROUP)
    message = OutgoingMessage(content=f"<@&{group}> Reminder <@&{slack_id_to_int('S0OTHER')}>", ping_role_id=group)
    await sender.send_to_channel(slack_id_to_int(CHANNEL), message, nonce="n")
    assert client.calls_of("chat.postMessage")[0]["text"] == f"<!subteam^{GROUP}> Reminder "
    await sender.send_to_member(slack_id_to_int(MEMBER), message, nonce="n2")
    assert "subteam" not in client.calls_of("chat.postMessage")[1]["text"]  # DMs never ping


async def test_a_dm_opens_the_conversation_once(sender: SlackReminderSender, client: FakeWebClient) -> None:
    for nonce in ("a", "b"):
        await sender.send_to_member(slack_id_to_int(MEMBER), MESSAGE, nonce=nonce)
    assert client.calls_of("conversations.open") == [{"users": MEMBER}]
    assert [p["channel"] for p in client.calls_of("chat.postMessage")] == ["D0MEMBER1", "D0MEMBER1"]


async def test_the_outbox_check_finds_the_claimed_post_and_nothing_else(
    sender: SlackReminderSender, client: FakeWebClient
) -> None:
    channel_id = slack_id_to_int(CHANNEL)
    first = await sender.send_to_channel(channel_id, MESSAGE, nonce="first")
    client.messages[CHANNEL].append({"type": "message", "ts": client.next_ts(), "user": "U0CHATTY", "text": "hi"})
    claimed = await sender.send_to_channel(channel_id, MESSAGE, nonce="claimed")
    assert (
        await sender.find_in_channel(channel_id, community_id=WORKSPACE, nonce="claimed", digest="-", after=first)
        == claimed
    )
    assert all(c["include_all_metadata"] for c in client.calls_of("conversations.history"))


async def test_a_claim_newer_than_the_last_reminder_posted_was_never_posted(
    sender: SlackReminderSender, client: FakeWebClient
) -> None:
    client.page_size = 1
    channel_id = slack_id_to_int(CHANNEL)
    await sender.send_to_channel(channel_id, MESSAGE, nonce="last week")
    for n in range(3):
        client.messages[CHANNEL].append({"ts": client.next_ts(), "user": "U0CHATTY", "text": str(n)})
    assert (
        await sender.find_in_channel(channel_id, community_id=WORKSPACE, nonce="this week", digest="-", after=None)
        is None
    )
    assert len(client.calls_of("conversations.history")) == 4  # three members' messages, then last week's post


async def test_a_claim_is_found_by_its_digest_too(sender: SlackReminderSender, client: FakeWebClient) -> None:
    channel_id = slack_id_to_int(CHANNEL)
    await sender.send_to_channel(channel_id, MESSAGE, nonce="an older nonce")
    assert await sender.find_in_channel(
        channel_id, community_id=WORKSPACE, nonce="x", digest=content_digest(MESSAGE.content), after=None
    )


async def test_a_member_cannot_fake_a_claim(sender: SlackReminderSender, client: FakeWebClient) -> None:
    metadata = {"event_type": EVENT_TYPE, "event_payload": {"nonce": "n-9"}}
    client.messages[CHANNEL].append({"ts": client.next_ts(), "user": "U0EVIL", "metadata": metadata})
    assert (
        await sender.find_in_channel(
            slack_id_to_int(CHANNEL), community_id=WORKSPACE, nonce="n-9", digest="-", after=None
        )
        is None
    )


async def test_the_outbox_check_reads_every_page(sender: SlackReminderSender, client: FakeWebClient) -> None:
    client.page_size = 3
    channel_id = slack_id_to_int(CHANNEL)
    claimed = await sender.send_to_channel(channel_id, MESSAGE, nonce="deep")
    for n in range(10):
        client.messages[CHANNEL].append({"ts": client.next_ts(), "user": "U0CHATTY", "text": str(n)})
    assert (
        await sender.find_in_channel(channel_id, community_id=WORKSPACE, nonce="deep", digest="-", after=None)
        == claimed
    )


async def test_a_history_too_long_to_read_is_unreadable_not_absent(
    sender: SlackReminderSender, client: FakeWebClient
) -> None:
    client.page_size = 1
    for n in range(10):
        client.messages[CHANNEL].append({"ts": client.next_ts(), "user": "U0CHATTY", "text": str(n)})
    with pytest.raises(OutboxUnreadable):
        await sender.find_in_channel(
            slack_id_to_int(CHANNEL), community_id=WORKSPACE, nonce="n", digest="-", after=None
        )


@pytest.mark.parametrize(
    ("code", "extra", "expected"),
    [
        ("not_in_channel", {}, ChannelRefused),
        ("channel_not_found", {}, ChannelRefused),
        ("is_archived", {}, ChannelRefused),
        ("missing_scope", {"needed": "chat:write"}, ChannelRefused),
        ("msg_too_long", {}, DeliveryRefused),
        ("internal_error", {}, DeliveryFailed),
    ],
)
async def test_channel_errors(
    sender: SlackReminderSender, client: FakeWebClient, code: str, extra: dict[str, str], expected: type[Exception]
) -> None:
    client.errors["chat.postMessage"].append(slack_error(code, **extra))
    with pytest.raises(expected) as raised:
        await sender.send_to_channel(slack_id_to_int(CHANNEL), MESSAGE, nonce="n")
    assert code in str(raised.value)
    if expected is ChannelRefused:
        assert isinstance(raised.value, ChannelRefused) and raised.value.channel_id == slack_id_to_int(CHANNEL)


@pytest.mark.parametrize(
    ("method", "code", "reason"),
    [
        ("conversations.open", "cannot_dm_bot", "the member is a bot"),
        ("conversations.open", "user_disabled", "the member's account is deactivated"),
        ("chat.postMessage", "messages_tab_disabled", DMS_CLOSED),
    ],
)
async def test_dm_refusals(
    sender: SlackReminderSender, client: FakeWebClient, method: str, code: str, reason: str
) -> None:
    client.errors[method].append(slack_error(code))
    with pytest.raises(DeliveryRefused) as raised:
        await sender.send_to_member(slack_id_to_int(MEMBER), MESSAGE, nonce="n")
    assert raised.value.reason == reason


async def test_a_rate_limited_send_hands_retry_after_to_the_service_and_pauses_the_channel(
    sender: SlackReminderSender, client: FakeWebClient, web: SlackWeb, time: VirtualTime
) -> None:
    client.errors["chat.postMessage"].append(slack_error("ratelimited", status=429, retry_after=30))
    with pytest.raises(DeliveryFailed) as raised:
        await sender.send_to_channel(slack_id_to_int(CHANNEL), MESSAGE, nonce="n")
    assert raised.value.retry_after == 30
    assert len(client.calls_of("chat.postMessage")) == 1  # not retried inline: the service reschedules it
    assert web.pacer.delay(f"post:{CHANNEL}") == pytest.approx(30)
    await sender.send_to_channel(slack_id_to_int(CHANNEL), MESSAGE, nonce="n")
    assert time.slept == [pytest.approx(30)]


async def test_other_calls_wait_out_a_429_and_try_again(
    web: SlackWeb, client: FakeWebClient, time: VirtualTime
) -> None:
    client.users["U0NAMED"] = {"id": "U0NAMED", "profile": {"display_name": "Ada"}}
    client.errors["users.info"].append(slack_error("ratelimited", status=429, retry_after=7))
    names = SlackDisplayNames(web)
    assert await names.display_names(0, [slack_id_to_int("U0NAMED")]) == {slack_id_to_int("U0NAMED"): "Ada"}
    assert len(client.calls_of("users.info")) == 2
    assert sum(time.slept) >= 7


async def test_posts_to_one_channel_are_a_second_apart_and_dms_are_paced_by_their_tier(
    sender: SlackReminderSender, time: VirtualTime
) -> None:
    for n in range(3):
        await sender.send_to_channel(slack_id_to_int(CHANNEL), MESSAGE, nonce=str(n))
    assert time.now == pytest.approx(2.0 / MARGIN)  # a second apart, with the pacer's margin
    start = time.now
    for n in range(4):
        await sender.send_to_member(slack_id_to_int(f"U0M{n}"), MESSAGE, nonce=str(n))
    # conversations.open is Tier 3: 50 a minute; two may go at once, then 1.2 s apart (and the margin).
    assert time.now - start == pytest.approx(2 * 1.2 / MARGIN)


async def test_no_minute_ever_holds_more_calls_than_the_tier_allows(time: VirtualTime) -> None:
    limits, pacer = SlackLimits(), Pacer(monotonic=time.monotonic, sleep=time.sleep)
    for method, per_minute in (("usergroups.list", 20), ("conversations.open", 50), ("users.info", 100)):
        starts = []
        for _ in range(3 * per_minute):
            await pacer.wait(method, limits.method_interval(method) or 0, limits.method_burst(method))
            starts.append(time.now)
        busiest = max(sum(1 for t in starts if s <= t < s + 60) for s in starts)
        assert per_minute - 3 <= busiest <= per_minute, method


def test_limits_scale() -> None:
    limits = SlackLimits(scale=60)
    assert limits.method_interval("conversations.open") == pytest.approx(1.2 / 60 / MARGIN)
    assert limits.post_interval == pytest.approx(1 / 60 / MARGIN)


async def test_names_are_cached_for_a_while(web: SlackWeb, client: FakeWebClient) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    clock = {"now": now}
    client.users["U0NAMED"] = {"id": "U0NAMED", "real_name": "Ada L", "profile": {"display_name": ""}}
    names = SlackDisplayNames(web, clock=lambda: clock["now"])
    user = slack_id_to_int("U0NAMED")
    assert await names.display_names(0, [user, slack_id_to_int("U0GONE"), 12345]) == {user: "Ada L"}
    await names.display_names(0, [user])
    assert len(client.calls_of("users.info")) == 2  # the member and the one who left, once each
    clock["now"] = now + timedelta(minutes=11)
    await names.display_names(0, [user])
    assert len(client.calls_of("users.info")) == 3


async def test_a_file_goes_to_the_members_dm(web: SlackWeb, client: FakeWebClient, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("a,b\n1,2\n")
    files = SlackFiles(web)
    assert await files.send_file(slack_id_to_int(MEMBER), path, title="Answers", comment="<!here> yours") == "F0FILE1"
    [upload] = client.calls_of("files.getUploadURLExternal")
    assert upload["channel"] == "D0MEMBER1" and upload["content"] == b"a,b\n1,2\n"
    assert upload["filename"] == "answers.csv" and upload["initial_comment"] == "&lt;!here&gt; yours"


async def test_a_refused_file_says_so(web: SlackWeb, client: FakeWebClient, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("x")
    client.errors["files.getUploadURLExternal"].append(slack_error("missing_scope", needed="files:write"))
    with pytest.raises(FileDeliveryError, match="missing_scope"):
        await SlackFiles(web).send_file(slack_id_to_int(MEMBER), path, title="Answers")


def test_members_text_never_pings() -> None:
    for hostile in ("<!channel>", "<!here>", "<!everyone>", "<@U0123>", "<!subteam^S0123>", "<https://x|y>"):
        rendered = to_mrkdwn(f"before {hostile} after")
        assert "<" not in rendered.replace("&lt;", "") and ">" not in rendered.replace("&gt;", "")


def test_ts_ids_round_trip() -> None:
    assert int_to_slack_ts(slack_ts_to_int("1700000000.000001")) == "1700000000.000001"


async def test_the_welcome_goes_to_the_first_channel_that_takes_it(web: SlackWeb, client: FakeWebClient) -> None:
    # A channel that refuses the post (read-only) is passed over: an error the local Slack has no switch for.
    client.add_channel("C0READONLY")
    client.errors["chat.postMessage"].append(slack_error("restricted_action_read_only_channel"))
    welcome = SlackWelcome(web)
    assert await welcome.post_welcome(slack_id_to_int("T0TEAM"))
    first, second = client.calls_of("chat.postMessage")
    assert first["channel"] != second["channel"] and "/workshop setup" in second["text"]
    assert "Manage Server" not in second["text"]
    for channel in client.channels.values():
        channel["is_member"] = False
    assert not await welcome.post_welcome(slack_id_to_int("T0TEAM"))  # nowhere to post: nothing else is tried


@given(st.text(alphabet=st.sampled_from(list("<>&!@#^|*`/:-tU0123ABC \n")), max_size=80))
def test_no_text_rendered_for_slack_can_ping_or_link(text: str) -> None:
    rendered = to_mrkdwn(text)
    for match in re.finditer("<", rendered):
        rest = rendered[match.start() :]
        assert rest.startswith(("<!date^", "<#")), rendered  # a date or a channel the text named, nothing else
    assert "<!subteam^" not in rendered and "<@" not in rendered and "<!channel" not in rendered


async def test_the_outbox_check_tries_again_when_slack_is_briefly_unavailable(
    sender: SlackReminderSender, client: FakeWebClient, time: VirtualTime
) -> None:
    channel_id = slack_id_to_int(CHANNEL)
    claimed = await sender.send_to_channel(channel_id, MESSAGE, nonce="claimed")
    client.errors["conversations.history"] += [slack_error("internal_error", status=500)] * 2
    assert (
        await sender.find_in_channel(channel_id, community_id=WORKSPACE, nonce="claimed", digest="-", after=None)
        == claimed
    )
    assert len(client.calls_of("conversations.history")) == 3 and sum(time.slept) >= 3
    client.errors["conversations.history"] += [slack_error("service_unavailable", status=503)] * 4
    with pytest.raises(DeliveryFailed):  # the service then decides (it never assumes "not sent")
        await sender.find_in_channel(channel_id, community_id=WORKSPACE, nonce="claimed", digest="-", after=None)


async def test_a_dm_channel_gone_is_opened_again_next_time(sender: SlackReminderSender, client: FakeWebClient) -> None:
    member = slack_id_to_int(MEMBER)
    await sender.send_to_member(member, MESSAGE, nonce="a")
    client.errors["chat.postMessage"].append(slack_error("channel_not_found"))
    with pytest.raises(DeliveryFailed):
        await sender.send_to_member(member, MESSAGE, nonce="b")
    await sender.send_to_member(member, MESSAGE, nonce="b")
    assert len(client.calls_of("conversations.open")) == 2
