"""Pol.is CSV exports: reading the real ones (with and without xid), the last vote counting, clear refusals,
and writing files that read back the same.

Real data from shared/polis-open-data: see tests/polis_data.py for its attribution (CC BY 4.0, The Computational
Democracy Project).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.deliberation import Vote
from bot.domain.deliberation.polis import (
    ExportComment,
    ExportVote,
    PolisFormatError,
    read_polis,
    write_comments,
    write_participants_votes,
    write_summary,
    write_votes,
)
from tests.polis_data import polis_data

COMMENTS = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
VOTES = "timestamp,datetime,comment-id,voter-id,vote\n"


@pytest.mark.parametrize("conversation", ["15-per-hour-seattle", "london.youth.policing"])
def test_real_exports_read_with_the_last_vote_of_each_participant(conversation: str) -> None:
    folder = polis_data() / conversation
    with (folder / "participants-votes.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))

    exported = read_polis((folder / "comments.csv").read_text(), (folder / "votes.csv").read_text())

    current = {(v.participant, v.statement): int(v.vote) for v in exported.votes}
    for row in rows:
        participant = int(row["participant"])
        for column, value in row.items():
            if column.isdigit() and value != "":
                assert current[(participant, int(column))] == int(value)
    assert len(current) == sum(1 for row in rows for c, v in row.items() if c.isdigit() and v != "")


def test_a_later_vote_replaces_an_earlier_one_and_xids_are_kept() -> None:
    comments = COMMENTS + "1,x,1,7,0,0,1,Parks for all\n2,x,2,7,0,0,-1,Rejected one\n"
    votes = "timestamp,datetime,comment-id,voter-id,vote,xid\n5,x,1,3,1,abc\n9,x,1,3,-1,abc\n7,x,2,3,1,abc\n"

    exported = read_polis(comments, votes)

    assert [(v.participant, v.statement, v.vote) for v in exported.votes] == [(3, 2, Vote.AGREE), (3, 1, Vote.DISAGREE)]
    assert exported.xids == {3: "abc"}
    assert [c.moderated for c in exported.comments] == [1, -1]


@pytest.mark.parametrize(
    ("comments", "votes", "message"),
    [
        ("id,text\n1,hello\n", VOTES, "comments.csv: this is not a Pol.is export"),
        (COMMENTS, VOTES, "comments.csv: there are no comments"),
        (COMMENTS + "1,x,one,7,0,0,1,Hi\n", VOTES, "comments.csv, line 2: comment-id should be a whole number"),
        (COMMENTS + "1,x,1,7,0,0,5,Hi\n", VOTES, "moderated should be 1, 0 or -1"),
        (COMMENTS + "1,x,1,7,0,0,1,Hi\n1,x,1,7,0,0,1,Again\n", VOTES, "comment 1 is listed twice"),
        (COMMENTS + "1,x,1,7,0,0,1\n", VOTES, "comments.csv, line 2: expected 8 values"),
        (COMMENTS + "1,x,1,7,0,0,1,Hi\n", "a,b\n", "votes.csv: this is not a Pol.is export"),
        (COMMENTS + "1,x,1,7,0,0,1,Hi\n", VOTES + "1,x,1,3,2\n", "vote should be 1, 0 or -1, not 2"),
        (COMMENTS + "1,x,1,7,0,0,1,Hi\n", VOTES + "1,x,9,3,1\n", "comment 9 is not in comments.csv"),
    ],
)
def test_malformed_exports_are_refused_with_the_file_and_line(comments: str, votes: str, message: str) -> None:
    with pytest.raises(PolisFormatError, match=message):
        read_polis(comments, votes)


def test_written_files_read_back_and_carry_groups() -> None:
    moment = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    comments = [ExportComment(1, 10, 1, 'Say "yes", please', moment), ExportComment(2, 11, -1, "No", moment)]
    votes = [ExportVote(1, 10, Vote.AGREE, moment), ExportVote(1, 11, Vote.DISAGREE, moment)]

    comments_csv = write_comments(comments, votes)
    back = read_polis(comments_csv, write_votes(votes))

    assert [(c.id, c.author, c.moderated, c.text) for c in back.comments] == [
        (1, 10, 1, 'Say "yes", please'),
        (2, 11, -1, "No"),
    ]
    assert {(v.participant, v.statement, v.vote) for v in back.votes} == {(10, 1, Vote.AGREE), (11, 1, Vote.DISAGREE)}
    rows = list(csv.DictReader(io.StringIO(write_participants_votes(comments, votes, {10: 0}))))
    assert [(r["participant"], r["group-id"], r["1"], r["2"]) for r in rows] == [
        ("10", "0", "1", ""),
        ("11", "", "-1", ""),
    ]
    summary = dict(csv.reader(io.StringIO(write_summary("Parks", "", comments, votes, placed=1, groups=1))))
    assert summary["voters"] == "2" and summary["comments"] == "2" and summary["groups"] == "1"
    assert list(csv.reader(io.StringIO(comments_csv)))[1][4:6] == ["1", "1"]


@settings(max_examples=150, deadline=None)
@given(
    comments=st.text(alphabet=st.sampled_from([*'0123456789,-"\n\r abc', "\x00", "é"]), max_size=200),
    votes=st.text(alphabet=st.sampled_from(list('0123456789,-"\n ')), max_size=200),
)
def test_any_text_is_read_or_refused_with_a_clear_error(comments: str, votes: str) -> None:
    for comments_text in (comments, COMMENTS + comments):
        try:
            exported = read_polis(comments_text, VOTES + votes)
        except PolisFormatError as error:
            assert str(error).startswith(("comments.csv", "votes.csv"))
        else:
            known = {c.id for c in exported.comments}
            assert all(v.statement in known for v in exported.votes)


def test_imported_text_is_cleaned_as_answers_are() -> None:
    exported = read_polis(COMMENTS + '1,x,1,7,0,0,1,"Nul\x00 and \u202ebidi\u202c here"\n', VOTES)

    assert exported.comments[0].text == "Nul and bidi here"
