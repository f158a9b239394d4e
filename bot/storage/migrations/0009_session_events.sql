-- Sessions as Discord scheduled events (issue 14): the switch and the reminder choice per server, the event of
-- each session, the members marked Interested (personal data: shown by /mydata, deleted by erasure and
-- retention), and members who turned DM reminders off (so that being Interested never brings them back).

ALTER TABLE guild_settings ADD COLUMN events_enabled INTEGER;     -- NULL or 0: off (the default)
ALTER TABLE guild_settings ADD COLUMN remind_interested INTEGER;  -- NULL or 0: DMs to /reminders opt-ins only

-- Keyed by week, not by session row: a session removed by an import still has its event to cancel.
CREATE TABLE session_events (
    guild_id    INTEGER NOT NULL,
    week        INTEGER NOT NULL,
    event_id    INTEGER NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,  -- what the bot last set: tells a programme change from an edit by hand
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, week)
) STRICT;

CREATE TABLE event_interest (
    guild_id  INTEGER NOT NULL,
    event_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    marked_at TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
) STRICT;

CREATE INDEX event_interest_by_member ON event_interest (guild_id, user_id);

CREATE TABLE dm_opt_outs (
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    opted_out_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;
