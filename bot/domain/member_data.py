"""A member's own data: what /mydata shows, exports and erases. Pure.

Everything here is about one member and is only ever shown to that member. A member's rights do not depend on
where they ask: /mydata, in a DM or in any server, covers every community holding their data (servers they or
the bot left included, while the data is kept), each named by its name where the bot knows it, else its id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.answering import Answer, AnswerSource, block_quote
from bot.domain.answers import shorten
from bot.domain.discord_text import timestamp

PAGE_BUDGET = 3800  # characters of a /mydata page, inside the 4096 of an embed description
SHOW_QUOTE_LIMIT = 900  # of one answer on a page; /mydata export has every answer whole
PROMPT_SHOWN = 90
EXPORT_FORMAT_VERSION = 1
EVERYWHERE_FORMAT_VERSION = 2  # one document for every community: {"servers": [version 1's fields, ...]}


@dataclass(frozen=True, slots=True)
class AnswerVersion:
    """An earlier text of an answer, kept when the member edited it."""

    text: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class MemberAnswer:
    """One of the member's answers with the prompt it answers and its earlier versions (oldest first)."""

    answer: Answer
    week: int
    prompt_number: int
    prompt_text: str
    versions: tuple[AnswerVersion, ...] = ()


@dataclass(frozen=True, slots=True)
class ReminderDelivery:
    """A reminder the bot sent (or was to send) to the member by DM."""

    week: int
    due_at: datetime
    state: str


@dataclass(frozen=True, slots=True)
class DataSection:
    """A further part of the member's data, kept by another feature (deliberation's votes and statements)."""

    key: str  # its key in the /mydata export
    shown: tuple[str, ...]  # entries for /mydata show
    exported: Any  # JSON-ready
    items: tuple[str, ...]  # what erasing it deletes, as listed to the member ("3 votes in deliberations")


@dataclass(frozen=True, slots=True)
class MemberData:
    community_id: int
    user_id: int
    consented_at: datetime | None
    answers: tuple[MemberAnswer, ...]  # by week, prompt, then time
    dm_subscribed_at: datetime | None
    dm_reminders: tuple[ReminderDelivery, ...]
    interested_weeks: tuple[int, ...] = ()  # sessions whose Discord event the member marked Interested
    dm_opted_out_at: datetime | None = None  # when they turned reminder DMs off (/reminders off)
    sections: tuple[DataSection, ...] = ()

    @property
    def is_empty(self) -> bool:
        return (
            self.consented_at is None
            and not self.answers
            and self.dm_subscribed_at is None
            and not self.dm_reminders
            and not self.interested_weeks
            and self.dm_opted_out_at is None
            and not self.sections
        )


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What was (or would be) erased for one member."""

    answers: int
    versions: int
    consent: bool
    dm_subscription: bool
    dm_reminders: int
    interest: int = 0  # sessions' events the member was marked Interested in
    dm_opt_out: bool = False  # the record that they turned reminder DMs off
    other: tuple[str, ...] = ()  # the further sections' items (``DataSection.items``)

    @property
    def nothing(self) -> bool:
        return not (
            self.answers
            or self.versions
            or self.consent
            or self.dm_subscription
            or self.dm_reminders
            or self.interest
            or self.dm_opt_out
            or self.other
        )

    def items(self) -> list[str]:
        found: list[str] = []
        if self.answers:
            found.append(_count(self.answers, "answer"))
        if self.versions:
            found.append(_count(self.versions, "earlier version") + " of edited answers")
        if self.consent:
            found.append("the record of when you agreed to us keeping your answers")
        if self.dm_subscription:
            found.append("your subscription to reminder DMs")
        if self.dm_reminders:
            found.append(_count(self.dm_reminders, "record") + " of reminder DMs sent to you")
        if self.interest:
            found.append(_count(self.interest, "record") + " of sessions you marked Interested in Discord's Events")
        if self.dm_opt_out:
            found.append("the record that you turned reminder DMs off")
        found.extend(self.other)
        return found


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


# --- /mydata show ----------------------------------------------------------------------------------------


def answer_entry(item: MemberAnswer) -> str:
    """One answer on a /mydata page: which prompt, when, and the (start of the) text."""
    answer = item.answer
    heading = f"**Week {item.week} · prompt {item.prompt_number}** · {shorten(item.prompt_text, PROMPT_SHOWN)}"
    details = [
        "thread reply" if answer.source is AnswerSource.THREAD else "answer",
        f"written {timestamp(answer.created_at, 'f')}",
    ]
    if answer.updated_at != answer.created_at:
        details.append(f"edited {timestamp(answer.updated_at, 'f')}")
    if item.versions:
        details.append(_count(len(item.versions), "earlier version") + " kept")
    if answer.late:
        details.append("late")
    quote = block_quote(answer.text, SHOW_QUOTE_LIMIT)
    return f"{heading}\n-# {' · '.join(details)}\n{quote}"


def show_pages(data: MemberData, *, budget: int = PAGE_BUDGET) -> list[str]:
    """The member's data as pages that each fit an embed description."""
    intro = (
        f"You agreed to us keeping your answers on {timestamp(data.consented_at, 'f')}."
        if data.consented_at is not None
        else "You have not answered here yet, so you have not agreed to anything."
    )
    if data.dm_subscribed_at is not None:
        intro += f" You asked for reminder DMs on {timestamp(data.dm_subscribed_at, 'f')}."
    if data.dm_opted_out_at is not None:
        intro += f" You turned reminder DMs off on {timestamp(data.dm_opted_out_at, 'f')}."
    if data.interested_weeks:
        weeks = ", ".join(str(week) for week in data.interested_weeks)
        intro += f" You marked Interested in the Discord events of week {weeks}."
    further = [entry for section in data.sections for entry in section.shown]
    if not data.answers and not further:
        return [intro + "\n\nWe hold no answers of yours."]
    pages: list[str] = []
    current = intro
    for entry in [*(answer_entry(item) for item in data.answers), *further]:
        if len(current) + 2 + len(entry) > budget:
            pages.append(current)
            current = entry
        else:
            current = f"{current}\n\n{entry}"
    pages.append(current)
    return pages


