"""Pol.is exports in and out: a Pol.is conversation becomes a conversation here, and any conversation can be
written as the files Pol.is tooling reads. Text in, text out: the command line reads and writes the files."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass

from bot.domain.deliberation.conversation import (
    MAX_PROMPT_LENGTH,
    Conversation,
    Moderation,
    StatementOrigin,
    clean_prompt,
)
from bot.domain.deliberation.polis import (
    ExportComment,
    ExportVote,
    PolisConversation,
    read_polis,
    write_comments,
    write_participants_votes,
    write_summary,
    write_votes,
)
from bot.domain.errors import UserFacingError
from bot.services.deliberation._service import DeliberationService
from bot.storage.codec import to_db_time

DEFAULT_PROMPT = "Imported from Pol.is"


@dataclass(frozen=True, slots=True)
class PolisFiles:
    comments: str
    votes: str
    participants_votes: str
    summary: str


def _topic(summary_csv: str | None) -> tuple[str, str]:
    if not summary_csv:
        return DEFAULT_PROMPT, ""
    fields = {row[0]: row[1] for row in csv.reader(io.StringIO(summary_csv)) if len(row) >= 2}
    topic = (fields.get("topic") or "")[:MAX_PROMPT_LENGTH]
    try:
        return clean_prompt(topic), fields.get("conversation-description", "")
    except UserFacingError:
        return DEFAULT_PROMPT, ""


async def read_export(comments_csv: str, votes_csv: str) -> PolisConversation:
    """The export parsed in a thread (it can be large); ``PolisFormatError`` if it is not one."""
    return await asyncio.to_thread(read_polis, comments_csv, votes_csv)


async def import_polis(
    service: DeliberationService, community_id: int, exported: PolisConversation, summary_csv: str | None = None
) -> tuple[Conversation, int, int]:
    """A new closed conversation holding the export (from ``read_export``): (conversation, statements, votes).
    All or nothing."""
    topic, _ = _topic(summary_csv)
    repository = service.repository
    now = service.now()
    async with service.database.transaction() as conn:
        conversation = await repository.create(
            community_id, week=None, prompt=topic, auto_accept=False, origin="polis", now=now, conn=conn
        )
        participants: dict[int, int] = {}

        async def participant(polis_id: int) -> int:
            if polis_id not in participants:
                participants[polis_id] = await repository.import_participant(conn, conversation.id, polis_id)
            return participants[polis_id]

        statements: dict[int, int] = {}
        for comment in exported.comments:
            stored = await repository.add_statement(
                conn,
                conversation.id,
                author=await participant(comment.author),
                text=comment.text,
                origin=StatementOrigin.POLIS,
                moderation=Moderation.from_polis(comment.moderated),
                now=comment.created_at or now,
                polis_id=comment.id,
            )
            statements[comment.id] = stored.id
        rows = [
            (await participant(v.participant), statements[v.statement], int(v.vote), to_db_time(v.voted_at or now))
            for v in exported.votes
        ]
        await repository.import_votes(conn, rows)
        await repository.set_state_in(conn, conversation.id, now)
    return await service.by_id(conversation.id), len(statements), len(rows)


async def export_polis(service: DeliberationService, conversation: Conversation) -> PolisFiles:
    """The conversation as Pol.is export files, with each placed participant's group. Participants appear by
    their Pol.is id if they came from Pol.is and by a new number otherwise: never by a member id."""
    repository = service.repository
    participants = await repository.export_participants(conversation.id)
    statements = await repository.export_statements(conversation.id)
    votes = await repository.votes(conversation.id)
    results = await service.results(conversation.id)

    next_participant = max((p.polis_id for p in participants if p.polis_id is not None), default=-1) + 1
    participant_ids: dict[int, int] = {}
    for p in participants:
        if p.polis_id is not None:
            participant_ids[p.id] = p.polis_id
        else:
            participant_ids[p.id] = next_participant
            next_participant += 1
    next_comment = max((s.polis_id for s in statements if s.polis_id is not None), default=-1) + 1
    comment_ids: dict[int, int] = {}
    for s in statements:
        if s.polis_id is not None:
            comment_ids[s.id] = s.polis_id
        else:
            comment_ids[s.id] = next_comment
            next_comment += 1
    # A seed statement has no author in Pol.is's sense: it is the facilitator's, given its own participant number.
    facilitator = next_participant
    comments = [
        ExportComment(
            comment_ids[s.id],
            participant_ids[s.author] if s.author is not None else facilitator,
            s.moderation.polis_code,
            s.text,
            s.created_at,
        )
        for s in statements
    ]
    exported_votes = [
        ExportVote(comment_ids[v.statement], participant_ids[v.participant], v.vote, v.voted_at) for v in votes
    ]
    group_of = {participant_ids[p]: g for p, g in results.analysis.group_of.items()}
    return PolisFiles(
        write_comments(comments, exported_votes),
        write_votes(exported_votes),
        write_participants_votes(comments, exported_votes, group_of),
        write_summary(
            conversation.prompt,
            "",
            comments,
            exported_votes,
            placed=len(results.analysis.placed),
            groups=len(results.analysis.groups),
        ),
    )
