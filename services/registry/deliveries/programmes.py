"""What a delivered service counts for, by the days things happened (docs/domain.md).

Officers enter records late and in any order (a training session typed in after the departure
it prepared), so every judgement here is made from the days the services were delivered and the
departures and returns made, never from the order they were recorded in:

- **A departure is prepared** by a pre-departure service (``PRE_DEPARTURE_SERVICES``) delivered
  to the worker on or before the day of departure and after the return that preceded it (if
  any): the departure's *window*.
- **A return is followed by reintegration** when the worker took part in a reintegration
  service (``REINTEGRATION_SERVICES``) on or after the day of return and within six calendar
  months of it (of the latest return before the service, when two are that close).
- **A worker is abroad** on a day when a placement is in force: departed on or before it, not
  yet returned (the day of return still belongs to the placement, as for fees).

The registry judges a delivery when it is recorded, against the departures, returns and
services recorded so far; a departure or a return recorded later names the services already
in its window itself (``worker-departed.prepared_by``, ``worker-returned.reintegrated_by``).
Each (departure, kind) and (return, kind) is therefore credited exactly once, by whichever of
the two records comes last, so counts of them add up whatever the order of entry.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.registry.fees.occupation import Placement
from shared.contract.codes import PRE_DEPARTURE_SERVICES, REINTEGRATION_SERVICES, ServiceKind

REINTEGRATION_MONTHS = 6
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Delivered:
    """A service recorded earlier for the same beneficiary."""

    kind: ServiceKind
    delivered_on: date


@dataclass(frozen=True)
class Window:
    """The days a service must fall in to count for one departure or return: from ``first``
    (None: no lower bound) to ``until``, both included; ``day`` is the departure's or the
    return's own day."""

    day: date
    first: date | None
    until: date

    def holds(self, day: date) -> bool:
        return (self.first is None or self.first <= day) and day <= self.until


@dataclass(frozen=True)
class Judgement:
    """What one delivery counts for (the judgements ``service-delivered`` carries)."""

    first_of_kind: bool
    worker_abroad: bool
    prepares_departure_on: date | None = None
    first_preparation: bool = False
    reintegrates_return_on: date | None = None
    first_reintegration: bool = False


def months_after(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day when it is shorter:
    six months after 31 August is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _ordered(placements: Iterable[Placement]) -> list[Placement]:
    return sorted(placements, key=lambda p: p.departed_on)


def departure_window(placements: Sequence[Placement], departure: Placement) -> Window:
    """The days of the services that prepare ``departure``: after the return before it."""
    before = [p for p in _ordered(placements) if p.departed_on < departure.departed_on]
    returned = before[-1].returned_on if before else None
    first = returned + ONE_DAY if returned is not None else None
    return Window(departure.departed_on, first, departure.departed_on)


def return_window(placement: Placement) -> Window | None:
    """The days of the services that count as reintegration after ``placement``'s return
    (None while it has not ended): from the day of return, for six calendar months. (A new
    departure within them does not shorten them: it may be recorded after the services, and a
    figure must not depend on the order things are entered in.)"""
    if placement.returned_on is None:
        return None
    until = months_after(placement.returned_on, REINTEGRATION_MONTHS)
    return Window(placement.returned_on, placement.returned_on, until)


def preparing(day: date, placements: Sequence[Placement]) -> Window | None:
    """The window of the departure a pre-departure service delivered on ``day`` prepares."""
    for placement in _ordered(placements):
        if placement.departed_on >= day:
            window = departure_window(placements, placement)
            return window if window.holds(day) else None
    return None


def reintegrating(day: date, placements: Sequence[Placement]) -> Window | None:
    """The window of the return a reintegration service delivered on ``day`` follows."""
    for placement in reversed(_ordered(placements)):
        if placement.returned_on is not None and placement.returned_on <= day:
            window = return_window(placement)
            return window if window is not None and window.holds(day) else None
    return None


def abroad_on(day: date, placements: Iterable[Placement]) -> bool:
    return any(
        p.departed_on <= day and (p.returned_on is None or day <= p.returned_on) for p in placements
    )


def kinds_within(
    window: Window, services: Iterable[Delivered], kinds: frozenset[ServiceKind]
) -> list[ServiceKind]:
    """The kinds among ``kinds`` delivered within ``window``, in the code list's order."""
    found = {s.kind for s in services if s.kind in kinds and window.holds(s.delivered_on)}
    return [k for k in ServiceKind if k in found]


def judge(
    kind: ServiceKind,
    day: date,
    placements: Sequence[Placement],
    earlier: Sequence[Delivered],
    *,
    to_worker: bool,
) -> Judgement:
    """What a delivery of ``kind`` on ``day`` counts for, given the worker's placements and
    the services recorded earlier for the same beneficiary (for the worker: the worker's own).
    Only the worker's own services prepare departures and follow returns."""
    first = all(e.kind is not kind for e in earlier)
    abroad = abroad_on(day, placements)
    if not to_worker:
        return Judgement(first, abroad)
    if kind in PRE_DEPARTURE_SERVICES and (window := preparing(day, placements)) is not None:
        credited = kinds_within(window, earlier, PRE_DEPARTURE_SERVICES)
        if kind not in credited:
            return Judgement(first, abroad, window.day, first_preparation=not credited)
    if kind in REINTEGRATION_SERVICES and (window := reintegrating(day, placements)) is not None:
        credited = kinds_within(window, earlier, REINTEGRATION_SERVICES)
        if kind not in credited:
            return Judgement(
                first, abroad, reintegrates_return_on=window.day, first_reintegration=not credited
            )
    return Judgement(first, abroad)