def community_label(community_id: int, names: Mapping[int, str]) -> str:
    """A server by its name where the bot knows it (it may have left), else by its id."""
    name = names.get(community_id)
    return f"{name} (server {community_id})" if name else f"server {community_id}"


NOTHING_ANYWHERE = "We hold nothing about you in any server."


def show_pages_everywhere(
    found: Sequence[MemberData], names: Mapping[int, str], *, budget: int = PAGE_BUDGET
) -> list[str]:
    """The member's data in every community, each under its heading, as pages that fit an embed description."""
    if not found:
        return [NOTHING_ANYWHERE]
    pages: list[str] = []
    for data in found:
        heading = f"__**In {community_label(data.community_id, names)}**__"
        for number, page in enumerate(show_pages(data, budget=budget - len(heading) - 20)):
            block = f"{heading}\n{page}" if number == 0 else f"{heading} (continued)\n{page}"
            if pages and len(pages[-1]) + 2 + len(block) <= budget:
                pages[-1] = f"{pages[-1]}\n\n{block}"  # a small server's data shares the page
            else:
                pages.append(block)
    return pages


# --- /mydata export --------------------------------------------------------------------------------------


def export_document(data: MemberData, exported_at: datetime) -> dict[str, Any]:
    """Everything the bot holds about the member, as plain JSON-ready values."""
    return {
        "format": "workshop-bot member data",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": _iso(exported_at),
        "server_id": str(data.community_id),
        "user_id": str(data.user_id),
        "consented_at": _iso(data.consented_at),
        "answers": [
            {
                "week": item.week,
                "prompt_number": item.prompt_number,
                "prompt": item.prompt_text,
                "source": item.answer.source.value,
                "thread_message_id": None if item.answer.message_id is None else str(item.answer.message_id),
                "text": item.answer.text,
                "written_at": _iso(item.answer.created_at),
                "updated_at": _iso(item.answer.updated_at),
                "late": item.answer.late,
                "earlier_versions": [
                    {"text": version.text, "recorded_at": _iso(version.recorded_at)} for version in item.versions
                ],
            }
            for item in data.answers
        ],
        "reminder_dms": {
            "subscribed_at": _iso(data.dm_subscribed_at),
            "turned_off_at": _iso(data.dm_opted_out_at),
            "deliveries": [{"week": d.week, "due_at": _iso(d.due_at), "state": d.state} for d in data.dm_reminders],
        },
        "interested_in_weeks": list(data.interested_weeks),
        **{section.key: section.exported for section in data.sections},
    }


def export_json(data: MemberData, exported_at: datetime) -> bytes:
    return json.dumps(export_document(data, exported_at), ensure_ascii=False, indent=2).encode("utf-8")


