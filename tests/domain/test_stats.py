"""Small-cell suppression of participation figures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.stats import HIDDEN, DisplayedWeekStats, WeekStats, complementary_suppression, display_count


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (6, "6"), (1234, "1234")],
)
def test_display_count(count: int, shown: str) -> None:
    assert display_count(count) == shown


def test_display_count_with_other_threshold() -> None:
    assert display_count(9, threshold=10) == "<10"
    assert display_count(10, threshold=10) == "10"
    assert display_count(1, threshold=1) == "1"


@pytest.mark.parametrize(("count", "threshold"), [(-1, 5), (3, 0)])
def test_display_count_refuses_nonsense(count: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        display_count(count, threshold=threshold)


def test_few_contributors_hide_the_answer_count_too() -> None:
    stats = WeekStats(week=3, title="Power", answers=12, contributors=2, threads_open=2, threads_closed=0)
    assert stats.displayed() == DisplayedWeekStats(
        week=3, title="Power", answers=HIDDEN, contributors="<5", threads_open="<5", threads_closed="0"
    )
    assert "12" not in stats.summary()
    assert stats.summary() == "Week 3: Power: answers hidden from <5 members; threads <5 open, 0 closed"


def test_enough_contributors_show_everything() -> None:
    stats = WeekStats(week=1, title="Hope", answers=42, contributors=12, threads_open=7, threads_closed=5)
    assert stats.displayed() == DisplayedWeekStats(
        week=1, title="Hope", answers="42", contributors="12", threads_open="7", threads_closed="5"
    )
    assert stats.summary() == "Week 1: Hope: 42 answers from 12 members; threads 7 open, 5 closed"


def test_no_contributors_shows_zeros() -> None:
    stats = WeekStats(week=2, title="Quiet", answers=0, contributors=0, threads_open=0, threads_closed=0)
    shown = stats.displayed()
    assert (shown.answers, shown.contributors) == ("0", "0")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(1, 10),
)
def test_no_shown_count_is_between_one_and_threshold(
    answers: int, contributors: int, threads_open: int, threads_closed: int, threshold: int
) -> None:
    shown = WeekStats(1, "T", answers, contributors, threads_open, threads_closed).displayed(threshold=threshold)
    for value in (shown.answers, shown.contributors, shown.threads_open, shown.threads_closed):
        if value.isdigit():
            assert int(value) == 0 or int(value) >= threshold


@given(st.lists(st.tuples(st.integers(0, 50), st.booleans()), max_size=12))
def test_complementary_suppression_never_leaves_one_hidden_figure_derivable(cells: list[tuple[int, bool]]) -> None:
    values = [value for value, _ in cells]
    hidden = [flag and value > 0 for value, flag in cells]  # only figures with answers are ever hidden
    result, hide_total = complementary_suppression(values, hidden)
    assert all(now or not before for before, now in zip(hidden, result, strict=True))  # never un-hides
    if not hide_total:
        assert sum(result) != 1
        assert sum(1 for value, hide in zip(values, result, strict=True) if hide and value > 0) != 1
