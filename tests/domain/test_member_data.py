"""A member's own data: /mydata pages, the export document and the erasure texts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.domain.answering import Answer, AnswerSource
from bot.domain.member_data import (
    PAGE_BUDGET,
    AnswerVersion,
    ErasureReport,
    MemberAnswer,
    MemberData,
    ReminderDelivery,
    erasure_question,
    erasure_result,
    export_document,
    export_json,
    show_pages,
)

T0 = datetime(2020, 10, 20, 12, tzinfo=UTC)


def member_answer(week: int, number: int, text: str, *, versions: int = 0, late: bool = False) -> MemberAnswer:
    updated = T0 + timedelta(hours=versions)
    answer = Answer(week * 10 + number, 1, week * 10 + number, 42, AnswerSource.MODAL, text, T0, updated, late)
    earlier = tuple(AnswerVersion(f"draft {n}", T0 + timedelta(hours=n)) for n in range(versions))
    return MemberAnswer(
        answer=answer, week=week, prompt_number=number, prompt_text=f"Prompt {number}?", versions=earlier
    )


def data(*answers: MemberAnswer, consented: bool = True) -> MemberData:
    return MemberData(
        community_id=1,
        user_id=42,
        consented_at=T0 if consented else None,
        answers=answers,
        dm_subscribed_at=None,
        dm_reminders=(),
    )


def test_show_with_nothing_stored() -> None:
    [page] = show_pages(data(consented=False))
    assert "have not answered here yet" in page and "We hold no answers of yours." in page


def test_show_lists_answers_by_week_and_prompt_with_their_history() -> None:
    [page] = show_pages(data(member_answer(1, 1, "First"), member_answer(8, 2, "Second", versions=2, late=True)))
    assert f"<t:{int(T0.timestamp())}:f>" in page
    assert page.index("**Week 1 · prompt 1**") < page.index("**Week 8 · prompt 2** · Prompt 2?")
    assert "2 earlier versions kept" in page and "late" in page and "> Second" in page


def test_show_pages_fit_an_embed_and_keep_every_answer() -> None:
    answers = [member_answer(week, n, f"answer {week}.{n} " + "y" * 3990) for week in range(1, 13) for n in (1, 2, 3)]
    pages = show_pages(data(*answers))
    assert len(pages) > 1
    assert all(len(page) <= PAGE_BUDGET for page in pages)
    assert sum(page.count("**Week ") for page in pages) == len(answers)


def test_show_escapes_what_the_member_wrote() -> None:
    [page] = show_pages(data(member_answer(1, 1, "@everyone # heading")))
    assert "@everyone" not in page and "\\# heading" in page


def test_export_holds_everything_as_json() -> None:
    member = MemberData(
        community_id=1,
        user_id=42,
        consented_at=T0,
        answers=(member_answer(8, 2, "Now", versions=1),),
        dm_subscribed_at=T0,
        dm_reminders=(ReminderDelivery(8, T0, "sent"),),
    )
    document = json.loads(export_json(member, T0 + timedelta(days=1)))
    assert document == export_document(member, T0 + timedelta(days=1))
    assert document["user_id"] == "42" and document["consented_at"] == "2020-10-20T12:00:00Z"
    [answer] = document["answers"]
    assert answer["text"] == "Now" and answer["week"] == 8 and answer["prompt_number"] == 2
    assert answer["earlier_versions"] == [{"text": "draft 0", "recorded_at": "2020-10-20T12:00:00Z"}]
    assert document["reminder_dms"]["deliveries"] == [{"week": 8, "due_at": "2020-10-20T12:00:00Z", "state": "sent"}]


def test_erasure_texts_list_what_goes() -> None:
    report = ErasureReport(answers=3, versions=1, consent=True, dm_subscription=True, dm_reminders=2)
    question = erasure_question(report)
    assert "- 3 answers" in question and "- 1 earlier version of edited answers" in question
    assert "cannot be undone" in question
    result = erasure_result(report)
    assert (
        result.startswith("Deleted in this server:\n- 3 answers\n")
        and "reminder DMs" in result
        and "threads stay" in result
    )
    nothing = ErasureReport(0, 0, False, False, 0)
    assert nothing.nothing and "nothing" in erasure_question(nothing) and "nothing" in erasure_result(nothing)


# --- every community (issue 20, item 4) -------------------------------------------------------------------


def test_show_everywhere_heads_each_server_by_name_or_id_and_fits_an_embed() -> None:
    from bot.domain.member_data import NOTHING_ANYWHERE, PAGE_BUDGET, show_pages_everywhere

    assert show_pages_everywhere([], {}) == [NOTHING_ANYWHERE]
    small = data(member_answer(1, 1, "Here"))
    other = MemberData(**{**{f: getattr(small, f) for f in small.__dataclass_fields__}, "community_id": 7})
    [page] = show_pages_everywhere([small, other], {small.community_id: "Workshop"})
    assert f"__**In Workshop (server {small.community_id})**__" in page and "__**In server 7**__" in page
    big = [member_answer(week, n, "y" * 3990) for week in range(1, 5) for n in (1, 2)]
    pages = show_pages_everywhere([data(*big), other], {})
    assert all(len(p) <= PAGE_BUDGET for p in pages)
    assert sum(p.count("**Week ") for p in pages) == len(big) + 1 and "(continued)" in pages[1]


def test_export_everywhere_is_one_document_with_a_part_per_server() -> None:
    from bot.domain.member_data import export_json_everywhere, export_summary_everywhere

    mine = data(member_answer(8, 1, "Mine", versions=1))
    document = json.loads(export_json_everywhere(mine.user_id, [mine], {}, T0))
    assert (document["version"], document["user_id"], document["exported_at"]) == (
        2,
        str(mine.user_id),
        "2020-10-20T12:00:00Z",
    )
    [server] = document["servers"]
    assert server["server_id"] == str(mine.community_id) and server["server_name"] is None
    assert server["answers"][0]["earlier_versions"][0]["text"] == "draft 0"
    summary = export_summary_everywhere([mine], {})
    assert f"- server {mine.community_id}: 1 answer with 1 earlier version" in summary
