-- Reporting projection. Everything the views need lives in schema "projection" so that a
-- replay can build a shadow copy beside it and swap the two in one transaction.
CREATE SCHEMA projection;

-- The figures: one row per (area, metric, dimension tuple), for the village of each fact and
-- every ancestor, written in the same transaction as the inbox record of the events.
-- dims is the dimension tuple joined with '|' (see services/reporting/projections/model.py).
CREATE TABLE projection.cube (
    area   text    NOT NULL,
    metric text    NOT NULL,
    dims   text    NOT NULL,
    n      bigint  NOT NULL DEFAULT 0,
    amount numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (area, metric, dims)
) WITH (fillfactor = 70);

-- The summary leaves (paths of the summary's "totals"), materialised for the levels whose
-- children are many rows of cube away (nation, provinces, regencies); lower levels are
-- derived from the cube at read time with the same mapping.
CREATE TABLE projection.cells (
    area text    NOT NULL,
    path text    NOT NULL,
    v    numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (area, path)
) WITH (fillfactor = 70);

-- Transition state of the aggregates (workers, cases, alerts, agencies), keyed by their
-- pseudonymous ids: categories and codes only, never personal data.
CREATE TABLE projection.subjects (
    id    text    PRIMARY KEY,
    kind  text    NOT NULL,
    area  text    NOT NULL,
    seq   integer NOT NULL,
    attrs jsonb   NOT NULL
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

-- Areas whose published (suppressed) summary is out of date.
CREATE TABLE projection.dirty (area text PRIMARY KEY);
