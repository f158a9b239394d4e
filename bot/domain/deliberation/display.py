"""Results as people may see them: groups under 5 members are not shown apart, small counts follow /stats' rule,
and nothing names a voter or an author. Used by /deliberate results and by the report. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.deliberation.analysis import Analysis
from bot.domain.stats import DEFAULT_THRESHOLD
from bot.domain.stats import display_count as stats_count

# A group smaller than this is not shown apart: its members' views could be told from its statements.
MIN_GROUP_SHOWN = DEFAULT_THRESHOLD
GROUP_LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True, slots=True)
class ShownStatement:
    text: str
    detail: str  # "agree: 80% here, 20% elsewhere", "every group agrees (A 90%, B 75%)", ...


@dataclass(frozen=True, slots=True)
class ShownGroup:
    label: str  # "Group A"
    size: str  # as displayed
    representative: tuple[ShownStatement, ...]


@dataclass(frozen=True, slots=True)
class ShownCounts:
    text: str
    agree: str
    disagree: str
    passed: str


@dataclass(frozen=True, slots=True)
class ShownResults:
    voters: str
    placed: str
    reason: str | None  # why there are no groups to show
    groups: tuple[ShownGroup, ...]
    ungrouped_note: str | None  # "3 members in groups too small to show apart"
    consensus: tuple[ShownStatement, ...]
    divisive: tuple[ShownStatement, ...]
    counts: tuple[ShownCounts, ...]
    shown_group_of: Mapping[int, str | None]  # placed participant -> label of a shown group, or None


def group_label(index: int) -> str:
    return f"Group {GROUP_LETTERS[index] if index < len(GROUP_LETTERS) else index + 1}"


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def shown_results(analysis: Analysis, texts: Mapping[int, str], *, threshold: int = MIN_GROUP_SHOWN) -> ShownResults:
    """What may be shown of ``analysis``; ``texts`` maps statement ids to their text. ``threshold``: /stats' (the
    smallest count shown as it is, and the smallest group shown apart)."""

    def display_count(n: int) -> str:
        return stats_count(n, threshold=threshold)

    shown = [group for group in analysis.groups if group.size >= threshold]
    labels = {group.id: group_label(i) for i, group in enumerate(shown)}
    hidden_members = sum(group.size for group in analysis.groups if group.id not in labels)
    groups = tuple(
        ShownGroup(
            labels[group.id],
            display_count(group.size),
            tuple(
                ShownStatement(
                    texts.get(rep.statement, "(removed)"),
                    f"{rep.direction}s: {_percent(rep.share_inside)} in this group, "
                    f"{_percent(rep.share_outside)} of everyone else",
                )
                for rep in group.representative
            ),
        )
        for group in shown
    )
    order = [g.id for g in analysis.groups]
    shown_index = [i for i, g in enumerate(analysis.groups) if g.id in labels]
    divisive = tuple(
        ShownStatement(
            texts.get(item.statement, "(removed)"),
            "agreement by group: "
            + ", ".join(f"{labels[order[i]][-1]} {_percent(item.shares[i])}" for i in shown_index),
        )
        for item in analysis.divisive
        if len(shown_index) >= 2
    )
    consensus = tuple(
        ShownStatement(texts.get(item.statement, "(removed)"), f"every group {item.direction}s")
        for item in analysis.consensus
    )
    counts = tuple(
        ShownCounts(
            texts.get(c.statement, "(removed)"),
            display_count(c.agree),
            display_count(c.disagree),
            display_count(c.passed),
        )
        for c in analysis.counts
    )
    return ShownResults(
        voters=display_count(analysis.participants),
        placed=display_count(len(analysis.placed)),
        reason=analysis.reason,
        groups=groups,
        ungrouped_note=(
            f"{display_count(hidden_members)} members are in groups too small to show apart."
            if hidden_members
            else None
        ),
        consensus=consensus,
        divisive=divisive,
        counts=counts,
        shown_group_of={p: labels.get(g) for p, g in analysis.group_of.items()},
    )


def results_json(
    name: str, week: int | None, prompt: str, state: str, shown: ShownResults, exported_at: datetime
) -> bytes:
    """The conversation's results as a JSON document: statements with their vote counts (small counts as /stats
    shows them), the groups that may be shown with their sizes and statements. No voter or author appears."""
    document = {
        "format": "workshop-bot deliberation results",
        "version": 1,
        "exported_at": exported_at.isoformat().replace("+00:00", "Z"),
        "conversation": name,
        "week": week,
        "prompt": prompt,
        "state": state,
        "voters": shown.voters,
        "placed_on_map": shown.placed,
        "no_groups_because": shown.reason,
        "statements": [
            {"text": c.text, "agree": c.agree, "disagree": c.disagree, "pass": c.passed} for c in shown.counts
        ],
        "groups": [
            {
                "label": g.label,
                "members": g.size,
                "representative": [{"text": s.text, "detail": s.detail} for s in g.representative],
            }
            for g in shown.groups
        ],
        "not_shown_apart": shown.ungrouped_note,
        "consensus": [{"text": s.text, "detail": s.detail} for s in shown.consensus],
        "divisive": [{"text": s.text, "detail": s.detail} for s in shown.divisive],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
