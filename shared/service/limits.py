"""Rate limits: named budgets from settings, answered 429 with ``Retry-After`` when spent.

Every setting called ``limit_<budget>`` (e.g. ``REGISTRY_LIMIT_AUTH_FAILURES=20/minute``) is a
budget named ``<budget>``, in the notation of the `limits` library (``N/second|minute|hour|day``,
several separated by ``;``). The kit's own budgets (``ServiceSettings``):

- ``auth_failures`` — requests with a missing, bad or expired token, per client address; once
  spent, the address is answered 429 before any token is looked at;
- ``expensive_reads`` — routes declared expensive, per caller and per address;
- ``public_writes`` — writes that need no account, per address.

A service adds its own by adding a setting (the registry's ``limit_duplicate_nik``) and spending
it with ``request.app.state.limits.spend("duplicate_nik", key)``. Routes declare limits as
dependencies::

    @router.get("/v1/areas/{code}/summary/as-of/{day}")
    async def as_of(principal: Annotated[Principal, Depends(limited("expensive_reads"))]): ...

    @router.post("/v1/reports", dependencies=[Depends(limited_by_address("public_writes"))])

Budgets are kept in the process's memory (a sliding window per key): with several server
processes each has its own. The address is the connection's peer as the ASGI server reports it
(behind a proxy, run uvicorn with ``--forwarded-allow-ips`` so that it is the client's), keyed
by :func:`shared.addresses.address_key`: an IPv4 address as it is, an IPv6 address by its /64
(a client picks any address of its /64).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many, storage, strategies
from pydantic import BaseModel

from shared.addresses import client_address
from shared.auth import Principal, current_principal, principal_key
from shared.service.errors import TooManyRequests

PREFIX = "limit_"


def parse_budget(value: str) -> list[RateLimitItem]:
    """The rate limits of a setting's value; ValueError when it is not ``N/period``."""
    return list(parse_many(value))


def budgets_of(settings: BaseModel) -> dict[str, list[RateLimitItem]]:
    """Every ``limit_<budget>`` setting, parsed."""
    return {
        name.removeprefix(PREFIX): parse_budget(str(getattr(settings, name)))
        for name in type(settings).model_fields
        if name.startswith(PREFIX)
    }


class RateLimits:
    """A process's budgets and their spending, by budget name and key."""

    def __init__(self, budgets: Mapping[str, list[RateLimitItem]], *, enabled: bool = True):
        self.budgets = dict(budgets)
        self.enabled = enabled
        self._limiter = strategies.SlidingWindowCounterRateLimiter(storage.MemoryStorage())

    @classmethod
    def from_settings(cls, settings: BaseModel) -> RateLimits:
        return cls(
            budgets_of(settings), enabled=bool(getattr(settings, "rate_limits_enabled", True))
        )

    def _items(self, budget: str) -> list[RateLimitItem]:
        try:
            return self.budgets[budget]
        except KeyError:
            raise LookupError(f"no rate limit setting {PREFIX}{budget}") from None

    def spend(self, budget: str, key: str, message: str | None = None) -> None:
        """Spend one from ``key``'s budget; 429 (:class:`TooManyRequests`) when it is spent."""
        if not self.enabled:
            return
        for item in self._items(budget):
            if not self._limiter.hit(item, budget, key):
                raise self._refusal(budget, item, key, message)

    def check(self, budget: str, key: str, message: str | None = None) -> None:
        """429 when ``key``'s budget is spent already; spends nothing."""
        if not self.enabled:
            return
        for item in self._items(budget):
            if not self._limiter.test(item, budget, key):
                raise self._refusal(budget, item, key, message)

    def _refusal(
        self, budget: str, item: RateLimitItem, key: str, message: str | None
    ) -> TooManyRequests:
        reset_at = self._limiter.get_window_stats(item, budget, key).reset_time
        return TooManyRequests(
            message or f"rate limit {budget.replace('_', ' ')} ({item}) is spent; retry later",
            retry_after=reset_at - time.time(),
        )

    def clear(self) -> None:
        self._limiter.storage.reset()


def limits_of(request: Request) -> RateLimits | None:
    found: RateLimits | None = getattr(request.app.state, "limits", None)
    return found


def address_of(request: Request) -> str:
    """The client's address as a budget key: IPv4 by address, IPv6 by its /64."""
    return client_address(request)


def limited(budget: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller (401 without a valid token), after spending one from
    ``budget`` per caller and per client address (429 when either is spent)."""

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        limits = limits_of(request)
        if limits is not None:
            limits.spend(budget, f"caller:{principal_key(principal)}")
            limits.spend(budget, f"address:{address_of(request)}")
        return principal

    return dependency


def limited_by_address(budget: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency spending one from ``budget`` per client address (for routes with no
    account, e.g. public reports)."""

    async def dependency(request: Request) -> None:
        limits = limits_of(request)
        if limits is not None:
            limits.spend(budget, f"address:{address_of(request)}")

    return dependency
