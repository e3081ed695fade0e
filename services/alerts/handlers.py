"""Which rules each contract event feeds: the one place events meet rules.

Each handler first applies the event to its subject's facts, skipping it when the subject has
already applied an event at or above its ``sequence`` (a duplicate or a replay), or when the
event repeats a fact already known under another event id (the same fee, the same departure,
a second ``case-opened``); then it calls the rules that read what changed.

Payloads are read from ``envelope.data`` as the consumer validated it against the contract
(codes and ISO dates as JSON strings; unknown fields ignored). Read leniently where a field may
be absent: no ``due_on`` means no deadline, no ``agency_id`` names no agency, no ``verified``
means verified, no ``opened_on`` dates a case by its event, and only ``"registered_worker":
false`` (version 2 of ``case-opened`` and ``case-verified``) or ``"worker_id": null`` (version
1) says the worker is unregistered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from services.alerts.clock import start_of
from services.alerts.facts import CaseFacts, WorkerFacts
from services.alerts.jurisdiction import area_at
from services.alerts.rules import (
    AGENCY_HOTSPOT,
    CASE_CLOCKS,
    FEE_WARNING,
    ILLEGAL_FEE,
    NON_PROCEDURAL,
    RETURN_OVERDUE,
    UNLICENSED_AGENCY,
    VILLAGE_SURGE,
    Fee,
    RuleContext,
)
from shared.contract.codes import ClosureReason, Level
from shared.contract.envelope import Envelope

Handler = Callable[[RuleContext, Envelope], None]
DUPLICATE = ClosureReason.DUPLICATE.value


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


# -- registry.worker.v1 -------------------------------------------------------------------------
def _worker(ctx: RuleContext, env: Envelope) -> WorkerFacts | None:
    """The worker's facts, advanced to this event; None for a duplicate or a replay."""
    known = ctx.state.workers.get(env.subject)
    if known is not None and env.sequence <= known.seq:
        return None
    worker = ctx.state.worker(env.subject, env.area)
    worker.seq = env.sequence
    return worker


def worker_registered(ctx: RuleContext, env: Envelope) -> None:
    worker = _worker(ctx, env)
    if worker is None or worker.registered:
        return
    worker.registered = True
    ctx.state.area(worker.village).registered += 1
    if worker.village.count(".") >= 1:
        ctx.state.area(area_at(worker.village, Level.REGENCY)).registered += 1


def worker_verified(ctx: RuleContext, env: Envelope) -> None:
    worker = _worker(ctx, env)
    if worker is None:
        return
    worker.verified = True
    NON_PROCEDURAL.on_verified(ctx, env.subject)


def worker_departed(ctx: RuleContext, env: Envelope) -> None:
    worker = _worker(ctx, env)
    if worker is None:
        return
    data = env.data
    departed_on = _day(data["departed_on"])
    if departed_on == worker.departed_on:
        return  # the same departure again
    worker.departed_on = departed_on
    worker.contract_end = _day(data.get("contract_end"))
    NON_PROCEDURAL.on_departure(ctx, env.subject, worker)
    agency_id = _str(data.get("agency_id"))
    if agency_id is not None and departed_on is not None:
        UNLICENSED_AGENCY.on_named(ctx, agency_id, departed_on, worker.village)
    RETURN_OVERDUE.reconsider(ctx, env.subject)


def worker_returned(ctx: RuleContext, env: Envelope) -> None:
    worker = _worker(ctx, env)
    if worker is None:
        return
    worker.departed_on = worker.contract_end = None
    RETURN_OVERDUE.reconsider(ctx, env.subject)


