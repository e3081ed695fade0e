-- Transactional outbox: a state change and its event are committed together.
-- The relay publishes unpublished rows in position order and deletes them once the broker
-- acknowledged them; it never relies on a high-water mark, so a row that commits late is not
-- skipped. Per subject, rows are written in sequence order under the aggregate's row lock.
CREATE TABLE outbox (
    position    bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    topic       text NOT NULL,
    key         text NOT NULL,
    event_type  text NOT NULL,
    payload     bytea NOT NULL,
    headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$;

-- One notification per statement, delivered at commit: wakes the relay without polling delay.
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
