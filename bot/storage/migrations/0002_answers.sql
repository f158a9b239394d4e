-- Members' answers. Only Discord ids are stored: never names, nicknames or avatars.

CREATE TABLE consents (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    consented_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE answers (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    prompt_id  INTEGER NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('modal', 'thread')),
    message_id INTEGER UNIQUE,  -- the thread message a contribution came from
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    late       INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    CHECK ((source = 'thread') = (message_id IS NOT NULL))
) STRICT;

-- One current answer per member per prompt through /answer and the buttons; thread replies are
-- separate contributions, one per message.
CREATE UNIQUE INDEX answers_one_modal_per_member ON answers (prompt_id, user_id) WHERE source = 'modal';
CREATE INDEX answers_by_member ON answers (guild_id, user_id);
CREATE INDEX answers_by_prompt ON answers (prompt_id, created_at);

-- Earlier versions of an answer, kept when it is edited.
CREATE TABLE answer_versions (
    id          INTEGER PRIMARY KEY,
    answer_id   INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;

CREATE INDEX answer_versions_by_answer ON answer_versions (answer_id);

-- Members who erased their data with /mydata delete. Their messages in prompt threads are still on Discord,
-- so without this the catch-up after a restart (or an edit) would record them again. Only ids and a time:
-- the minimum needed to honour the erasure. A thread message the member posted at or before erased_at is
-- never recorded again; one posted later is a new, freely given contribution (with a new consent).
CREATE TABLE erasures (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    erased_at TEXT NOT NULL,  -- the latest erasure
    PRIMARY KEY (guild_id, user_id)
) STRICT;

-- When retention last deleted a server's answers: a thread message posted at or before deleted_at is never
-- recorded again, even in a thread a facilitator re-opens later. No member ids.
CREATE TABLE retention_cutoffs (
    guild_id   INTEGER PRIMARY KEY,
    deleted_at TEXT NOT NULL
) STRICT;
