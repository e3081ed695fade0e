"""What the reporting views count, and how a cube row maps onto the summary's leaves.

Figures are kept as a *cube*: ``(area, metric, dims) -> (n, amount)`` where ``dims`` is a tuple
of codes joined with ``|``. Metrics and their dimensions:

============== =====================================================================
``workers``     status | sex | procedural | occupation | destination  (stock)
``fees``        legality | component | currency                      (flow, + amount)
``cases``       category | gbv_type | level | status | sex | procedural (stock)
``cases_due``   due date (ISO) of each open case with a deadline clock (stock)
``alerts_open`` severity | rule | status (open or acknowledged, i.e. not resolved)
``agencies``    licence status                                       (stock)
``monthly``     YYYY-MM | series | sex (currency for fees)            (flow, + amount)
============== =====================================================================

A missing code is ``-``. :func:`cell_paths` maps one cube row to the summary's leaf paths; the
same mapping feeds the materialised ``cells`` and the read-time derivation, so both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from shared.areas import NATION, area_level
from shared.contract.codes import (
    CaseCategory,
    CaseStatus,
    FeeComponent,
    GbvType,
    Legality,
    Level,
    Occupation,
    Severity,
    WorkerStatus,
)

NONE = "-"
SEP = "|"
SEXES = ("female", "male")
AGENCY_STATUSES = ("licensed", "suspended", "revoked")
# Levels whose summary leaves are materialised in ``cells`` (villages' are derived from the
# cube at read time: a village has few rows), and the levels published to agencies.
CELL_LEVELS = frozenset({"national", "province", "regency", "district"})
PUBLISHED_LEVELS = frozenset({"national", "province", "regency"})
SUMMARY_METRICS = ("workers", "fees", "cases", "alerts_open", "agencies")
MONTHLY_SERIES = (
    "registered",
    "departed",
    "returned",
    "fees",
    "cases_opened",
    "cases_closed",
    "alerts_raised",
)
_PAD = ("00", "00", "00", "0000")


@lru_cache(maxsize=200_000)
def leaf_area(code: str) -> str:
    """The village-shaped code a fact is attributed to.

    Worker and case events name a village. An event naming a higher area (an alert about a
    regency, an agency licensed nationally) is attributed to that area's "not attributed below"
    pseudo child, padded with zeros (``53.71`` -> ``53.71.00.0000``; ``ID`` -> ``00.00.00.0000``),
    so that every area's figures remain the sum of its children's.
    """
    parts = [] if code == NATION else code.split(".")
    return ".".join([*parts, *_PAD[len(parts) :]])


def is_pseudo(code: str) -> bool:
    """True for the zero-padded "not attributed below" areas."""
    return code != NATION and code.split(".")[-1] in {"00", "0000"}


@lru_cache(maxsize=1 << 16)
def dims(*codes: object) -> str:
    """Codes joined with ``|`` (``-`` for a missing one): a cube row's dimension tuple."""
    return SEP.join([NONE if c is None else str(c).replace(SEP, "/") for c in codes])


@lru_cache(maxsize=100_000)
def leaf_paths(metric: str, key: str) -> tuple[tuple[str, bool], ...]:
    """The summary leaves one cube row adds to: (path, True if it adds the amount, else n)."""
    parts = key.split(SEP)
    out: list[tuple[str, bool]] = []
    if metric == "workers":
        status, sex, procedural, occupation, destination = parts
        out.append((f"workers/{status}/{sex}", False))
        if procedural == "non_procedural":
            out.append((f"workers_non_procedural/{status}/{sex}", False))
        if status == "departed":
            out.append((f"workers_abroad_by_occupation/{occupation}/{sex}", False))
            out.append((f"workers_abroad_by_destination/{destination}/{sex}", False))
    elif metric == "fees":
        legality, component, currency = parts
        out.append((f"fees/{legality}/count", False))
        out.append((f"fees/{legality}/amount/{currency}", True))
        out.append((f"fees_by_component/{component}/count", False))
        out.append((f"fees_by_component/{component}/amount/{currency}", True))
    elif metric == "cases":
        category, gbv_type, level, status, sex, _procedural = parts
        out.append((f"cases/by_category/{category}/{sex}", False))
        out.append((f"cases/by_level/{level}/{sex}", False))
        out.append((f"cases/by_status/{status}/{sex}", False))
        if gbv_type != NONE:
            out.append((f"cases/by_gbv_type/{gbv_type}/{sex}", False))
        if status != CaseStatus.CLOSED:
            out.append((f"cases/open/{sex}", False))
    elif metric == "alerts_open":
        severity, rule, _status = parts
        out.append((f"alerts_open/{severity}", False))
        out.append((f"alerts_open_by_rule/{rule}", False))
    elif metric == "agencies":
        out.append((f"agencies/{parts[0]}", False))
    return tuple(out)


def cell_paths(metric: str, key: str, n: int, amount: Decimal) -> Iterator[tuple[str, Decimal]]:
    """The summary leaves one cube row contributes to, with the value it adds to each."""
    count = Decimal(n)
    for path, uses_amount in leaf_paths(metric, key):
        yield path, amount if uses_amount else count


def _by_sex(prefix: str, keys: object) -> list[str]:
    return [f"{prefix}/{k}/{s}" for k in keys for s in SEXES]  # type: ignore[attr-defined]


def template_paths() -> list[str]:
    """Leaves every summary carries even at zero, so every area's totals have one shape."""
    statuses = [s.value for s in WorkerStatus]
    paths = _by_sex("workers", statuses) + _by_sex("workers_non_procedural", statuses)
    paths += _by_sex("workers_abroad_by_occupation", [o.value for o in Occupation])
    paths += [f"fees/{lg.value}/count" for lg in Legality]
    paths += [f"fees_by_component/{c.value}/count" for c in FeeComponent]
    paths += _by_sex("cases/by_category", [c.value for c in CaseCategory])
    paths += _by_sex("cases/by_level", [lv.value for lv in Level])
    paths += _by_sex("cases/by_status", [s.value for s in CaseStatus])
    paths += _by_sex("cases/by_gbv_type", [g.value for g in GbvType])
    paths += [f"cases/open/{s}" for s in SEXES]
    paths += ["cases_past_deadline"]
    paths += [f"alerts_open/{s.value}" for s in Severity]
    paths += [f"agencies/{s}" for s in AGENCY_STATUSES]
    return paths


# Objects whose keys depend on the data (currencies, countries, rule names): present, maybe empty.
DYNAMIC_OBJECTS = (
    "workers_abroad_by_destination",
    "alerts_open_by_rule",
    *[f"fees/{lg.value}/amount" for lg in Legality],
    *[f"fees_by_component/{c.value}/amount" for c in FeeComponent],
)


def level_of(code: str) -> str:
    return area_level(code)
