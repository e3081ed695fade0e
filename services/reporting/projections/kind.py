"""How a kind of subject declares its figures: the vocabulary of ``projections/subjects/``.

A *subject* is what an event is about (its envelope's ``subject``): a worker, a case, an alert,
an agency. The projection keeps each subject's current codes (its *fields*) and counts it, as a
stock, in the cube rows its codes give; events add *flows* (fees, monthly series) as they come.
A :class:`SubjectKind` says all of it in one declaration:

* ``fields``: the codes stored per subject (``projection.subjects.state``, joined with ``|``);
  a field added later goes at the end (states stored before it read it as missing);
* ``created_by`` / ``changed_by`` / ``counted`` / ``ignored``: which contract event models
  (classes, not type strings) create a subject, change it, only add flows, or only move its
  sequence on;
* ``contributes``: the cube rows a subject counts +1 in, from its fields;
* ``follows_event_area``: a subject counts at the area of its latest event (a case, whose area
  triage may narrow), not at the area it was created in (a worker stays in her village);
* ``metrics``: the cube metrics it writes, each with its dimensions, the summary leaves a row
  feeds and how those leaves are tied for small-cell suppression (:class:`Metric`), and
  ``series``: its monthly series (:class:`Series`).

Handlers record flows through :class:`Flows` (``flows.add(FEES.of(...))``,
``flows.month(REGISTERED, data.registered_on, data.sex)``). ``catalog.py`` lists every kind;
the projection, the stores, the summary and the series read everything from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, Literal

from services.reporting.projections.model import NONE, SEP, SERIES_METRIC, SEXES, Key, Value, dims
from shared.contract.events import EventData

Attrs = dict[str, str | None]  # a subject's fields: codes, None when missing
Row = tuple[str, str]  # (metric, dims): a cube row at the subject's area
LeafPath = tuple[str, bool]  # (summary leaf path, True if it adds the row's amount, else its n)
Breakdowns = tuple[list[str], list[str]]  # two lists of leaf paths whose sums are equal

ZERO = Decimal(0)


def count(path: str) -> LeafPath:
    """A summary leaf that adds the row's count."""
    return (path, False)


def amount(path: str) -> LeafPath:
    """A summary leaf that adds the row's amount (money)."""
    return (path, True)


def breakdown(paths: Iterable[str], head: str, tail: str) -> list[str]:
    """The paths ``head/<one code>/tail`` among ``paths`` (``tail`` may be empty:
    ``head/<code>``): the leaves of one breakdown, to declare a metric's ``equations``."""
    out = []
    for p in paths:
        if not p.startswith(head + "/"):
            continue
        rest = p[len(head) + 1 :]
        key, _, after = rest.partition("/")
        if key and after == tail:
            out.append(p)
    return sorted(out)


def _no_leaves(*_codes: str) -> Iterable[LeafPath]:
    return ()


def _no_equations(_paths: Sequence[str]) -> Iterable[Breakdowns]:
    return ()


def _getter(names: Sequence[str]) -> Callable[[Attrs], tuple[str | None, ...]]:
    """The values of ``names`` in order, always as a tuple (itemgetter of one name is not)."""
    if len(names) == 1:
        (only,) = names
        return lambda attrs: (attrs[only],)
    return itemgetter(*names)


@dataclass(frozen=True, eq=False)
class Metric:
    """A cube metric: rows ``(area, name, dims)`` with a count ``n`` and an ``amount``.

    ``dims`` names the codes of a row, in order (``dims`` of a row is them joined with ``|``,
    ``-`` for a missing one). ``leaves(*codes)`` gives the summary leaves one row adds to
    (:func:`count` or :func:`amount`); ``template`` the leaves every summary shows even at zero;
    ``dynamic`` the objects whose keys come from the data (currencies, countries), shown even
    when empty. ``due_leaf``: the row's one code is an ISO date, and the summary counts the rows
    dated before today in that leaf (read-time, so it agrees across levels on any day).

    For the summaries published to agencies (``suppression.py``): ``equations(paths)`` gives,
    from an area's leaf paths, every pair of leaf lists whose sums are equal (two breakdowns of
    one total: workers departed = by occupation = by destination, per sex), so that no withheld
    cell can be recovered by subtracting along one; ``public`` leaves (agencies' licences) are
    never withheld.
    """

    name: str
    dims: tuple[str, ...]
    leaves: Callable[..., Iterable[LeafPath]] = _no_leaves
    template: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()
    due_leaf: str | None = None
    equations: Callable[[Sequence[str]], Iterable[Breakdowns]] = _no_equations
    public: bool = False
    # row(fields): the row of a subject whose fields are named as this metric's dimensions
    # (a closure made once: it runs for every subject a batch changes, twice).
    row: Callable[[Attrs], Row] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.due_leaf is not None and len(self.dims) != 1:
            raise ValueError(f"metric {self.name}: a due date is its only dimension")
        name, get = self.name, _getter(self.dims)
        object.__setattr__(self, "row", lambda attrs: (name, dims(*get(attrs))))

    def of(self, *codes: object) -> Row:
        """The row of these codes (in ``dims`` order)."""
        return (self.name, dims(*codes))


