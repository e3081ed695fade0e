"""Request and response bodies of the agency endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


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

    name: str = Field(min_length=1, max_length=200)
    licence_no: str = Field(
        min_length=1, max_length=64, description="unique licence (SIP3MI) number"
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
        json_schema_extra={"examples": [{"reason": "illegal fees charged to domestic workers"}]},
    )

    reason: str = Field(
        min_length=1,
        max_length=500,
        description="published on registry.agency.v1: never name a worker",
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
    reason: str | None = Field(description="of the last suspension or revocation")
    version: int = Field(description="the agency aggregate's version: its latest event sequence")
    licensed_at: datetime
    updated_at: datetime


class AgencyPage(BaseModel):
    items: list[AgencyOut]
    limit: int
    offset: int
    next_offset: int | None
