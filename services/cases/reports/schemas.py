"""Request and response bodies of reports and their triage (the OpenAPI schemas)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.cases.cases.schemas import VILLAGE_CODE, Narrative, Note
from services.cases.reports.model import PublicStatus, RejectionReason
from services.cases.validation import CONTACT_MAX
from shared.contract.codes import CaseCategory, GbvType, Sex
from shared.fields import Day, Text

REGENCY_CODE = r"^\d{2}\.\d{2}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReportIn(_In):
    """A report by a worker or a family member, without an account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "village": "53.71.01.1001",
                    "category": "employer_violence",
                    "sex": "female",
                    "narrative": "My sister in Malaysia says her employer beats her and keeps "
                    "her passport.",
                    "contact": "call her brother in the evening",
                }
            ]
        }
    )

    village: str | None = Field(
        default=None, pattern=VILLAGE_CODE, description="the worker's home village, if known"
    )
    regency: str | None = Field(
        default=None, pattern=REGENCY_CODE, description="else the regency (city) it lies in"
    )
    category: CaseCategory
    sex: Sex = Field(description="of the worker the report is about")
    narrative: Narrative = Field(description="what happened")
    gbv_type: GbvType | None = None
    contact: Annotated[str, Text(CONTACT_MAX)] | None = Field(
        default=None, description="how an officer may reach you (kept only in this service)"
    )


class ReceiptOut(BaseModel):
    receipt: str = Field(
        examples=["7KQM-2XRD-9PBA-VN4T"],
        description="keep it to follow the report up; it is shown only this once",
    )


class ReportStatusOut(BaseModel):
    status: PublicStatus


class ConfirmationIn(_In):
    """The facts an officer found: a registered worker (``worker_id``; village, sex and the
    procedural flag from the registry's facts) or someone never registered (``sex``, and the
    ``village`` when the report named only a regency)."""

    category: CaseCategory
    gbv_type: GbvType | None = None
    worker_id: uuid.UUID | None = None
    sex: Sex | None = None
    village: str | None = Field(default=None, pattern=VILLAGE_CODE)
    agency_id: uuid.UUID | None = None


class MergeIn(_In):
    into: uuid.UUID = Field(description="the open case the report duplicates")
    closed_on: Day | None = Field(default=None, description="default today; not in the future")
    note: Note | None = None


class RejectionIn(_In):
    reason: RejectionReason
    closed_on: Day | None = Field(default=None, description="default today; not in the future")
    note: Note | None = Field(default=None, description="stays in the service")
