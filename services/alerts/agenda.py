"""Due checks: when each time-driven rule must look at a subject again.

The clock-driven rules (an unassigned case, a deadline, an overdue return, a sliding window) do
not wait for an event: each condition that may start or end later has one due time per
(rule, about). The agenda is plain data, ``{(rule, about): due_at}`` (a table with an index on
``due_at`` once stored), so after a restart the clock loop finds every check that fell due while
the service was down, and runs it once.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from datetime import datetime

from shared.contract.codes import AlertRule

Key = tuple[AlertRule, str]  # (rule, about)


class Agenda:
    """``due`` is the truth; the heap only finds the earliest entries fast (stale ones are
    skipped when they surface)."""

    def __init__(self, due: Mapping[Key, datetime] | None = None) -> None:
        self.due: dict[Key, datetime] = dict(due or {})
        self._heap: list[tuple[datetime, Key]] = [(at, key) for key, at in self.due.items()]
        heapq.heapify(self._heap)
        self.touched: set[Key] = set()

    def __len__(self) -> int:
        return len(self.due)

    def schedule(self, key: Key, at: datetime) -> None:
        if self.due.get(key) == at:
            return
        self.due[key] = at
        self.touched.add(key)
        heapq.heappush(self._heap, (at, key))
        if len(self._heap) > 2 * len(self.due) + 1024:
            self._compact()

    def cancel(self, key: Key) -> None:
        if self.due.pop(key, None) is not None:
            self.touched.add(key)

    def pop_due(self, now: datetime) -> Iterator[Key]:
        """Each key due at or before ``now``, earliest first, removed as it is yielded. Keys
        scheduled while iterating are yielded too if they are due."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, key = heapq.heappop(heap)
            if self.due.get(key) == at:
                del self.due[key]
                self.touched.add(key)
                yield key

    def next_due(self) -> datetime | None:
        """When the earliest check falls due (the clock loop may sleep until then)."""
        heap = self._heap
        while heap and self.due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _compact(self) -> None:
        self._heap = [(at, key) for key, at in self.due.items()]
        heapq.heapify(self._heap)
