"""An agency's consumer of Pantau's topics: delivery is at least once, each event is handled once.

Pantau publishes every event at least once, so the same event (the same ``id``) can reach you
twice, for example after the broker was unreachable for a while. This consumer handles each
event once all the same, the way Pantau's own services do:

1. it records the event's ``id`` in its own database, in the same transaction as the event's
   effect (here: a tally of events per type and area), and skips an ``id`` it has seen before;
2. it commits its Kafka offsets only after that transaction, so a crash replays records
   rather than losing them, and the replay changes nothing.

It needs only the standard library and ``confluent-kafka`` from PyPI (``pip install
confluent-kafka``); nothing of Pantau's code. Against ``pantau dev``, in a second terminal::

    .venv/bin/python docs/examples/agency_consumer.py --group my-agency --db my-agency.sqlite

Each event handled is printed as a JSON line; a duplicate is printed as such and changes
nothing. ``--idle-exit 5`` catches up and stops after 5 s without records (for scheduled runs).
Run it twice: the second run starts where the first committed, and a new ``--group`` over the
same database re-reads everything and handles nothing twice. See docs/agencies.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

# The contract's topics (docs/contract.md). A topic's name ends in its major version.
TOPICS = [
    "registry.worker.v1",
    "registry.agency.v1",
    "cases.case.v1",
    "alerts.alert.v1",
    "reporting.area-summary.v1",
]

# The versions of each type this consumer accepts; any other is parked for a person (a breaking
# change to `data` raises `version`, see docs/contract.md). Its effect here is a tally that needs
# only the envelope, so it accepts version 1 of every type and, listed by name, the later
# versions whose changes it has checked: agency-suspended/-revoked v2 carry a reason code instead
# of free text (only v2 is published now); case-opened/-verified v2 rename `worker_id` to
# `registered_worker`. A consumer that reads `data` lists exactly the versions it can read.
DEFAULT_VERSIONS = frozenset({1})
UNDERSTOOD_VERSIONS: dict[str, frozenset[int]] = {
    "agency-suspended": frozenset({1, 2}),
    "agency-revoked": frozenset({1, 2}),
    "case-opened": frozenset({1, 2}),
    "case-verified": frozenset({1, 2}),
}

ENVELOPE_FIELDS = ("id", "type", "version", "source", "subject", "sequence", "time", "area", "data")

SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (   -- the ids already handled: the deduplication record
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tally (       -- the effect: events per type and area
    type TEXT NOT NULL,
    area TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (type, area)
);
CREATE TABLE IF NOT EXISTS parked (      -- records this consumer cannot read, kept for a person
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    value BLOB,
    PRIMARY KEY (topic, partition, offset)
);
"""


