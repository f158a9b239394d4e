"""Neutral platform ids: Slack's text ids and message timestamps encode exactly into negative int64s."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.platform_ids import (
    ALPHABET,
    INT64_MAX,
    INT64_MIN,
    MAX_ID_LENGTH,
    external_id,
    int_to_slack_id,
    int_to_slack_ts,
    is_slack_ts,
    platform_of,
    slack_id_to_int,
    slack_ts_to_int,
)
from bot.domain.threads import posted_at

slack_ids = st.text(alphabet=ALPHABET, min_size=1, max_size=MAX_ID_LENGTH)
slack_ts = st.builds(
    lambda seconds, micros: f"{seconds}.{micros:06d}",
    st.integers(min_value=0, max_value=10**10 - 1),
    st.integers(min_value=0, max_value=999_999),
)
snowflakes = st.integers(min_value=1, max_value=INT64_MAX)


@given(slack_ids)
def test_a_slack_id_round_trips_through_a_negative_int64(slack_id: str) -> None:
    number = slack_id_to_int(slack_id)
    assert INT64_MIN <= number < 0
    assert int_to_slack_id(number) == slack_id
    assert platform_of(number) == "slack"
    assert not is_slack_ts(number)
    assert external_id(number) == slack_id


@given(slack_ts)
def test_a_message_timestamp_round_trips_through_a_negative_int64(ts: str) -> None:
    number = slack_ts_to_int(ts)
    assert INT64_MIN <= number < 0
    assert int_to_slack_ts(number) == ts
    assert platform_of(number) == "slack"
    assert is_slack_ts(number)
    assert external_id(number) == ts


@given(slack_ts, slack_ts)
def test_a_later_message_timestamp_is_a_larger_number_as_a_later_discord_message_id_is(a: str, b: str) -> None:
    # Repositories compare message ids ("replies after the thread's parent", "the newest reminder sent").
    as_time = (int(a.split(".")[0]), int(a.split(".")[1])) < (int(b.split(".")[0]), int(b.split(".")[1]))
    assert (slack_ts_to_int(a) < slack_ts_to_int(b)) == as_time


@given(slack_ids, slack_ids)
def test_different_ids_never_share_a_number(a: str, b: str) -> None:
    assert (slack_id_to_int(a) == slack_id_to_int(b)) == (a == b)


@given(slack_ids, slack_ts)
def test_ids_and_timestamps_never_meet(slack_id: str, ts: str) -> None:
    assert slack_id_to_int(slack_id) != slack_ts_to_int(ts)
    with pytest.raises(ValueError):
        int_to_slack_ts(slack_id_to_int(slack_id))
    with pytest.raises(ValueError):
        int_to_slack_id(slack_ts_to_int(ts))


@given(snowflakes)
def test_discord_snowflakes_are_themselves_and_never_decode_as_slack(snowflake: int) -> None:
    assert platform_of(snowflake) == "discord"
    assert external_id(snowflake) == str(snowflake)
    with pytest.raises(ValueError):
        int_to_slack_id(snowflake)
    with pytest.raises(ValueError):
        int_to_slack_ts(snowflake)


def test_leading_zeros_and_the_longest_ids_are_kept() -> None:
    assert slack_id_to_int("0") != slack_id_to_int("00")
    assert int_to_slack_id(slack_id_to_int("000")) == "000"
    longest = "Z" * MAX_ID_LENGTH
    assert int_to_slack_id(slack_id_to_int(longest)) == longest
    assert slack_ts_to_int("9999999999.999999") >= INT64_MIN


def test_known_examples() -> None:
    for text in ("T0123ABCD", "U024BE7LH", "C1H9RESGL", "E0AB12CD3", "W0ABCDEFG", "S0614TZR7", "F0S43PZDF"):
        assert int_to_slack_id(slack_id_to_int(text)) == text
    assert int_to_slack_ts(slack_ts_to_int("1712345678.123456")) == "1712345678.123456"
    assert slack_ts_to_int("1712345678.000002") - slack_ts_to_int("1712345678.000001") == 1


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "u0123abcd",  # lower case
        "T0123-ABCD",
        "T 123",
        "T0123ABCD\n",
        "T" * (MAX_ID_LENGTH + 1),
        "T０１２３",  # full-width digits
        "Tٰ123",
        "Ü0123",
    ],
)
def test_ids_outside_the_encodable_form_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Slack id"):
        slack_id_to_int(bad)


@given(st.text(min_size=1, max_size=20).filter(lambda s: not (set(s) <= set(ALPHABET) and len(s) <= MAX_ID_LENGTH)))
def test_any_other_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        slack_id_to_int(text)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "1712345678",
        "1712345678.12345",  # five digits: would not round-trip
        "1712345678.1234567",
        "01712345678.123456",  # a leading zero: would not round-trip
        "17123456789.123456",  # beyond ten digits of seconds
        "-1.000000",
        " 1712345678.123456",
        "1712345678,123456",
        "１712345678.123456",
        "1712345678.12345٣",
    ],
)
def test_timestamps_outside_slacks_form_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        slack_ts_to_int(bad)


@pytest.mark.parametrize("bad", [None, 123, 1.5, b"T0123"])
def test_non_text_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        slack_id_to_int(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        slack_ts_to_int(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, INT64_MAX + 1, INT64_MIN - 1, True, 1.0, "5"])
def test_numbers_that_are_no_platform_id_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        platform_of(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=INT64_MIN, max_value=-1))
def test_every_negative_int64_decodes_to_one_kind_or_is_refused(number: int) -> None:
    try:
        text = int_to_slack_ts(number) if is_slack_ts(number) else int_to_slack_id(number)
    except ValueError:
        return
    again = slack_ts_to_int(text) if is_slack_ts(number) else slack_id_to_int(text)
    assert again == number


def test_a_message_id_tells_when_it_was_posted_on_either_platform() -> None:
    assert posted_at(slack_ts_to_int("1712345678.500000")) == datetime(2024, 4, 5, 19, 34, 38, 500000, tzinfo=UTC)
    # Discord's own example snowflake (developers/reference.mdx, Snowflakes): 2016-04-30 11:18:25.796 UTC.
    assert posted_at(175928847299117063) == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)
