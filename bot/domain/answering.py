"""Answering a prompt: what is stored, what the form shows and what the member is told afterwards.

Pure: the records the storage layer returns, and the texts built from them. The rules an answer's text
must follow are in ``bot.domain.answers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.answers import ELLIPSIS, quote_for_discord, shorten
from bot.domain.consent import first_answer_note
from bot.domain.programme import Prompt

MODAL_TITLE_LIMIT = 45
LABEL_LIMIT = 45
LABEL_DESCRIPTION_LIMIT = 100
TEXT_DISPLAY_LIMIT = 4000
CONFIRMATION_QUOTE_LIMIT = 700  # enough to recognise the answer; the whole text is in /mydata
QUOTE_MAX_LINES = 12


class AnswerSource(StrEnum):
    MODAL = "modal"  # /answer or an Answer button: one current answer per member per prompt
    THREAD = "thread"  # a reply in the prompt's discussion thread: one per message


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class PromptContext:
    """A prompt with what answering it needs: its server, its session's title and end, its week's size."""

    prompt: Prompt
    community_id: int
    session_title: str
    session_end: datetime  # aware, UTC
    prompts_in_week: int

    @property
    def heading(self) -> str:
        return f"Week {self.prompt.week} · prompt {self.prompt.number} of {self.prompts_in_week}"


@dataclass(frozen=True, slots=True)
class Answer:
    id: int
    community_id: int
    prompt_id: int
    user_id: int
    source: AnswerSource
    text: str
    created_at: datetime
    updated_at: datetime
    late: bool
    message_id: int | None = None  # the thread message a contribution came from


@dataclass(frozen=True, slots=True)
class AnswerForm:
    """What the answer form needs: the prompt, the member's current answer, whether to ask for consent."""

    context: PromptContext
    current_text: str | None
    needs_consent: bool


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    answer: Answer
    context: PromptContext
    outcome: SaveOutcome
    consent_recorded: bool  # this answer was the member's first: their consent was recorded with it


def answer_modal_title(context: PromptContext) -> str:
    """The form's title: the week and its topic, within Discord's 45 characters."""
    return shorten(f"Week {context.prompt.week} · {context.session_title}", MODAL_TITLE_LIMIT)


def prompt_display(context: PromptContext) -> str:
    """The whole prompt for the form (labels hold only 45 characters, a text display 4000)."""
    text = f"**{context.heading}**\n{context.prompt.text}"
    if len(text) > TEXT_DISPLAY_LIMIT:
        text = text[: TEXT_DISPLAY_LIMIT - 1].rstrip() + "…"
    return text


def block_quote(text: str, limit: int, *, max_lines: int = QUOTE_MAX_LINES) -> str:
    """The start of ``text``, escaped (no pings, no markdown), as a Discord block quote.

    At most ``limit`` characters of text in at most ``max_lines`` lines, so the quote's length is
    bounded however many line breaks the answer has.
    """
    lines = quote_for_discord(text, limit).split("\n")
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + ELLIPSIS
    return "\n".join(f"> {line}" for line in lines)


def confirmation_text(saved: SavedAnswer) -> str:
    """The private reply after a submission: what was saved, whether it replaced one, whether it is late."""
    before, after = confirmation_parts(saved)
    return "\n".join([before, block_quote(saved.answer.text, CONFIRMATION_QUOTE_LIMIT), *after])


def confirmation_parts(saved: SavedAnswer, *, platform: str = "Discord") -> tuple[str, list[str]]:
    """The confirmation's line before the quoted answer and its lines after, for each front end to render
    around its own quote of the member's words."""
    where = saved.context.heading
    if saved.outcome is SaveOutcome.UNCHANGED:
        before = f"Your answer to {where} is unchanged:"
    elif saved.outcome is SaveOutcome.UPDATED:
        before = f"Updated your answer to {where}. Your earlier version is kept in your history (`/mydata`):"
    else:
        before = f"Saved your answer to {where}:"
    after: list[str] = []
    if saved.answer.late and saved.outcome is not SaveOutcome.UNCHANGED:
        after.append(
            "It arrived after this week's answer window closed, so it is kept and marked late for the organisers."
        )
    after.append("You can change it any time with `/answer` or the Answer button.")
    if saved.consent_recorded:
        after.append(first_answer_note(platform))
    return before, after
