-- Deliberation (issue 22): conversations on a week's prompt, short statements, and members' votes on them.
-- Provisional number: the plan reserves 0014 for this file; it is 0012 on its branch so the list has no gaps.
-- Members appear only by platform id (user_id), as answers do, and only in deliberation_participants: a vote
-- or a statement names a participant row, so /mydata delete erases one row and its votes go with it. A Pol.is
-- import's participants have no member behind them and keep their Pol.is id for the export.

CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL,
    number        INTEGER NOT NULL,  -- "conversation N" within the community
    week          INTEGER,           -- the programme week it is about; NULL for an import
    prompt        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    auto_accept   INTEGER NOT NULL DEFAULT 1 CHECK (auto_accept IN (0, 1)),
    channel_id    INTEGER,           -- the one post with the Vote button
    post_id       INTEGER,
    origin        TEXT NOT NULL DEFAULT 'bot' CHECK (origin IN ('bot', 'polis')),
    groups_state  TEXT,              -- the last analysis's axes and groups (JSON), to keep the next one stable
    created_at    TEXT NOT NULL,
    closed_at     TEXT,
    UNIQUE (community_id, number)
) STRICT;

CREATE TABLE deliberation_participants (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         INTEGER,         -- the member; NULL for a participant imported from Pol.is
    polis_id        INTEGER,         -- the participant's id in the Pol.is export it came from
    consented_at    TEXT,            -- when the member agreed to have their votes kept (their first vote)
    UNIQUE (conversation_id, user_id),
    UNIQUE (conversation_id, polis_id),
    CHECK (user_id IS NOT NULL OR polis_id IS NOT NULL)
) STRICT;

CREATE INDEX deliberation_participants_by_member ON deliberation_participants (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE statements (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       INTEGER REFERENCES deliberation_participants (id) ON DELETE CASCADE,  -- NULL: a seed
    text            TEXT NOT NULL,
    origin          TEXT NOT NULL CHECK (origin IN ('seed', 'member', 'answer', 'polis')),
    moderation      TEXT NOT NULL CHECK (moderation IN ('pending', 'accepted', 'rejected')),
    polis_id        INTEGER,         -- the comment id in the Pol.is export it came from
    created_at      TEXT NOT NULL
) STRICT;

CREATE INDEX statements_by_conversation ON statements (conversation_id, moderation);

-- One current vote per participant and statement: changing a vote replaces it.
CREATE TABLE deliberation_votes (
    participant_id INTEGER NOT NULL REFERENCES deliberation_participants (id) ON DELETE CASCADE,
    statement_id   INTEGER NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
    vote           INTEGER NOT NULL CHECK (vote IN (-1, 0, 1)),
    voted_at       TEXT NOT NULL,
    PRIMARY KEY (participant_id, statement_id)
) STRICT;

CREATE INDEX deliberation_votes_by_statement ON deliberation_votes (statement_id);
