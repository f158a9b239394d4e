-- Reminders: who wants DMs, and the ledger of every (reminder, target) with its delivery state.

CREATE TABLE dm_subscriptions (
    guild_id              INTEGER NOT NULL,
    user_id               INTEGER NOT NULL,
    subscribed_at         TEXT NOT NULL,
    dms_closed_noticed_at TEXT,  -- when the member was told (once) that their DMs are closed
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE reminder_deliveries (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    offset_minutes INTEGER NOT NULL,
    due_at         TEXT NOT NULL,
    target_kind    TEXT NOT NULL CHECK (target_kind IN ('channel', 'dm')),
    target_id      INTEGER NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'claimed', 'sent', 'undeliverable', 'skipped')),
    nonce          TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    message_id     INTEGER,
    last_error     TEXT,
    updated_at     TEXT NOT NULL,
    UNIQUE (session_id, offset_minutes, due_at, target_kind, target_id)
) STRICT;

CREATE INDEX reminder_deliveries_by_state ON reminder_deliveries (state, due_at);
