"""Request and response bodies of the service endpoints (the OpenAPI schemas)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.codes import Beneficiary, FamilyRelation, ServiceKind, ServiceProvider, Sex
from shared.fields import Day

# A session's participants in one request (a village's information session rarely has more).
MAX_PARTICIPANTS = 200
MAX_MEMBER = 20

_PROVIDER = (
    "who delivered it: `village` (only a village officer, for the village's own services), a "
    "one-roof centre (`ltsa`, `mrc`), or the recording officer's own office (`regency_office`, "
    "`province_office`, `ministry`); default: the village, or the officer's office. The "
    "provider's area is the recording officer's"
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FamilyMemberIn(_In):
    """A member of the worker's family, recorded with what the service needs and nothing more
    (no name): the same relation, sex and year of birth name the same person again."""

    relation: FamilyRelation
    sex: Sex
    birth_year: int = Field(ge=1900, le=2100, description="not after the day delivered")
    member: int = Field(
        default=1,
        ge=1,
        le=MAX_MEMBER,
        description="which one, when two members of the family share relation, sex and year "
        "of birth (twins): 1, 2, …",
    )


class ServiceIn(_In):
    """One service delivered to a worker, or (``beneficiary``) to a member of the worker's
    family."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "pre_departure_training", "delivered_on": "2025-02-12"},
                {
                    "kind": "community_parenting",
                    "delivered_on": "2025-08-02",
                    "beneficiary": {"relation": "child", "sex": "male", "birth_year": 2016},
                },
            ]
        }
    )

    kind: ServiceKind
    delivered_on: Day = Field(description="not in the future")
    beneficiary: FamilyMemberIn | None = Field(
        default=None, description="a family member; null or absent: the worker"
    )
    provider: ServiceProvider | None = Field(default=None, description=_PROVIDER)


class ParticipantIn(_In):
    worker_id: uuid.UUID
    beneficiary: FamilyMemberIn | None = Field(
        default=None, description="a member of that worker's family; absent: the worker"
    )


class SessionIn(_In):
    """A session (a training, an information meeting, a community parenting afternoon) and its
    participants: one delivery each, all recorded or none."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "pre_departure_information",
                    "delivered_on": "2025-02-12",
                    "participants": [
                        {"worker_id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10"},
                        {
                            "worker_id": "5c2d7e1f-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                            "beneficiary": {
                                "relation": "spouse",
                                "sex": "male",
                                "birth_year": 1990,
                            },
                        },
                    ],
                }
            ]
        }
    )

    kind: ServiceKind
    delivered_on: Day = Field(description="not in the future")
    provider: ServiceProvider | None = Field(default=None, description=_PROVIDER)
    participants: list[ParticipantIn] = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS,
        description=f"1 to {MAX_PARTICIPANTS}; each worker, or member of a worker's family, once",
    )


_RECORDED_EXAMPLE: dict[str, Any] = {
    "id": "7d1f0c3a-4e8b-4b7e-9f63-0a2d5c8e9b14",
    "worker_id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10",
    "kind": "pre_departure_training",
    "delivered_on": "2025-02-12",
    "beneficiary": "worker",
    "family_member_id": None,
    "relation": None,
    "provider": "ltsa",
    "provider_area": "53.71",
    "session_id": None,
    "version": 4,
    "first_of_kind": True,
    "prepares_departure_on": "2025-03-01",
    "reintegrates_return_on": None,
}


class ServiceRecorded(BaseModel):
    """One recorded delivery and what it counts for."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECORDED_EXAMPLE]})

    id: uuid.UUID
    worker_id: uuid.UUID
    kind: ServiceKind
    delivered_on: date
    beneficiary: Beneficiary
    family_member_id: uuid.UUID | None = Field(description="the family member's record, if any")
    relation: FamilyRelation | None
    provider: ServiceProvider
    provider_area: str
    session_id: uuid.UUID | None
    version: int = Field(description="the worker's version after it (service-delivered sequence)")
    first_of_kind: bool = Field(description="the beneficiary's first service of this kind")
    prepares_departure_on: date | None = Field(
        description="the worker's departure it counts as preparing (the first of its kind to)"
    )
    reintegrates_return_on: date | None = Field(
        description="the worker's return it counts as reintegration after (the first of its "
        "kind to, within six months)"
    )


class SessionRecorded(BaseModel):
    """A recorded session: one delivery per participant, in the order given."""

    id: uuid.UUID
    kind: ServiceKind
    delivered_on: date
    provider: ServiceProvider
    provider_area: str
    participants: int
    deliveries: list[ServiceRecorded]


class FamilyMemberView(BaseModel):
    id: uuid.UUID
    relation: FamilyRelation
    sex: Sex
    birth_year: int
    member: int


class ServiceView(BaseModel):
    id: uuid.UUID
    kind: ServiceKind
    delivered_on: date
    family_member_id: uuid.UUID | None = Field(description="null: delivered to the worker")
    provider: ServiceProvider
    provider_area: str
    session_id: uuid.UUID | None
