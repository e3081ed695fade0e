"""Builders for the cases domain tests: real area codes (NTT), actors as tokens name them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.cases.cases.assignment import CaseWorker
from services.cases.cases.intake import Consent, Intake
from services.cases.cases.model import Case
from shared.auth import Principal, Role
from shared.contract.codes import CaseAction, CaseCategory, IntakeChannel, Level, Sex

VILLAGE = "53.71.01.1001"  # a village of Kota Kupang, NTT
OTHER_VILLAGE = "53.71.02.1001"
REGENCY = "53.71"
PROVINCE = "53"
OTHER_PROVINCE = "52"
OPENED = date(2026, 3, 2)


def intake(**changes: Any) -> Intake:
    fields: dict[str, Any] = dict(
        village=VILLAGE,
        sex=Sex.FEMALE,
        category=CaseCategory.UNPAID_WAGES,
        channel=IntakeChannel.WALK_IN,
        narrative="My employer has not paid me for five months.",
        office_level=Level.VILLAGE,
        worker_id=uuid.uuid4(),
        procedural=True,
    )
    fields.update(changes)
    return Intake(**fields)


def open_case(opened_on: date = OPENED, **changes: Any) -> Case:
    return Case.open(uuid.uuid4(), intake(**changes), opened_on)


def worker(sex: Sex = Sex.FEMALE, area: str = REGENCY, load: int = 0, name: str = "") -> CaseWorker:
    subject = name or f"cw-{sex.value}-{area}-{uuid.uuid4().hex[:6]}"
    return CaseWorker(id=uuid.uuid4(), subject=subject, sex=sex, area=area, open_cases=load)


def actor(role: Role, area: str, sub: str | None = None) -> Principal:
    return Principal(role=role, area=area, sub=sub or f"{role.value}@{area}")


def through_services(case: Case, on: date = OPENED) -> Case:
    """Walk a case to services implemented (the workflow's last open status)."""
    for action in (
        CaseAction.ASSESSMENT,
        CaseAction.CASE_PLAN,
        CaseAction.MEDIATION,
        CaseAction.SERVICES_COMPLETED,
    ):
        case.take_action(action, on)
    return case


def consent(referral: bool = True, sharing: bool = False) -> Consent:
    return Consent(referral=referral, sharing=sharing)
