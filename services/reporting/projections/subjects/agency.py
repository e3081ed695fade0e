"""Agencies (P3MI): counted by licence status (public facts: never withheld)."""

from __future__ import annotations

from collections.abc import Iterable

from services.reporting.projections.kind import (
    Attrs,
    Flows,
    LeafPath,
    Metric,
    Row,
    SubjectKind,
    count,
)
from shared.contract.events import (
    AgencyLicensed,
    AgencyRevoked,
    AgencyRevokedV1,
    AgencySuspended,
    AgencySuspendedV1,
)

STATUSES = ("licensed", "suspended", "revoked")


def _agency_leaves(status: str) -> Iterable[LeafPath]:
    yield count(f"agencies/{status}")


AGENCIES = Metric(
    "agencies",
    dims=("status",),
    leaves=_agency_leaves,
    template=tuple(f"agencies/{s}" for s in STATUSES),
    public=True,  # licensing facts about organisations are public
)


def licensed(data: AgencyLicensed, flows: Flows) -> Attrs:
    return {"status": "licensed"}


def suspended(agency: Attrs, data: AgencySuspended | AgencySuspendedV1, flows: Flows) -> None:
    agency["status"] = "suspended"


def revoked(agency: Attrs, data: AgencyRevoked | AgencyRevokedV1, flows: Flows) -> None:
    agency["status"] = "revoked"


def contributions(agency: Attrs) -> Iterable[Row]:
    return (AGENCIES.row(agency),)


AGENCY = SubjectKind(
    "agency",
    fields=("status",),
    created_by={AgencyLicensed: licensed},
    changed_by={
        AgencySuspended: suspended,
        AgencySuspendedV1: suspended,  # read only: published before reason codes
        AgencyRevoked: revoked,
        AgencyRevokedV1: revoked,
    },
    contributes=contributions,
    metrics=(AGENCIES,),
)
