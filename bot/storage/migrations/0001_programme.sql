-- The programme of each Discord server, its sessions and prompts, and per-server settings.
-- Times are ISO-8601 UTC text of fixed width ('2020-08-03T18:00:00.000000Z'): text order is time order.

CREATE TABLE programmes (
    guild_id     INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    timezone     TEXT NOT NULL,
    introduction TEXT NOT NULL DEFAULT '',
    imported_at  TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: old buttons must not point at new rows
    guild_id     INTEGER NOT NULL REFERENCES programmes (guild_id) ON DELETE CASCADE,
    week         INTEGER NOT NULL CHECK (week > 0),
    title        TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL CHECK (ends_at > starts_at),
    location     TEXT NOT NULL,
    description  TEXT NOT NULL,
    meeting_link TEXT,
    revision     INTEGER NOT NULL DEFAULT 0,  -- bumped on every change: the calendar's SEQUENCE
    UNIQUE (guild_id, week)
) STRICT;

CREATE INDEX sessions_by_start ON sessions (guild_id, starts_at);

CREATE TABLE prompts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an Answer button names its prompt by id
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    UNIQUE (session_id, position)
) STRICT;

CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    reminder_channel_id   INTEGER,
    reminder_offsets      TEXT,     -- NULL: the REMINDER_OFFSETS default
    ping_role_id          INTEGER,
    facilitator_role_id   INTEGER,
    organiser_role_id     INTEGER,
    discussion_channel_id INTEGER,
    meeting_link          TEXT,     -- for the whole programme; a week's own link is on sessions
    answer_window_minutes INTEGER,  -- NULL: answers are always on time
    retention_days        INTEGER,  -- NULL: kept until deleted
    retention_warned_at   TEXT,
    updated_at            TEXT NOT NULL
) STRICT;

-- Small bot-wide values: the hash of the last command sync, the export secret when generated.
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
