-- Every answer export: who pulled what, when, and whether it named members.

CREATE TABLE export_audit (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    actor_id   INTEGER,  -- NULL: the command line
    created_at TEXT NOT NULL,
    week       INTEGER,  -- NULL: every week
    format     TEXT NOT NULL,
    identities TEXT NOT NULL CHECK (identities IN ('pseudonymous', 'named')),
    row_count  INTEGER NOT NULL
) STRICT;

CREATE INDEX export_audit_by_guild ON export_audit (guild_id, created_at);
