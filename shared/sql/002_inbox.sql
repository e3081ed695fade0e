-- Idempotent consumption: the event id is recorded in the same transaction as its effect.
CREATE TABLE inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Each consumer's position per partition, written in the same transaction as the effect:
-- the projection's watermark, and a record of how far it has applied the log.
CREATE TABLE consumer_positions (
    consumer   text NOT NULL,
    topic      text NOT NULL,
    partition  integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
