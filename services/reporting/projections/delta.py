"""The projection core: a pure function from a batch of events to figure deltas.

``project(events, subjects, scope)`` replays each event on the transition state of its subject
(a worker, case, alert, agency: the kinds of ``catalog.CATALOG``, each declared in a module of
``subjects/`` with the event models that create and change it), then computes, per subject
touched, *what it contributes after the batch minus what it contributed before*: a status
change is a -1 on the old cube row and a +1 on the new one. Flows (fees, monthly series) add
directly. Deltas are aggregated at the attributed village first and then expanded to every
ancestor (:func:`expand`), so the caller writes each key once per batch.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from services.reporting.projections.catalog import CATALOG, Catalog
from services.reporting.projections.kind import CHANGES, CREATES, Attrs, Flows, SubjectKind
from services.reporting.projections.model import CELL_LEVELS, SERIES_METRIC, Key, Value, leaf_area
from shared.areas import NATION, ancestors, area_level, is_within
from shared.contract.envelope import Envelope
from shared.contract.events import EventData


class EventLike(Protocol):
    """What the core needs of shared.consumer.ConsumedEvent."""

    @property
    def envelope(self) -> Envelope: ...
    @property
    def data(self) -> EventData: ...


@dataclass
class Subject:
    """Transition state of one aggregate: codes only, keyed by its pseudonymous id.

    ``attrs`` holds the ``fields`` its ``kind`` declares.
    """

    kind: SubjectKind
    area: str
    seq: int
    attrs: Attrs

    def state(self) -> str:
        """The attributes as stored: codes joined with ``|`` in the kind's ``fields`` order."""
        return self.kind.state(self.attrs)

    @classmethod
    def stored(cls, kind: SubjectKind, area: str, seq: int, state: str) -> Subject:
        return cls(kind, area, seq, kind.parse(state))

    def copy(self) -> Subject:
        return Subject(self.kind, self.area, self.seq, self.attrs.copy())


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


def project(
    events: Iterable[EventLike],
    subjects: Mapping[str, Subject],
    scope: str = "ID",
    catalog: Catalog = CATALOG,
) -> Projection:
    """Apply ``events`` (log order per subject) to copies of ``subjects``; return the deltas.

    Each event is applied by the handler its data's class is declared with in ``catalog``
    (:attr:`.catalog.Catalog.handlers`): a creator gives the subject's fields, a changer
    changes the batch's copy of them in place, a counter only adds flows; all record flows
    through one :class:`.kind.Flows`.
    """
    out = Projection()
    before: dict[str, Subject | None] = {}
    current: dict[str, Subject] = {}
    deltas = out.deltas
    flows = Flows(deltas)
    handlers = catalog.handlers
    everywhere = scope == NATION
    applied = skipped = 0
    last: datetime | None = None
    for event in events:
        data = event.data
        handler = handlers.get(type(data))
        if handler is None:
            skipped += 1  # no kind of subject declares this event model
            continue
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
        role, kind, apply = handler
        area = leaf_area(env.area) if state is None or kind.follows_event_area else state.area
        if not everywhere and not is_within(area, scope):
            skipped += 1
            continue
        time = env.time
        flows.area = area
        flows.time = time
        if role is CHANGES:
            if state is None or state.kind is not kind:
                # An aggregate this node never saw created (see the module docstring), or a
                # subject id that names a subject of another kind.
                skipped += 1
                continue
            apply(state.attrs, data, flows)  # the batch's own copy, changed in place
            state.seq = seq
            state.area = area
        elif role is CREATES:
            current[sid] = Subject(kind, area, seq, apply(data, flows))
        else:  # COUNTS: flows that need no state
            apply(data, flows)
            if state is not None:
                state.seq = seq
        applied += 1
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
            for metric, key in prior.kind.contributes(prior.attrs):
                _add(deltas, (prior.area, metric, key), -1)
        for metric, key in after.kind.contributes(after.attrs):
            _add(deltas, (after.area, metric, key), 1)
        changed[sid] = after
    out.deltas = {k: v for k, v in deltas.items() if v[0] != 0 or v[1] != 0}
    return out


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
        for anc in series if metric == SERIES_METRIC else every:
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
        for path, value in CATALOG.cell_paths(metric, key, n, amount):
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
