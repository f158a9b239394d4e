-- PostgreSQL translation of ../0006_export_audit_cli_user.sql (see README.md here); keep the two equivalent.
-- Exports run from the command line record the operating-system user who ran them (actor_id stays NULL:
-- there is no Discord member behind them).

ALTER TABLE export_audit ADD COLUMN cli_user TEXT;