def fee_charged(ctx: RuleContext, env: Envelope) -> None:
    worker = _worker(ctx, env)
    if worker is None:
        return
    data = env.data
    fee_id = str(data["fee_id"])
    if fee_id in worker.fee_ids:
        return  # the same fee again
    worker.fee_ids.add(fee_id)
    charged_on = _day(data["charged_on"])
    assert charged_on is not None
    fee = Fee(
        fee_id=fee_id,
        worker_id=env.subject,
        village=env.area,
        component=data["component"],
        charged_on=charged_on,
        occupation=data.get("occupation"),
        agency_id=_str(data.get("agency_id")),
    )
    ILLEGAL_FEE.on_fee(ctx, fee)
    FEE_WARNING.on_fee(ctx, fee)
    if fee.agency_id is not None:
        UNLICENSED_AGENCY.on_named(ctx, fee.agency_id, charged_on, env.area)
        if fee.illegal:
            AGENCY_HOTSPOT.on_mention(ctx, fee.agency_id, env.area, charged_on)


# -- registry.agency.v1 -------------------------------------------------------------------------
def _agency_advanced(ctx: RuleContext, env: Envelope) -> bool:
    known = ctx.state.agencies.get(env.subject)
    if known is not None and env.sequence <= known.seq:
        return False
    ctx.state.agency(env.subject).seq = env.sequence
    return True


def agency_licensed(ctx: RuleContext, env: Envelope) -> None:
    if _agency_advanced(ctx, env):
        agency = ctx.state.agencies[env.subject]
        agency.unlicensed_since = None
        # Public (the registry publishes it); bounded as the registry bounds it.
        name = _str(env.data.get("name"))
        agency.name = name[:200] if name else agency.name


def agency_sanctioned(ctx: RuleContext, env: Envelope) -> None:
    """``agency-suspended`` or ``agency-revoked``: unlicensed from the day of the event."""
    if not _agency_advanced(ctx, env):
        return
    agency = ctx.state.agencies[env.subject]
    day = env.time.date()
    if agency.unlicensed_since is None or day < agency.unlicensed_since:
        agency.unlicensed_since = day
        UNLICENSED_AGENCY.on_sanctioned(ctx, env.subject)


# -- cases.case.v1 ------------------------------------------------------------------------------
def _unregistered(data: dict[str, Any]) -> bool:
    """Whether a ``case-opened`` or ``case-verified`` says its worker was never registered:
    ``registered_worker`` false in version 2, ``worker_id`` null in version 1 (which carried the
    registry's id; no rule needs more than this)."""
    if "registered_worker" in data:
        return data["registered_worker"] is False
    return "worker_id" in data and data["worker_id"] is None


def case_opened(ctx: RuleContext, env: Envelope) -> None:
    known = ctx.state.cases.get(env.subject)
    if known is not None:  # a second case-opened is no new case
        if env.sequence > known.seq:
            known.seq = env.sequence
            ctx.state.case_changed(env.subject)
        return
    data = env.data
    # The windows count a case on the day it was registered, which may be long before the event
    # for a complaint entered later; its wait for a case worker starts when it is entered.
    opened_on = _day(data.get("opened_on"))
    case = ctx.state.cases[env.subject] = CaseFacts(
        area=env.area,
        level=data["level"],
        category=data["category"],
        gbv_type=data.get("gbv_type"),
        opened_at=env.time if opened_on is None else min(env.time, start_of(opened_on)),
        seq=env.sequence,
        unregistered_worker=_unregistered(data),
        verified=False,
        agency_id=_str(data.get("agency_id")),
        unassigned_since=env.time,
        closed=data.get("status") == "closed",
        due_on=_day(data.get("due_on")),
        due_clock=data.get("due_clock"),
    )
    ctx.state.case_changed(env.subject)
    if data.get("verified", True):
        _case_verified(ctx, env.subject, case)
    _reconsider_clocks(ctx, env.subject)


def _case(ctx: RuleContext, env: Envelope) -> CaseFacts | None:
    """The case's facts, advanced to this event; None for a duplicate, a replay, or a case
    whose opening was never seen (nothing honest can be said of it). Each case event names the
    case's lowest known area, which triage may have narrowed to a village."""
    case = ctx.state.cases.get(env.subject)
    if case is None or env.sequence <= case.seq:
        return None
    case.seq = env.sequence
    case.area = env.area
    ctx.state.case_changed(env.subject)
    return case


