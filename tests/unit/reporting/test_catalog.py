"""The catalog of kinds of subject: what each declares covers what the projection writes, every
event on the figure topics is declared, and a new kind is counted from its declaration alone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import pytest

from services.reporting.projections.catalog import CATALOG, Catalog
from services.reporting.projections.delta import Subject, expand, project
from services.reporting.projections.kind import (
    Attrs,
    Flows,
    Metric,
    Row,
    Series,
    SubjectKind,
    count,
)
from services.reporting.projections.model import SEP, SERIES_METRIC
from services.reporting.projections.subjects.worker import WORKER
from shared.contract.events import EVENT_MODELS, WorkerDeparted, WorkerRegistered
from tests.unit.reporting.events import Log, random_stream

V1 = "53.71.01.1001"


def test_every_event_on_the_figure_topics_is_declared_by_one_kind() -> None:
    # A new contract event on these topics must be declared (``ignored`` if no figure depends
    # on it), or the projection would skip it without anyone deciding so.
    assert set(CATALOG.topics) == {
        "registry.worker.v1",
        "registry.agency.v1",
        "cases.case.v1",
        "alerts.alert.v1",
    }
    on_topics = {m for m in EVENT_MODELS.values() if str(m.topic) in CATALOG.topics}
    assert set(CATALOG.handlers) == on_topics


def _under(path: str, objects: Iterable[str]) -> bool:
    return any(path.startswith(f"{obj}/") for obj in objects)


def test_what_the_kinds_declare_covers_what_the_projection_writes() -> None:
    log = Log()
    agencies = [
        log.event(
            "agency-licensed",
            "7d1c2b9e-0000-4000-8000-000000000001",
            "53",
            name="PT A",
            licence_no="L-1",
        ),
        log.event("agency-suspended", "7d1c2b9e-0000-4000-8000-000000000001", "53", reason=None),
    ]
    result = project([*agencies, *random_stream(3_000, seed=3)], {})
    for subject in result.subjects.values():
        assert set(subject.attrs) == set(subject.kind.fields), subject.kind.name
    template = set(CATALOG.template_paths)
    seen = set()
    for _area, metric, key in result.deltas:
        seen.add(metric)
        if metric == SERIES_METRIC:
            assert key.split(SEP)[1] in CATALOG.series
            continue
        declared = CATALOG.metrics[metric]
        assert len(key.split(SEP)) == len(declared.dims), (metric, key)
        for path, _ in CATALOG.leaf_paths(metric, key):
            # Every leaf a row feeds is in every summary, at zero if need be.
            assert path in template or _under(path, CATALOG.dynamic_objects), path
    assert seen == {*CATALOG.metrics, SERIES_METRIC}


def test_a_stored_state_reads_fields_added_since_as_missing() -> None:
    older = "departed|female|procedural|cook|MY"
    longer = SubjectKind("worker", (*WORKER.fields, "prepared"), contributes=WORKER.contributes)
    attrs = longer.parse(older)
    assert attrs["prepared"] is None and attrs["destination"] == "MY"
    assert longer.state(attrs) == f"{older}|-"
    with pytest.raises(ValueError, match="more codes"):
        WORKER.parse(f"{older}|yes")


# A kind of subject that is not in the product: one per worker, by birth decade and whether
# departed, with a series of registrations by decade. Its declaration is all it takes.
COHORTS = Metric(
    "cohorts",
    dims=("decade", "departed"),
    leaves=lambda decade, departed: [count(f"cohorts/{decade}/{departed}")],
    template=("cohorts/1990s/no",),
)
BY_DECADE = Series("cohort_registered", by=None)


def _registered(data: WorkerRegistered, flows: Flows) -> Attrs:
    flows.month(BY_DECADE, data.registered_on, None)
    return {"decade": f"{data.birth_year // 10 * 10}s", "departed": "no"}


def _departed(cohort: Attrs, data: WorkerDeparted, flows: Flows) -> None:
    cohort["departed"] = "yes"


def _rows(cohort: Attrs) -> Iterable[Row]:
    return (COHORTS.row(cohort),)


COHORT = SubjectKind(
    "cohort",
    fields=("decade", "departed"),
    created_by={WorkerRegistered: _registered},
    changed_by={WorkerDeparted: _departed},
    contributes=_rows,
    metrics=(COHORTS,),
    series=(BY_DECADE,),
)


def test_a_new_kind_is_counted_from_its_declaration_alone() -> None:
    catalog = Catalog((COHORT,))
    log = Log()
    wid, reg = log.worker(V1)  # born 1995, registered 2026-03-01
    verified = log.event("worker-verified", wid, V1, verified_on="2026-03-02")
    first = project([reg, verified], {}, catalog=catalog)
    assert first.applied == 1 and first.skipped == 1  # this catalog does not declare it
    assert first.deltas == {
        (V1, "cohorts", "1990s|no"): [1, Decimal(0)],
        (V1, "monthly", "2026-03|cohort_registered|-"): [1, Decimal(0)],
    }
    stored = {wid: Subject.stored(COHORT, V1, 2, first.subjects[wid].state())}
    later = project([log.departed(wid, V1)], stored, catalog=catalog)
    assert later.deltas == {
        (V1, "cohorts", "1990s|no"): [-1, Decimal(0)],
        (V1, "cohorts", "1990s|yes"): [1, Decimal(0)],
    }
    assert catalog.leaf_paths("cohorts", "1990s|yes") == (("cohorts/1990s/yes", False),)
    assert catalog.template_paths == ("cohorts/1990s/no",)
    assert catalog.topics == ("registry.worker.v1",)
    assert list(catalog.series) == ["cohort_registered"]


def test_an_event_model_or_a_name_declared_twice_is_refused() -> None:
    with pytest.raises(TypeError, match="WorkerRegistered is declared by worker and cohort"):
        Catalog((WORKER, COHORT))
    twice = SubjectKind("cohort", ("decade",), contributes=_rows, metrics=(COHORTS, COHORTS))
    with pytest.raises(ValueError, match="metric 'cohorts'"):
        Catalog((twice,))


def test_the_declared_breakdowns_are_equal_in_every_area() -> None:
    # Suppression relies on them: an equation that did not hold would protect nothing.
    cube = expand(project(random_stream(3_000, seed=8), {}).deltas)
    values: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (area, metric, key), (n, amount) in cube.items():
        for path, value in CATALOG.cell_paths(metric, key, n, amount):
            values[area][path] += value
    checked = 0
    for leaves in values.values():
        for left, right in CATALOG.equations(sorted({*CATALOG.template_paths, *leaves})):
            assert sum(leaves[p] for p in left) == sum(leaves[p] for p in right), (left, right)
            checked += bool(left and right)
    assert checked > 100
