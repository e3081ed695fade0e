"""Garbage-collector settings for services that handle large batches of events.

CPython's cyclic collector runs by allocation counts: with its defaults (700, 10, 10) a consumer
batch of tens of thousands of parsed events triggers dozens of full collections, each walking
every live object (the 91,000-area hierarchy included). Measured on the reporting projection
here: 5,750 events/s with the defaults, 8,600 with this tuning, 10,000 with the collector off.

:func:`tune_for_batches` moves everything alive at start-up (imports, the area hierarchy) out of
the collector's sight (``gc.freeze``) and collects young objects far less often. Reference
cycles are still collected, only in larger rounds.

:class:`CollectorPause` goes further for the work on one batch: while a batch is parsed and
applied, most of what it allocates stays alive until the batch is done, so every collection in
between walks the batch again for nothing. Measured on the reporting projection here: 43 µs of
the service's CPU per event with the tuning alone, 33 µs with the collector paused per batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from shared.areas import areas

# Young objects allocated before a collection (default 700); collections of the middle and the
# oldest generation per collection of the one below (defaults 10 and 10).
THRESHOLDS = (100_000, 50, 100)


def tune_for_batches() -> None:
    """Freeze the start-up heap and raise the collection thresholds (process-wide, idempotent)."""
    areas()  # load the hierarchy now, so that it is frozen with the rest
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


class CollectorPause:
    """Pauses the cyclic collector while one batch is worked on (each of a consumer's own).

    A pause never outlasts the batch that started it: one started while the collector is
    already off (another batch's pause) changes nothing. :meth:`running` turns it on again for
    parts of the batch that may last long or leave cycles behind: a retry's backoff, the
    event-at-a-time fallback after a handler failure.
    """

    def __init__(self) -> None:
        self._paused = False  # this owner switched the collector off and has not ended

    @contextmanager
    def paused(self) -> Iterator[None]:
        if not gc.isenabled():
            yield
            return
        gc.disable()
        self._paused = True
        try:
            yield
        finally:
            self._paused = False
            gc.enable()

    @contextmanager
    def running(self) -> Iterator[None]:
        if not self._paused or gc.isenabled():
            yield
            return
        gc.enable()
        try:
            yield
        finally:
            gc.disable()
