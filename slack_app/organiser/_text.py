"""The organisers' texts in Slack's words, where the domain leaves the platform's commands to its front end."""

from __future__ import annotations

from bot.domain.retention_text import RetentionPlan, retention_text

# What to do in the week before retention deletes the answers: Slack's export takes no "answers", and the
# retention is a field of the setup form, not an option (as the retention warning itself says, _adapters/notices.py).
BEFORE_DELETION = "Export them first with `/workshop export`, or change the retention in `/workshop setup`."


def retention_note(schedule: RetentionPlan | None) -> str | None:
    """When answers will be deleted, as ``setup`` and ``stats`` show it."""
    return retention_text(schedule, before_deletion=BEFORE_DELETION)
