"""The worker replica's fold: one row per worker whatever the order and the duplicates."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.cases.workers.replica import fold
from shared.contract.codes import FeeComponent, Legality
from shared.contract.events import FeeCharged, WorkerReturned, WorkerVerified
from tests.support.cases import consumed, departed, registered, worker_event

WORKER = uuid.uuid4()
AGENCIES = [uuid.uuid4(), uuid.uuid4()]
HISTORY = [
    worker_event(WORKER, 1, registered()),
    worker_event(WORKER, 2, WorkerVerified(verified_on=date(2025, 2, 1))),
    worker_event(
        WORKER,
        3,
        FeeCharged(
            fee_id=uuid.uuid4(),
            component=FeeComponent.PASSPORT,
            amount=Decimal(500_000),
            currency="IDR",
            charged_on=date(2025, 2, 3),
            agency_id=None,
            occupation=None,
            legality=Legality.ILLEGAL,
        ),
    ),
    worker_event(WORKER, 4, departed(AGENCIES[0])),
    worker_event(WORKER, 5, WorkerReturned(returned_on=date(2026, 1, 10))),
    worker_event(WORKER, 6, departed(AGENCIES[1])),
]


def test_the_fold_keeps_the_newest_fact_of_each_group() -> None:
    (row,) = fold(consumed(HISTORY))
    assert (row.status, row.status_seq) == ("departed", 6)
    assert (row.agency_id, row.placement_seq) == (AGENCIES[1], 6)
    assert (row.sex, row.procedural, row.registered_seq) == ("female", True, 1)
    assert row.sequence == 6


def test_without_its_registration_a_worker_has_no_sex_yet() -> None:
    (row,) = fold(consumed(HISTORY[1:3]))
    assert (row.sex, row.registered_seq, row.status) == (None, 0, "verified")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(HISTORY))), min_size=len(HISTORY), max_size=20))
def test_any_order_with_any_duplicates_folds_to_the_same_row(picks: list[int]) -> None:
    order = [HISTORY[i] for i in picks]
    missing = [e for e in HISTORY if e not in order]
    assert fold(consumed(order + missing)) == fold(consumed(HISTORY))
