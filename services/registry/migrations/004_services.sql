-- Services delivered to workers and their families before departure and after return
-- (docs/domain.md). A family member is recorded with what the service needs and nothing more:
-- relation, sex, year of birth, and which one when two share those (twins). Nothing here
-- leaves the registry but codes (service-delivered).

CREATE TABLE family_members (
    id          uuid PRIMARY KEY,
    worker_id   uuid NOT NULL REFERENCES workers (id),
    relation    text NOT NULL,
    sex         text NOT NULL CHECK (sex IN ('female', 'male')),
    birth_year  integer NOT NULL CHECK (birth_year BETWEEN 1900 AND 2100),
    member      integer NOT NULL DEFAULT 1 CHECK (member BETWEEN 1 AND 20),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (worker_id, relation, sex, birth_year, member)
);

-- A session recorded in one request (a training and its participants).
CREATE TABLE service_sessions (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL,
    delivered_on  date NOT NULL,
    provider      text NOT NULL,
    provider_area text NOT NULL,            -- the village's or the centre's (officer's) area
    participants  integer NOT NULL CHECK (participants >= 1),
    recorded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
    id               uuid PRIMARY KEY,
    worker_id        uuid NOT NULL REFERENCES workers (id),
    family_member_id uuid REFERENCES family_members (id),  -- null: delivered to the worker
    kind             text NOT NULL,
    delivered_on     date NOT NULL,
    provider         text NOT NULL,
    provider_area    text NOT NULL,
    session_id       uuid REFERENCES service_sessions (id),
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_worker ON services (worker_id, delivered_on);

-- A delivery recorded as part of a session names it in the audit trail too.
ALTER TABLE audit_log ADD COLUMN session_id uuid;
