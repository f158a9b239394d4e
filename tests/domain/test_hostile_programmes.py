"""Programme files written carelessly or with ill intent: each gets a clear refusal, never a traceback or a hang.

Issue 12 (items 1, 2 and 6) and issue 15.3. The fuzz tests feed both parsers text they were never meant to
read: only the project's user-facing errors may come out.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidTimeError, ProgrammeFormatError, UserFacingError
from bot.domain.parsers import MAX_FILE_BYTES, parse_listing, parse_programme_file, parse_programme_toml
from bot.domain.programme import redate
from tests.conftest import PROGRAMME_TOML, SEED_LISTING

SEED_TOML = PROGRAMME_TOML.read_text(encoding="utf-8")
SEED_TEXT = SEED_LISTING.read_text(encoding="utf-8")
HEAD = 'title = "P"\ntimezone = "Europe/London"\n\n'
SESSION = (
    '[[sessions]]\nweek = 1\ntitle = "One"\ndate = 2020-08-03\nstart = "19:00"\nend = "21:00"\n'
    'location = "Zoom"\ndescription = "D?"\nprompts = ["D?"]\n'
)
LISTING_HEAD = "Programme\nIntro line.\n"
LISTING_SESSION = "Date: 3/8/2020 Time: 19:00 - 21:00 Location: Zoom\nWhat now?\n"


def finishes(work: Any, seconds: float = 60.0) -> Any:
    """Run ``work`` and return what it returned or raised; fail if it has not finished (a hang, not a timing)."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed back to the test
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still running after {seconds:.0f} s: the parser does not finish"
    return outcome[0]


# --- item 1: dates outside the window ---------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0221-01-04", "1999-12-31", "2101-01-01", "9999-12-27"])
def test_a_toml_date_outside_2000_to_2100_is_refused_at_its_line(day: str) -> None:
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_programme_toml(HEAD + SESSION.replace("2020-08-03", day), source="p.toml")
    assert caught.value.line == 7  # the date = line
    assert "outside the dates this bot works with; expected a date from 2000 to 2100" in str(caught.value)


def test_a_listing_date_in_year_221_is_refused() -> None:
    with pytest.raises(ProgrammeFormatError, match=r"l.txt, line 3: the date '4/1/0221' is outside the dates"):
        parse_listing(LISTING_HEAD + LISTING_SESSION.replace("3/8/2020", "4/1/0221"), timezone="UTC", source="l.txt")


@pytest.mark.parametrize("start", [date(221, 1, 4), date(2101, 1, 4), date(1, 1, 1), date(9999, 12, 31)])
def test_redating_outside_the_window_is_refused(start: date) -> None:
    programme = parse_programme_toml(SEED_TOML)
    with pytest.raises(UserFacingError, match="outside the dates this bot works with"):
        redate(programme, start)


def test_redating_that_pushes_a_later_session_past_2100_is_refused() -> None:
    programme = parse_programme_toml(SEED_TOML)  # 12 weeks: the last session is 12 weeks after the first
    with pytest.raises(UserFacingError, match=r"week \d+, moved to 2101-01-\d\d, is outside"):
        redate(programme, date(2100, 11, 1))


# --- item 2: no quadratic backtracking ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Date: 3/8/2020 Time: 19:00 - 21:00 Location: Z" + " " * 200_000 + "oom",
        "Week 1: A" + " " * 200_000 + "title",
    ],
)
def test_a_long_run_of_spaces_does_not_freeze_the_listing_parser(line: str) -> None:
    # Before the fix this took minutes (quadratic backtracking); now it is read like any other line.
    text = LISTING_HEAD + line + "\n" + ("" if line.startswith("Date") else LISTING_SESSION)
    outcome = finishes(lambda: parse_listing(text, timezone="Europe/London", source="big.txt"))
    assert not isinstance(outcome, BaseException) or isinstance(outcome, UserFacingError), outcome


