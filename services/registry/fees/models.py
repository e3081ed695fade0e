"""Request and response bodies of the fee endpoint."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.fees.occupation import Basis
from shared.contract.codes import FeeComponent, Legality, Occupation
from shared.contract.events import Amount
from shared.fields import Day


class FeeIn(BaseModel):
    """A fee a worker was charged (by an agency, a broker, anyone)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "component": "agency_service_fee",
                    "amount": 7500000,
                    "currency": "IDR",
                    "charged_on": "2024-02-10",
                    "agency_id": "3f0e7f57-6c84-4a63-9f0f-2a4e8f5b8f6e",
                }
            ]
        },
    )

    component: FeeComponent = Field(description="one of the fourteen listed components, or other")
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. IDR")
    charged_on: Day
    agency_id: uuid.UUID | None = Field(default=None, description="who charged it, if an agency")


class FeeCreated(BaseModel):
    """The recorded fee and the registry's reading of the zero-cost rule."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7d1f0c3a-4e8b-4b7e-9f63-0a2d5c8e9b14",
                    "worker_id": "0b6f2a1e-8d7c-4a55-b2f4-1c9e7d3a6b10",
                    "legality": "illegal",
                    "reason": "agency_service_fee may not be charged to a housekeeper (the "
                    "job applied for, before any placement) on or after 2021-07-15 (Regulation "
                    "BP2MI 9/2020 art. 3)",
                    "occupation": "housekeeper",
                    "occupation_basis": "applied_for",
                    "version": 3,
                    "agency_status": "licensed",
                    "warnings": [],
                }
            ]
        }
    )

    id: uuid.UUID
    worker_id: uuid.UUID
    legality: Legality
    reason: str
    occupation: Occupation | None = Field(
        description="the worker's occupation on charged_on, which the rule used (null: unknown)"
    )
    occupation_basis: Basis = Field(
        description="where it came from: placement (in force on charged_on), applied_for (before "
        "any placement), next_placement (the fee preceded it), last_placement (it had ended), "
        "unknown"
    )
    version: int = Field(description="the worker's version after this fee (fee-charged sequence)")
    agency_status: str | None = None
    warnings: list[str] = Field(default_factory=list)


class FeeView(BaseModel):
    id: uuid.UUID
    component: FeeComponent
    amount: Amount
    currency: str
    charged_on: date
    agency_id: uuid.UUID | None
    occupation: Occupation | None
    legality: Legality
