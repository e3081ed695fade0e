-- The registry's own schema: workers (personal data stays here), placements, fees, agencies,
-- and the audit trail of every read of a personal record and every change.

CREATE TABLE agencies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    licence_no  text NOT NULL UNIQUE,
    area        text,                       -- province/regency code of the agency's seat, or null
    status      text NOT NULL CHECK (status IN ('licensed', 'suspended', 'revoked')),
    reason      text,                       -- of the last suspension or revocation
    version     integer NOT NULL CHECK (version >= 1),
    licensed_at timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workers (
    id          uuid PRIMARY KEY,
    -- HMAC-SHA256 of the NIK under a server secret: finds duplicates without an index of NIKs.
    nik_hash    bytea NOT NULL UNIQUE,
    nik         text NOT NULL CHECK (nik ~ '^[0-9]{16}$'),
    name        text NOT NULL,
    sex         text NOT NULL CHECK (sex IN ('female', 'male')),
    birth_date  date NOT NULL,
    -- Byte order (C collation): a jurisdiction is a plain range of codes, served by the index.
    village     text COLLATE "C" NOT NULL,
    occupation  text,                       -- the job applied for
    procedural  boolean NOT NULL,
    status      text NOT NULL CHECK (status IN ('registered', 'verified', 'departed', 'returned')),
    -- The aggregate's version: the sequence of its latest event on registry.worker.v1.
    version     integer NOT NULL CHECK (version >= 1),
    verified_on date,
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Jurisdiction listing: village = X, or X. <= village < X/ ('/' follows '.').
CREATE INDEX workers_village ON workers (village, registered_at, id);

CREATE TABLE departures (
    id                  uuid PRIMARY KEY,
    worker_id           uuid NOT NULL REFERENCES workers (id),
    occupation          text NOT NULL,
    destination_country text NOT NULL,
    channel             text NOT NULL,
    agency_id           uuid REFERENCES agencies (id),
    departed_on         date NOT NULL,
    contract_end        date,
    returned_on         date,
    recorded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX departures_worker ON departures (worker_id, departed_on DESC);

CREATE TABLE fees (
    id          uuid PRIMARY KEY,
    worker_id   uuid NOT NULL REFERENCES workers (id),
    component   text NOT NULL,
    amount      numeric(18, 2) NOT NULL CHECK (amount > 0),
    currency    text NOT NULL,
    charged_on  date NOT NULL,
    agency_id   uuid REFERENCES agencies (id),
    occupation  text,                       -- as known when recorded: placed, else applied for
    legality    text NOT NULL CHECK (legality IN ('illegal', 'warning')),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fees_worker ON fees (worker_id);

-- Who did or read what, when. Never personal data: ids, roles and area codes only.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    role           text NOT NULL,
    actor_area     text NOT NULL,
    action         text NOT NULL,
    worker_id      uuid,
    agency_id      uuid,
    correlation_id text
);
CREATE INDEX audit_log_worker ON audit_log (worker_id, at) WHERE worker_id IS NOT NULL;
