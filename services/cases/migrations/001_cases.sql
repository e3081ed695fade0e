-- The cases service's own schema: cases and what belongs to them (deadline clocks, actions,
-- referrals, escalations, the case_overdue alerts acted on, reports and their receipt digests),
-- the case workers' directory, break-the-glass grants, the audit trail, and the replica of the
-- worker facts cases needs, fed from registry.worker.v1. Area codes are compared byte-wise
-- (COLLATE "C"): a jurisdiction is the range X <= area < X/ of the index.

CREATE TABLE case_workers (
    id          uuid PRIMARY KEY,               -- pseudonymous: what case-assigned carries
    subject     text NOT NULL UNIQUE,           -- the token subject of the case worker
    sex         text NOT NULL CHECK (sex IN ('female', 'male')),
    area        text COLLATE "C" NOT NULL,      -- handles cases whose handling area lies within
    added_by    text NOT NULL,                  -- the supervisor's token subject
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_workers_area ON case_workers (area);

CREATE TABLE cases (
    id                          uuid PRIMARY KEY,
    area                        text COLLATE "C" NOT NULL,  -- the worker's village (a report: maybe a regency)
    handling_area               text COLLATE "C" NOT NULL,  -- the office of its level containing the area
    level                       text NOT NULL CHECK (level IN ('village', 'regency', 'province', 'national')),
    category                    text NOT NULL,
    gbv_type                    text,
    sex                         text NOT NULL CHECK (sex IN ('female', 'male')),
    procedural                  boolean NOT NULL,
    worker_id                   uuid,
    agency_id                   uuid,
    channel                     text NOT NULL,
    verified                    boolean NOT NULL,
    status                      text NOT NULL,
    opened_on                   date NOT NULL,
    documents_complete          boolean NOT NULL,
    consent_referral            boolean NOT NULL,
    consent_sharing             boolean NOT NULL,
    requested_case_worker_sex   text CHECK (requested_case_worker_sex IN ('female', 'male')),
    assignee_id                 uuid REFERENCES case_workers (id),
    closure_reason              text,
    closed_on                   date,
    closure_note                text,                       -- confidential, as the narrative
    merged_into                 uuid REFERENCES cases (id),
    due_on                      date,                       -- the next deadline (earliest clock)
    due_clock                   text,
    narrative                   text NOT NULL,              -- confidential: never leaves the service
    -- Published events so far: the sequence of the case's latest event on cases.case.v1.
    version                     integer NOT NULL CHECK (version >= 1),
    opened_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'closed') = (closure_reason IS NOT NULL))
);
CREATE INDEX cases_area ON cases (area, opened_on, id);
CREATE INDEX cases_assignee ON cases (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX cases_merged_into ON cases (merged_into) WHERE merged_into IS NOT NULL;

-- The running deadline clocks of Regulation BP2MI 6/2024 art. 30, one row per clock and case.
CREATE TABLE case_clocks (
    case_id     uuid NOT NULL REFERENCES cases (id),
    clock       text NOT NULL,
    started_on  date NOT NULL,
    due_on      date NOT NULL,
    PRIMARY KEY (case_id, clock)
);
CREATE INDEX case_clocks_due ON case_clocks (due_on);

CREATE TABLE case_actions (
    id          bigserial PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    action      text NOT NULL,
    taken_on    date NOT NULL,
    status      text NOT NULL,                  -- the case's status after it
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_actions_case ON case_actions (case_id, id);

CREATE TABLE case_referrals (
    id                  bigserial PRIMARY KEY,
    case_id             uuid NOT NULL REFERENCES cases (id),
    organisation        text NOT NULL,          -- a code, never a name
    consent             boolean NOT NULL,
    consent_overridden  boolean NOT NULL,
    file_shared         boolean NOT NULL,
    override_reason     text,                   -- the supervisor's stated reason (audited too)
    overridden_by       text,
    referred_by         text NOT NULL,
    referred_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (consent_overridden = (override_reason IS NOT NULL))
);
CREATE INDEX case_referrals_case ON case_referrals (case_id, id);

CREATE TABLE case_escalations (
    id              bigserial PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id),
    from_level      text NOT NULL,
    to_level        text NOT NULL,
    reason          text NOT NULL,
    note            text,                       -- confidential
    alert_id        uuid,                       -- the case_overdue alert that caused it
    escalated_by    text NOT NULL,
    escalated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_escalations_case ON case_escalations (case_id, id);

-- Every case_overdue alert decided on (escalated, or ignored as stale): decided once.
CREATE TABLE case_alerts (
    alert_id    uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    outcome     text NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_alerts_case ON case_alerts (case_id);

-- Reports by workers and families: the receipt itself is never stored, only its SHA-256.
CREATE TABLE reports (
    receipt_digest  text PRIMARY KEY CHECK (receipt_digest ~ '^[0-9a-f]{64}$'),
    case_id         uuid NOT NULL UNIQUE REFERENCES cases (id),
    contact         text,                       -- confidential: the reporter's
    received_on     date NOT NULL,
    rejection       text                        -- a RejectionReason code once rejected
);

CREATE TABLE break_glass_grants (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    subject     text NOT NULL,
    role        text NOT NULL,
    area        text NOT NULL,
    reason      text NOT NULL,
    granted_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > granted_at)
);
CREATE INDEX break_glass_grants_holder ON break_glass_grants (subject, case_id, expires_at);

-- Who read or changed what, when. Ids, roles, codes and area codes, and the reasons people
-- stated for an override or a grant (confidential, as the case file).
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    role            text NOT NULL,
    actor_area      text NOT NULL,
    action          text NOT NULL,
    case_id         uuid,
    what            text,                       -- a read: none, summary or file; a change: its event
    reason          text,
    grant_id        uuid,
    case_worker_id  uuid,
    alert_id        uuid,
    correlation_id  text
);
CREATE INDEX audit_log_case ON audit_log (case_id, at) WHERE case_id IS NOT NULL;

-- The replica of registry.worker.v1: only the facts cases needs, never a NIK, name or birth
-- date (the events carry none). Each group of facts keeps the sequence it was taken from, so
-- events applied twice or out of order leave the newest facts (see workers/replica.py).
CREATE TABLE workers (
    id                  uuid PRIMARY KEY,
    village             text COLLATE "C" NOT NULL,  -- the area of the latest event
    sequence            integer NOT NULL,           -- the latest event applied
    sex                 text CHECK (sex IN ('female', 'male')),
    procedural          boolean,
    registered_on       date,
    registered_seq      integer NOT NULL DEFAULT 0, -- 0: worker-registered not seen yet
    status              text,
    status_seq          integer NOT NULL DEFAULT 0,
    occupation          text,                       -- placed as, else applied for
    agency_id           uuid,                       -- of the latest placement
    destination_country text,
    departed_on         date,
    placement_seq       integer NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
