"""Every kind of subject the figures count, and what the projection and the views read from it.

:data:`CATALOG` lists the kinds: it is the one list to extend. A new kind of subject is a module
in ``subjects/`` (see ``kind.py`` and ``subjects/worker.py``) added to it; a new event type
about an existing kind is one more entry in that kind's declaration. Everything else follows
from the :class:`Catalog`: which event models the projection applies and how
(:attr:`~Catalog.handlers`), the topics the service consumes (:attr:`~Catalog.topics`), how a
stored state reads back (:attr:`~Catalog.kind_named`), which summary leaves a cube row adds to
(:meth:`~Catalog.leaf_paths`, recorded in ``figure_key_paths`` as keys are met), the summary's
shape (:attr:`~Catalog.template_paths`, :attr:`~Catalog.dynamic_objects`), its read-time
deadline leaves (:attr:`~Catalog.due_leaves`), the monthly series (:attr:`~Catalog.series`) and
what small-cell suppression must respect (:meth:`~Catalog.equations`,
:attr:`~Catalog.public_prefixes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from services.reporting.projections.kind import Breakdowns, LeafPath, Metric, Series, SubjectKind
from services.reporting.projections.model import SEP, SERIES_METRIC
from services.reporting.projections.subjects.agency import AGENCY
from services.reporting.projections.subjects.alert import ALERT
from services.reporting.projections.subjects.case import CASE
from services.reporting.projections.subjects.worker import WORKER
from shared.contract.events import EventData
from shared.contract.topics import Topic

# What the projection does with an event of a declared model: (role, its kind, the handler).
Handler = tuple[str, SubjectKind, Callable[..., Any]]
N = TypeVar("N", SubjectKind, Metric, Series)


def _by_name(items: Iterable[N], what: str) -> dict[str, N]:
    out: dict[str, N] = {}
    for item in items:
        if item.name in out or item.name == SERIES_METRIC or SEP in item.name:
            raise ValueError(f"{what} {item.name!r} is declared twice, reserved or has {SEP!r}")
        out[item.name] = item
    return out


class Catalog:
    """The kinds of subject one projection counts, and everything derived from them."""

    def __init__(self, kinds: Iterable[SubjectKind]) -> None:
        self.kinds = tuple(kinds)
        self.kind_named = _by_name(self.kinds, "kind")
        self.handlers: dict[type[EventData], Handler] = {}
        for kind in self.kinds:
            for model, role, handler in kind.handlers():
                if model in self.handlers:
                    other = self.handlers[model][1].name
                    raise TypeError(f"{model.__name__} is declared by {other} and {kind.name}")
                self.handlers[model] = (role, kind, handler)
        self.metrics = _by_name((m for k in self.kinds for m in k.metrics), "metric")
        self.series = _by_name((s for k in self.kinds for s in k.series), "series")
        # The topics those event models travel on, in the contract's order.
        used = {model.topic for model in self.handlers}
        self.topics: tuple[str, ...] = tuple(str(t) for t in Topic if t in used)
        # The leaves every summary shows even at zero, in the order declared (the order of the
        # summary's totals), and the objects whose keys come from the data.
        self.template_paths: tuple[str, ...] = tuple(
            path
            for m in self.metrics.values()
            for path in (*m.template, *([m.due_leaf] if m.due_leaf else []))
        )
        self.dynamic_objects: tuple[str, ...] = tuple(
            obj for m in self.metrics.values() for obj in m.dynamic
        )
        # metric -> the leaf counting its rows dated before today (see Metric.due_leaf).
        self.due_leaves: dict[str, str] = {
            m.name: m.due_leaf for m in self.metrics.values() if m.due_leaf
        }
        # Leaves never withheld from agencies: those of public metrics (by their first part).
        self.public_prefixes: tuple[str, ...] = tuple(
            sorted(
                {
                    f"{path.split('/')[0]}/"
                    for m in self.metrics.values()
                    if m.public
                    for path in (*m.template, *m.dynamic)
                }
            )
        )
        self.leaf_paths = lru_cache(maxsize=100_000)(self._leaf_paths)

    def _leaf_paths(self, metric: str, key: str) -> tuple[LeafPath, ...]:
        """The summary leaves one cube row adds to: (path, True if it adds the amount, else n)."""
        declared = self.metrics.get(metric)
        if declared is None:
            return ()  # the monthly series, or a metric no longer declared: no summary leaf
        return tuple(declared.leaves(*key.split(SEP)))

    def equations(self, paths: Sequence[str]) -> list[Breakdowns]:
        """Every pair of leaf lists with equal sums in one area's totals (see Metric)."""
        return [pair for m in self.metrics.values() for pair in m.equations(paths)]

    def cell_paths(
        self, metric: str, key: str, n: int, amount: Decimal
    ) -> Iterator[tuple[str, Decimal]]:
        """The summary leaves one cube row contributes to, with the value it adds to each."""
        count = Decimal(n)
        for path, uses_amount in self.leaf_paths(metric, key):
            yield path, amount if uses_amount else count


CATALOG = Catalog((WORKER, CASE, ALERT, AGENCY))
