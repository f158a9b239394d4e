"""Answer rules: cleaning, limits, lateness, and safe echoing into Discord."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.answers import (
    ELLIPSIS,
    MAX_ANSWER_LENGTH,
    ZERO_WIDTH_SPACE,
    answer_deadline,
    clean_answer_text,
    is_late,
    quote_for_discord,
    shorten,
)
from bot.domain.errors import AnswerRejectedError, UserFacingError

# --- clean_answer_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("  I agree.  ", "I agree.", id="strips-surrounding-whitespace"),
        pytest.param("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour", id="line-endings"),
        pytest.param("a\u2028b\u2029c\u0085d", "a\nb\nc\nd", id="unicode-line-separators"),
        pytest.param("tab\there", "tab\there", id="keeps-tab"),
        pytest.param("nu\x00l be\x07ll del\x7f c1\x9b", "nul bell del c1", id="control-chars"),
        pytest.param("abc\u202edcba\u202c", "abcdcba", id="rtl-override"),
        pytest.param("x\u2066y\u2067z\u2068w\u2069", "xyzw", id="isolates"),
        pytest.param("\u200eleft\u200f \u061cmark", "left mark", id="marks"),
        pytest.param("hid\u200bden\ufeff word\u2060joined", "hidden wordjoined", id="zero-width-hiding"),
        pytest.param("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧", id="keeps-zwj-emoji"),
        pytest.param("می\u200cخواهم", "می\u200cخواهم", id="keeps-zwnj-persian"),
        pytest.param("שלום עולם", "שלום עולם", id="rtl-text-untouched"),
        pytest.param("🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f", None, id="wales-flag"),
    ],
)
def test_clean_answer_text(raw: str, expected: str | None) -> None:
    assert clean_answer_text(raw) == (raw if expected is None else expected)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t  ", id="whitespace"),
        pytest.param("\x00\x01\x02\x1b\x7f\x85\x9f", id="controls-only"),
        pytest.param("\u202e\u2066\u200b\ufeff", id="bidi-and-zero-width-only"),
        pytest.param("\u200d\u200c", id="joiners-only"),
        pytest.param("\x00" * 100_000, id="100k-nuls"),
    ],
)
def test_blank_answers_are_refused(raw: str) -> None:
    with pytest.raises(AnswerRejectedError, match="empty"):
        clean_answer_text(raw)


def test_length_limit_counts_code_points_after_cleaning() -> None:
    assert len(clean_answer_text("é" * MAX_ANSWER_LENGTH)) == MAX_ANSWER_LENGTH
    assert len(clean_answer_text("🙂" * MAX_ANSWER_LENGTH)) == MAX_ANSWER_LENGTH  # not UTF-16 units
    # Removed characters and surrounding whitespace do not count towards the limit.
    assert clean_answer_text("  " + "a\u200b" * MAX_ANSWER_LENGTH + "\n") == "a" * MAX_ANSWER_LENGTH


@pytest.mark.parametrize("length", [MAX_ANSWER_LENGTH + 1, 100_000])
def test_too_long_is_refused_with_length_and_limit(length: int) -> None:
    with pytest.raises(AnswerRejectedError) as caught:
        clean_answer_text("x" * length)
    assert f"{length:,}" in caught.value.message
    assert "4,000" in caught.value.message
    assert isinstance(caught.value, UserFacingError)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_cleaning_is_idempotent_and_leaves_no_hidden_characters(raw: str) -> None:
    try:
        cleaned = clean_answer_text(raw)
    except AnswerRejectedError:
        return
    assert clean_answer_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "\r" not in cleaned
    assert not re.search(
        "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]", cleaned
    )


# --- deadlines ------------------------------------------------------------------------------------

END = datetime(2020, 8, 3, 20, 0, tzinfo=UTC)  # Monday 21:00 BST


def test_no_window_means_never_late() -> None:
    assert answer_deadline(END, None) is None
    assert not is_late(END, None, END + timedelta(days=365))


def test_late_only_after_the_window() -> None:
    window = timedelta(days=2)
    assert answer_deadline(END, window) == END + window
    assert not is_late(END, window, END + window)  # exactly at the deadline is on time
    assert is_late(END, window, END + window + timedelta(seconds=1))
    assert not is_late(END, window, END - timedelta(hours=1))


def test_lateness_compares_instants_not_wall_clocks() -> None:
    bst = timezone(timedelta(hours=1))
    assert not is_late(END, timedelta(0), datetime(2020, 8, 3, 21, 0, tzinfo=bst))
    assert is_late(END, timedelta(0), datetime(2020, 8, 3, 21, 1, tzinfo=bst))


def test_naive_datetimes_and_negative_windows_are_refused() -> None:
    naive = datetime(2020, 8, 3, 20, 0)
    with pytest.raises(ValueError):
        answer_deadline(naive, None)
    with pytest.raises(ValueError):
        is_late(END, timedelta(hours=1), naive)
    with pytest.raises(ValueError):
        is_late(naive, timedelta(hours=1), END)
    with pytest.raises(ValueError):
        answer_deadline(END, timedelta(hours=-1))


# --- quote_for_discord ----------------------------------------------------------------------------


def _unescape_discord(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL).replace(ZERO_WIDTH_SPACE, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "**bold** _it_ ~~s~~ `c` ||spoiler||", r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`c\` \|\|spoiler\|\|", id="inline"
        ),
        pytest.param("# Heading", r"\# Heading", id="heading"),
        pytest.param("-# subtext", r"\-\# subtext", id="subtext"),
        pytest.param("> quote\n>>> block", "\\> quote\n\\>\\>\\> block", id="quotes"),
        pytest.param("- item\n* item", "\\- item\n\\* item", id="bullets"),
        pytest.param("1. first\n  2) second\nnot 3. here", "1\\. first\n  2\\) second\nnot 3. here", id="numbered"),
        pytest.param("[click](https://evil.example)", r"\[click\]\(https://evil.example)", id="masked-link"),
        pytest.param("back\\slash", "back\\\\slash", id="backslash"),
        pytest.param("see https://example.com/a_b-c_(d)", "see https://example.com/a_b-c_(d)", id="url-untouched"),
    ],
)
def test_quote_escapes_markdown(text: str, expected: str) -> None:
    assert quote_for_discord(text, 2000) == expected


@pytest.mark.parametrize(
    "mention",
    [
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "<@!123456789012345678>",
        "<@&123456789012345678>",
        "<#123456789012345678>",
    ],
)
def test_quote_neutralises_mentions(mention: str) -> None:
    quoted = quote_for_discord(f"hey {mention} look", 2000)
    assert mention not in quoted
    assert not re.search(r"@(everyone|here)|<[@#]", quoted)
    assert _unescape_discord(quoted) == f"hey {mention} look"


def test_quote_neutralises_everyone_inside_a_url() -> None:
    assert "@everyone" not in quote_for_discord("https://example.com/@everyone", 2000)


def test_quote_cuts_between_escapes_with_ellipsis() -> None:
    assert quote_for_discord("*" * 10, 7) == "\\*\\*\\*" + ELLIPSIS
    assert quote_for_discord("*" * 10, 8) == "\\*\\*\\*" + ELLIPSIS  # never a lone trailing backslash
    assert quote_for_discord("@everyone", 2) == ELLIPSIS  # never '@' without its zero-width space
    assert quote_for_discord("short", 5) == "short"
    assert quote_for_discord("shorter", 6) == "short" + ELLIPSIS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=1, max_value=300))
def test_quote_properties(text: str, limit: int) -> None:
    quoted = quote_for_discord(text, limit)
    full = quote_for_discord(text, 10**6)
    assert len(quoted) <= limit
    assert not re.search(r"@(everyone|here)|<[@#]", quoted)
    if len(full) <= limit:
        assert quoted == full
    else:
        assert quoted.endswith(ELLIPSIS)
        body = quoted.removesuffix(ELLIPSIS)
        # The cut falls between escapes: no dangling backslash, and the body is a prefix of the whole.
        assert not re.search(r"(?<!\\)(\\\\)*\\$", body)
        assert full.startswith(body)
    if "://" not in text:  # links are deliberately left unescaped
        assert _unescape_discord(full) == text.replace(ZERO_WIDTH_SPACE, "")


def test_quote_refuses_zero_limit() -> None:
    with pytest.raises(ValueError):
        quote_for_discord("x", 0)


# --- shorten --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        pytest.param("Short prompt", 40, "Short prompt", id="fits"),
        pytest.param("  What   do\n you\tthink? ", 40, "What do you think?", id="collapses-whitespace"),
        pytest.param("What do you think about the future of the party?", 20, "What do you think…", id="word-boundary"),
        pytest.param("Supercalifragilisticexpialidocious", 10, "Supercali…", id="long-word-cut"),
        pytest.param("One, two, three, four", 11, "One, two…", id="drops-trailing-punctuation"),
        pytest.param("abc", 1, "…", id="width-one"),
        pytest.param("abcdef", 6, "abcdef", id="exact-fit"),
    ],
)
def test_shorten(text: str, width: int, expected: str) -> None:
    assert shorten(text, width) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=1, max_value=120))
def test_shorten_properties(text: str, width: int) -> None:
    short = shorten(text, width)
    assert len(short) <= width
    assert "\n" not in short
    collapsed = " ".join(text.split())
    if len(collapsed) <= width:
        assert short == collapsed
    else:
        assert short.endswith(ELLIPSIS)
        assert collapsed.startswith(short.removesuffix(ELLIPSIS))


def test_shorten_refuses_zero_width() -> None:
    with pytest.raises(ValueError):
        shorten("x", 0)


def test_a_deadline_past_the_end_of_time_is_the_end_of_time() -> None:
    # An older version could store a session in year 9999: answering it must not fail.
    from bot.domain.answers import answer_deadline

    end = datetime(9999, 12, 31, 21, tzinfo=UTC)
    assert answer_deadline(end, timedelta(days=28)) == datetime.max.replace(tzinfo=UTC)
