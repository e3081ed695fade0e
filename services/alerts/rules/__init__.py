"""Every alert rule of docs/contract.md ("Alert rules"), one small unit each.

The instances below are the rules the engine runs; :data:`CLOCKED` maps each rule that the
clock drives (a due check in the agenda) to it. A new rule is a class in the module of its
subject, an instance here, and a call in :mod:`services.alerts.handlers` from the events it
reads.
"""

from __future__ import annotations

from typing import Protocol

from services.alerts.rules.agencies import AgencyHotspot, UnlicensedAgency
from services.alerts.rules.cases import CaseDeadlineNear, CaseOverdue, CaseUnassigned
from services.alerts.rules.context import Finding, RuleContext
from services.alerts.rules.fees import Fee, FeeWarning, IllegalFee
from services.alerts.rules.villages import VillageSurge
from services.alerts.rules.workers import NonProcedural, ReturnOverdue
from shared.contract.codes import AlertRule


class ClockedRule(Protocol):
    def check(self, ctx: RuleContext, about: str) -> None: ...


ILLEGAL_FEE = IllegalFee()
FEE_WARNING = FeeWarning()
UNLICENSED_AGENCY = UnlicensedAgency()
CASE_UNASSIGNED = CaseUnassigned()
CASE_DEADLINE_NEAR = CaseDeadlineNear()
CASE_OVERDUE = CaseOverdue()
AGENCY_HOTSPOT = AgencyHotspot()
VILLAGE_SURGE = VillageSurge()
RETURN_OVERDUE = ReturnOverdue()
NON_PROCEDURAL = NonProcedural()

RULES = {
    rule.code: rule
    for rule in (
        ILLEGAL_FEE,
        FEE_WARNING,
        UNLICENSED_AGENCY,
        CASE_UNASSIGNED,
        CASE_DEADLINE_NEAR,
        CASE_OVERDUE,
        AGENCY_HOTSPOT,
        VILLAGE_SURGE,
        RETURN_OVERDUE,
        NON_PROCEDURAL,
    )
}
CASE_CLOCKS = (CASE_UNASSIGNED, CASE_DEADLINE_NEAR, CASE_OVERDUE)
CLOCKED: dict[AlertRule, ClockedRule] = {
    rule.code: rule for rule in (*CASE_CLOCKS, RETURN_OVERDUE, AGENCY_HOTSPOT, VILLAGE_SURGE)
}

__all__ = [
    "AGENCY_HOTSPOT",
    "CASE_CLOCKS",
    "CASE_DEADLINE_NEAR",
    "CASE_OVERDUE",
    "CASE_UNASSIGNED",
    "CLOCKED",
    "FEE_WARNING",
    "ILLEGAL_FEE",
    "NON_PROCEDURAL",
    "RETURN_OVERDUE",
    "RULES",
    "UNLICENSED_AGENCY",
    "VILLAGE_SURGE",
    "ClockedRule",
    "Fee",
    "Finding",
    "RuleContext",
]
