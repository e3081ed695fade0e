"""Idempotency fingerprints, error scrubbing and correlation ids: no personal value escapes."""

import pytest
from pydantic import BaseModel

from services.registry.context import _pick
from services.registry.errors import FieldError, InvalidFields, scrub
from shared.idempotency import request_fingerprint, validate_key


class Body(BaseModel):
    a: int
    b: str


def test_fingerprint_ignores_key_order_but_not_values_or_path():
    one = request_fingerprint("POST", "/v1/x", {"a": 1, "b": "x"})
    assert one == request_fingerprint("post", "/v1/x", {"b": "x", "a": 1})
    assert one == request_fingerprint("POST", "/v1/x", Body(a=1, b="x"))
    assert one != request_fingerprint("POST", "/v1/x", {"a": 2, "b": "x"})
    assert one != request_fingerprint("POST", "/v1/y", {"a": 1, "b": "x"})


@pytest.mark.parametrize("key", ["", "a b", "é", "x" * 256, "line\nbreak"])
def test_keys_are_visible_ascii(key):
    with pytest.raises(ValueError):
        validate_key(key)


def test_scrub_keeps_only_location_message_and_type():
    errors = [
        {
            "type": "string_too_short",
            "loc": ("body", "nik"),
            "msg": "String should have at least 16 characters",
            "input": "5371014507",
            "ctx": {"min_length": 16},
            "url": "https://errors.pydantic.dev",
        }
    ]
    assert scrub(errors) == [
        {
            "loc": ("body", "nik"),
            "msg": "String should have at least 16 characters",
            "type": "string_too_short",
        }
    ]


def test_domain_errors_take_fastapi_s_shape():
    error = InvalidFields([FieldError("nik", "NIK must be exactly 16 digits")])
    assert error.body() == {
        "detail": [
            {"loc": ["body", "nik"], "msg": "NIK must be exactly 16 digits", "type": "value_error"}
        ]
    }


def test_correlation_ids_are_kept_when_inert_and_replaced_otherwise():
    assert _pick([(b"x-request-id", b"req-123")]) == "req-123"
    assert _pick([(b"x-correlation-id", b"abc"), (b"x-request-id", b"def")]) == "abc"
    made = _pick([(b"x-request-id", b"bad value\nwith newline")])
    assert made != "bad value\nwith newline" and len(made) == 36
    assert len(_pick([])) == 36
