"""Domain errors and how they become HTTP answers, without ever echoing what was sent.

Services raise :class:`DomainError` subclasses; the handlers installed by :func:`install` turn
them into JSON. Validation errors (FastAPI's and the registry's own, e.g. a NIK whose digits
disagree with the declared sex) share FastAPI's shape ``{"detail": [{"loc", "msg", "type"}]}``
but never carry ``input`` or ``ctx``: pydantic would echo the submitted value, and the value may
be a NIK, a name or a birth date.
"""

from __future__ import annotations

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


_KEPT_KEYS = ("loc", "msg", "type")


def scrub(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Keep only location, message and type of each error: no ``input``, ``ctx`` or ``url``."""
    return [{k: e[k] for k in _KEPT_KEYS if k in e} for e in errors]


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": scrub(exc.errors())}, status_code=422)


async def _on_domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(), status_code=exc.status_code)


async def _on_key_reused(_: Request, exc: Exception) -> JSONResponse:
    detail = {
        "loc": ["header", IDEMPOTENCY_HEADER],
        "msg": str(exc),
        "type": "idempotency_key_reused",
    }
    return JSONResponse({"detail": [detail]}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(DomainError, _on_domain)
    app.add_exception_handler(IdempotencyKeyReused, _on_key_reused)


# Documented on every route that can answer them.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing, invalid or expired bearer token"},
    403: {"model": ErrorOut, "description": "outside your role or your jurisdiction"},
    422: {"model": ValidationErrorOut, "description": "a field is at fault (values never echoed)"},
}
WORKER_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    404: {"model": ErrorOut, "description": "no such worker"},
}
