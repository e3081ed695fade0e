"""The case aggregate: one complaint, from intake to closure, with the rules it keeps.

A :class:`Case` is opened by an officer (:meth:`Case.open`, from an :class:`Intake`) or from a
worker's or family's report (:meth:`Case.open_from_report`: unverified until an officer
triages it). Every command checks everything first and then changes the case, so a refused
command (a :class:`~services.cases.errors.CaseError`) changes nothing. Each change is recorded in
:attr:`Case.events` (see :mod:`.events`); :attr:`Case.version` counts the published ones and is
the ``sequence`` of the last of them.

The rules, with their sources, are listed in services/cases/README.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.cases.actors import Actor
from services.cases.cases import events as happened
from services.cases.cases.assignment import CaseWorker, can_handle, requested_sex_honoured
from services.cases.cases.deadlines import Clocks, Deadline, after_action
from services.cases.cases.intake import Confirmation, Consent, Intake
from services.cases.cases.levels import (
    handling_area,
    higher,
    level_of_area,
    minimum_level,
    next_level,
    starting_level,
)
from services.cases.cases.workflow import check_closure, status_after, status_after_reopening
from services.cases.cases.working_days import WorkingCalendar, indonesian_working_days
from services.cases.errors import (
    ConsentRequired,
    InvalidField,
    NotPermitted,
    RuleViolation,
    TransitionNotAllowed,
)
from services.cases.validation import (
    NARRATIVE_MAX,
    NOTE_MAX,
    REASON_MIN,
    area_of_level,
    bounded_text,
    optional_text,
    organisation_code,
)
from shared.areas import is_within
from shared.auth import Role
from shared.contract.codes import (
    CLOSURE_OF_CLOCK,
    CaseAction,
    CaseCategory,
    CaseStatus,
    ClosureReason,
    DueClock,
    EscalationReason,
    GbvType,
    IntakeChannel,
    Level,
    ReopeningReason,
    Sex,
)

_CLOCK_OF_CLOSURE = {reason: clock for clock, reason in CLOSURE_OF_CLOCK.items()}
# What an unverified report may be closed as before (or instead of) its triage.
_UNVERIFIED_CLOSURES = frozenset(
    {
        ClosureReason.DUPLICATE,
        ClosureReason.REPORT_REJECTED,
        ClosureReason.WITHDRAWN,
        ClosureReason.DOCUMENTS_INCOMPLETE,
    }
)


@dataclass(frozen=True)
class RecordedAction:
    action: CaseAction
    taken_on: date


@dataclass(frozen=True)
class Referral:
    to: str
    consent: bool
    consent_overridden: bool
    file_shared: bool
    override_reason: str | None
    overridden_by: str | None


@dataclass(frozen=True)
class Closure:
    reason: ClosureReason
    closed_on: date
    note: str | None
    merged_into: uuid.UUID | None


@dataclass(eq=False, kw_only=True)
class Case:
    """One case. Build it with :meth:`open` or :meth:`open_from_report` (the service's
    repository rebuilds stored ones with the constructor)."""

    id: uuid.UUID
    area: str  # the worker's village (a regency for a report that named no village)
    sex: Sex  # of the worker
    category: CaseCategory
    gbv_type: GbvType | None
    procedural: bool
    worker_id: uuid.UUID | None
    agency_id: uuid.UUID | None
    channel: IntakeChannel
    narrative: str  # confidential: never leaves the service
    consent: Consent
    requested_case_worker_sex: Sex | None
    level: Level
    verified: bool
    opened_on: date
    status: CaseStatus = CaseStatus.NEW
    documents_complete: bool = False
    clocks: Clocks = field(default_factory=Clocks)
    assignee: CaseWorker | None = None
    closure: Closure | None = None
    actions: list[RecordedAction] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    handled_alerts: set[uuid.UUID] = field(default_factory=set)
    merged_reports: list[uuid.UUID] = field(default_factory=list)
    version: int = 0
    events: list[happened.CaseEvent] = field(default_factory=list, repr=False)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        case_id: uuid.UUID,
        intake: Intake,
        opened_on: date,
        working_days: WorkingCalendar | None = None,
    ) -> Case:
        """Open a case at the officer's level, or at the level its category needs."""
        case = cls(
            id=case_id,
            area=intake.village,
            sex=intake.sex,
            category=intake.category,
            gbv_type=intake.gbv_type,
            procedural=intake.procedural,
            worker_id=intake.worker_id,
            agency_id=intake.agency_id,
            channel=intake.channel,
            narrative=intake.narrative.strip(),
            consent=intake.consent,
            requested_case_worker_sex=intake.requested_case_worker_sex,
            level=starting_level(
                intake.office_level, intake.village, intake.category, intake.gbv_type
            ),
            verified=True,
            opened_on=opened_on,
            documents_complete=intake.documents_complete,
        )
        case._start_registration(opened_on, working_days)
        return case

    @classmethod
    def open_from_report(
        cls,
        case_id: uuid.UUID,
        *,
        area: str,
        sex: Sex,
        category: CaseCategory,
        gbv_type: GbvType | None,
        account: str,
        received_on: date,
        working_days: WorkingCalendar | None = None,
    ) -> Case:
        """An unverified case from a worker's or family's report (village or regency)."""
        area_of_level("area", area, "village", "regency")
        case = cls(
            id=case_id,
            area=area,
            sex=sex,
            category=category,
            gbv_type=gbv_type,
            procedural=False,
            worker_id=None,
            agency_id=None,
            channel=IntakeChannel.PUBLIC_REPORT,
            narrative=bounded_text("narrative", account, NARRATIVE_MAX),
            consent=Consent(),
            requested_case_worker_sex=None,
            level=starting_level(level_of_area(area), area, category, gbv_type),
            verified=False,
            opened_on=received_on,
        )
        case._start_registration(received_on, working_days)
        return case

    def _start_registration(self, on: date, working_days: WorkingCalendar | None) -> None:
        if not self.documents_complete:
            self.clocks = self.clocks.start(
                DueClock.DOCUMENTS_INCOMPLETE, on, working_days or indonesian_working_days()
            )
        self._record(
            happened.CaseOpened(
                case_id=self.id,
                facts=self.facts,
                opened_on=on,
                channel=self.channel,
                verified=self.verified,
                status=self.status,
                due=self.next_deadline,
            )
        )

    # -- what the case is ----------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status is not CaseStatus.CLOSED

    @property
    def handling_area(self) -> str:
        """The area of the office that handles the case at its level."""
        return handling_area(self.area, self.level)

    @property
    def next_deadline(self) -> Deadline | None:
        return self.clocks.next()

    @property
    def facts(self) -> happened.CaseFacts:
        return happened.CaseFacts(
            area=self.area,
            category=self.category,
            gbv_type=self.gbv_type,
            level=self.level,
            procedural=self.procedural,
            sex=self.sex,
            worker_id=self.worker_id,
            agency_id=self.agency_id,
        )

    def is_assigned_to(self, subject: str) -> bool:
        return self.assignee is not None and self.assignee.subject == subject

    # -- triage of a report --------------------------------------------------------------------
    def confirm(self, facts: Confirmation) -> None:
        """An officer confirms an unverified report with the facts as found."""
        self._require_open("confirming a report")
        if self.verified:
            raise RuleViolation("the case is not an untriaged report")
        area = self.area
        if facts.village is not None:
            if not is_within(facts.village, self.area):
                raise InvalidField("village", "must lie within the area the report named")
            area = facts.village
        level = higher(self.level, minimum_level(facts.category, facts.gbv_type))
        self.area, self.category, self.gbv_type = area, facts.category, facts.gbv_type
        self.sex, self.procedural, self.level = facts.sex, facts.procedural, level
        self.worker_id, self.agency_id, self.verified = facts.worker_id, facts.agency_id, True
        self._record(
            happened.CaseVerified(case_id=self.id, facts=self.facts, due=self.next_deadline)
        )
        self._lapse_assignment_out_of_reach()

    def absorb_report(self, report_case_id: uuid.UUID) -> None:
        """Another case (a report) is merged into this one as its duplicate."""
        self._require_open("merging a report into it")
        if report_case_id == self.id:
            raise InvalidField("into", "a report cannot be merged into itself")
        self.merged_reports.append(report_case_id)
        self._record(happened.ReportMerged(case_id=self.id, report_case_id=report_case_id))

    # -- assignment, escalation, referral, consent ---------------------------------------------
    def assign(self, worker: CaseWorker, available: Iterable[CaseWorker] = ()) -> None:
        """Assign a case worker; ``available`` are the others who could take the case now."""
        self._require_open("an assignment")
        if self.assignee is not None and self.assignee.id == worker.id:
            raise RuleViolation("the case is already assigned to this case worker")
        honoured = requested_sex_honoured(
            worker, self.requested_case_worker_sex, available, self.handling_area
        )
        self.assignee = worker
        self._record(
            happened.CaseAssigned(
                case_id=self.id,
                assignee_id=worker.id,
                requested_sex=self.requested_case_worker_sex,
                requested_sex_honoured=honoured,
            )
        )

    def escalate(
        self,
        reason: EscalationReason,
        note: str | None = None,
        *,
        alert_id: uuid.UUID | None = None,
    ) -> None:
        """Move the case exactly one level up. An assignee whose area does not contain the new
        handling area no longer holds the case."""
        self._require_open("an escalation")
        to_level = next_level(self.level)
        if to_level is None:
            raise TransitionNotAllowed("the case is at the national level: there is none above")
        note = optional_text("note", note, NOTE_MAX)
        from_level, self.level = self.level, to_level
        if alert_id is not None:
            self.handled_alerts.add(alert_id)
        self._record(
            happened.CaseEscalated(
                case_id=self.id,
                from_level=from_level,
                to_level=to_level,
                reason=reason,
                note=note,
                alert_id=alert_id,
            )
        )
        self._lapse_assignment_out_of_reach()

    def ignore_overdue_alert(self, alert_id: uuid.UUID, why: str) -> None:
        """Remember a ``case_overdue`` alert that called for no escalation (see escalation)."""
        self.handled_alerts.add(alert_id)
        self._record(happened.OverdueAlertIgnored(case_id=self.id, alert_id=alert_id, why=why))

    def refer(self, to: str, *, by: Actor, override_reason: str | None = None) -> Referral:
        """Refer the case to an organisation. Needs the survivor's consent to referral, unless
        a supervisor overrides with a stated reason (kept in the service and audited). The case
        file goes along only with the survivor's consent to sharing."""
        self._require_open("a referral")
        self._require_verified("a referral")
        organisation_code("to", to)
        consent = self.consent.referral
        reason = None
        if not consent:
            if override_reason is None or not override_reason.strip():
                raise ConsentRequired(
                    "the survivor has not consented to referral; only a supervisor may refer "
                    "without it, stating an override_reason"
                )
            if by.role is not Role.SUPERVISOR:
                raise NotPermitted("only a supervisor may override the survivor's consent")
            reason = bounded_text("override_reason", override_reason, NOTE_MAX, REASON_MIN)
        referral = Referral(
            to=to,
            consent=consent,
            consent_overridden=not consent,
            file_shared=self.consent.sharing,
            override_reason=reason,
            overridden_by=None if consent else by.sub,
        )
        self.referrals.append(referral)
        self._record(
            happened.CaseReferred(
                case_id=self.id,
                to=to,
                consent=consent,
                consent_overridden=referral.consent_overridden,
                file_shared=referral.file_shared,
                override_reason=reason,
                overridden_by=referral.overridden_by,
            )
        )
        return referral

    def record_consent(self, consent: Consent) -> None:
        """The survivor gave or withdrew consent (the same again changes nothing)."""
        self._require_open("recording consent")
        if consent == self.consent:
            return
        self.consent = consent
        self._record(
            happened.ConsentRecorded(
                case_id=self.id, referral=consent.referral, sharing=consent.sharing
            )
        )

    def request_case_worker_sex(self, sex: Sex | None) -> None:
        """The survivor asks for a case worker of ``sex`` (None: no preference)."""
        self._require_open("a request for a case worker")
        if sex is self.requested_case_worker_sex:
            return
        self.requested_case_worker_sex = sex
        self._record(happened.CaseWorkerSexRequested(case_id=self.id, sex=sex))

    # -- actions, closure, reopening -----------------------------------------------------------
    def take_action(
        self, action: CaseAction, on: date, working_days: WorkingCalendar | None = None
    ) -> None:
        """Record a service, a workflow step or a deadline step taken on ``on``."""
        self._require_verified(f"recording {action.value}")
        status = status_after(self.status, action)
        self._require_not_before_opening("taken_on", on)
        clocks = after_action(self.clocks, action, on, working_days or indonesian_working_days())
        self.status, self.clocks = status, clocks
        if action is CaseAction.DOCUMENTS_COMPLETED:
            self.documents_complete = True
        self.actions.append(RecordedAction(action, on))
        self._record(
            happened.ActionTaken(
                case_id=self.id, action=action, taken_on=on, status=status, due=self.next_deadline
            )
        )

    def close(
        self,
        reason: ClosureReason,
        on: date,
        note: str | None = None,
        *,
        merged_into: uuid.UUID | None = None,
    ) -> None:
        """Close the case for ``reason``; every clock stops.

        - ``resolved`` needs services implemented; ``report_rejected`` is for an unverified
          report only, and an unverified report is triaged before any other closure than
          duplicate, withdrawn or documents incomplete.
        - ``duplicate`` names the case it was merged into (and only it does).
        - A deadline outcome (documents incomplete, clarification unanswered, complainant
          unreachable, unresolvable) needs its clock to have ended by ``on``.
        """
        check_closure(self.status, reason)
        if reason is ClosureReason.REPORT_REJECTED and self.verified:
            raise TransitionNotAllowed("only an untriaged report may be closed as rejected")
        if not self.verified and reason not in _UNVERIFIED_CLOSURES:
            raise TransitionNotAllowed(
                f"the report is not triaged yet; confirm it before closing it as {reason.value}"
            )
        if (reason is ClosureReason.DUPLICATE) != (merged_into is not None):
            raise InvalidField("merged_into", "is given exactly when the reason is duplicate")
        if merged_into == self.id:
            raise InvalidField("merged_into", "a case cannot be merged into itself")
        clock = _CLOCK_OF_CLOSURE.get(reason)
        if clock is not None:
            running = self.clocks.get(clock)
            if running is None:
                raise TransitionNotAllowed(f"the {clock.value} clock is not running")
            if not running.ended(on):
                raise TransitionNotAllowed(
                    f"the {clock.value} clock ends on {running.due_on.isoformat()}"
                )
        self._require_not_before_opening("closed_on", on)
        note = optional_text("note", note, NOTE_MAX)
        self.status, self.clocks = CaseStatus.CLOSED, self.clocks.stop_all()
        self.closure = Closure(reason, on, note, merged_into)
        self._record(
            happened.CaseClosed(
                case_id=self.id, reason=reason, closed_on=on, note=note, merged_into=merged_into
            )
        )

    def reopen(
        self,
        reason: ReopeningReason,
        on: date,
        note: str | None = None,
        working_days: WorkingCalendar | None = None,
    ) -> None:
        """Reopen a closed case: back to assessment. Documents still incomplete start their
        30 days again from the reopening, as from a registration."""
        status = status_after_reopening(self.status)
        assert self.closure is not None
        if on < self.closure.closed_on:
            raise InvalidField("reopened_on", "must not be before the case was closed")
        note = optional_text("note", note, NOTE_MAX)
        if reason is ReopeningReason.DOCUMENTS_SUPPLIED:
            self.documents_complete = True
        clocks = Clocks()
        if not self.documents_complete:
            clocks = clocks.start(
                DueClock.DOCUMENTS_INCOMPLETE, on, working_days or indonesian_working_days()
            )
        self.status, self.clocks, self.closure = status, clocks, None
        self._record(
            happened.CaseReopened(
                case_id=self.id,
                reason=reason,
                reopened_on=on,
                note=note,
                status=status,
                due=self.next_deadline,
            )
        )

    # -- helpers -------------------------------------------------------------------------------
    def _require_open(self, doing: str) -> None:
        if not self.is_open:
            raise TransitionNotAllowed(f"the case is closed; {doing} needs an open case")

    def _require_verified(self, doing: str) -> None:
        if not self.verified:
            raise TransitionNotAllowed(
                f"the report is not triaged yet; {doing} needs it confirmed first"
            )

    def _require_not_before_opening(self, field_name: str, on: date) -> None:
        if on < self.opened_on:
            raise InvalidField(field_name, "must not be before the case was opened")

    def _lapse_assignment_out_of_reach(self) -> None:
        """After the level rose: an assignee whose area does not contain the new handling area
        no longer holds the case (the new level assigns its own)."""
        if self.assignee is not None and not can_handle(self.assignee, self.handling_area):
            lapsed, self.assignee = self.assignee, None
            self._record(
                happened.AssignmentLapsed(case_id=self.id, assignee_id=lapsed.id, level=self.level)
            )

    def _record(self, event: happened.CaseEvent) -> None:
        if event.published:
            self.version += 1
        self.events.append(event)
