"""The consumer of ``registry.worker.v1``, ``registry.agency.v1`` and ``cases.case.v1``.

One idempotent batch consumer (the kit's :class:`~shared.service.app.Consumer`, group
``ALERTS_CONSUMER_GROUP``, from the earliest offset) feeds every batch to the rules engine: the
facts and alerts it changes, its alert events (outbox) and the stream's log are written in the
transaction that records the batch's event ids in the inbox and the consumer's positions
(:meth:`~services.alerts.keeper.EngineKeeper.step`). An event the rules cannot apply is poison:
the kit then applies the batch event by event and sends that one to ``<topic>.dlq``.

Every alert event keeps the chain of the event that caused it: ``causation_id`` is that event's
id, ``correlation_id`` its correlation id.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.alerts.engine import RulesEngine
from services.alerts.keeper import EngineKeeper
from services.alerts.lifecycle import AlertEvent
from shared.consumer import ConsumedEvent, PoisonEvent
from shared.contract.topics import Topic

TOPICS = (Topic.WORKER, Topic.AGENCY, Topic.CASE)
CONSUMER = "alerts"

# What the rules raise on an event whose payload they cannot read (a field missing or of
# another type than the contract's): that event's fault, not the system's.
_UNREADABLE = (LookupError, TypeError, ValueError, AttributeError, AssertionError)


class Intake:
    """``handler(conn, events)`` for the kit's consumer."""

    def __init__(self, keeper: EngineKeeper) -> None:
        self.keeper = keeper

    async def __call__(self, conn: asyncpg.Connection, events: Sequence[ConsumedEvent]) -> None:
        envelopes = [event.envelope for event in events]
        correlation = {e.id: e.correlation_id for e in envelopes}
        # Until the log as it stood at start has been read, deadlines wait for the clock loop.
        tick = self.keeper.caught_up

        def apply(engine: RulesEngine) -> list[AlertEvent]:
            try:
                return engine.handle_batch(envelopes, tick=tick)
            except _UNREADABLE as exc:
                raise PoisonEvent(f"the rules cannot apply it: {type(exc).__name__}") from exc

        await self.keeper.step(conn, apply, correlation)
