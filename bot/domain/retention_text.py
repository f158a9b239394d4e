"""When a community's answers will be deleted, as organisers are shown it (setup, stats). Pure; composed once,
rendered by each front end."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.discord_text import timestamp
from bot.domain.import_preview import plural


class RetentionPlan(Protocol):
    """The retention service's RetentionSchedule, as far as the text needs it."""

    @property
    def retention(self) -> timedelta: ...
    @property
    def deletes_at(self) -> datetime: ...
    @property
    def warning_period(self) -> bool: ...


def retention_text(schedule: RetentionPlan | None, *, before_deletion: str) -> str | None:
    """When answers will be deleted, as /setup and /stats show it (None: they are kept until deleted).
    ``before_deletion``: how to export them or keep them longer, with the platform's commands (said in the
    warning week)."""
    if schedule is None:
        return None
    when = f"{timestamp(schedule.deletes_at)} ({timestamp(schedule.deletes_at, 'R')})"
    if schedule.warning_period:
        return (
            f"⚠️ Answers will be **deleted on {when}**, {plural(schedule.retention.days, 'day')} after the last "
            f"session. {before_deletion}"
        )
    return (
        f"Answers are kept until {timestamp(schedule.deletes_at, 'D')}, "
        f"{plural(schedule.retention.days, 'day')} after the last session; organisers are warned a week before."
    )
