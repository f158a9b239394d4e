-- PostgreSQL translation of ../0003_threads.sql (see README.md here); keep the two equivalent.
-- The discussion thread (or forum post) opened for each prompt.
-- The starter message is the bot's message carrying the prompt and its Answer button: in a text channel it
-- sits in the parent channel (the thread hangs off it), in a forum it is the post's first message, inside
-- the thread. collect_replies says what the starter message told members: replies are recorded as
-- answers only in a thread whose starter message says so.

CREATE TABLE prompt_threads (
    prompt_id          BIGINT PRIMARY KEY REFERENCES prompts (id) ON DELETE CASCADE,
    guild_id           BIGINT NOT NULL,
    parent_channel_id  BIGINT NOT NULL,
    thread_id          BIGINT NOT NULL UNIQUE,
    starter_message_id BIGINT,
    state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    opened_at          TEXT NOT NULL,
    closed_at          TEXT,
    starter_channel_id BIGINT,  -- where the starter message is: the parent channel, or the thread itself
    collect_replies    BIGINT NOT NULL DEFAULT 1 CHECK (collect_replies IN (0, 1))
);

CREATE INDEX prompt_threads_by_guild ON prompt_threads (guild_id, state);
