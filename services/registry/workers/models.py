"""Request and response bodies of the worker endpoints (the OpenAPI schemas)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.registry.deliveries.models import FamilyMemberView, ServiceView
from services.registry.fees.models import FeeView
from shared.contract.codes import Channel, Occupation, Sex, WorkerStatus
from shared.fields import BirthDate, Day, PersonName, Text

VILLAGE_CODE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
# Villages register prospective migrant workers under Law 18/2017 (promulgated 2017-11-22):
# no registration the registry keeps can be older.
REGISTRATION_RECORDS_BEGIN = date(2017, 11, 22)

_REGISTRATION_EXAMPLE: dict[str, Any] = {
    "nik": "5371014507900001",
    "name": "Maria Lende",
    "sex": "female",
    "birth_date": "1990-07-05",
    "village": "53.71.01.1001",
    "occupation": "housekeeper",
    "procedural": True,
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WorkerIn(_In):
    """A prospective worker registered by a village (or a worker reported abroad)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REGISTRATION_EXAMPLE]})

    nik: Annotated[str, Text(16, min_length=16)] = Field(
        description="16 digits: district code, birth date DDMMYY (women's day + 40), serial",
    )
    name: PersonName
    sex: Sex
    birth_date: BirthDate = Field(description="must match the NIK's date digits")
    village: str = Field(pattern=VILLAGE_CODE, description="real village code, e.g. 53.71.01.1001")
    occupation: Occupation | None = Field(default=None, description="the job applied for")
    procedural: bool = Field(
        default=True,
        description="false: a worker reported abroad who left outside the official channel",
    )
    registered_on: date | None = Field(
        default=None,
        ge=REGISTRATION_RECORDS_BEGIN,
        description="the day the worker was registered, when entered later (last year's paper "
        "records); not in the future, not before 2017-11-22 (Law 18/2017); default today (UTC)",
    )


class VerificationIn(_In):
    verified_on: Day | None = Field(default=None, description="defaults to today (UTC)")


class DepartureIn(_In):
    """A placement abroad (for a non-procedural worker: as far as it is known)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occupation": "housekeeper",
                    "destination_country": "MY",
                    "channel": "p3mi",
                    "agency_id": "3f0e7f57-6c84-4a63-9f0f-2a4e8f5b8f6e",
                    "departed_on": "2025-03-01",
                    "contract_end": "2027-03-01",
                }
            ]
        }
    )

    occupation: Occupation
    destination_country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    channel: Channel
    agency_id: uuid.UUID | None = Field(
        default=None, description="the placement agency (P3MI); required for a procedural p3mi"
    )
    departed_on: Day
    contract_end: Day | None = None


class ReturnIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"returned_on": "2027-03-05"}]})

    returned_on: Day


class WorkerCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10", "status": "registered", "version": 1}
            ]
        }
    )

    id: uuid.UUID
    status: WorkerStatus
    version: int


class WorkerState(BaseModel):
    """The worker's status after a step, and anything the officer should know about it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10",
                    "status": "verified",
                    "version": 2,
                    "warnings": [],
                }
            ]
        }
    )

    id: uuid.UUID
    status: WorkerStatus
    version: int = Field(description="the worker aggregate's version: its latest event sequence")
    warnings: list[str] = Field(default_factory=list)


class DepartureCreated(WorkerState):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10",
                    "departure_id": "5c2d7e1f-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                    "status": "departed",
                    "version": 3,
                    "agency_status": "suspended",
                    "warnings": [
                        "the agency's licence is suspended: recorded as reported; a placement or "
                        "fee by a sanctioned agency is a matter for the province and the ministry"
                    ],
                }
            ]
        }
    )

    departure_id: uuid.UUID
    agency_status: str | None = Field(
        default=None, description="licensed, suspended or revoked when an agency is named"
    )


class DepartureView(BaseModel):
    id: uuid.UUID
    occupation: Occupation
    destination_country: str
    channel: Channel
    agency_id: uuid.UUID | None
    departed_on: date
    contract_end: date | None
    returned_on: date | None


class WorkerOut(BaseModel):
    """A worker's record (a personal record: every read is audited)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_REGISTRATION_EXAMPLE,
                    "id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10",
                    "village_name": "Namosain",
                    "status": "departed",
                    "version": 3,
                    "verified_on": "2025-02-01",
                    "registered_on": "2025-01-20",
                    "registered_at": "2025-01-20T03:15:00Z",
                    "departures": [
                        {
                            "id": "5c2d7e1f-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                            "occupation": "housekeeper",
                            "destination_country": "MY",
                            "channel": "p3mi",
                            "agency_id": "3f0e7f57-6c84-4a63-9f0f-2a4e8f5b8f6e",
                            "departed_on": "2025-03-01",
                            "contract_end": "2027-03-01",
                            "returned_on": None,
                        }
                    ],
                    "fees": [],
                }
            ]
        }
    )

    id: uuid.UUID
    nik: str | None = Field(description="shown to officers only; null for other roles")
    name: str
    sex: Sex
    birth_date: date
    village: str
    village_name: str | None
    occupation: Occupation | None = Field(description="the job applied for")
    procedural: bool
    status: WorkerStatus
    version: int
    verified_on: date | None
    registered_on: date = Field(description="the day registered (may precede registered_at)")
    registered_at: datetime = Field(description="when the registration was entered")
    departures: list[DepartureView] = Field(description="latest first")
    fees: list[FeeView]
    services: list[ServiceView] = Field(
        default_factory=list,
        description="services delivered to the worker and the family, latest first",
    )
    family: list[FamilyMemberView] = Field(
        default_factory=list, description="family members recorded for services"
    )


class WorkerSummary(BaseModel):
    id: uuid.UUID
    name: str
    sex: Sex
    village: str
    occupation: Occupation | None
    procedural: bool
    status: WorkerStatus
    version: int
    registered_at: datetime


class WorkerPage(BaseModel):
    """One page of workers inside the caller's jurisdiction, oldest registration first."""

    items: list[WorkerSummary]
    limit: int
    offset: int
    next_offset: int | None = Field(description="pass as offset for the next page; null at the end")