@dataclass(frozen=True, eq=False)
class Series:
    """A monthly series: one count per month (by ``sex``, or by ``currency`` with the amount,
    or not broken down), kept in the cube as ``monthly`` rows ``YYYY-MM|name|part`` from the
    regency up, and served by ``GET /v1/areas/{code}/series``.

    The month is that of the business date the event carries (``registered_on``,
    ``charged_on`` …), not of when it was recorded: a fee entered a year late counts in the
    month it was charged. Events without a date of their own use their ``time``.
    """

    name: str
    by: Literal["sex", "currency"] | None = "sex"

    def zero(self) -> Any:
        """The month's entry before any row is added."""
        if self.by == "sex":
            return dict.fromkeys(SEXES, 0)
        if self.by == "currency":
            return {"count": 0, "amount": {}}
        return 0

    def added(self, entry: Any, part: str, n: int, amount: Decimal) -> Any:
        """``entry`` with one cube row (``part`` its sex or currency) added."""
        if self.by == "sex":
            if part != NONE:
                entry[part] = entry.get(part, 0) + n
            return entry
        if self.by == "currency":
            entry["count"] += n
            amounts = entry["amount"]
            value = int(amount) if amount == amount.to_integral_value() else float(amount)
            amounts[part] = amounts.get(part, 0) + value
            return entry
        return entry + n


@cache
def _month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


class Flows:
    """What event handlers record besides a subject's fields: cube rows added as they come.

    The projection points it at the event being applied (``area``, the subject's village-shaped
    area; ``time``, when the event was recorded) before calling a handler; rows are summed per
    ``(area, metric, dims)`` in ``deltas``.
    """

    __slots__ = ("area", "deltas", "time")

    def __init__(self, deltas: dict[Key, Value]) -> None:
        self.deltas = deltas
        self.area = ""
        self.time: date = date.min

    def add(self, row: Row, n: int = 1, amount: Decimal = ZERO) -> None:
        """Add ``n`` (and ``amount``) to ``row`` at the event's area."""
        key = (self.area, row[0], row[1])
        cur = self.deltas.get(key)
        if cur is None:
            self.deltas[key] = [n, amount]
        else:
            cur[0] += n
            cur[1] += amount

    def month(self, series: Series, day: date, part: object, amount: Decimal = ZERO) -> None:
        """Count one in ``series`` for the month of ``day``: the business date the event
        carries, else its ``time``; ``part`` is the sex or currency the series is broken down
        by (None if it is not)."""
        key = (self.area, SERIES_METRIC, dims(_month_text(day.year, day.month), series.name, part))
        cur = self.deltas.get(key)  # as add(), inline: a month is counted for most events
        if cur is None:
            self.deltas[key] = [1, amount]
        else:
            cur[0] += 1
            cur[1] += amount


# What the projection does with an event of a declared model (see SubjectKind.handlers).
CREATES, CHANGES, COUNTS = "creates", "changes", "counts"

Creator = Callable[[Any, Flows], Attrs]  # (event data, flows) -> the new subject's fields
Changer = Callable[[Attrs, Any, Flows], None]  # (fields, changed in place, data, flows)
Counter = Callable[[Any, Flows], None]  # (event data, flows)


def _unchanged(_attrs: Attrs, _data: Any, _flows: Flows) -> None:
    """An ignored event: no figure depends on it; its subject's sequence still advances."""


@dataclass(frozen=True, eq=False)
class SubjectKind:
    """One kind of subject: its stored fields, the events that make and change it, its figures.

    See the module docstring; ``projections/subjects/worker.py`` is a full example.
    """

    name: str
    fields: tuple[str, ...]
    contributes: Callable[[Attrs], Iterable[Row]]
    created_by: dict[type[EventData], Creator] = field(default_factory=dict)
    changed_by: dict[type[EventData], Changer] = field(default_factory=dict)
    counted: dict[type[EventData], Counter] = field(default_factory=dict)
    ignored: tuple[type[EventData], ...] = ()
    metrics: tuple[Metric, ...] = ()
    series: tuple[Series, ...] = ()
    follows_event_area: bool = False
    _get: Callable[[Attrs], tuple[str | None, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(set(self.fields)) != len(self.fields):
            raise ValueError(f"{self.name}: a field is named twice")
        if SEP in self.name:
            raise ValueError(f"{self.name}: a kind's name cannot hold {SEP!r}")
        object.__setattr__(self, "_get", _getter(self.fields))

    def handlers(self) -> Iterable[tuple[type[EventData], str, Callable[..., Any]]]:
        """(event model, role, handler) for every event model this kind declares."""
        for model, creator in self.created_by.items():
            yield model, CREATES, creator
        for model, changer in self.changed_by.items():
            yield model, CHANGES, changer
        for model in self.ignored:
            yield model, CHANGES, _unchanged
        for model, counter in self.counted.items():
            yield model, COUNTS, counter

    def state(self, attrs: Attrs) -> str:
        """The fields as stored: codes joined with ``|`` in ``fields`` order."""
        return dims(*self._get(attrs))

    def parse(self, state: str) -> Attrs:
        """The fields of a stored state; fields added since it was stored read as missing."""
        values = [None if v == NONE else v for v in state.split(SEP)]
        if len(values) > len(self.fields):
            raise ValueError(f"a stored {self.name} has more codes than its fields: {state!r}")
        values += [None] * (len(self.fields) - len(values))
        return dict(zip(self.fields, values, strict=True))
