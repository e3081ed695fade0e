"""The projection core: a pure function from a batch of events to figure deltas.

``project(events, subjects, scope)`` replays each event on the transition state of its subject
(worker, case, alert, agency), then computes, per subject touched, *what it contributes after
the batch minus what it contributed before*: a status change is a -1 on the old cube row and a
+1 on the new one. Flows (fees, monthly series) add directly. Deltas are aggregated at the
attributed village first and then expanded to every ancestor (:func:`expand`), so the caller
writes each key once per batch.

Decisions (documented in the service README):

* Per-subject order is guaranteed by the log (the key is the subject); an event whose
  ``sequence`` is not above the subject's last applied one is a duplicate or a replay and is
  ignored, even if the inbox no longer remembers it.
* An event about a subject this node has never seen created (a departure of an unknown worker,
  an escalation of an unknown case) cannot be placed in a sex/status cell honestly: it is
  skipped and counted in ``skipped``; ``fee-charged`` needs no state and always counts.
* Events attributed outside the node's ``scope`` are skipped (they are still deduplicated and
  positioned by the consumer), so a province node holds exactly its province.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, Protocol

from services.reporting.projections.model import CELL_LEVELS, NONE, SEP, cell_paths, dims, leaf_area
from shared.areas import NATION, ancestors, area_level, is_within
from shared.contract.envelope import Envelope
from shared.contract.events import (
    AgencyLicensed,
    AlertRaised,
    CaseActionTaken,
    CaseEscalated,
    CaseOpened,
    CaseReopened,
    EventData,
    FeeCharged,
    WorkerDeparted,
    WorkerRegistered,
)

Key = tuple[str, str, str]  # (area, metric, dims)
Value = list[Any]  # [n: int, amount: Decimal]


class EventLike(Protocol):
    """What the core needs of shared.consumer.ConsumedEvent."""

    @property
    def envelope(self) -> Envelope: ...
    @property
    def data(self) -> EventData: ...


# The attributes each kind of subject keeps, in the order they are stored (``Subject.state``).
FIELDS: dict[str, tuple[str, ...]] = {
    "worker": ("status", "sex", "procedural", "occupation", "destination"),
    "case": ("category", "gbv_type", "level", "status", "sex", "procedural", "due_on"),
    "alert": ("severity", "rule", "level", "status"),
    "agency": ("status",),
}
Attrs = dict[str, str | None]


def _values_of(fields: tuple[str, ...]) -> Callable[[Attrs], tuple[str | None, ...]]:
    """The attribute values in ``fields`` order (a subject's attrs hold every field)."""
    if len(fields) == 1:
        (only,) = fields
        return lambda attrs: (attrs[only],)
    return itemgetter(*fields)


_VALUES = {kind: _values_of(fields) for kind, fields in FIELDS.items()}


@dataclass
class Subject:
    """Transition state of one aggregate: codes only, keyed by its pseudonymous id."""

    kind: str
    area: str
    seq: int
    attrs: Attrs

    def state(self) -> str:
        """The attributes as stored: codes joined with ``|`` in ``FIELDS`` order."""
        return dims(*_VALUES[self.kind](self.attrs))

    @classmethod
    def stored(cls, kind: str, area: str, seq: int, state: str) -> Subject:
        values = [None if v == NONE else v for v in state.split(SEP)]
        return cls(kind, area, seq, dict(zip(FIELDS[kind], values, strict=True)))

    def copy(self) -> Subject:
        return Subject(self.kind, self.area, self.seq, self.attrs.copy())

    def contributions(self) -> list[tuple[str, str]]:
        """(metric, dims) rows this subject currently counts +1 in, at its area."""
        a = self.attrs
        if self.kind == "worker":
            return [
                (
                    "workers",
                    dims(a["status"], a["sex"], a["procedural"], a["occupation"], a["destination"]),
                )
            ]
        if self.kind == "case":
            rows = [
                (
                    "cases",
                    dims(
                        a["category"],
                        a["gbv_type"],
                        a["level"],
                        a["status"],
                        a["sex"],
                        a["procedural"],
                    ),
                )
            ]
            if a["status"] != "closed" and a["due_on"]:
                rows.append(("cases_due", a["due_on"]))
            return rows
        if self.kind == "alert":
            if a["status"] == "resolved":
                return []
            return [("alerts_open", dims(a["severity"], a["rule"], a["status"]))]
        if self.kind == "agency":
            return [("agencies", dims(a["status"]))]
        return []


@dataclass
class Projection:
    """What one batch changes: subjects to write back and figure deltas at leaf areas."""

    subjects: dict[str, Subject] = field(default_factory=dict)
    deltas: dict[Key, Value] = field(default_factory=dict)
    applied: int = 0
    skipped: int = 0
    last_event_time: datetime | None = None


def _add(deltas: dict[Key, Value], key: Key, n: int, amount: Decimal = Decimal(0)) -> None:
    cur = deltas.get(key)
    if cur is None:
        deltas[key] = [n, amount]
    else:
        cur[0] += n
        cur[1] += amount


_CREATORS = {"worker-registered", "case-opened", "alert-raised", "agency-licensed"}


def project(
    events: Iterable[EventLike],
    subjects: Mapping[str, Subject],
    scope: str = "ID",
) -> Projection:
    """Apply ``events`` (log order per subject) to copies of ``subjects``; return the deltas."""
    out = Projection()
    before: dict[str, Subject | None] = {}
    current: dict[str, Subject] = {}
    flows = out.deltas
    everywhere = scope == NATION
    applied = skipped = 0
    last: datetime | None = None
    for event in events:
        env = event.envelope
        sid = env.subject
        if sid in before:
            state = current.get(sid)
        else:
            known = before[sid] = subjects.get(sid)
            state = None
            if known is not None:
                state = current[sid] = known.copy()
        seq = env.sequence
        if state is not None and seq <= state.seq:
            skipped += 1  # already applied: a duplicate or a replay
            continue
        area = state.area if state is not None else leaf_area(env.area)
        if not everywhere and not is_within(area, scope):
            skipped += 1
            continue
        kind = env.type
        if kind == "fee-charged":
            _fee(flows, area, env, event.data)  # type: ignore[arg-type]
            if state is not None:
                state.seq = seq
        elif state is None and kind not in _CREATORS:
            skipped += 1  # an aggregate this node never saw created: see module docstring
            continue
        else:
            new = _transition(state, area, env, event.data, flows)
            if new is None:
                skipped += 1
                continue
            new.seq = seq
            current[sid] = new
        applied += 1
        time = env.time
        if last is None or time > last:
            last = time
    out.applied, out.skipped, out.last_event_time = applied, skipped, last
    changed = out.subjects
    for sid, after in current.items():
        prior = before[sid]
        if prior is not None:
            if prior.attrs == after.attrs and prior.area == after.area:
                if prior.seq != after.seq:
                    changed[sid] = after  # only the sequence moved (a fee): no figure changes
                continue
            for metric, key in prior.contributions():
                _add(flows, (prior.area, metric, key), -1)
        for metric, key in after.contributions():
            _add(flows, (after.area, metric, key), 1)
        changed[sid] = after
    out.deltas = {k: v for k, v in flows.items() if v[0] != 0 or v[1] != 0}
    return out


@cache
def _month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _month(env: Envelope) -> str:
    """``YYYY-MM`` of the event's (UTC) time (cached: formatting per event cost more)."""
    t = env.time
    return _month_text(t.year, t.month)


def _procedural(flag: bool) -> str:
    return "procedural" if flag else "non_procedural"


def _fee(flows: dict[Key, Value], area: str, env: Envelope, data: FeeCharged) -> None:
    amount = Decimal(data.amount)
    _add(flows, (area, "fees", dims(data.legality, data.component, data.currency)), 1, amount)
    _add(flows, (area, "monthly", dims(_month(env), "fees", data.currency)), 1, amount)


def _transition(
    state: Subject | None,
    area: str,
    env: Envelope,
    data: EventData,
    flows: dict[Key, Value],
) -> Subject | None:
    """The subject after ``env``, recording monthly flows; None if the event is irrelevant.

    A creating event gives a new subject; any other changes ``state``, the batch's own copy.
    """
    t = env.type
    month = _month(env)
    if t == "worker-registered":
        assert isinstance(data, WorkerRegistered)
        _add(flows, (area, "monthly", dims(month, "registered", data.sex)), 1)
        attrs: dict[str, str | None] = {
            "status": "registered",
            "sex": str(data.sex),
            "procedural": _procedural(data.procedural),
            "occupation": str(data.occupation) if data.occupation else None,
            "destination": None,
        }
        return Subject("worker", area, env.sequence, attrs)
    if t == "case-opened":
        assert isinstance(data, CaseOpened)
        _add(flows, (area, "monthly", dims(month, "cases_opened", data.sex)), 1)
        attrs = {
            "category": str(data.category),
            "gbv_type": str(data.gbv_type) if data.gbv_type else None,
            "level": str(data.level),
            "status": str(data.status),
            "sex": str(data.sex),
            "procedural": _procedural(data.procedural),
            "due_on": data.due_on.isoformat() if data.due_on else None,
        }
        return Subject("case", area, env.sequence, attrs)
    if t == "alert-raised":
        assert isinstance(data, AlertRaised)
        _add(flows, (area, "monthly", dims(month, "alerts_raised", None)), 1)
        attrs = {
            "severity": str(data.severity),
            "rule": data.rule,
            "level": str(data.level),
            "status": "open",
        }
        return Subject("alert", area, env.sequence, attrs)
    if t == "agency-licensed":
        assert isinstance(data, AgencyLicensed)
        return Subject("agency", area, env.sequence, {"status": "licensed"})
    if state is None:
        return None
    new = state  # the batch's own copy (see project): changed in place
    a = new.attrs
    if t == "worker-verified":
        a["status"] = "verified"
    elif t == "worker-departed":
        assert isinstance(data, WorkerDeparted)
        a.update(
            status="departed",
            occupation=str(data.occupation),
            destination=data.destination_country,
        )
        _add(flows, (area, "monthly", dims(month, "departed", a["sex"])), 1)
    elif t == "worker-returned":
        a["status"] = "returned"
        _add(flows, (area, "monthly", dims(month, "returned", a["sex"])), 1)
    elif t == "case-escalated":
        assert isinstance(data, CaseEscalated)
        a["level"] = str(data.to_level)
    elif t == "case-action-taken":
        assert isinstance(data, CaseActionTaken)
        a["status"] = str(data.status)
        if data.due_on is not None:
            a["due_on"] = data.due_on.isoformat()
    elif t == "case-closed":
        if a["status"] != "closed":
            _add(flows, (area, "monthly", dims(month, "cases_closed", a["sex"])), 1)
        a["status"] = "closed"
    elif t == "case-reopened":
        assert isinstance(data, CaseReopened)
        # A reopened case goes back to assessment (the Primero workflow has no "reopened" state).
        a["status"] = "assessment"
        if data.due_on is not None:
            a["due_on"] = data.due_on.isoformat()
    elif t == "alert-acknowledged":
        if a["status"] == "open":
            a["status"] = "acknowledged"
    elif t == "alert-resolved":
        a["status"] = "resolved"
    elif t == "agency-suspended":
        a["status"] = "suspended"
    elif t == "agency-revoked":
        a["status"] = "revoked"
    elif t in {"case-assigned", "case-referred"}:
        pass  # no figure depends on them; the sequence still advances
    else:
        return None
    return new


_CHAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
# Monthly flows are kept from the regency up: below, they would double the rows each event
# writes for a series nobody charts per village (the summary's stocks are kept everywhere).
SERIES_LEVELS = frozenset({"regency", "province", "national"})


def _chains(area: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every ancestor, the ancestors that keep monthly series), cached per leaf area."""
    chain = _CHAINS.get(area)
    if chain is None:
        every = tuple(ancestors(area))
        chain = _CHAINS[area] = (every, tuple(a for a in every if area_level(a) in SERIES_LEVELS))
    return chain


def expand(deltas: Mapping[Key, Value]) -> dict[Key, Value]:
    """Add each leaf delta to the village and every ancestor, summed per key."""
    out: dict[Key, Value] = {}
    for (area, metric, key), (n, amount) in deltas.items():
        every, series = _chains(area)
        for anc in series if metric == "monthly" else every:
            k = (anc, metric, key)
            cur = out.get(k)
            if cur is None:
                out[k] = [n, amount]
            else:
                cur[0] += n
                cur[1] += amount
    return {k: v for k, v in out.items() if v[0] != 0 or v[1] != 0}


def cell_deltas(
    expanded: Mapping[Key, Value], levels: frozenset[str] = CELL_LEVELS
) -> dict[tuple[str, str], Decimal]:
    """Summary-leaf deltas for the areas whose leaves are materialised."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    level_cache: dict[str, bool] = {}
    for (area, metric, key), (n, amount) in expanded.items():
        keep = level_cache.get(area)
        if keep is None:
            keep = level_cache[area] = area_level(area) in levels
        if not keep:
            continue
        for path, value in cell_paths(metric, key, n, amount):
            out[(area, path)] += value
    return {k: v for k, v in out.items() if v != 0}


def sum_into(total: dict[Key, Value], deltas: Mapping[Key, Value]) -> None:
    """Accumulate ``deltas`` into an in-memory cube (used by the as-of rebuild and tests)."""
    for key, (n, amount) in deltas.items():
        _add(total, key, n, amount)


def project_all(
    events: Sequence[EventLike], scope: str = "ID", until: date | None = None
) -> tuple[dict[Key, Value], dict[str, Subject]]:
    """Project a whole log in memory: the cube at leaf areas and the final subjects."""
    subjects: dict[str, Subject] = {}
    cube: dict[Key, Value] = {}
    chosen = [e for e in events if until is None or e.envelope.time.date() <= until]
    result = project(chosen, subjects, scope)
    subjects.update(result.subjects)
    sum_into(cube, result.deltas)
    return cube, subjects
