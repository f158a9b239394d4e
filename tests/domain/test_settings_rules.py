"""The settings rules shared by .env and /setup (issue 12, items 7 and 10; issue 15.7), fuzzed as well."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import NotFoundError, SettingsError, UserFacingError
from bot.domain.reminders import parse_offsets
from bot.domain.settings_rules import (
    SetupContext,
    SetupRequest,
    discord_id,
    https_link,
    plan_settings_change,
)

GUILD = 100000000000000001
ROLE = 300000000000000001
CONTEXT = SetupContext(
    community_id=GUILD, weeks=tuple(range(1, 13)), last_session_end=datetime(2020, 10, 26, tzinfo=UTC)
)


def test_a_short_id_says_how_many_digits_and_how_to_copy_it() -> None:
    with pytest.raises(SettingsError) as caught:
        discord_id("123", name="GUILD_ID", kind="server")
    assert str(caught.value) == (
        "GUILD_ID must be a Discord server id, 17-20 digits, got '123'. To copy it, turn on Developer Mode in "
        "Discord (User Settings > Advanced), then right-click the server's icon and choose Copy Server ID."
    )


@pytest.mark.parametrize("text", ["¹²³⁴⁵⁶⁷⁸⁹¹²³⁴⁵⁶⁷⁸", "١٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠١", "99999999999999999999", "1e17", " "])
def test_ids_that_isdigit_accepts_but_discord_cannot_have_are_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="17-20 digits"):
        discord_id(text, name="ORGANISER_ROLE_ID", kind="role")


def test_a_real_id_is_read() -> None:
    assert discord_id(" 100000000000000001 ", name="GUILD_ID", kind="server") == GUILD


@pytest.mark.parametrize("text", ["1 day", "2 hours", "15 mins", "1day"])
def test_durations_in_words_get_the_short_form_not_a_space_complaint(text: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_offsets(text)
    message = str(caught.value)
    assert "has a space" not in message
    assert "is not written the way the bot reads reminder times: write '" in message


def test_two_times_without_a_comma_still_say_to_use_commas() -> None:
    with pytest.raises(SettingsError, match="'24h 1h' has a space in it: separate reminder times with commas"):
        parse_offsets("24h 1h")


# --- a /setup change -------------------------------------------------------------------------------------------


def test_a_valid_change_lists_what_it_sets() -> None:
    change = plan_settings_change(
        SetupRequest(reminder_times="2h", organiser_role_id=ROLE, meeting_link=" https://zoom.us/j/1 ", week=3),
        CONTEXT,
    )
    assert dict(change.settings) == {"reminder_offsets": (timedelta(hours=2),), "organiser_role_id": ROLE}
    assert change.week_link == (3, "https://zoom.us/j/1")
    assert change.changed_labels() == ["reminder times", "organiser role", "meeting link for week 3"]


def test_nothing_asked_is_an_empty_change() -> None:
    assert plan_settings_change(SetupRequest(), CONTEXT).is_empty


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SetupRequest(ping_role_id=GUILD), "@everyone cannot be the ping role"),
        (SetupRequest(week=3), "week only applies to a meeting link"),
        (SetupRequest(meeting_link="https://x.org/a", clear="meeting link"), "both set and clear the meeting link"),
        (SetupRequest(reminder_times="5h", clear="reminder times"), "both set and clear the reminder times"),
        (SetupRequest(clear="everything"), "'everything' is not a setting that can be cleared"),
        (SetupRequest(answer_window_hours=10_000), "The answer window must be 0 to 672 hours"),
        (SetupRequest(retention_days=0), "Retention must be 1 to 3650 days"),
        (SetupRequest(meeting_link="https://[zoom.us"), "full https:// address"),
        (SetupRequest(reminder_times="1 day"), "write '1d'"),
    ],
)
def test_every_rule_refuses_with_nothing_changed(request_: SetupRequest, message: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        plan_settings_change(request_, CONTEXT)
    assert message in str(caught.value)
    assert str(caught.value).endswith("Nothing was changed.")


def test_a_week_link_for_a_week_not_in_the_programme_lists_the_valid_weeks() -> None:
    with pytest.raises(NotFoundError, match=r"There is no week 13 in this programme. Valid weeks: 1 to 12."):
        plan_settings_change(SetupRequest(meeting_link="https://x.org/a", week=13), CONTEXT)


def test_retention_is_refused_when_the_deletion_date_cannot_exist() -> None:
    # A programme stored by an older version can end in year 9999: the retention date would overflow.
    far = SetupContext(community_id=GUILD, weeks=(1,), last_session_end=datetime(9999, 12, 1, tzinfo=UTC))
    with pytest.raises(UserFacingError, match="too far in the future for a retention period"):
        plan_settings_change(SetupRequest(retention_days=3650), far)


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        SetupRequest,
        reminder_channel_id=st.none() | st.integers(0, 2**64),
        reminder_times=st.none() | st.text(max_size=30),
        ping_role_id=st.none() | st.sampled_from([GUILD, ROLE]),
        organiser_role_id=st.none() | st.integers(0, 2**64),
        meeting_link=st.none() | st.text(max_size=40) | st.just("https://[zoom.us"),
        week=st.none() | st.integers(-(2**70), 2**70),
        answer_window_hours=st.none() | st.integers(-(2**70), 2**70),
        retention_days=st.none() | st.integers(-(2**70), 2**70),
        clear=st.none() | st.text(max_size=20) | st.sampled_from(["meeting link", "retention"]),
    ),
    st.none() | st.datetimes(timezones=st.just(UTC)),
)
def test_fuzzed_setup_requests_give_only_user_facing_errors(request_: SetupRequest, end: datetime | None) -> None:
    context = SetupContext(community_id=GUILD, weeks=(1, 2, 3), last_session_end=end)
    with contextlib.suppress(UserFacingError):
        plan_settings_change(request_, context)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"[0-9 dhm,]{0,30}", fullmatch=True), st.just("9" * 5000 + "h")))
def test_fuzzed_offsets_give_only_settings_errors(text: str) -> None:
    try:
        offsets = parse_offsets(text)
    except SettingsError:
        return
    assert offsets == tuple(sorted(set(offsets), reverse=True))
    assert all(timedelta(0) < offset <= timedelta(days=14) for offset in offsets)


def test_https_links_that_urlsplit_refuses_are_refused_clearly() -> None:
    with pytest.raises(SettingsError, match="full https:// address"):
        https_link("https://[zoom.us")
