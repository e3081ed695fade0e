-- The alerts service's own database: the facts the rules read, every alert with its lifecycle,
-- the due checks of the clock, the log of alert changes the live stream serves, and the audit.
-- The fact, alert and due tables hold exactly the rows of the rules core's AlertState.rows()
-- (services/alerts/state.py); the service keeps that state in memory and writes the rows a
-- batch changed in the transaction that records the batch's event ids (inbox).

-- Facts ----------------------------------------------------------------------------------------
CREATE TABLE workers (
    worker_id    text PRIMARY KEY,
    village      text NOT NULL,
    seq          integer NOT NULL,            -- sequence of the last event applied
    registered   boolean NOT NULL,
    verified     boolean NOT NULL,
    departed_on  date,                        -- the current placement abroad, if any
    contract_end date
);

CREATE TABLE worker_fees (                    -- fees already seen: one alert per fee
    worker_id text NOT NULL REFERENCES workers (worker_id),
    fee_id    text NOT NULL,
    PRIMARY KEY (worker_id, fee_id)
);

CREATE TABLE agencies (
    agency_id          text PRIMARY KEY,
    seq                integer NOT NULL,
    unlicensed_since   date,
    last_named_on      date,
    last_named_village text
);

CREATE TABLE agency_villages (                -- where an agency was named, within the window
    agency_id text NOT NULL REFERENCES agencies (agency_id),
    village   text NOT NULL,
    named_on  date NOT NULL,
    PRIMARY KEY (agency_id, village)
);

CREATE TABLE cases (
    case_id             text PRIMARY KEY,
    area                text NOT NULL,
    level               text NOT NULL,
    category            text NOT NULL,
    gbv_type            text,
    opened_at           timestamptz NOT NULL,
    seq                 integer NOT NULL,
    unregistered_worker boolean NOT NULL,
    verified            boolean NOT NULL,
    agency_id           text,
    assigned            boolean NOT NULL,
    unassigned_since    timestamptz,
    closed              boolean NOT NULL,
    due_on              date,
    due_clock           text
);

CREATE TABLE areas (                          -- villages and regencies: registered workers
    area       text PRIMARY KEY,
    registered integer NOT NULL
);

CREATE TABLE area_cases (                     -- verified cases per day, within the window
    area  text NOT NULL REFERENCES areas (area),
    day   date NOT NULL,
    cases integer NOT NULL,
    PRIMARY KEY (area, day)
);

-- Alerts ---------------------------------------------------------------------------------------
-- Every alert ever raised. Who acknowledged or resolved it, and a monitor's comment, stay here.
CREATE TABLE alerts (
    id              uuid PRIMARY KEY,
    rule            text NOT NULL,
    about           text NOT NULL,
    severity        text NOT NULL,
    level           text NOT NULL,
    -- C collation: a jurisdiction is a byte range of codes ([X., X/)), served by the index.
    area            text COLLATE "C" NOT NULL,
    raised_at       timestamptz NOT NULL,
    clears_itself   boolean NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    status          text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    version         integer NOT NULL CHECK (version >= 1),
    acknowledged_by text,
    acknowledged_at timestamptz,
    resolved_by     text,
    resolved_at     timestamptz,
    resolution      text,
    cleared         boolean NOT NULL,
    comment         text                      -- the resolving monitor's, never published
);
CREATE INDEX alerts_area ON alerts (area, raised_at DESC, id DESC);
CREATE INDEX alerts_raised ON alerts (raised_at DESC, id DESC);
-- The live book (loaded at start): every alert not both resolved and cleared.
CREATE INDEX alerts_latched ON alerts (id) WHERE status <> 'resolved' OR NOT cleared;

-- Due checks of the time-driven rules: one due time per (rule, about).
CREATE TABLE due (
    rule   text NOT NULL,
    about  text NOT NULL,
    due_at timestamptz NOT NULL,
    PRIMARY KEY (rule, about)
);
CREATE INDEX due_at ON due (due_at);

-- One row: the version of the state above. Every writer (a consumed batch, a clock tick, a
-- monitor's step) locks it first, so writers take turns, and the state a process holds in
-- memory is known current exactly when its version equals this one.
CREATE TABLE engine_state (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO engine_state (id, version) VALUES (1, 0);

-- Every alert change, in the order it was committed (writers take turns on engine_state, so
-- seq order is commit order): the ids of the live stream (SSE), which resumes after one.
CREATE TABLE alert_log (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id uuid NOT NULL,
    type     text NOT NULL,                   -- alert-raised, alert-acknowledged, alert-resolved
    area     text COLLATE "C" NOT NULL,
    at       timestamptz NOT NULL,
    alert    json NOT NULL                    -- the alert as it stands after the change
);

CREATE FUNCTION alert_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('alert_log', '');
    RETURN NULL;
END $$;

-- Delivered at commit: wakes each process's stream feed.
CREATE TRIGGER alert_log_notify AFTER INSERT ON alert_log
    FOR EACH STATEMENT EXECUTE FUNCTION alert_log_notify();

-- Who read or did what. Never personal data: ids, roles and area codes only.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    role           text NOT NULL,
    actor_area     text NOT NULL,
    action         text NOT NULL,
    alert_id       uuid,
    area           text,
    correlation_id text
);
CREATE INDEX audit_log_alert ON audit_log (alert_id, at) WHERE alert_id IS NOT NULL;
