"""Domain errors and how they become HTTP answers, without ever echoing what was sent.

Services raise :class:`DomainError` subclasses (:class:`NotFound`, :class:`Conflict`,
:class:`InvalidFields`, :class:`TooManyRequests`); the handlers that :func:`install` puts on an
app turn them into JSON. Validation errors (FastAPI's and a service's own) share FastAPI's shape
``{"detail": [{"loc", "msg", "type"}]}`` but never carry ``input`` or ``ctx`` (pydantic would
echo the submitted value, which may be a NIK, a name or a birth date), and a location naming a
field the model does not have (an unknown JSON key is caller text too) is replaced by
``(unknown field)`` unless it has the shape of a field name (snake_case). Anything unexpected
becomes a 500 naming only the correlation id, in :mod:`shared.service.middleware`.
"""

from __future__ import annotations

import math
import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import IdempotencyKeyReused


@dataclass(frozen=True)
class FieldError:
    """One field at fault; ``msg`` must never contain the submitted value."""

    field: str
    msg: str
    type: str = "value_error"
    location: str = "body"

    def as_detail(self) -> dict[str, Any]:
        return {"loc": [self.location, self.field], "msg": self.msg, "type": self.type}


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.message, **self.extra}

    def headers(self) -> dict[str, str] | None:
        return None


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request is well-formed but the aggregate's state does not allow it."""

    status_code = 409


class InvalidFields(DomainError):
    status_code = 422

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.msg}" for e in errors))
        self.errors = list(errors)

    def body(self) -> dict[str, Any]:
        return {"detail": [e.as_detail() for e in self.errors]}


class TooManyRequests(DomainError):
    """429: a rate limit (a setting) is spent; ``retry_after`` seconds until it refills."""

    status_code = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retry_after=max(1, math.ceil(retry_after)))
        self.retry_after = max(1, math.ceil(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(DomainError):
    """503: something the answer needs (the broker's log, say) cannot be reached now; retry
    after ``retry_after`` seconds."""

    status_code = 503

    def __init__(self, message: str, retry_after: float = 5) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ErrorOut(BaseModel):
    """A refusal with a human-readable reason."""

    detail: str = Field(examples=["worker is departed; verification needs status registered"])


class FieldErrorOut(BaseModel):
    loc: list[str | int] = Field(examples=[["body", "nik"]])
    msg: str = Field(examples=["NIK must be 16 digits"])
    type: str = Field(examples=["value_error"])


class ValidationErrorOut(BaseModel):
    """422: which fields are at fault and why (the submitted values are never echoed)."""

    detail: list[FieldErrorOut]


class RateLimitedOut(BaseModel):
    """429: try again after ``retry_after`` seconds (also in the ``Retry-After`` header)."""

    detail: str = Field(examples=["too many failed sign-ins from your address"])
    retry_after: int = Field(examples=[30])


class ServerErrorOut(BaseModel):
    detail: str = Field(examples=["internal error"])
    correlation_id: str | None


_KEPT_KEYS = ("loc", "msg", "type")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
# An unknown key is named back only when it has the shape of a field name (snake_case).
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
UNKNOWN_FIELD = "(unknown field)"


def _location(error: Any) -> list[Any]:
    loc = list(error.get("loc", ()))
    if error.get("type") == "extra_forbidden" and loc and not _SNAKE_CASE.match(str(loc[-1])):
        loc[-1] = UNKNOWN_FIELD
    return [
        part if isinstance(part, int) or _FIELD_NAME.match(str(part)) else UNKNOWN_FIELD
        for part in loc
    ]


def scrub(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Keep only location, message and type of each error: no ``input``, ``ctx`` or ``url``,
    and no location part that is caller text rather than a field name."""
    scrubbed = []
    for error in errors:
        kept = {k: error[k] for k in _KEPT_KEYS if k in error}
        if "loc" in kept:
            kept["loc"] = _location(error)
        scrubbed.append(kept)
    return scrubbed


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": scrub(exc.errors())}, status_code=422)


async def _on_domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())


async def _on_key_reused(_: Request, exc: Exception) -> JSONResponse:
    detail = {
        "loc": ["header", IDEMPOTENCY_HEADER],
        "msg": str(exc),
        "type": "idempotency_key_reused",
    }
    return JSONResponse({"detail": [detail]}, status_code=422)


def where(exc: BaseException) -> str:
    """``file:line in function`` of the innermost frame: enough to find it, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"


def install(app: FastAPI) -> None:
    """Put the kit's error handlers on ``app`` (the app builder does this)."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(DomainError, _on_domain)
    app.add_exception_handler(IdempotencyKeyReused, _on_key_reused)


# Documented on every route that can answer them.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing, invalid or expired bearer token"},
    403: {"model": ErrorOut, "description": "outside your role or your jurisdiction"},
    422: {"model": ValidationErrorOut, "description": "a field is at fault (values never echoed)"},
    429: {"model": RateLimitedOut, "description": "a rate limit is spent; see Retry-After"},
}
