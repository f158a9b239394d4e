-- What each community's reminders were last planned from, so that start-up and the sweep re-plan only the
-- communities whose programme or settings changed since, or whose next reminder is due: a few queries for every
-- server at once instead of a round of queries per server. ``fingerprint`` digests the programme's version and
-- the settings the plan reads; ``next_due_at`` is the earliest reminder still waiting (NULL: none waits).
CREATE TABLE reminder_plans (
    community_id INTEGER PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    next_due_at  TEXT,
    planned_at   TEXT NOT NULL
) STRICT;
