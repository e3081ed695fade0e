"""Agency licensing and sanctions, and how other records may name an agency.

Rules:
- a licence number is registered once (409 with the existing agency's id: agencies are public);
- licensed → suspended → revoked, or licensed → revoked; a revoked licence stays revoked, and
  suspending a suspended agency is refused (409) so each sanction is one event;
- a sanction's event carries its reason as a code (``SanctionReason``); the officer's free-text
  note stays in the registry and is shown only to those who may sanction agencies;
- a departure or a fee naming an **unknown** agency is refused (422 on ``agency_id``): the id is
  surely a mistake; one naming a **suspended or revoked** agency is recorded — it is exactly the
  kind of fact oversight needs — and the answer says so in ``warnings`` and ``agency_status``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import asyncpg

from services.registry.access import AGENCY_SUSPENDERS
from services.registry.agencies import repository
from services.registry.agencies.models import AgencyIn, AgencyOut, AgencyStatus, SanctionIn
from shared.areas import area_level, areas
from shared.auth import Principal, Role, require_area
from shared.contract.events import AgencyLicensed, AgencyRevoked, AgencySuspended
from shared.logging import get_logger
from shared.service import audit, events
from shared.service.errors import Conflict, FieldError, InvalidFields, NotFound

log = get_logger(__name__)


def check_area(area: str | None) -> None:
    if area is not None and (area not in areas() or area_level(area) == "village"):
        raise InvalidFields([FieldError("area", "not a known province, regency or district code")])


async def license_agency(
    conn: asyncpg.Connection, principal: Principal, body: AgencyIn
) -> AgencyOut:
    check_area(body.area)
    agency = await repository.insert(
        conn,
        agency_id=uuid.uuid4(),
        name=body.name,
        licence_no=body.licence_no,
        area=body.area,
    )
    if agency is None:
        existing = await repository.id_by_licence(conn, body.licence_no)
        raise Conflict(
            "an agency with this licence number is already registered",
            agency_id=str(existing) if existing else None,
        )
    await events.append(
        conn,
        subject=agency.id,
        sequence=agency.version,
        area=agency.area,
        data=AgencyLicensed(name=agency.name, licence_no=agency.licence_no),
    )
    await audit.record(conn, principal, "agency.license", agency_id=agency.id)
    log.info("agency licensed", agency_id=str(agency.id), area=agency.area)
    return agency


async def _locked(conn: asyncpg.Connection, agency_id: uuid.UUID) -> AgencyOut:
    agency = await repository.get(conn, agency_id, lock=True)
    if agency is None:
        raise NotFound("no such agency")
    return agency


def shown_to(principal: Principal, agency: AgencyOut) -> AgencyOut:
    """The agency as ``principal`` may see it: the sanction note only for sanctioners."""
    if principal.role in AGENCY_SUSPENDERS or agency.note is None:
        return agency
    return agency.model_copy(update={"note": None})


def _check_sanctioner(principal: Principal, agency: AgencyOut) -> None:
    """The ministry sanctions any agency; a province officer only one seated in their province."""
    if principal.role is Role.MINISTRY:
        return
    if agency.area is None:
        require_area(principal, "ID")
    else:
        require_area(principal, agency.area)


async def suspend_agency(
    conn: asyncpg.Connection, principal: Principal, agency_id: uuid.UUID, body: SanctionIn
) -> AgencyOut:
    agency = await _locked(conn, agency_id)
    _check_sanctioner(principal, agency)
    if agency.status is not AgencyStatus.LICENSED:
        raise Conflict(f"agency is {agency.status.value}; a suspension needs status licensed")
    updated = await repository.set_status(
        conn,
        agency_id,
        status=AgencyStatus.SUSPENDED,
        reason=body.reason,
        note=body.note,
        version=agency.version + 1,
    )
    await events.append(
        conn,
        subject=agency_id,
        sequence=updated.version,
        area=updated.area,
        data=AgencySuspended(reason=body.reason),
    )
    await audit.record(conn, principal, "agency.suspend", agency_id=agency_id)
    log.info("agency suspended", agency_id=str(agency_id), reason=body.reason.value)
    return updated


async def revoke_agency(
    conn: asyncpg.Connection, principal: Principal, agency_id: uuid.UUID, body: SanctionIn
) -> AgencyOut:
    agency = await _locked(conn, agency_id)
    _check_sanctioner(principal, agency)
    if agency.status is AgencyStatus.REVOKED:
        raise Conflict("agency is revoked already; a revocation needs status licensed or suspended")
    updated = await repository.set_status(
        conn,
        agency_id,
        status=AgencyStatus.REVOKED,
        reason=body.reason,
        note=body.note,
        version=agency.version + 1,
    )
    await events.append(
        conn,
        subject=agency_id,
        sequence=updated.version,
        area=updated.area,
        data=AgencyRevoked(reason=body.reason),
    )
    await audit.record(conn, principal, "agency.revoke", agency_id=agency_id)
    log.info("agency revoked", agency_id=str(agency_id), reason=body.reason.value)
    return updated


@dataclass(frozen=True)
class AgencyReference:
    """What a departure or a fee naming an agency should tell the caller."""

    status: AgencyStatus | None = None
    warnings: list[str] = field(default_factory=list)


async def reference(conn: asyncpg.Connection, agency_id: uuid.UUID | None) -> AgencyReference:
    """Check an ``agency_id`` in a departure or fee: unknown → 422; sanctioned → a warning."""
    if agency_id is None:
        return AgencyReference()
    status = await repository.status_of(conn, agency_id)
    if status is None:
        raise InvalidFields([FieldError("agency_id", "no agency with this id is registered")])
    if status is AgencyStatus.LICENSED:
        return AgencyReference(status)
    return AgencyReference(
        status,
        [
            f"the agency's licence is {status.value}: recorded as reported; "
            "a placement or fee by a sanctioned agency is a matter for the province and the "
            "ministry"
        ],
    )
