-- PostgreSQL: communities.id is a plain BIGINT key, not an identity: the bot always supplies it.
-- A community is the group a programme belongs to: today, a Discord server. Every table's tenant key is
-- renamed from guild_id to community_id and stays a 64-bit integer: for Discord it is the server's own id
-- (a snowflake, always positive), so no lookup is needed on the hot paths. A platform whose ids are text
-- (Slack's workspace ids look like 'T0123ABCD') gets a row in communities with a negative id of its own,
-- which can never collide with a snowflake; its text id lives in external_id. No schema change is needed
-- to add one.
CREATE TABLE communities (
    id           BIGINT PRIMARY KEY,
    platform     TEXT NOT NULL DEFAULT 'discord',
    external_id  TEXT NOT NULL,
    joined_at    TEXT,              -- when the bot was (last) added; NULL for servers known before 0010
    left_at      TEXT,              -- when the bot was removed; its data is deleted a grace period later
    welcomed_at  TEXT,              -- when the one "how to set me up" message was posted
    UNIQUE (platform, external_id),
    CHECK (platform <> 'discord' OR id > 0)
);

INSERT INTO communities (id, platform, external_id)
SELECT id, 'discord', CAST(id AS TEXT) FROM (
    SELECT guild_id AS id FROM programmes
    UNION SELECT guild_id FROM guild_settings
    UNION SELECT guild_id FROM answers
    UNION SELECT guild_id FROM consents
    UNION SELECT guild_id FROM dm_subscriptions
    UNION SELECT guild_id FROM reminder_deliveries
    UNION SELECT guild_id FROM export_audit
) AS known;

ALTER TABLE programmes RENAME COLUMN guild_id TO community_id;
ALTER TABLE sessions RENAME COLUMN guild_id TO community_id;
ALTER TABLE guild_settings RENAME COLUMN guild_id TO community_id;
ALTER TABLE guild_settings RENAME TO community_settings;
ALTER TABLE consents RENAME COLUMN guild_id TO community_id;
ALTER TABLE answers RENAME COLUMN guild_id TO community_id;
ALTER TABLE erasures RENAME COLUMN guild_id TO community_id;
ALTER TABLE retention_cutoffs RENAME COLUMN guild_id TO community_id;
ALTER TABLE prompt_threads RENAME COLUMN guild_id TO community_id;
ALTER TABLE dm_subscriptions RENAME COLUMN guild_id TO community_id;
ALTER TABLE reminder_deliveries RENAME COLUMN guild_id TO community_id;
ALTER TABLE export_audit RENAME COLUMN guild_id TO community_id;
ALTER TABLE session_events RENAME COLUMN guild_id TO community_id;
ALTER TABLE event_interest RENAME COLUMN guild_id TO community_id;
ALTER TABLE dm_opt_outs RENAME COLUMN guild_id TO community_id;

DROP INDEX prompt_threads_by_guild;
CREATE INDEX prompt_threads_by_community ON prompt_threads (community_id, state);
DROP INDEX export_audit_by_guild;
CREATE INDEX export_audit_by_community ON export_audit (community_id, created_at);
CREATE INDEX communities_by_departure ON communities (left_at) WHERE left_at IS NOT NULL;
