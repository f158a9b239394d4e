"""Pol.is's CSV export formats: read an open-data export, write one that Pol.is tooling reads. Pure (text in,
text out: the caller reads and writes the files).

An export has ``comments.csv`` (each statement with its author and moderation state: 1 accepted, 0 not yet
moderated, -1 rejected) and ``votes.csv`` (every vote ever cast, with its time: a later vote of the same
participant on the same statement replaces the earlier one). Exports exist with and without an ``xid`` column
(a participant's id in the site that embedded the conversation); it is read when present and otherwise ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.answers import clean_answer_text
from bot.domain.deliberation.matrix import Vote
from bot.domain.errors import AnswerRejectedError, UserFacingError, quoted

COMMENTS_HEADER = (
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
)
VOTES_HEADER = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
_REQUIRED_COMMENTS = ("comment-id", "author-id", "moderated", "comment-body")
_REQUIRED_VOTES = ("comment-id", "voter-id", "vote")
MAX_STATEMENT_LENGTH = 1000


class PolisFormatError(UserFacingError):
    """A Pol.is export that cannot be read; names the file, the line and what was expected."""


@dataclass(frozen=True, slots=True)
class PolisComment:
    id: int
    author: int
    moderated: int  # 1 accepted, 0 unmoderated, -1 rejected
    text: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class PolisVote:
    statement: int
    participant: int
    vote: Vote
    voted_at: datetime | None


@dataclass(frozen=True, slots=True)
class PolisConversation:
    comments: tuple[PolisComment, ...]
    votes: tuple[PolisVote, ...]  # the last vote of each participant on each statement, oldest first
    xids: Mapping[int, str]  # participant -> xid, where the export had one


def read_polis(comments_csv: str, votes_csv: str) -> PolisConversation:
    """The conversation in a Pol.is export; ``PolisFormatError`` if a file is not one."""
    comments = _read_comments(comments_csv)
    known = {comment.id for comment in comments}
    votes, xids = _read_votes(votes_csv, known)
    return PolisConversation(tuple(sorted(comments, key=lambda c: c.id)), votes, xids)


def _rows(text: str, source: str, required: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [name for name in required if name not in header]
    if missing:
        raise PolisFormatError(
            f"{source}: this is not a Pol.is export: the first line should name the columns "
            f"{', '.join(required)}; {', '.join(missing)} missing."
        )
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            raise PolisFormatError(f"{source}, line {reader.line_num}: expected {len(header)} values.")
        yield reader.line_num, row


def _integer(value: str, source: str, line: int, column: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise PolisFormatError(
            f"{source}, line {line}: {column} should be a whole number, not {quoted(value)}."
        ) from None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _read_comments(text: str) -> list[PolisComment]:
    comments: dict[int, PolisComment] = {}
    for line, row in _rows(text, "comments.csv", _REQUIRED_COMMENTS):
        comment_id = _integer(row["comment-id"], "comments.csv", line, "comment-id")
        moderated = _integer(row["moderated"], "comments.csv", line, "moderated")
        if moderated not in (-1, 0, 1):
            raise PolisFormatError(f"comments.csv, line {line}: moderated should be 1, 0 or -1, not {moderated}.")
        if comment_id in comments:
            raise PolisFormatError(f"comments.csv, line {line}: comment {comment_id} is listed twice.")
        try:
            # Cleaned as answers are: no control, bidirectional or hiding characters (and no NUL, which
            # PostgreSQL refuses in text).
            body = clean_answer_text(row["comment-body"][:MAX_STATEMENT_LENGTH])
        except AnswerRejectedError:
            raise PolisFormatError(f"comments.csv, line {line}: comment {comment_id} has no text.") from None
        comments[comment_id] = PolisComment(
            comment_id,
            _integer(row["author-id"], "comments.csv", line, "author-id"),
            moderated,
            body,
            _time(row.get("timestamp")),
        )
    if not comments:
        raise PolisFormatError("comments.csv: there are no comments in it.")
    return list(comments.values())


def _read_votes(text: str, known: set[int]) -> tuple[tuple[PolisVote, ...], dict[int, str]]:
    latest: dict[tuple[int, int], tuple[int, int, PolisVote]] = {}
    xids: dict[int, str] = {}
    for line, row in _rows(text, "votes.csv", _REQUIRED_VOTES):
        statement = _integer(row["comment-id"], "votes.csv", line, "comment-id")
        participant = _integer(row["voter-id"], "votes.csv", line, "voter-id")
        value = _integer(row["vote"], "votes.csv", line, "vote")
        if value not in (-1, 0, 1):
            raise PolisFormatError(f"votes.csv, line {line}: vote should be 1, 0 or -1, not {value}.")
        if statement not in known:
            raise PolisFormatError(f"votes.csv, line {line}: comment {statement} is not in comments.csv.")
        if row.get("xid"):
            xids[participant] = row["xid"]
        stamp = row.get("timestamp") or ""
        order = int(stamp) if stamp.strip().isdigit() else 0
        vote = PolisVote(statement, participant, Vote(value), _time(stamp))
        previous = latest.get((participant, statement))
        # The last vote counts: by time, and by position in the file between votes of the same time.
        if previous is None or (order, line) >= previous[:2]:
            latest[(participant, statement)] = (order, line, vote)
    ordered = sorted(latest.values(), key=lambda item: item[:2])
    return tuple(vote for _, _, vote in ordered), xids


# -- writing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportComment:
    id: int
    author: int  # an export participant id, never a member's platform id
    moderated: int
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExportVote:
    statement: int
    participant: int
    vote: Vote
    voted_at: datetime


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _polis_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _csv(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


def write_comments(comments: Sequence[ExportComment], votes: Sequence[ExportVote]) -> str:
    agrees: dict[int, int] = {}
    disagrees: dict[int, int] = {}
    for vote in votes:
        if vote.vote is Vote.AGREE:
            agrees[vote.statement] = agrees.get(vote.statement, 0) + 1
        elif vote.vote is Vote.DISAGREE:
            disagrees[vote.statement] = disagrees.get(vote.statement, 0) + 1
    rows: list[Sequence[object]] = [COMMENTS_HEADER]
    for c in sorted(comments, key=lambda c: (c.created_at, c.id)):
        rows.append(
            (
                _millis(c.created_at),
                _polis_datetime(c.created_at),
                c.id,
                c.author,
                agrees.get(c.id, 0),
                disagrees.get(c.id, 0),
                c.moderated,
                c.text,
            )
        )
    return _csv(rows)


def write_votes(votes: Sequence[ExportVote]) -> str:
    rows: list[Sequence[object]] = [VOTES_HEADER]
    for v in sorted(votes, key=lambda v: (v.voted_at, v.participant, v.statement)):
        rows.append((_millis(v.voted_at), _polis_datetime(v.voted_at), v.statement, v.participant, int(v.vote)))
    return _csv(rows)


def write_participants_votes(
    comments: Sequence[ExportComment], votes: Sequence[ExportVote], group_of: Mapping[int, int]
) -> str:
    """One row per participant: their group (blank: not placed), their counts and their last vote on each statement."""
    columns = sorted(c.id for c in comments)
    authored: dict[int, int] = {}
    for comment in comments:
        authored[comment.author] = authored.get(comment.author, 0) + 1
    by_participant: dict[int, dict[int, int]] = {}
    for vote in votes:
        by_participant.setdefault(vote.participant, {})[vote.statement] = int(vote.vote)
    rows: list[Sequence[object]] = [
        ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *columns)
    ]
    for participant in sorted(set(by_participant) | set(authored)):
        cast = by_participant.get(participant, {})
        group = group_of.get(participant)
        rows.append(
            (
                participant,
                "" if group is None else group,
                authored.get(participant, 0),
                len(cast),
                sum(1 for v in cast.values() if v == 1),
                sum(1 for v in cast.values() if v == -1),
                *(cast.get(column, "") for column in columns),
            )
        )
    return _csv(rows)


def write_summary(
    topic: str,
    description: str,
    comments: Sequence[ExportComment],
    votes: Sequence[ExportVote],
    placed: int,
    groups: int,
) -> str:
    voters = {v.participant for v in votes}
    commenters = {c.author for c in comments}
    return _csv(
        [
            ("topic", topic),
            ("url", ""),
            ("views", len(voters | commenters)),
            ("voters", len(voters)),
            ("voters-in-conv", placed),
            ("commenters", len(commenters)),
            ("comments", len(comments)),
            ("groups", groups),
            ("conversation-description", description),
        ]
    )
