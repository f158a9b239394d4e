-- Which bot process holds a reminder claim. With several processes on one database (a rolling restart, or
-- shards moving between processes), the outbox check settles only the claims of processes that are gone, and
-- leaves a live process's send in flight to it. NULL: claimed before this column existed (settled as before).
ALTER TABLE reminder_deliveries ADD COLUMN claimed_by TEXT;
