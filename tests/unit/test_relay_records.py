"""What the relay puts on the wire for an outbox row: key, value and the id/type headers."""

from __future__ import annotations

import json
import uuid

from shared.relay import _brief, _headers


def test_headers_repeat_the_event_id_and_type() -> None:
    event_id = uuid.uuid4()
    row = {
        "event_id": event_id,
        "event_type": "worker-registered",
        "headers": json.dumps({"event-id": str(event_id), "event-type": "worker-registered"}),
    }
    assert dict(_headers(row)) == {  # type: ignore[arg-type]
        "event-id": str(event_id).encode(),
        "event-type": b"worker-registered",
    }


def test_columns_win_over_stale_header_values() -> None:
    event_id = uuid.uuid4()
    row = {"event_id": event_id, "event_type": "fee-charged", "headers": {"event-type": "x"}}
    assert dict(_headers(row))["event-type"] == b"fee-charged"  # type: ignore[arg-type]


def test_brief_errors_keep_one_line() -> None:
    assert _brief(RuntimeError("first line\nsecond line")) == "RuntimeError: first line"
    assert _brief(TimeoutError()) == "TimeoutError"