def _case_verified(ctx: RuleContext, case_id: str, case: CaseFacts) -> None:
    """A case counts once verified: officers' cases at once, reports once triaged."""
    case.verified = True
    opened_on = case.opened_at.date()
    VILLAGE_SURGE.on_case(ctx, case.area, opened_on)
    if case.agency_id is not None:
        AGENCY_HOTSPOT.on_mention(ctx, case.agency_id, case.area, opened_on)
    NON_PROCEDURAL.on_case(ctx, case_id, case)


def case_verified(ctx: RuleContext, env: Envelope) -> None:
    """A report confirmed at triage, with the facts as the officer found them."""
    case = _case(ctx, env)
    if case is None:
        return
    data = env.data
    case.category, case.gbv_type, case.level = data["category"], data.get("gbv_type"), data["level"]
    case.unregistered_worker = _unregistered(data)
    case.agency_id = _str(data.get("agency_id"))
    _set_deadline(case, data)
    if not case.verified:
        _case_verified(ctx, env.subject, case)
    _reconsider_clocks(ctx, env.subject)


def _set_deadline(case: CaseFacts, data: dict[str, Any]) -> None:
    """The case's deadline after the event (null: no clock runs)."""
    case.due_on = _day(data.get("due_on"))
    case.due_clock = data.get("due_clock") if case.due_on is not None else None


def _reconsider_clocks(ctx: RuleContext, case_id: str) -> None:
    for rule in CASE_CLOCKS:
        rule.reconsider(ctx, case_id)


def case_assigned(ctx: RuleContext, env: Envelope) -> None:
    case = _case(ctx, env)
    if case is not None:
        case.assigned, case.unassigned_since = True, None
        _reconsider_clocks(ctx, env.subject)


def case_escalated(ctx: RuleContext, env: Envelope) -> None:
    case = _case(ctx, env)
    if case is not None:
        case.level = env.data["to_level"]


def case_action_taken(ctx: RuleContext, env: Envelope) -> None:
    case = _case(ctx, env)
    if case is not None:
        case.closed = env.data.get("status") == "closed"
        _set_deadline(case, env.data)
        _reconsider_clocks(ctx, env.subject)


def case_closed(ctx: RuleContext, env: Envelope) -> None:
    case = _case(ctx, env)
    if case is None:
        return
    case.closed = True
    if env.data.get("reason") == DUPLICATE and case.verified:
        # Merged into another case, which already counts: one complaint is one case.
        VILLAGE_SURGE.on_case_merged(ctx, case.area, case.opened_at.date())
    _reconsider_clocks(ctx, env.subject)


def case_reopened(ctx: RuleContext, env: Envelope) -> None:
    case = _case(ctx, env)
    if case is not None:
        case.closed = False
        if not case.assigned:
            case.unassigned_since = env.time
        _set_deadline(case, env.data)
        _reconsider_clocks(ctx, env.subject)


def case_other(ctx: RuleContext, env: Envelope) -> None:
    """An event no rule reads beyond what every case event says (``case-referred``)."""
    _case(ctx, env)


HANDLERS: dict[str, Handler] = {
    "worker-registered": worker_registered,
    "worker-verified": worker_verified,
    "worker-departed": worker_departed,
    "worker-returned": worker_returned,
    "fee-charged": fee_charged,
    "agency-licensed": agency_licensed,
    "agency-suspended": agency_sanctioned,
    "agency-revoked": agency_sanctioned,
    "case-opened": case_opened,
    "case-verified": case_verified,
    "case-assigned": case_assigned,
    "case-escalated": case_escalated,
    "case-referred": case_other,
    "case-action-taken": case_action_taken,
    "case-closed": case_closed,
    "case-reopened": case_reopened,
}
