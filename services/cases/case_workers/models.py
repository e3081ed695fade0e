"""Request and response bodies of the case workers' directory."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.codes import Sex
from shared.contract.envelope import AREA_CODE

# What a token's subject may be (shared.auth): visible ASCII, at most 128 characters.
SUBJECT = r"^[\x21-\x7e]{1,128}$"


class CaseWorkerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"subject": "maria.lende@ltsa-kupang", "sex": "female", "area": "53.71"}]
        },
    )

    subject: str = Field(pattern=SUBJECT, description="the case worker's token subject")
    sex: Sex = Field(description="a survivor may ask for a case worker of a given sex")
    area: str = Field(
        pattern=AREA_CODE,
        description="the area whose cases they take (within your jurisdiction); a case worker "
        "takes cases whose handling area lies within it",
    )


class CaseWorkerOut(BaseModel):
    id: uuid.UUID = Field(description="pseudonymous: what case-assigned events carry")
    subject: str
    sex: Sex
    area: str
    open_cases: int = Field(description="open cases assigned to them now")


class CaseWorkerList(BaseModel):
    items: list[CaseWorkerOut]
