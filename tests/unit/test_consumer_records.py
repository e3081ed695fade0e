"""How the consumer reads records: parsing, dead-letter reasons, offsets, transient errors."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaTimeoutError

from shared.consumer import _is_transient, _next_offsets, _parse, _reason
from shared.contract.envelope import new_event
from shared.contract.events import UnknownEventType, UnknownEventVersion, WorkerVerified


def _record(
    value: bytes | None, *, topic: str = "registry.worker.v1", partition: int = 0, offset: int = 0
) -> ConsumerRecord:
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=[],
    )


def _verified(**changes: object) -> dict[str, object]:
    event = new_event(
        type="worker-verified",
        source="registry",
        subject=str(uuid.uuid4()),
        sequence=2,
        area="53.71.01.1001",
        data={"verified_on": "2024-05-01"},
    )
    body = json.loads(event.to_json())
    body.update(changes)
    return body


def test_a_readable_record_becomes_a_consumed_event_with_its_position() -> None:
    body = _verified()
    consumed = _parse(_record(json.dumps(body).encode(), partition=3, offset=41))
    assert str(consumed.envelope.id) == body["id"]
    assert isinstance(consumed.data, WorkerVerified)
    assert (consumed.topic, consumed.partition, consumed.offset) == ("registry.worker.v1", 3, 41)


def test_unknown_fields_are_ignored() -> None:
    body = _verified(extra="ignored")
    body["data"] = {"verified_on": "2024-05-01", "new_field": 1}
    assert _parse(_record(json.dumps(body).encode())).envelope.type == "worker-verified"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"{not json", ValueError),
        (None, ValueError),
        (json.dumps(_verified(version=7)).encode(), UnknownEventVersion),
        (json.dumps(_verified(type="worker-teleported")).encode(), UnknownEventType),
        (json.dumps(_verified(data={"verified_on": "yesterday"})).encode(), ValueError),
    ],
)
def test_unreadable_records_raise(value: bytes | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        _parse(_record(value))


def test_a_dead_letter_reason_never_echoes_the_record_content() -> None:
    secret = "3171014107900001"  # looks like a NIK: must not reach a header or a log line
    body = _verified(subject=None, area=secret)
    with pytest.raises(ValueError) as caught:
        _parse(_record(json.dumps(body).encode()))
    reason = _reason(caught.value)
    assert secret not in reason
    assert "area" in reason and "subject" in reason


def test_next_offsets_are_one_past_the_last_record_of_each_partition() -> None:
    records = [_record(b"x", partition=p, offset=o) for p, o in [(0, 5), (0, 6), (1, 9), (0, 7)]]
    assert _next_offsets(records) == {("registry.worker.v1", 0): 8, ("registry.worker.v1", 1): 10}


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), True),
        (asyncpg.exceptions.CannotConnectNowError("starting"), True),
        (asyncpg.exceptions.SerializationError("retry"), True),
        (ConnectionRefusedError(), True),
        (KafkaTimeoutError(), True),
        (asyncpg.InterfaceError("connection is closed"), True),
        (asyncpg.exceptions.UniqueViolationError("dup"), False),
        (asyncpg.InterfaceError("another operation is in progress"), False),
        (ValueError("bad"), False),
        (KeyError("x"), False),
    ],
)
def test_only_connection_problems_are_transient(error: BaseException, transient: bool) -> None:
    assert _is_transient(error) is transient


async def test_the_parser_survives_headers_faststream_cannot_decode() -> None:
    from faststream.kafka.message import KafkaAckableMessage
    from faststream.kafka.parser import AioKafkaBatchParser

    from shared.consumer import _safe_parser

    original = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None).parse_batch
    bad = _record(b"{}")
    bad.headers = [("binary", b"\xff\xfe"), ("null", None)]
    records = (_record(b"{}", offset=0), bad)
    message = await _safe_parser(records, original)
    assert message.raw_message is records  # the DLQ still gets the original bytes
