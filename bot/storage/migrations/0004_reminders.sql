-- Reminders: who wants DMs, and the ledger of every (reminder, target) with its delivery state.
--
-- A reminder is (session_id, offset_minutes, due_at); due_at is part of the key so that a re-dated
-- session's reminders are new rows (its old pending rows are deleted by the re-plan, sent ones stay as
-- history). Channel rows are written when the reminder is planned; DM rows when it becomes due, one per
-- member subscribed at the due time (subscribed_at <= due_at).

CREATE TABLE dm_subscriptions (
    guild_id              INTEGER NOT NULL,
    user_id               INTEGER NOT NULL,
    subscribed_at         TEXT NOT NULL,
    dms_closed_noticed_at TEXT,  -- when the member was told (once) that their DMs are closed
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE reminder_deliveries (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    session_id      INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    offset_minutes  INTEGER NOT NULL,
    due_at          TEXT NOT NULL,
    target_kind     TEXT NOT NULL CHECK (target_kind IN ('channel', 'dm')),
    target_id       INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'claimed', 'sent', 'undeliverable', 'skipped')),
    nonce           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    message_id      INTEGER,
    last_error      TEXT,
    updated_at      TEXT NOT NULL,
    next_attempt_at TEXT,  -- a pending row retried after a failure waits until then; NULL: at once
    UNIQUE (session_id, offset_minutes, due_at, target_kind, target_id)
) STRICT;

CREATE INDEX reminder_deliveries_by_state ON reminder_deliveries (state, due_at);
-- Forgetting a member, and turning DMs off, look rows up by member.
CREATE INDEX reminder_deliveries_by_target ON reminder_deliveries (guild_id, target_kind, target_id);
