"""The answer form's texts and the confirmation a member gets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.answering import (
    CONFIRMATION_QUOTE_LIMIT,
    MODAL_TITLE_LIMIT,
    QUOTE_MAX_LINES,
    TEXT_DISPLAY_LIMIT,
    Answer,
    AnswerSource,
    PromptContext,
    SavedAnswer,
    SaveOutcome,
    answer_modal_title,
    block_quote,
    confirmation_text,
    prompt_display,
)
from bot.domain.answers import MAX_ANSWER_LENGTH
from bot.domain.consent import CONSENT_NOTICE, FIRST_ANSWER_NOTE
from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.programme import Prompt

NOW = datetime(2020, 10, 20, 12, tzinfo=UTC)


def context(
    *, title: str = "Supporting our campaigners & candidates", text: str = "How might this audit work?"
) -> PromptContext:
    return PromptContext(
        prompt=Prompt(id=7, session_id=3, week=8, number=2, text=text),
        community_id=1,
        session_title=title,
        session_end=NOW,
        prompts_in_week=3,
    )


def saved(
    text: str, outcome: SaveOutcome = SaveOutcome.CREATED, *, late: bool = False, first: bool = False
) -> SavedAnswer:
    answer = Answer(7, 1, 7, 42, AnswerSource.MODAL, text, NOW, NOW, late)
    return SavedAnswer(answer=answer, context=context(), outcome=outcome, consent_recorded=first)


def test_modal_title_names_the_week_within_45_characters() -> None:
    title = answer_modal_title(context())
    assert title.startswith("Week 8 · Supporting")
    assert len(title) <= MODAL_TITLE_LIMIT
    assert answer_modal_title(context(title="Strategy")) == "Week 8 · Strategy"


def test_prompt_display_shows_the_whole_prompt_and_where_it_sits() -> None:
    long_prompt = "Why? " * 300
    shown = prompt_display(context(text=long_prompt))
    assert shown.startswith("**Week 8 · prompt 2 of 3**\n")
    assert long_prompt.strip() in shown


def test_prompt_display_is_cut_to_what_a_text_display_holds() -> None:
    shown = prompt_display(context(text="x" * 5000))
    assert len(shown) == TEXT_DISPLAY_LIMIT and shown.endswith("…")


def test_consent_notice_says_what_who_and_how_and_fits_a_text_display() -> None:
    assert len(CONSENT_NOTICE) <= TEXT_DISPLAY_LIMIT
    for needed in ("Discord user id", "your answers", "when you", "organisers", "pseudonym", "/mydata delete"):
        assert needed in CONSENT_NOTICE
    assert "/mydata" in FIRST_ANSWER_NOTE


def test_confirmation_of_a_first_answer_quotes_it_and_repeats_the_data_pointer() -> None:
    text = confirmation_text(saved("I think **local** parties matter", first=True))
    assert text.startswith("Saved your answer to Week 8 · prompt 2 of 3:\n> I think \\*\\*local\\*\\* parties")
    assert FIRST_ANSWER_NOTE in text
    assert "late" not in text


def test_confirmation_says_update_and_late() -> None:
    text = confirmation_text(saved("Changed my mind", SaveOutcome.UPDATED, late=True))
    assert text.startswith("Updated your answer to Week 8 · prompt 2 of 3. Your earlier version is kept")
    assert "marked late" in text
    assert FIRST_ANSWER_NOTE not in text


def test_confirmation_of_an_unchanged_answer_says_so() -> None:
    assert confirmation_text(saved("Same", SaveOutcome.UNCHANGED, late=True)).startswith(
        "Your answer to Week 8 · prompt 2 of 3 is unchanged:"
    )


def test_confirmation_never_pings() -> None:
    text = confirmation_text(saved("@everyone @here <@123> <@&456> <#789>"))
    for mention in ("@everyone", "@here", "<@123>", "<@&456>", "<#789>"):
        assert mention not in text


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("x" * MAX_ANSWER_LENGTH, id="longest"),
        pytest.param("\n".join("a" for _ in range(2000)), id="many-lines"),
        pytest.param("*" * MAX_ANSWER_LENGTH, id="all-escaped"),
        pytest.param("\n\n".join("@everyone" for _ in range(400)), id="mentions"),
    ],
)
def test_confirmation_fits_a_message_whatever_the_answer(answer: str) -> None:
    text = confirmation_text(saved(answer, SaveOutcome.UPDATED, late=True, first=True))
    assert len(text) <= MESSAGE_LIMIT


@given(st.text(min_size=1, max_size=MAX_ANSWER_LENGTH))
def test_block_quote_is_bounded_and_every_line_is_quoted(answer: str) -> None:
    quoted = block_quote(answer, CONFIRMATION_QUOTE_LIMIT)
    lines = quoted.split("\n")
    assert len(lines) <= QUOTE_MAX_LINES
    assert all(line.startswith("> ") for line in lines)
    assert len(quoted) <= CONFIRMATION_QUOTE_LIMIT + 3 * QUOTE_MAX_LINES
