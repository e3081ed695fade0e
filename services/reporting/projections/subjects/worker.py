"""Workers: registered -> verified -> departed -> returned, counted by status, sex, procedural
placement, occupation and destination; the fees charged to them; the services delivered to them
and their families, the departures they prepared and the returns followed by reintegration;
seven monthly series.

A worked example of a kind of subject (``projections/kind.py``): the handlers below turn each
event model into the worker's new fields and its flows, and :data:`WORKER` at the end declares
it all. Fees and services need no worker state (``counted``): a fee of a worker this node never
saw registered still counts. What a service counts for (preparing a departure, reintegration
after a return, a child of a worker abroad) the registry judges by the days things happened and
says in the events (docs/domain.md), so the shares' numerators and denominators are plain counts
here, additive at every level; the shares themselves are worked out when read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

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
from services.reporting.projections.model import NONE, SEXES, procedural_code
from shared.contract.codes import (
    PRE_DEPARTURE_SERVICES,
    REINTEGRATION_SERVICES,
    FamilyRelation,
    FeeComponent,
    Legality,
    Occupation,
    ServiceKind,
    WorkerStatus,
)
from shared.contract.events import (
    FeeCharged,
    ServiceDelivered,
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


# Services delivered: by kind, beneficiary (worker or family), sex and provider; ``reach`` says
# whether the delivery is the beneficiary's first of its kind (people served) and whether it is
# a child of a worker abroad coming to community parenting for the first time.
AGAIN, FIRST, CHILD_ABROAD = "again", "first", "child_abroad"


def _service_leaves(
    kind: str, beneficiary: str, sex: str, provider: str, reach: str
) -> Iterable[LeafPath]:
    yield count(f"services/{kind}/{beneficiary}/{sex}")
    yield count(f"services_by_provider/{provider}/{sex}")
    if reach != AGAIN:
        yield count(f"people_served/{kind}/{sex}")
    if reach == CHILD_ABROAD:
        yield count(f"children_in_community_parenting/{sex}")


def _service_equations(paths: Sequence[str]) -> Iterable[Breakdowns]:
    for sex in SEXES:
        delivered = sorted(p for p in paths if p.startswith("services/") and p.endswith(f"/{sex}"))
        yield delivered, breakdown(paths, "services_by_provider", sex)


# Services by kind, beneficiary and provider are sparse (few areas see every kind delivered to
# every beneficiary): their leaves appear where some area of a summary has them, not as zeros in
# every summary (which would cost every read); the children of workers abroad always show.
SERVICES = Metric(
    "services",
    dims=("kind", "beneficiary", "sex", "provider", "reach"),
    leaves=_service_leaves,
    template=tuple(f"children_in_community_parenting/{x}" for x in SEXES),
    dynamic=("services", "services_by_provider", "people_served"),
    equations=_service_equations,
)

# Departures and how many were prepared (and by which kinds), returns and how many were followed
# by reintegration: one row per departure or return when it is counted, and one per kind that
# the registry credits to it (with the departure, or later with the service).
COUNTED = "counted"  # a departure (return) with no service known for it yet
COUNTED_DONE = "counted_done"  # counted with the first kind that prepared it (reintegrated)
DONE_LATER = "done_later"  # the first kind, for one counted before
ANOTHER_KIND = "another_kind"  # one more kind, for one already prepared (reintegrated)


def _programme(name: str, done: str, kinds: frozenset[ServiceKind]) -> Metric:
    """``<name>/all/<sex>``, ``<name>/<done>/<sex>`` and ``<name>/<done>_by/<kind>/<sex>``."""

    def leaves(step: str, kind: str, sex: str) -> Iterable[LeafPath]:
        if step in (COUNTED, COUNTED_DONE):
            yield count(f"{name}/all/{sex}")
        if step in (COUNTED_DONE, DONE_LATER):
            yield count(f"{name}/{done}/{sex}")
        if kind != NONE:
            yield count(f"{name}/{done}_by/{kind}/{sex}")

    return Metric(
        name,
        dims=("step", "kind", "sex"),
        leaves=leaves,
        template=(
            *[f"{name}/all/{x}" for x in SEXES],
            *[f"{name}/{done}/{x}" for x in SEXES],
            *[f"{name}/{done}_by/{k.value}/{x}" for k in ServiceKind if k in kinds for x in SEXES],
        ),
    )


DEPARTURES = _programme("departures", "prepared", PRE_DEPARTURE_SERVICES)
RETURNS = _programme("returns", "reintegrated", REINTEGRATION_SERVICES)

REGISTERED = Series("registered")
DEPARTED = Series("departed")
RETURNED = Series("returned")
FEES_CHARGED = Series("fees", by="currency")
SERVICES_DELIVERED = Series("services_delivered")
# By the month of the departure (return) they prepared (followed), like departed and returned.
DEPARTURES_PREPARED = Series("departures_prepared")
RETURNS_REINTEGRATED = Series("returns_reintegrated")


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
    _counted(
        flows, DEPARTURES, DEPARTURES_PREPARED, data.departed_on, worker["sex"], data.prepared_by
    )


def returned(worker: Attrs, data: WorkerReturned, flows: Flows) -> None:
    worker["status"] = "returned"
    flows.month(RETURNED, data.returned_on, worker["sex"])
    _counted(
        flows, RETURNS, RETURNS_REINTEGRATED, data.returned_on, worker["sex"], data.reintegrated_by
    )


def _counted(
    flows: Flows,
    metric: Metric,
    done: Series,
    day: date,
    sex: str | None,
    kinds: Sequence[ServiceKind],
) -> None:
    """A departure (return) counted, with the kinds already known to have prepared it."""
    if not kinds:
        flows.add(metric.of(COUNTED, None, sex))
        return
    first, *others = kinds
    flows.add(metric.of(COUNTED_DONE, first, sex))
    flows.month(done, day, sex)
    for kind in others:
        flows.add(metric.of(ANOTHER_KIND, kind, sex))


def _credited(
    flows: Flows, metric: Metric, done: Series, day: date, first: bool, data: ServiceDelivered
) -> None:
    """A service the registry credits to a departure (return) counted before."""
    flows.add(metric.of(DONE_LATER if first else ANOTHER_KIND, data.kind, data.sex))
    if first:
        flows.month(done, day, data.sex)


def service_delivered(data: ServiceDelivered, flows: Flows) -> None:
    if not data.first_of_kind:
        reach = AGAIN
    elif (
        data.kind is ServiceKind.COMMUNITY_PARENTING
        and data.relation is FamilyRelation.CHILD
        and data.worker_abroad
    ):
        reach = CHILD_ABROAD
    else:
        reach = FIRST
    flows.add(SERVICES.of(data.kind, data.beneficiary, data.sex, data.provider, reach))
    flows.month(SERVICES_DELIVERED, data.delivered_on, data.sex)
    if data.prepares_departure_on is not None:
        day = data.prepares_departure_on
        _credited(flows, DEPARTURES, DEPARTURES_PREPARED, day, data.first_preparation, data)
    if data.reintegrates_return_on is not None:
        day = data.reintegrates_return_on
        _credited(flows, RETURNS, RETURNS_REINTEGRATED, day, data.first_reintegration, data)


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
    counted={FeeCharged: fee_charged, ServiceDelivered: service_delivered},
    contributes=contributions,
    metrics=(WORKERS, FEES, SERVICES, DEPARTURES, RETURNS),
    series=(
        REGISTERED,
        DEPARTED,
        RETURNED,
        FEES_CHARGED,
        SERVICES_DELIVERED,
        DEPARTURES_PREPARED,
        RETURNS_REINTEGRATED,
    ),
)
