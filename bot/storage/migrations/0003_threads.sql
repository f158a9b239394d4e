-- The discussion thread (or forum post) opened for each prompt.

CREATE TABLE prompt_threads (
    prompt_id          INTEGER PRIMARY KEY REFERENCES prompts (id) ON DELETE CASCADE,
    guild_id           INTEGER NOT NULL,
    parent_channel_id  INTEGER NOT NULL,
    thread_id          INTEGER NOT NULL UNIQUE,
    starter_message_id INTEGER,
    state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    opened_at          TEXT NOT NULL,
    closed_at          TEXT
) STRICT;
