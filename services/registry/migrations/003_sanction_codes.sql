-- A suspension or revocation has a reason code (published on registry.agency.v1) and the
-- officer's free-text note (kept here, shown only to those who sanction agencies). The free text
-- recorded before codes existed becomes the note; its code stays null.
ALTER TABLE agencies RENAME COLUMN reason TO note;
ALTER TABLE agencies ADD COLUMN reason text;
