-- The erasure records keep a keyed pseudonym of the member instead of their platform id (see storage/erasures.py).
-- member_key is HMAC-SHA256 of the (community, member) ids under the deployment's erasure key, kept in bot_state
-- and never rotated: the bot recomputes it from the author of each thread message it reads, so an erasure stays
-- final, while the table alone no longer says which members erased their data.
--
-- SQL cannot compute the HMAC: the rows written before this migration are carried over as 'unkeyed:<user id>'
-- and replaced by their pseudonyms, once, by the bot the first time it uses the table after the upgrade (in the
-- transaction that creates the key; storage/erasures.py). The old table goes now, with its ids.
ALTER TABLE erasures RENAME TO erasures_v13;

CREATE TABLE erasures (
    community_id INTEGER NOT NULL,
    member_key   TEXT NOT NULL,  -- 64 hex digits; 'unkeyed:<user id>' only until the bot's first start after 0014
    erased_at    TEXT NOT NULL,  -- the latest erasure
    PRIMARY KEY (community_id, member_key)
) STRICT;

INSERT INTO erasures (community_id, member_key, erased_at)
    SELECT community_id, 'unkeyed:' || user_id, erased_at FROM erasures_v13;

DROP TABLE erasures_v13;
