"""The one rules engine of a process, and the one way to change it: :meth:`EngineKeeper.step`.

Rules span subjects (an agency across workers and cases, a village against its regency), so the
rules core keeps its whole state in memory (:class:`~services.alerts.engine.RulesEngine`). Three
things change it: a consumed batch (:mod:`services.alerts.intake`), the clock
(:mod:`services.alerts.ticker`) and a monitor (:mod:`services.alerts.monitors`). Each goes
through :meth:`EngineKeeper.step`, inside its database transaction:

1. lock the ``engine_state`` row (writers take turns, across processes too) and count the step
   in its version;
2. if the state in memory is not the version before (never loaded; a step that failed or whose
   transaction did not commit; another process wrote), load it again from the tables;
3. run the step on the engine, write the rows it changed and its alert events to the outbox
   (``alerts.alert.v1``) and to the stream's ``alert_log``.

The in-memory state is taken as the new version only once everything is written; the row lock
keeps the next writer waiting until this transaction has committed or rolled back, and a
rollback takes the stored version back behind the one in memory, so the next step reloads.
Nothing a failed step did in memory survives it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import asyncpg

from services.alerts.clock import Clock
from services.alerts.engine import RulesEngine
from services.alerts.lifecycle import AlertEvent
from services.alerts.monitors.models import alert_view
from services.alerts.settings import RuleSettings
from services.alerts.state import AlertState
from services.alerts.store import StateStore
from shared.contract.ids import uuid7
from shared.logging import get_logger
from shared.service import events as outbox_events

log = get_logger(__name__)

Step = Callable[[RulesEngine], list[AlertEvent]]
# The correlation id of each alert event: its cause's (an event of the batch), or one for all.
Correlation = Mapping[uuid.UUID, str | None] | str | None

# Locks the row (until the transaction ends) and counts this step in one round trip; a rollback
# takes the count back with everything else.
_NEXT_VERSION = "UPDATE engine_state SET version = version + 1 WHERE id = 1 RETURNING version"
_LOG = (
    "INSERT INTO alert_log (alert_id, type, area, at, alert)"
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::json[])"
)


class EngineKeeper:
    def __init__(
        self,
        settings: RuleSettings,
        clock: Clock,
        new_id: Callable[[], uuid.UUID] = uuid7,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._new_id = new_id
        self._engine: RulesEngine | None = None
        self._store = StateStore()
        self._version: int | None = None  # the stored version the memory holds; None: unknown
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self.loads = 0
        # Set by the clock loop once the consumer has read the log as it stood at start; until
        # then batches leave the due checks to it (a late event in the log must be read first).
        self.caught_up = False

    async def step(
        self, conn: asyncpg.Connection, work: Step, correlation: Correlation = None
    ) -> list[AlertEvent]:
        """Run ``work`` on the current state inside ``conn``'s transaction (see the module's
        docstring); returns the alert events it made, already in the outbox."""
        if not conn.is_in_transaction():
            raise RuntimeError("EngineKeeper.step must run inside the caller's transaction")
        async with self._lock:
            version: int = await conn.fetchval(_NEXT_VERSION)
            engine = self._engine
            if engine is None or self._version != version - 1:
                engine = await self._load(conn)
            self._version = None
            events = work(engine)
            await self._store.save(conn, engine.state, engine.state.take_changes())
            await _publish(conn, events, correlation, engine.state)
            self._version = version
        self._changed.set()
        return events

    async def _load(self, conn: asyncpg.Connection) -> RulesEngine:
        self._store = StateStore()
        state = await self._store.load(conn)
        self._engine = RulesEngine(state, self.settings, self.clock, self._new_id)
        keep_out_of_collections()
        self.loads += 1
        if self.loads > 1:
            log.info("rules state reloaded from the database", loads=self.loads)
        return self._engine

    # -- for the clock loop ------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        """When the next due check falls due, as far as this process knows (None: none, or
        no state loaded yet)."""
        return None if self._engine is None else self._engine.next_due()

    async def changed(self, within: float) -> None:
        """Wait until a step has run, or ``within`` seconds."""
        try:
            await asyncio.wait_for(self._changed.wait(), max(within, 0.0))
        except TimeoutError:
            return
        finally:
            self._changed.clear()

    def wake(self) -> None:
        """Make the clock loop look at the due checks now (tests moving a manual clock)."""
        self._changed.set()


def keep_out_of_collections() -> None:
    """Move everything alive now (the rules' state above all: a million objects at national
    scale) out of the cyclic collector's walks, where a full collection would hold every batch
    up for a fraction of a second. The state lives as long as the process and holds no cycles;
    what it drops is freed by reference counting as before."""
    gc.freeze()


async def _publish(
    conn: asyncpg.Connection,
    events: Sequence[AlertEvent],
    correlation: Correlation,
    state: AlertState,
) -> None:
    """Each alert event onto the outbox (``alerts.alert.v1``) and into the stream's log (as the
    board shows it: with the name of the agency it is about, when the state knows it)."""
    if not events:
        return
    envelopes = [e.envelope(_correlation_of(e, correlation)) for e in events]
    await outbox_events.append_built(conn, envelopes)
    await conn.execute(
        _LOG,
        [e.alert.id for e in events],
        [e.type for e in events],
        [e.alert.area for e in events],
        [e.time for e in events],
        [json.dumps(alert_view(e.alert, _agency_name(state, e.alert.about))) for e in events],
    )


def _agency_name(state: AlertState, about: str) -> str | None:
    agency = state.agencies.get(about)
    return None if agency is None else agency.name


def _correlation_of(event: AlertEvent, correlation: Correlation) -> str | None:
    if correlation is None or isinstance(correlation, str):
        return correlation
    return None if event.cause is None else correlation.get(event.cause)
