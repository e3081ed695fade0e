-- Compact figures: integer area ids and a dictionary of figure keys, so that PostgreSQL expands
-- each batch's village-level deltas to every ancestor itself (one statement per batch).
--
-- The views are rebuilt from the log: the old projection schema is dropped, and the reporting
-- consumers' inbox and positions are cleared. Consumers resume at the positions stored with the
-- figures (shared/consumer.py), so the next start re-applies every topic from offset 0.

DROP SCHEMA projection CASCADE;
DELETE FROM inbox;
DELETE FROM consumer_positions;

-- An area's id is its code's digits behind a leading 1: ID -> 1, 53 -> 153, 53.71 -> 15371,
-- 53.71.01 -> 1537101, 53.71.01.1001 -> 15371011001. The level is the number of digits, and an
-- ancestor is an integer division (village / 10^4 = district, / 10^6 = regency, / 10^8 =
-- province). area_code() and area_id() convert, for operators reading the tables.
CREATE FUNCTION area_code(id bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE length(d)
        WHEN 0 THEN 'ID'
        WHEN 2 THEN d
        WHEN 4 THEN substr(d, 1, 2) || '.' || substr(d, 3, 2)
        WHEN 6 THEN substr(d, 1, 2) || '.' || substr(d, 3, 2) || '.' || substr(d, 5, 2)
        WHEN 10 THEN substr(d, 1, 2) || '.' || substr(d, 3, 2) || '.' || substr(d, 5, 2)
            || '.' || substr(d, 7, 4)
    END
    FROM (SELECT substr(id::text, 2) AS d) AS digits
$$;

CREATE FUNCTION area_id(code text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ('1' || CASE WHEN code = 'ID' THEN '' ELSE replace(code, '.', '') END)::bigint
$$;

-- The dictionary, shared by the live views and a replay's shadow (append-only; ids are stable).
-- A key is a metric and its dimension tuple (services/reporting/projections/model.py); a path
-- is a leaf of the summary's totals; key_paths says which leaves a key's row adds to, with its
-- amount (fees) or its count.
CREATE TABLE figure_keys (
    id     serial PRIMARY KEY,
    metric text NOT NULL,
    dims   text NOT NULL,
    UNIQUE (metric, dims)
);
CREATE TABLE figure_paths (
    id   serial PRIMARY KEY,
    path text NOT NULL UNIQUE
);
CREATE TABLE figure_key_paths (
    key    integer NOT NULL REFERENCES figure_keys,
    path   integer NOT NULL REFERENCES figure_paths,
    amount boolean NOT NULL,
    PRIMARY KEY (key, path)
);

CREATE SCHEMA projection;

-- The figures: one row per (area, key), for the village of each fact and every ancestor.
CREATE TABLE projection.cube (
    area   bigint  NOT NULL,
    key    integer NOT NULL,
    n      bigint  NOT NULL DEFAULT 0,
    amount numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (area, key)
) WITH (fillfactor = 70);

-- The summary leaves, materialised for the nation, provinces and regencies (lower levels are
-- derived from the cube at read time through figure_key_paths).
CREATE TABLE projection.cells (
    area bigint  NOT NULL,
    path integer NOT NULL,
    v    numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (area, path)
) WITH (fillfactor = 70);

-- Transition state of the aggregates (workers, cases, alerts, agencies), keyed by their
-- pseudonymous ids; ``state`` is the subject's codes joined with '|' (never personal data).
CREATE TABLE projection.subjects (
    id    uuid    PRIMARY KEY,
    kind  text    NOT NULL,
    area  bigint  NOT NULL,
    seq   integer NOT NULL,
    state text    NOT NULL
) WITH (fillfactor = 80);

-- Area codes met in events that the shipped hierarchy does not list (the "not attributed
-- below" pseudo areas), so that they appear as children and every parent stays a sum.
CREATE TABLE projection.extra_areas (
    code   text PRIMARY KEY,
    parent text NOT NULL
);
CREATE INDEX extra_areas_parent ON projection.extra_areas (parent);

-- One row: the time of the latest event applied and how many events were applied.
CREATE TABLE projection.meta (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_event_time timestamptz,
    events          bigint NOT NULL DEFAULT 0,
    skipped         bigint NOT NULL DEFAULT 0
);
INSERT INTO projection.meta DEFAULT VALUES;

-- Areas (ids) whose published (suppressed) summary is out of date.
CREATE TABLE projection.dirty (area bigint PRIMARY KEY);

-- The figures as operators read them: area codes, metric and dimensions in words.
CREATE VIEW projection.figures AS
    SELECT area_code(c.area) AS area, k.metric, k.dims, c.n, c.amount
    FROM projection.cube AS c JOIN figure_keys AS k ON k.id = c.key;