def consumer_config(bootstrap: str, group: str, session_timeout_ms: int) -> dict[str, Any]:
    """The settings that matter for Pantau's topics."""
    return {
        "bootstrap.servers": bootstrap,
        "group.id": group,  # your own group: never one of Pantau's (reporting-ID, ...)
        "auto.offset.reset": "earliest",  # a new group starts at the beginning of the history
        "enable.auto.commit": False,  # offsets are committed after the effect, never before
        # A group join waits for half the session timeout on the broker `pantau dev` runs
        # (Tansu); librdkafka's default of 45 s would hold the first record back ~23 s.
        # 6,000 ms is also the smallest session timeout Apache Kafka accepts by default.
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(500, session_timeout_ms // 3),
        "client.id": f"agency-example-{group}",
    }


class Store:
    """The consumer's own database: the ids handled, the effect, and parked records."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def apply(self, messages: Iterable[Message]) -> list[dict[str, Any]]:
        """Handle a batch in ONE transaction; return what happened to each record."""
        outcomes = []
        with self.db:  # commits on success, rolls back on an exception
            for message in messages:
                outcomes.append(self._apply_one(message))
        return outcomes

    def _apply_one(self, message: Message) -> dict[str, Any]:
        where = {"topic": message.topic(), "partition": message.partition()}
        where["offset"] = message.offset()
        try:
            event = read_envelope(message.value())
        except ValueError as exc:
            return self._park(message, str(exc), where)
        if not understood(event):
            reason = f"{event['type']} version {event['version']} is not understood yet"
            return self._park(message, reason, where)
        claimed = self.db.execute(
            "INSERT INTO processed (event_id, type, topic, partition, offset)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (event["id"], event["type"], where["topic"], where["partition"], where["offset"]),
        )
        if claimed.rowcount == 0:
            return {"duplicate": event["id"], "type": event["type"], **where}
        handle(self.db, event)
        return {"handled": event["id"], "type": event["type"], "area": event["area"], **where}

    def _park(self, message: Message, reason: str, where: dict[str, Any]) -> dict[str, Any]:
        self.db.execute(
            "INSERT INTO parked (topic, partition, offset, reason, value) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (where["topic"], where["partition"], where["offset"], reason, message.value()),
        )
        return {"parked": reason, **where}


def read_envelope(value: bytes | None) -> dict[str, Any]:
    """The envelope of a record, or ValueError. Fields this consumer does not know are ignored."""
    try:
        event = json.loads(value or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("not a JSON envelope") from exc
    if not isinstance(event, dict):
        raise ValueError("not a JSON envelope")
    missing = [name for name in ENVELOPE_FIELDS if name not in event]
    if missing:
        raise ValueError(f"envelope without {', '.join(missing)}")
    return event


def understood(event: dict[str, Any]) -> bool:
    """True when this consumer can read this (type, version)."""
    return event["version"] in UNDERSTOOD_VERSIONS.get(event["type"], DEFAULT_VERSIONS)


def handle(db: sqlite3.Connection, event: dict[str, Any]) -> None:
    """The agency's own work for one new event; runs inside the batch's transaction.

    A tally counts wrong if an event is applied twice: exactly what deduplication prevents.
    """
    db.execute(
        "INSERT INTO tally (type, area, n) VALUES (?, ?, 1)"
        " ON CONFLICT (type, area) DO UPDATE SET n = n + 1",
        (event["type"], event["area"]),
    )


def run(
    consumer: Consumer,
    store: Store,
    topics: list[str],
    *,
    idle_exit: float | None = None,
    batch_size: int = 500,
    out: Any = sys.stdout,
) -> dict[str, int]:
    """Consume until stopped (or ``idle_exit`` seconds without a record once assigned)."""
    counts = {"handled": 0, "duplicate": 0, "parked": 0}
    stopping = False
    assigned_at: float | None = None
    last_record = time.monotonic()

    def on_assign(c: Consumer, partitions: list[TopicPartition]) -> None:
        nonlocal assigned_at, last_record
        assigned_at = last_record = time.monotonic()

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    consumer.subscribe(topics, on_assign=on_assign)
    while not stopping:
        messages = consumer.consume(num_messages=batch_size, timeout=0.5)
        records = [m for m in messages if not _report_error(m)]
        if records:
            for outcome in store.apply(records):
                counts[next(iter(outcome))] += 1
                out.write(json.dumps(outcome) + "\n")
            out.flush()
            # After the effects are committed: a crash before this line replays the batch,
            # and the ids recorded above make the replay change nothing.
            consumer.commit(asynchronous=False)
            last_record = time.monotonic()
        idle = time.monotonic() - last_record
        if idle_exit is not None and assigned_at is not None and idle >= idle_exit:
            break
    return counts


def _report_error(message: Message) -> bool:
    """True for an error event (not a record); fatal errors raise."""
    error = message.error()
    if error is None:
        return False
    if error.fatal():
        raise KafkaException(error)
    if error.code() != KafkaError._PARTITION_EOF:
        print(f"agency_consumer: {error}", file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="broker host:port (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument("--group", required=True, help="your consumer group id")
    parser.add_argument(
        "--topic",
        action="append",
        dest="topics",
        help="a topic to read (repeatable; default: the five contract topics)",
    )
    parser.add_argument("--db", required=True, help="SQLite file: ids handled and the tally")
    parser.add_argument("--session-timeout-ms", type=int, default=6_000)
    parser.add_argument(
        "--idle-exit", type=float, help="stop after this many seconds without records"
    )
    args = parser.parse_args(argv)

    store = Store(args.db)
    consumer = Consumer(consumer_config(args.bootstrap, args.group, args.session_timeout_ms))
    try:
        counts = run(consumer, store, args.topics or TOPICS, idle_exit=args.idle_exit)
    except KafkaException as exc:
        print(f"agency_consumer: {exc}", file=sys.stderr)
        return 1
    finally:
        consumer.close()  # leaves the group at once, so the next member need not wait
        store.close()
    print(
        f"agency_consumer: {counts['handled']} handled, {counts['duplicate']} duplicates "
        f"skipped, {counts['parked']} parked",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
