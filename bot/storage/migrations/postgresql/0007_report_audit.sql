-- PostgreSQL translation of ../0007_report_audit.sql (see README.md here); keep the two equivalent.
-- Reports are recorded in the export audit too: 'answers' for an answer export, 'report' for the HTML report.

ALTER TABLE export_audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'answers' CHECK (kind IN ('answers', 'report'));
