"""What an officer records to open a case (:class:`Intake`) or to confirm a report at triage
(:class:`Confirmation`), and the survivor's :class:`Consent`. Each is checked when built."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.cases.errors import InvalidField
from services.cases.validation import NARRATIVE_MAX, area_of_level, bounded_text
from shared.contract.codes import CaseCategory, GbvType, IntakeChannel, Level, Sex


@dataclass(frozen=True)
class Consent:
    """The survivor's recorded consent: to being referred, to the case file being shared."""

    referral: bool = False
    sharing: bool = False


def _check_worker(worker_id: uuid.UUID | None, procedural: bool) -> None:
    if worker_id is None and procedural:
        raise InvalidField(
            "procedural", "an unregistered worker is non-procedural (name the worker_id)"
        )


@dataclass(frozen=True, kw_only=True)
class Intake:
    """What an officer records to open a case. Checked on construction.

    For a registered worker the service fills ``village``, ``sex`` and ``procedural`` from its
    replica of the registry; an unregistered worker has only a village and a sex.
    """

    village: str
    sex: Sex
    category: CaseCategory
    channel: IntakeChannel
    narrative: str
    office_level: Level  # the level of the opening officer's office
    worker_id: uuid.UUID | None = None
    procedural: bool = False
    gbv_type: GbvType | None = None
    agency_id: uuid.UUID | None = None
    consent: Consent = Consent()
    requested_case_worker_sex: Sex | None = None
    documents_complete: bool = False

    def __post_init__(self) -> None:
        area_of_level("village", self.village, "village")
        bounded_text("narrative", self.narrative, NARRATIVE_MAX)
        if self.channel is IntakeChannel.PUBLIC_REPORT:
            raise InvalidField("channel", "public_report is for reports made without an account")
        _check_worker(self.worker_id, self.procedural)


@dataclass(frozen=True, kw_only=True)
class Confirmation:
    """The facts an officer confirms when triaging a report (the report's, corrected)."""

    category: CaseCategory
    gbv_type: GbvType | None
    sex: Sex
    procedural: bool = False
    worker_id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    village: str | None = None  # the village, when the report named only a regency

    def __post_init__(self) -> None:
        if self.village is not None:
            area_of_level("village", self.village, "village")
        _check_worker(self.worker_id, self.procedural)
