"""The facts the rules read, built only from contract events: plain rows, codes and dates.

One row per worker, agency and case, and per area (village or regency) the figures the windowed
rules need. Each row keeps the ``seq`` of the last event of its subject it applied: the log keeps
a subject's events in order, so an event at or below it is a duplicate or a replay and changes
nothing (the inbox deduplicates on event ids; this catches the same event under another id).

What is *not* kept, on purpose: names, NIKs, narratives (never on the topics anyway), and every
attribute no rule reads. A worker's occupation, for instance, is not needed: ``fee-charged``
carries the occupation on the day the fee was charged, which is what the zero-cost rule asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class WorkerFacts:
    """A worker, from ``registry.worker.v1`` (subject: the worker id; area: the village)."""

    village: str
    seq: int = 0
    registered: bool = False
    verified: bool = False
    departed_on: date | None = None  # the current placement abroad; None when at home
    contract_end: date | None = None
    fee_ids: set[str] = field(default_factory=set)  # fees already seen (one alert per fee)

    @property
    def abroad(self) -> bool:
        return self.departed_on is not None


@dataclass(slots=True)
class AgencyFacts:
    """A placement agency, from ``registry.agency.v1`` and from the events that name it."""

    seq: int = 0
    unlicensed_since: date | None = None  # the day it was suspended or revoked, if it is
    name: str | None = None  # its registered business name (public), from agency-licensed
    # The latest dated fee or departure naming it, and the village it happened in: a sanction
    # that arrives after the evidence still finds it ("whichever event arrives first").
    last_named_on: date | None = None
    last_named_village: str | None = None
    # Village -> latest day it was named there in a case or an illegal fee (hotspot window).
    named_in: dict[str, date] = field(default_factory=dict)

    def note_named(self, on: date, village: str) -> None:
        if self.last_named_on is None or on >= self.last_named_on:
            self.last_named_on, self.last_named_village = on, village

    def note_hotspot_mention(self, village: str, on: date) -> None:
        known = self.named_in.get(village)
        if known is None or on > known:
            self.named_in[village] = on

    def forget_before(self, first_day: date) -> None:
        if any(day < first_day for day in self.named_in.values()):
            self.named_in = {v: d for v, d in self.named_in.items() if d >= first_day}


@dataclass(slots=True)
class CaseFacts:
    """A case, from ``cases.case.v1`` (subject: the case id; area: its village, or the lowest
    area known for a self-report)."""

    area: str
    level: str
    category: str
    gbv_type: str | None
    opened_at: datetime  # the day it was registered (opened_on), else its event's time
    seq: int = 0
    unregistered_worker: bool = False  # registered_worker false (v1: worker_id null)
    verified: bool = True  # False: a report not yet triaged
    agency_id: str | None = None  # the agency it names (counted for hotspots once verified)
    assigned: bool = False
    unassigned_since: datetime | None = None  # opened (or reopened) and waiting for a worker
    closed: bool = False
    due_on: date | None = None  # the day its running deadline clock ends, if one runs
    due_clock: str | None = None  # which clock (a code of the cases service)


@dataclass(slots=True)
class AreaFigures:
    """Per village and per regency: registered workers, and verified cases per day (window)."""

    registered: int = 0
    cases_by_day: dict[date, int] = field(default_factory=dict)

    def add_case(self, day: date) -> None:
        self.cases_by_day[day] = self.cases_by_day.get(day, 0) + 1

    def cases_since(self, first_day: date) -> int:
        return sum(n for day, n in self.cases_by_day.items() if day >= first_day)

    def forget_before(self, first_day: date) -> None:
        if any(day < first_day for day in self.cases_by_day):
            self.cases_by_day = {d: n for d, n in self.cases_by_day.items() if d >= first_day}
