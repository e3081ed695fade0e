"""Cases: counted by category, GBV type, level, status, sex and procedural placement; open cases
by the due date of their deadline clock (the summary's ``cases_past_deadline``); cases opened
and closed per month, by the day they were (``opened_on``, ``closed_on``; the event's time
from a producer that predates those fields).

A case counts from the moment it is verified: an officer's case at once, a worker's or family's
report (``verified`` false) once triaged (``case-verified``, with the facts as found); a report
rejected or merged before that never counts. Its deadline is the ``due_on`` of its latest event
that carries the field (null: no clock runs), and it is attributed to the area of its latest
event (triage may narrow a report's regency to a village).
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
    breakdown,
    count,
)
from services.reporting.projections.model import NONE, SEXES, procedural_code
from shared.contract.codes import CaseCategory, CaseStatus, GbvType, Level
from shared.contract.events import (
    CaseActionTaken,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseOpened,
    CaseOpenedV1,
    CaseReferred,
    CaseReopened,
    CaseVerified,
    CaseVerifiedV1,
)

# Both versions of case-opened and case-verified are read (version 1 carried the registry's
# worker id, version 2 whether the worker is registered): no figure reads either field.
Opened = CaseOpened | CaseOpenedV1
Verified = CaseVerified | CaseVerifiedV1


def _case_leaves(
    category: str, gbv_type: str, level: str, status: str, sex: str, _procedural: str
) -> Iterable[LeafPath]:
    yield count(f"cases/by_category/{category}/{sex}")
    yield count(f"cases/by_level/{level}/{sex}")
    yield count(f"cases/by_status/{status}/{sex}")
    if gbv_type != NONE:
        yield count(f"cases/by_gbv_type/{gbv_type}/{sex}")
    if status != CaseStatus.CLOSED:
        yield count(f"cases/open/{sex}")


def _case_equations(paths: Sequence[str]) -> Iterable[Breakdowns]:
    for sex in SEXES:
        category = breakdown(paths, "cases/by_category", sex)
        yield category, breakdown(paths, "cases/by_level", sex)
        status = breakdown(paths, "cases/by_status", sex)
        yield category, status
        open_status = [p for p in status if not p.startswith("cases/by_status/closed/")]
        yield [f"cases/open/{sex}"], open_status


def _by_sex(prefix: str, codes: Iterable[str]) -> list[str]:
    return [f"{prefix}/{c}/{x}" for c in codes for x in SEXES]


CASES = Metric(
    "cases",
    dims=("category", "gbv_type", "level", "status", "sex", "procedural"),
    leaves=_case_leaves,
    template=(
        *_by_sex("cases/by_category", [c.value for c in CaseCategory]),
        *_by_sex("cases/by_level", [lv.value for lv in Level]),
        *_by_sex("cases/by_status", [s.value for s in CaseStatus]),
        *_by_sex("cases/by_gbv_type", [g.value for g in GbvType]),
        *[f"cases/open/{x}" for x in SEXES],
    ),
    equations=_case_equations,
)
# Open cases by due date: "past deadline today" is then a sum that agrees across levels.
CASES_DUE = Metric("cases_due", dims=("due_on",), due_leaf="cases_past_deadline")

OPENED = Series("cases_opened")
CLOSED = Series("cases_closed")


def _facts(data: Opened | Verified) -> Attrs:
    return {
        "category": str(data.category),
        "gbv_type": str(data.gbv_type) if data.gbv_type else None,
        "level": str(data.level),
        "sex": str(data.sex),
        "procedural": procedural_code(data.procedural),
        "due_on": _day(data),
    }


def _day(data: Opened | Verified | CaseActionTaken | CaseReopened) -> str | None:
    return data.due_on.isoformat() if data.due_on else None


def _opened_on(case: Attrs, flows: Flows) -> date:
    return date.fromisoformat(case["opened_on"]) if case["opened_on"] else flows.time


def _counted(case: Attrs) -> bool:
    return case["verified"] != "no"  # cases stored before the field existed were counted


def opened(data: Opened, flows: Flows) -> Attrs:
    day = data.opened_on or flows.time
    if data.verified:
        flows.month(OPENED, day, data.sex)
    return {
        **_facts(data),
        "status": str(data.status),
        "verified": _yes_no(data.verified),
        "opened_on": day.isoformat()[:10],  # counted in its month once verified
    }


def verified(case: Attrs, data: Verified, flows: Flows) -> None:
    case.update(_facts(data))
    if not _counted(case):
        case["verified"] = "yes"
        flows.month(OPENED, _opened_on(case, flows), case["sex"])


def escalated(case: Attrs, data: CaseEscalated, flows: Flows) -> None:
    case["level"] = str(data.to_level)


def action_taken(case: Attrs, data: CaseActionTaken, flows: Flows) -> None:
    case["status"] = str(data.status)
    case["due_on"] = _day(data)


def closed(case: Attrs, data: CaseClosed, flows: Flows) -> None:
    if case["status"] != "closed" and _counted(case):
        flows.month(CLOSED, data.closed_on or flows.time, case["sex"])
    case["status"] = "closed"
    case["due_on"] = None  # a closure stops every clock


def reopened(case: Attrs, data: CaseReopened, flows: Flows) -> None:
    # A reopened case goes back to assessment (the Primero workflow has no "reopened" state).
    case["status"] = "assessment"
    case["due_on"] = _day(data)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def contributions(case: Attrs) -> Iterable[Row]:
    if not _counted(case):
        return ()
    if case["status"] != "closed" and case["due_on"]:
        return (CASES.row(case), CASES_DUE.row(case))
    return (CASES.row(case),)


CASE = SubjectKind(
    "case",
    fields=(
        "category",
        "gbv_type",
        "level",
        "status",
        "sex",
        "procedural",
        "due_on",
        "verified",
        "opened_on",
    ),
    created_by={CaseOpened: opened, CaseOpenedV1: opened},
    changed_by={
        CaseVerified: verified,
        CaseVerifiedV1: verified,
        CaseEscalated: escalated,
        CaseActionTaken: action_taken,
        CaseClosed: closed,
        CaseReopened: reopened,
    },
    ignored=(CaseAssigned, CaseReferred),  # no figure depends on them
    contributes=contributions,
    metrics=(CASES, CASES_DUE),
    series=(OPENED, CLOSED),
    follows_event_area=True,
)