def export_json_everywhere(
    user_id: int, found: Sequence[MemberData], names: Mapping[int, str], exported_at: datetime
) -> bytes:
    servers = []
    for data in found:
        document = export_document(data, exported_at)
        for envelope in ("format", "version", "exported_at", "user_id"):
            del document[envelope]
        servers.append({"server_name": names.get(data.community_id), **document})
    everything = {
        "format": "workshop-bot member data",
        "version": EVERYWHERE_FORMAT_VERSION,
        "exported_at": _iso(exported_at),
        "user_id": str(user_id),
        "servers": servers,
    }
    return json.dumps(everything, ensure_ascii=False, indent=2).encode("utf-8")


def export_summary_everywhere(found: Sequence[MemberData], names: Mapping[int, str]) -> str:
    if not found:
        return NOTHING_ANYWHERE + " The file says so too."
    lines = ["Everything we hold about you, by server:"]
    for data in found:
        versions = sum(len(item.versions) for item in data.answers)
        line = f"- {community_label(data.community_id, names)}: {_count(len(data.answers), 'answer')}"
        lines.append(line + (f" with {_count(versions, 'earlier version')}" if versions else ""))
    return "\n".join(lines) + "\nThe file is only visible to you."


def export_summary(data: MemberData) -> str:
    versions = sum(len(item.versions) for item in data.answers)
    text = f"Everything we hold about you in this server: {_count(len(data.answers), 'answer')}"
    if versions:
        text += f" with {_count(versions, 'earlier version')}"
    return text + ". The file is only visible to you."


# --- /mydata delete --------------------------------------------------------------------------------------


THREAD_MESSAGES_STAY = (
    "Messages you posted in discussion threads stay on Discord: delete them there if you want them gone too."
)
WHAT_IS_KEPT = (
    "The bot keeps only the time of the deletion and a code made from your Discord id with a secret key (not the id "
    "itself), so that what you posted in discussion threads until then is never recorded again."
)


def erasure_question(report: ErasureReport, where: str = "this server") -> str:
    if report.nothing:
        return f"We hold nothing about you in {where}, so there is nothing to delete."
    listed = "\n".join(f"- {item}" for item in report.items())
    return (
        f"This permanently deletes everything we hold about you in {where}:\n{listed}\n{WHAT_IS_KEPT} "
        "It cannot be undone. (Use `/mydata export` first if you want a copy.)"
    )


def erasure_result(report: ErasureReport, where: str = "this server") -> str:
    if report.nothing:
        return f"There was nothing left to delete: we hold nothing about you in {where}."
    listed = "\n".join(f"- {item}" for item in report.items())
    return (
        f"Deleted in {where}:\n{listed}\nIt is gone from the bot's database. {WHAT_IS_KEPT} If you answer again, "
        f"you will be asked to agree again first. {THREAD_MESSAGES_STAY}"
    )


def _listed_by_server(reports: Sequence[tuple[int, ErasureReport]], names: Mapping[int, str], *, lead: str = "") -> str:
    """One line per server: its name and what is held there."""
    return "\n".join(
        f"- {lead}{community_label(community_id, names)}: {', '.join(report.items())}"
        for community_id, report in reports
    )


def erasure_choice(reports: Sequence[tuple[int, ErasureReport]], names: Mapping[int, str]) -> str:
    """/mydata delete when several servers hold the member's data: which one, or all."""
    listed = _listed_by_server(reports, names)
    return (
        f"Several servers hold data about you:\n{listed}\nChoose the server whose data to delete, or all of them; "
        "you will be asked to confirm."
    )


def erasure_question_everywhere(reports: Sequence[tuple[int, ErasureReport]], names: Mapping[int, str]) -> str:
    listed = _listed_by_server(reports, names, lead="in ")
    return (
        f"This permanently deletes everything we hold about you in every server:\n{listed}\n{WHAT_IS_KEPT} "
        "It cannot be undone. (Use `/mydata export` first if you want a copy.)"
    )


def erasure_result_everywhere(reports: Sequence[tuple[int, ErasureReport]], names: Mapping[int, str]) -> str:
    done = [(c, r) for c, r in reports if not r.nothing]
    if not done:
        return "There was nothing left to delete: we hold nothing about you in any server."
    listed = _listed_by_server(done, names, lead="in ")
    return (
        f"Deleted:\n{listed}\nIt is gone from the bot's database. {WHAT_IS_KEPT} If you answer again, you will "
        f"be asked to agree again first. {THREAD_MESSAGES_STAY}"
    )
