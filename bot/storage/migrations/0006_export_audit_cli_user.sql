-- Exports run from the command line record the operating-system user who ran them (actor_id stays NULL:
-- there is no Discord member behind them).

ALTER TABLE export_audit ADD COLUMN cli_user TEXT;
