-- An agency's registered business name, from its latest ``agency-licensed`` (public data): the
-- board names the agency an alert is about instead of showing its id.
ALTER TABLE agencies ADD COLUMN name text;
