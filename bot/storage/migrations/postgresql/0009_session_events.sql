-- PostgreSQL translation of ../0009_session_events.sql (see README.md here); keep the two equivalent.
-- Sessions as Discord scheduled events (issue 14): the switch and the reminder choice per server, the event of
-- each session, the members marked Interested (personal data: shown by /mydata, deleted by erasure and
-- retention), and members who turned DM reminders off (so that being Interested never brings them back).

ALTER TABLE guild_settings ADD COLUMN events_enabled BIGINT;     -- NULL or 0: off (the default)
ALTER TABLE guild_settings ADD COLUMN remind_interested BIGINT;  -- NULL or 0: DMs to /reminders opt-ins only

-- Keyed by week, not by session row: a session removed by an import still has its event to cancel.
CREATE TABLE session_events (
    guild_id    BIGINT NOT NULL,
    week        BIGINT NOT NULL,
    event_id    BIGINT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,  -- what the bot last set: tells a programme change from an edit by hand
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, week)
);

CREATE TABLE event_interest (
    guild_id  BIGINT NOT NULL,
    event_id  BIGINT NOT NULL,
    user_id   BIGINT NOT NULL,
    marked_at TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
);

CREATE INDEX event_interest_by_member ON event_interest (guild_id, user_id);

CREATE TABLE dm_opt_outs (
    guild_id      BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,
    opted_out_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
