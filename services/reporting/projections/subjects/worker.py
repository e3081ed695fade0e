"""Workers: registered -> verified -> departed -> returned, counted by status, sex, procedural
placement, occupation and destination; the fees charged to them; four monthly series.

A worked example of a kind of subject (``projections/kind.py``): the handlers below turn each
event model into the worker's new fields and its flows, and :data:`WORKER` at the end declares
it all. Fees need no worker state (``counted``): a fee of a worker this node never saw
registered still counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.reporting.projections.kind import (
    Attrs,
    Breakdowns,
    Flows,
    LeafPath,
    Metric,
    Row,
    Series,
    SubjectKind,
    amount,
    breakdown,
    count,
)
from services.reporting.projections.model import SEXES, procedural_code
from shared.contract.codes import FeeComponent, Legality, Occupation, WorkerStatus
from shared.contract.events import (
    FeeCharged,
    WorkerDeparted,
    WorkerRegistered,
    WorkerReturned,
    WorkerVerified,
)

_STATUSES = [s.value for s in WorkerStatus]


def _worker_leaves(
    status: str, sex: str, procedural: str, occupation: str, destination: str
) -> Iterable[LeafPath]:
    yield count(f"workers/{status}/{sex}")
    if procedural == "non_procedural":
        yield count(f"workers_non_procedural/{status}/{sex}")
    if status == "departed":
        yield count(f"workers_abroad_by_occupation/{occupation}/{sex}")
        yield count(f"workers_abroad_by_destination/{destination}/{sex}")


def _worker_equations(paths: Sequence[str]) -> Iterable[Breakdowns]:
    for sex in SEXES:
        departed = [f"workers/departed/{sex}"]
        yield departed, breakdown(paths, "workers_abroad_by_occupation", sex)
        yield departed, breakdown(paths, "workers_abroad_by_destination", sex)


WORKERS = Metric(
    "workers",
    dims=("status", "sex", "procedural", "occupation", "destination"),
    leaves=_worker_leaves,
    template=(
        *[f"workers/{s}/{x}" for s in _STATUSES for x in SEXES],
        *[f"workers_non_procedural/{s}/{x}" for s in _STATUSES for x in SEXES],
        *[f"workers_abroad_by_occupation/{o.value}/{x}" for o in Occupation for x in SEXES],
    ),
    dynamic=("workers_abroad_by_destination",),
    equations=_worker_equations,
)


def _fee_leaves(legality: str, component: str, currency: str) -> Iterable[LeafPath]:
    yield count(f"fees/{legality}/count")
    yield amount(f"fees/{legality}/amount/{currency}")
    yield count(f"fees_by_component/{component}/count")
    yield amount(f"fees_by_component/{component}/amount/{currency}")


def _fee_equations(paths: Sequence[str]) -> Iterable[Breakdowns]:
    yield breakdown(paths, "fees", "count"), breakdown(paths, "fees_by_component", "count")
    for currency in sorted({p.rsplit("/", 1)[1] for p in paths if "/amount/" in p}):
        amounts = f"amount/{currency}"
        yield breakdown(paths, "fees", amounts), breakdown(paths, "fees_by_component", amounts)


FEES = Metric(
    "fees",
    dims=("legality", "component", "currency"),
    leaves=_fee_leaves,
    template=(
        *[f"fees/{lg.value}/count" for lg in Legality],
        *[f"fees_by_component/{c.value}/count" for c in FeeComponent],
    ),
    dynamic=(
        *[f"fees/{lg.value}/amount" for lg in Legality],
        *[f"fees_by_component/{c.value}/amount" for c in FeeComponent],
    ),
    equations=_fee_equations,
)

REGISTERED = Series("registered")
DEPARTED = Series("departed")
RETURNED = Series("returned")
FEES_CHARGED = Series("fees", by="currency")


def registered(data: WorkerRegistered, flows: Flows) -> Attrs:
    flows.month(REGISTERED, data.registered_on, data.sex)
    return {
        "status": "registered",
        "sex": str(data.sex),
        "procedural": procedural_code(data.procedural),
        "occupation": str(data.occupation) if data.occupation else None,
        "destination": None,
    }


def verified(worker: Attrs, data: WorkerVerified, flows: Flows) -> None:
    worker["status"] = "verified"


def departed(worker: Attrs, data: WorkerDeparted, flows: Flows) -> None:
    worker["status"] = "departed"
    worker["occupation"] = str(data.occupation)
    worker["destination"] = data.destination_country
    flows.month(DEPARTED, data.departed_on, worker["sex"])


def returned(worker: Attrs, data: WorkerReturned, flows: Flows) -> None:
    worker["status"] = "returned"
    flows.month(RETURNED, data.returned_on, worker["sex"])


def fee_charged(data: FeeCharged, flows: Flows) -> None:
    flows.add(FEES.of(data.legality, data.component, data.currency), 1, data.amount)
    flows.month(FEES_CHARGED, data.charged_on, data.currency, data.amount)


def contributions(worker: Attrs) -> Iterable[Row]:
    return (WORKERS.row(worker),)


WORKER = SubjectKind(
    "worker",
    fields=("status", "sex", "procedural", "occupation", "destination"),
    created_by={WorkerRegistered: registered},
    changed_by={WorkerVerified: verified, WorkerDeparted: departed, WorkerReturned: returned},
    counted={FeeCharged: fee_charged},
    contributes=contributions,
    metrics=(WORKERS, FEES),
    series=(REGISTERED, DEPARTED, RETURNED, FEES_CHARGED),
)
