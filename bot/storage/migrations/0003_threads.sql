-- The discussion thread (or forum post) opened for each prompt.
-- The starter message is the bot's message carrying the prompt and its Answer button: in a text channel it
-- sits in the parent channel (the thread hangs off it), in a forum it is the post's first message, inside
-- the thread. collect_replies says what the starter message told members: replies are recorded as
-- answers only in a thread whose starter message says so.

CREATE TABLE prompt_threads (
    prompt_id          INTEGER PRIMARY KEY REFERENCES prompts (id) ON DELETE CASCADE,
    guild_id           INTEGER NOT NULL,
    parent_channel_id  INTEGER NOT NULL,
    thread_id          INTEGER NOT NULL UNIQUE,
    starter_message_id INTEGER,
    state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    opened_at          TEXT NOT NULL,
    closed_at          TEXT,
    starter_channel_id INTEGER,  -- where the starter message is: the parent channel, or the thread itself
    collect_replies    INTEGER NOT NULL DEFAULT 1 CHECK (collect_replies IN (0, 1))
) STRICT;

CREATE INDEX prompt_threads_by_guild ON prompt_threads (guild_id, state);
