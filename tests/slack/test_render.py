"""Rendering the domain's text for Slack: nothing a member or organiser wrote can ping or link anyone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.platform_ids import slack_id_to_int
from slack_app._render import command_text, escape, from_domain, quote, slack_date, split_text

PINGS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0123ABCD>",
    "<!subteam^S0123ABC>",
    "<#C0123ABC>",
    "<https://x.y|z>",
]
# Slack reads a control sequence only between a real "<" and ">" (docs.slack.dev, "Formatting text": escaping).
CONTROL = re.compile(r"<[@#!][^>]*>|<https?:")


def test_every_ping_is_escaped_in_a_quote_and_in_domain_text() -> None:
    for ping in PINGS:
        assert not CONTROL.search(quote(f"hello {ping} & bye", 500))
        assert not CONTROL.search(from_domain(f"Saved your answer to **{ping}**"))
        assert escape(ping).startswith("&lt;")


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_no_text_becomes_a_mention(text: str) -> None:
    for rendered in (quote(text, 1000), escape(text)):
        assert "<" not in rendered and ">" not in rendered
        assert not re.search(r"&(?!amp;|lt;|gt;)", rendered)


def test_dates_show_in_each_readers_zone_with_a_utc_fallback() -> None:
    moment = datetime(2020, 9, 7, 18, 0, tzinfo=UTC)
    assert slack_date(moment) == "<!date^1599501600^{date_short_pretty} {time}|07 Sep 2020 18:00 UTC>"
    assert from_domain("at <t:1599501600:f>") == f"at {slack_date(moment)}"
    assert from_domain("<t:1599501600:R>") == "<!date^1599501600^{ago}|07 Sep 2020 18:00 UTC>"


def test_domain_markdown_and_commands_become_slacks() -> None:
    assert from_domain("**Next**: use `/answer` or `/mydata show`") == (
        "*Next*: use `/workshop answer` or `/workshop mydata show`"
    )
    assert command_text("turn them off with `/reminders setting:off`") == (
        "turn them off with `/workshop reminders off`"
    )
    assert command_text("https://example.org/export") == "https://example.org/export"


def test_bold_around_a_date_or_a_channel_is_slacks_bold() -> None:
    channel = slack_id_to_int("C0123ABCD")
    assert from_domain(f"Answers will be **deleted on <t:1599501600:R>**, then **gone from <#{channel}>**.") == (
        "Answers will be *deleted on <!date^1599501600^{ago}|07 Sep 2020 18:00 UTC>*, then *gone from <#C0123ABCD>*."
    )


def test_channels_the_domain_names_become_slack_channel_links() -> None:
    channel = slack_id_to_int("C0123ABCD")
    assert from_domain(f"Reminders are also posted in <#{channel}>.") == "Reminders are also posted in <#C0123ABCD>."


def test_long_text_is_split_into_sections_within_slacks_limit() -> None:
    text = "\n".join("x" * 1000 for _ in range(10))
    pieces = split_text(text, 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_the_bots_wording_names_a_workspace_not_a_server() -> None:
    from slack_app._render import bot_words

    assert bot_words("No programme has been imported for this server yet.") == (
        "No programme has been imported for this workspace yet."
    )
    assert bot_words("the server's Privacy Settings; observer") == "the workspace's Privacy Settings; observer"
