"""Request and response bodies of the agency endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.codes import SanctionReason
from shared.fields import PublicName, Text


class AgencyStatus(StrEnum):
    LICENSED = "licensed"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class AgencyIn(BaseModel):
    """A licensed placement agency (P3MI). Its name and licence are public facts."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"name": "PT Sumber Kerja Timur", "licence_no": "KEP-123/2024", "area": "53.71"}
            ]
        },
    )

    name: PublicName = Field(description="the registered business name (published)")
    # Not public text: a business registration number (NIB) alone is 13 digits.
    licence_no: Annotated[str, Text(64)] = Field(
        description="unique licence (SIP3MI) number (published)"
    )
    area: str | None = Field(
        default=None,
        pattern=r"^\d{2}(\.\d{2}(\.\d{2})?)?$",
        description="the agency's seat: a real province, regency or district code",
    )


class SanctionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"reason": "illegal_fees", "note": "inspection of 2026-03-02, file 14/PPTKLN"}
            ]
        },
    )

    reason: SanctionReason = Field(description="the reason's code: published on registry.agency.v1")
    note: Annotated[str, Text(500, lines=True)] | None = Field(
        default=None,
        description="the officer's note: kept in the registry, never published, shown only to "
        "those who may sanction agencies",
    )


class AgencyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0e7f57-6c84-4a63-9f0f-2a4e8f5b8f6e",
                    "name": "PT Sumber Kerja Timur",
                    "licence_no": "KEP-123/2024",
                    "area": "53.71",
                    "status": "licensed",
                    "reason": None,
                    "note": None,
                    "version": 1,
                    "licensed_at": "2026-01-05T08:00:00Z",
                    "updated_at": "2026-01-05T08:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    licence_no: str
    area: str | None
    status: AgencyStatus
    reason: SanctionReason | None = Field(
        description="code of the last suspension or revocation (null before codes existed)"
    )
    note: str | None = Field(
        description="the officer's note on it; null unless you may sanction agencies"
    )
    version: int = Field(description="the agency aggregate's version: its latest event sequence")
    licensed_at: datetime
    updated_at: datetime


class AgencyPage(BaseModel):
    items: list[AgencyOut]
    limit: int
    offset: int
    next_offset: int | None
