"""What importing a programme would change, worked out before anything is written.

Sessions are matched by week; prompts within a week by their text. A prompt whose text remains keeps its
id, so answers stay attached to it even when it moves position. Dropping a prompt that has answers would
delete those answers, so it is refused unless the organiser forces it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.programme import Programme, ProgrammeRecord, Prompt, Session, SessionRecord


@dataclass(frozen=True, slots=True)
class SessionChange:
    week: int
    title: str
    kind: str  # "added", "changed", "removed" or "unchanged"
    prompts_added: int = 0
    prompts_removed: int = 0
    answers_lost: int = 0


@dataclass(frozen=True, slots=True)
class ImportPlan:
    sessions: tuple[SessionChange, ...]
    programme_details_changed: bool
    dropped_prompts: tuple[Prompt, ...]
    answers_lost: int

    def weeks(self, kind: str) -> list[int]:
        return [c.week for c in self.sessions if c.kind == kind]

    @property
    def changes_anything(self) -> bool:
        return self.programme_details_changed or any(c.kind != "unchanged" for c in self.sessions)

    def summary(self, *, done: bool = False) -> str:
        """What the import changes; ``done``: after it ran, in the past tense ("17 answers deleted")."""
        parts = []
        for kind in ("added", "changed", "removed", "unchanged"):
            weeks = self.weeks(kind)
            if weeks:
                parts.append(f"{len(weeks)} {kind} (week{'s' if len(weeks) > 1 else ''} {week_ranges(weeks)})")
        if self.answers_lost:
            deleted = "deleted" if done else "would be deleted"
            parts.append(f"{self.answers_lost} answer{'s' if self.answers_lost != 1 else ''} {deleted}")
        return "; ".join(parts) if parts else "no sessions"


def week_ranges(weeks: list[int]) -> str:
    """Weeks as ranges ("1-7, 9, 11-12"), so a summary of a long programme stays short."""
    runs: list[list[int]] = []
    for week in sorted(weeks):
        if runs and week == runs[-1][-1] + 1:
            runs[-1].append(week)
        else:
            runs.append([week])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def session_differs(stored: SessionRecord, new: Session) -> bool:
    return (
        stored.title != new.title
        or stored.start != new.start
        or stored.end != new.end
        or stored.location != new.location
        or stored.description != new.description
        or stored.meeting_link != new.meeting_link
        or tuple(p.text for p in stored.prompts) != new.prompts
    )


def plan_import(current: ProgrammeRecord | None, answer_counts: Mapping[int, int], new: Programme) -> ImportPlan:
    """Compare the stored programme (if any) with ``new``; ``answer_counts`` maps prompt id to answers."""
    stored = {s.week: s for s in current.sessions} if current else {}
    changes: list[SessionChange] = []
    dropped: list[Prompt] = []
    for session in sorted(new.sessions, key=lambda s: s.week):
        old = stored.get(session.week)
        if old is None:
            changes.append(SessionChange(session.week, session.title, "added", prompts_added=len(session.prompts)))
            continue
        kept_texts = set(session.prompts)
        gone = [p for p in old.prompts if p.text not in kept_texts]
        old_texts = {p.text for p in old.prompts}
        added = sum(1 for text in session.prompts if text not in old_texts)
        dropped += gone
        kind = "changed" if session_differs(old, session) else "unchanged"
        changes.append(
            SessionChange(
                session.week,
                session.title,
                kind,
                prompts_added=added,
                prompts_removed=len(gone),
                answers_lost=sum(answer_counts.get(p.id, 0) for p in gone),
            )
        )
    new_weeks = {s.week for s in new.sessions}
    for week, old in sorted(stored.items()):
        if week not in new_weeks:
            dropped += old.prompts
            changes.append(
                SessionChange(
                    week,
                    old.title,
                    "removed",
                    prompts_removed=len(old.prompts),
                    answers_lost=sum(answer_counts.get(p.id, 0) for p in old.prompts),
                )
            )
    details_changed = current is None or (
        (current.title, current.timezone, current.introduction) != (new.title, new.timezone, new.introduction)
    )
    return ImportPlan(
        sessions=tuple(changes),
        programme_details_changed=details_changed,
        dropped_prompts=tuple(dropped),
        answers_lost=sum(c.answers_lost for c in changes),
    )


def carry_over_week_links(current: ProgrammeRecord | None, programme: Programme) -> Programme:
    """Keep the meeting links set per week with /setup when the uploaded file has none for that week.

    Without this, re-importing the same file would mark those weeks as changed and drop their links.
    A link in the file wins; /setup clear:meeting link week:N removes one.
    """
    if current is None:
        return programme
    stored = {s.week: s.meeting_link for s in current.sessions if s.meeting_link}
    sessions = tuple(
        dataclasses.replace(s, meeting_link=stored[s.week]) if s.meeting_link is None and s.week in stored else s
        for s in programme.sessions
    )
    return dataclasses.replace(programme, sessions=sessions)
