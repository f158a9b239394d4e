"""What members read and whom a message pings (docs.slack.dev/messaging/formatting-message-text)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fakeslack import FakeSlack, Message


def message(fake: FakeSlack, text: str, blocks: list[dict[str, object]] | None = None) -> Message:
    return Message(
        channel=fake.world.channel("general").id,
        ts="1700000000.000001",
        user=fake.world.bot.id,
        text=text,
        blocks=blocks,
    )


def test_dates_show_in_each_readers_zone(fake_slack: FakeSlack) -> None:
    # 2020-03-02 19:00 UTC (a Monday session): 19:00 in London, 14:00 in New York.
    when = int(datetime(2020, 3, 2, 19, 0, tzinfo=UTC).timestamp())
    msg = message(fake_slack, f"Session 1: <!date^{when}^{{date_long}} at {{time}}|2 March 2020 19:00 UTC>")
    now = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)
    assert fake_slack.read(msg, "alice", now=now) == "Session 1: Monday, March 2nd, 2020 at 7:00 PM"
    assert fake_slack.read(msg, "carol", now=now) == "Session 1: Monday, March 2nd, 2020 at 2:00 PM"
    pretty = message(fake_slack, f"<!date^{when}^{{date_pretty}}|soon>")
    assert fake_slack.read(pretty, "alice", now=now) == "tomorrow"
    unknown = message(fake_slack, f"<!date^{when}^{{no_such_token}}|2 March 2020>")
    assert fake_slack.read(unknown, "alice", now=now) == "2 March 2020"


def test_escaped_text_never_pings_but_mentions_do(fake_slack: FakeSlack) -> None:
    alice = fake_slack.world.user("alice")
    escaped = message(fake_slack, "Quote: &lt;!channel&gt; &amp; &lt;@" + alice.id + "&gt;")
    assert fake_slack.pings(escaped) == []
    assert fake_slack.read(escaped, "bob") == f"Quote: <!channel> & <@{alice.id}>"
    loud = message(
        fake_slack,
        f"<!here> <@{alice.id}>",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "<!subteam^S1|@organisers>"}},
            {"type": "header", "text": {"type": "plain_text", "text": "<!everyone>"}},
        ],
    )
    assert fake_slack.pings(loud) == ["!here", f"@{alice.id}", "!subteam^S1"]
    assert fake_slack.read(loud, "bob").splitlines() == ["@here @alice", "@organisers", "<!everyone>"]
