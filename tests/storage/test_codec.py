"""The datetime codec: every instant it accepts comes back unchanged, and text order is time order (issue 12.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bot.storage.codec import from_db_time, to_db_time

INSTANTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
) | st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)),
)


@given(INSTANTS)
def test_every_instant_round_trips(moment: datetime) -> None:
    text = to_db_time(moment)
    assert len(text) == 27
    assert from_db_time(text) == moment


@given(INSTANTS, INSTANTS)
def test_text_order_is_time_order(a: datetime, b: datetime) -> None:
    assert (to_db_time(a) < to_db_time(b)) == (a < b)


def test_a_year_before_1000_is_padded() -> None:
    assert to_db_time(datetime(221, 1, 4, 19, tzinfo=UTC)) == "0221-01-04T19:00:00.000000Z"


def test_an_unpadded_year_written_by_an_older_version_is_still_read() -> None:
    assert from_db_time("221-01-04T19:00:00.000000Z") == datetime(221, 1, 4, 19, tzinfo=UTC)
