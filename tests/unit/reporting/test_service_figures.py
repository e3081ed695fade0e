"""Figures of services delivered, departures prepared and returns followed by reintegration:
plain counts, the same at every level, whatever order the registry's credits come in."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.model import SERIES_METRIC
from tests.unit.reporting.events import Log
from tests.unit.reporting.test_delta import apply_all

V1 = "53.71.01.1001"
V2 = "53.01.01.2001"
LEVELS = (V1, "53.71.01", "53.71", "53", "ID")


def leaves(cube: dict, area: str) -> dict[str, Decimal]:
    """The summary leaves of ``area`` from an in-memory cube (as cells and villages read them)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for (a, metric, key), (n, amount) in cube.items():
        if a == area:
            for path, value in CATALOG.cell_paths(metric, key, n, amount):
                out[path] += value
    return out


def test_a_prepared_departure_and_a_reintegrated_return_count_at_every_level():
    log = Log()
    wid, reg = log.worker(V1, sex="female")
    events = [
        reg,
        log.service(wid, V1, "pre_departure_information", delivered_on="2026-01-10"),
        log.departed(wid, V1, departed_on="2026-02-01", prepared_by=("pre_departure_information",)),
        # Entered later: a training before the departure (another kind for it).
        log.service(
            wid,
            V1,
            "pre_departure_training",
            delivered_on="2026-01-20",
            prepares_departure_on="2026-02-01",
        ),
        log.returned(wid, V1, returned_on="2026-03-01"),
        log.service(
            wid,
            V1,
            "cooperative",
            delivered_on="2026-03-05",
            reintegrates_return_on="2026-03-01",
            first_reintegration=True,
        ),
    ]
    cube, _ = apply_all([events])
    for area in LEVELS:
        t = leaves(cube, area)
        assert t["departures/all/female"] == 1
        assert t["departures/prepared/female"] == 1
        assert t["departures/prepared_by/pre_departure_information/female"] == 1
        assert t["departures/prepared_by/pre_departure_training/female"] == 1
        assert t["returns/all/female"] == 1
        assert t["returns/reintegrated/female"] == 1
        assert t["returns/reintegrated_by/cooperative/female"] == 1
        assert t["services/cooperative/worker/female"] == 1
        assert t["services_by_provider/village/female"] == 3
        assert t["people_served/pre_departure_training/female"] == 1
        assert t["departures/all/male"] == 0
    # Monthly, by the month of the departure and the return they count for.
    assert cube[("53.71", SERIES_METRIC, "2026-02|departures_prepared|female")][0] == 1
    assert cube[("53.71", SERIES_METRIC, "2026-03|returns_reintegrated|female")][0] == 1
    assert cube[("53.71", SERIES_METRIC, "2026-01|services_delivered|female")][0] == 2


def test_an_unprepared_departure_becomes_prepared_once_when_a_service_is_entered_later():
    log = Log()
    wid, reg = log.worker(V2, sex="male")
    dep = log.departed(wid, V2, departed_on="2026-02-01")
    late = log.service(
        wid,
        V2,
        "document_assistance",
        sex="male",
        delivered_on="2026-01-15",
        prepares_departure_on="2026-02-01",
        first_preparation=True,
    )
    another = log.service(
        wid,
        V2,
        "rights_training",
        sex="male",
        delivered_on="2026-01-16",
        prepares_departure_on="2026-02-01",
    )
    before, _ = apply_all([[reg, dep]])
    assert leaves(before, "ID")["departures/prepared/male"] == 0
    after, _ = apply_all([[reg, dep], [late], [another]])
    t = leaves(after, "ID")
    assert (t["departures/all/male"], t["departures/prepared/male"]) == (1, 1)
    assert t["departures/prepared_by/document_assistance/male"] == 1
    assert t["departures/prepared_by/rights_training/male"] == 1


def test_people_served_and_children_of_workers_abroad_in_community_parenting():
    log = Log()
    wid, reg = log.worker(V1, sex="female")
    child = {"relation": "child", "provider": "village", "worker_abroad": True}
    events = [
        reg,
        log.departed(wid, V1),
        log.service(wid, V1, "community_parenting", sex="male", **child),
        log.service(wid, V1, "community_parenting", sex="male", first_of_kind=False, **child),
        log.service(wid, V1, "community_parenting", sex="female", **child),
        # A child whose parent was home that day reaches the service but is not counted as the
        # child of a worker abroad.
        log.service(wid, V1, "community_parenting", sex="female", relation="child"),
        log.service(wid, V1, "cooperative", sex="male", relation="spouse", provider="ltsa"),
    ]
    cube, _ = apply_all([events])
    for area in LEVELS:
        t = leaves(cube, area)
        assert t["services/community_parenting/family/male"] == 2
        assert t["services/community_parenting/family/female"] == 2
        assert t["people_served/community_parenting/male"] == 1
        assert t["people_served/community_parenting/female"] == 2
        assert t["children_in_community_parenting/male"] == 1
        assert t["children_in_community_parenting/female"] == 1
        assert t["services/cooperative/family/male"] == 1
        assert t["services_by_provider/ltsa/male"] == 1


def test_the_shares_counts_are_in_every_summary_and_the_sparse_breakdowns_where_seen():
    template = set(CATALOG.template_paths)
    for path in (
        "departures/all/female",
        "departures/prepared/male",
        "departures/prepared_by/rights_training/male",
        "returns/reintegrated_by/psychosocial_support/female",
        "children_in_community_parenting/male",
    ):
        assert path in template, path
    assert "returns/reintegrated_by/rights_training/female" not in template
    # By kind, beneficiary and provider: only where some area of the summary has them.
    assert {"services", "services_by_provider", "people_served"} <= set(CATALOG.dynamic_objects)
    assert not [p for p in template if p.startswith(("services", "people_served"))]
