"""Idempotency fingerprints and error scrubbing: no personal value escapes."""

import pytest
from pydantic import BaseModel

from shared.idempotency import request_fingerprint, validate_key
from shared.service.errors import FieldError, InvalidFields, scrub


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
            "loc": ["body", "nik"],
            "msg": "String should have at least 16 characters",
            "type": "string_too_short",
        }
    ]


def test_scrub_never_repeats_an_unknown_key_the_caller_sent():
    errors = [
        {"type": "extra_forbidden", "loc": ("body", "MariaLende"), "msg": "Extra inputs"},
        {"type": "missing", "loc": ("body", "5371014507900001", "x"), "msg": "Field required"},
    ]
    scrubbed = scrub(errors)
    assert scrubbed[0]["loc"] == ["body", "(unknown field)"]
    assert scrubbed[1]["loc"] == ["body", "(unknown field)", "x"]


def test_domain_errors_take_fastapi_s_shape():
    error = InvalidFields([FieldError("nik", "NIK must be exactly 16 digits")])
    assert error.body() == {
        "detail": [
            {"loc": ["body", "nik"], "msg": "NIK must be exactly 16 digits", "type": "value_error"}
        ]
    }
