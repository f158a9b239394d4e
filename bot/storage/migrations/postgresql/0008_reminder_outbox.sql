-- PostgreSQL translation of ../0008_reminder_outbox.sql (see README.md here); keep the two equivalent.
-- The outbox check on restart: what a claimed delivery was about to send (a digest of its text), so that
-- after a crash the bot can look for that message among the target channel's recent messages before
-- sending it again. Discord's nonce de-duplication lasts only a few minutes. NULL for rows claimed before
-- this migration: they are sent again with their nonce, as before.
ALTER TABLE reminder_deliveries ADD COLUMN claimed_digest TEXT;