def test_the_worst_1_mb_listing_is_read_or_refused_not_hung() -> None:
    line = "Date: 3/8/2020 Time: 19:00 - 21:00 Location: Z" + " " * 4000 + "x\n"
    text = LISTING_HEAD + line * (MAX_FILE_BYTES // len(line) - 1)
    outcome = finishes(lambda: parse_programme_file(text.encode(), filename="big.txt", default_timezone="UTC"))
    assert isinstance(outcome, ProgrammeFormatError)  # a thousand sessions without weeks, all in week order...
    assert "big.txt" in str(outcome)


# --- item 6: refusals instead of tracebacks -------------------------------------------------------------------


def test_deeply_nested_toml_is_refused_clearly() -> None:
    text = HEAD + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(ProgrammeFormatError, match="nested too deeply"):
        parse_programme_toml(text, source="deep.toml")


def test_a_week_of_5000_digits_in_a_listing_is_refused() -> None:
    text = LISTING_HEAD + "Week " + "9" * 5000 + ": Long\n" + LISTING_SESSION
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_listing(text, timezone="UTC", source="l.txt")
    assert "expected a whole number from 1 to 9999" in str(caught.value)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("week", ["100000000000000000000", "0", "-3", "10000", "9" * 5000])
def test_a_toml_week_out_of_range_is_refused(week: str) -> None:
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_programme_toml(HEAD + SESSION.replace("week = 1", f"week = {week}"), source="p.toml")
    assert len(str(caught.value)) < 300


def test_a_meeting_link_urlsplit_cannot_read_is_refused() -> None:
    text = HEAD + SESSION.replace("description", 'meeting_link = "https://[zoom.us"\ndescription')
    with pytest.raises(ProgrammeFormatError, match=r"p.toml, line 11: week 1: meeting link 'https://\[zoom.us' is not"):
        parse_programme_toml(text, source="p.toml")


def test_a_long_bad_value_is_quoted_short() -> None:
    text = HEAD + SESSION.replace('start = "19:00"', f'start = "{"9" * 100_000}"')
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_programme_toml(text, source="p.toml")
    assert len(str(caught.value)) < 300


# --- issue 15.3: errors point at the key, name the file, help with clock changes --------------------------------


def test_a_bad_date_is_reported_at_its_own_line_not_at_its_sessions_header() -> None:
    lines = SEED_TOML.splitlines()
    header = lines.index("[[sessions]]")
    date_line = next(n for n in range(header, len(lines)) if lines[n].startswith("date = "))
    lines[date_line] = 'date = "2020-13-03"'
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_programme_toml("\n".join(lines), source="programme.toml")
    assert caught.value.line == date_line + 1 != header + 1
    assert str(caught.value).startswith(
        f"programme.toml, line {date_line + 1}: '2020-13-03' is not a date on the calendar"
    )


def test_an_unknown_time_zone_names_the_file_and_line() -> None:
    text = SEED_TOML.replace('timezone = "Europe/London"', 'timezone = "America/NewYork"')
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_programme_file(text.encode(), filename="programme.toml", default_timezone="UTC")
    line = SEED_TOML.splitlines().index('timezone = "Europe/London"') + 1
    assert str(caught.value).startswith(f"programme.toml, line {line}: unknown time zone 'America/NewYork'")


def test_a_time_skipped_by_the_clocks_names_the_file_and_suggests_the_nearest_valid_times() -> None:
    text = HEAD + SESSION.replace("2020-08-03", "2020-03-29").replace('"19:00"', '"01:30"')
    with pytest.raises(InvalidTimeError) as caught:
        parse_programme_file(text.encode(), filename="spring.toml", default_timezone="UTC")
    assert str(caught.value) == (
        "spring.toml, line 8: week 1 start: 2020-03-29 01:30 does not exist in Europe/London (the clocks go "
        "forward then); the nearest valid times are 00:59 and 02:00"
    )


def test_a_time_repeated_by_the_clocks_names_the_file() -> None:
    text = HEAD + SESSION.replace("2020-08-03", "2020-10-25").replace('"19:00"', '"00:30"').replace(
        '"21:00"', '"01:30"'
    )
    with pytest.raises(InvalidTimeError, match=r"^autumn.toml, line 9: week 1 end: 2020-10-25 01:30 happens twice"):
        parse_programme_file(text.encode(), filename="autumn.toml", default_timezone="UTC")


def test_a_session_without_prompts_gets_a_warning_not_a_refusal() -> None:
    programme = parse_programme_toml(HEAD + SESSION.replace('prompts = ["D?"]', "prompts = []"), source="p.toml")
    assert len(programme.sessions) == 1
    assert programme.warnings == (
        "p.toml, line 4: week 1 has no prompts, so members cannot answer anything for it; add prompts = "
        "[\"...?\"] (or, in a listing, questions ending in '?')",
    )
    assert parse_programme_toml(SEED_TOML).warnings == ()


# --- fuzzing: only user-facing errors escape ----------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _mutations(text: str) -> st.SearchStrategy[str]:
    lines = text.splitlines()
    junk = st.one_of(
        st.text(max_size=40),
        st.sampled_from(["[", "]]", "=", '"', "Week 99999999999:", "Date: 31/2/2020", "Time:", "9" * 50, "\x00"]),
    )
    return st.lists(st.tuples(st.integers(0, len(lines) - 1), junk), min_size=1, max_size=4).map(
        lambda edits: "\n".join(_apply(lines, edits))
    )


def _apply(lines: list[str], edits: list[tuple[int, str]]) -> list[str]:
    changed = list(lines)
    for index, junk in edits:
        cut = len(changed[index]) // 2
        changed[index] = changed[index][:cut] + junk + changed[index][cut:]
    return changed


@FUZZ
@given(st.one_of(_mutations(SEED_TOML), st.text(max_size=300)))
def test_fuzzed_toml_gives_only_user_facing_errors(text: str) -> None:
    with contextlib.suppress(UserFacingError):
        parse_programme_file(text.encode("utf-8", "surrogatepass"), filename="f.toml", default_timezone="UTC")


@FUZZ
@given(st.one_of(_mutations(SEED_TEXT), st.text(max_size=300)))
def test_fuzzed_listings_give_only_user_facing_errors(text: str) -> None:
    with contextlib.suppress(UserFacingError):
        parse_programme_file(text.encode("utf-8", "surrogatepass"), filename="f.txt", default_timezone="UTC")


@FUZZ
@given(st.binary(max_size=300))
def test_fuzzed_bytes_give_only_user_facing_errors(data: bytes) -> None:
    for name in ("f.toml", "f.txt"):
        with contextlib.suppress(UserFacingError):
            parse_programme_file(data, filename=name, default_timezone="Europe/London")
