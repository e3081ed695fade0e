"""How the domain's refusals (:mod:`services.cases.errors`) are answered over HTTP.

:class:`~services.cases.errors.InvalidField` → 422 naming the field (in the kit's shape),
:class:`~services.cases.errors.NotPermitted` → 403, every
:class:`~services.cases.errors.RuleViolation` → 409. The domain's messages name the rule and
the field, never the value sent. A refusal raised inside a request's transaction rolls it back,
so nothing is written.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.cases.errors import CaseError, InvalidField, NotPermitted, RuleViolation
from shared.service.errors import Conflict, DomainError, FieldError, InvalidFields


class Forbidden(DomainError):
    """403: the caller's role or jurisdiction does not allow this."""

    status_code = 403


def as_domain_error(exc: CaseError) -> DomainError:
    """The kit's error answering ``exc`` (a 403 is a :class:`DomainError` with that status)."""
    if isinstance(exc, InvalidField):
        message = exc.message.removeprefix(f"{exc.field}: ")
        return InvalidFields([FieldError(exc.field, message)])
    if isinstance(exc, RuleViolation):
        return Conflict(exc.message)
    if isinstance(exc, NotPermitted):
        return Forbidden(exc.message)
    return DomainError(exc.message)  # no other kind exists; 400 if one is added unmapped


async def _on_case_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CaseError)
    error = as_domain_error(exc)
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers())


def install(app: FastAPI) -> None:
    app.add_exception_handler(CaseError, _on_case_error)
