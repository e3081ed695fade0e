"""Everything the rules core keeps between events, as rows the wiring step can store.

:class:`AlertState` holds the facts (:mod:`services.alerts.facts`), the live alerts
(:class:`~services.alerts.lifecycle.AlertBook`) and the due checks
(:class:`~services.alerts.agenda.Agenda`). It records which rows changed
(:meth:`AlertState.take_changes`), so the wiring step writes only those in the transaction that
records the batch's event ids, and it converts to and from plain rows
(:meth:`AlertState.rows`, :meth:`AlertState.from_rows`): one list of dicts per table, with the
column names of the wiring plan (README.md). A restart is ``from_rows(rows())``: nothing else
survives, so nothing else may matter.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from services.alerts.agenda import Agenda, Key
from services.alerts.facts import AgencyFacts, AreaFigures, CaseFacts, WorkerFacts
from services.alerts.lifecycle import Alert, AlertBook
from shared.contract.codes import AlertResolution, AlertRule, AlertStatus, Level, Severity

Row = dict[str, Any]


@dataclass
class Changes:
    """Keys of the rows changed since the last :meth:`AlertState.take_changes`.

    For a key that is no longer in the state (a due check done or cancelled), delete the row;
    otherwise upsert it from the state. ``alerts`` carries the alerts themselves, as some have
    left the live book (resolved and cleared) and are written as history.
    """

    workers: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    cases: set[str] = field(default_factory=set)
    areas: set[str] = field(default_factory=set)
    due: set[Key] = field(default_factory=set)
    alerts: dict[uuid.UUID, Alert] = field(default_factory=dict)


class AlertState:
    def __init__(self) -> None:
        self.workers: dict[str, WorkerFacts] = {}
        self.agencies: dict[str, AgencyFacts] = {}
        self.cases: dict[str, CaseFacts] = {}
        self.areas: dict[str, AreaFigures] = {}
        self.alerts = AlertBook()
        self.agenda = Agenda()
        self._workers: set[str] = set()
        self._agencies: set[str] = set()
        self._cases: set[str] = set()
        self._areas: set[str] = set()

    # -- rows read or created for an update (each marks its row changed) ----------------------
    def worker(self, worker_id: str, village: str) -> WorkerFacts:
        facts = self.workers.get(worker_id)
        if facts is None:
            facts = self.workers[worker_id] = WorkerFacts(village=village)
        self._workers.add(worker_id)
        return facts

    def agency(self, agency_id: str) -> AgencyFacts:
        facts = self.agencies.get(agency_id)
        if facts is None:
            facts = self.agencies[agency_id] = AgencyFacts()
        self._agencies.add(agency_id)
        return facts

    def case_changed(self, case_id: str) -> None:
        self._cases.add(case_id)

    def area(self, code: str) -> AreaFigures:
        figures = self.areas.get(code)
        if figures is None:
            figures = self.areas[code] = AreaFigures()
        self._areas.add(code)
        return figures

    def take_changes(self) -> Changes:
        changes = Changes(
            workers=self._workers,
            agencies=self._agencies,
            cases=self._cases,
            areas=self._areas,
            due=self.agenda.touched,
            alerts=self.alerts.take_touched(),
        )
        self._workers, self._agencies, self._cases, self._areas = set(), set(), set(), set()
        self.agenda.touched = set()
        return changes

    # -- rows ----------------------------------------------------------------------------------
    def rows(self) -> dict[str, list[Row]]:
        """The whole state as table rows (what a database of the wiring plan would hold)."""
        out: dict[str, list[Row]] = {name: [] for name in TABLES}
        for wid, w in self.workers.items():
            out["workers"].append({"worker_id": wid, **_plain(w, skip={"fee_ids"})})
            out["worker_fees"] += [{"worker_id": wid, "fee_id": f} for f in sorted(w.fee_ids)]
        for aid, a in self.agencies.items():
            out["agencies"].append({"agency_id": aid, **_plain(a, skip={"named_in"})})
            out["agency_villages"] += [
                {"agency_id": aid, "village": v, "named_on": d} for v, d in a.named_in.items()
            ]
        for cid, c in self.cases.items():
            out["cases"].append({"case_id": cid, **asdict(c)})
        for code, f in self.areas.items():
            out["areas"].append({"area": code, "registered": f.registered})
            out["area_cases"] += [
                {"area": code, "day": d, "cases": n} for d, n in f.cases_by_day.items()
            ]
        for alert in self.alerts.by_id.values():
            out["alerts"].append(alert_row(alert))
        for (rule, about), at in self.agenda.due.items():
            out["due"].append({"rule": rule.value, "about": about, "due_at": at})
        return out

    @classmethod
    def from_rows(cls, rows: dict[str, list[Row]]) -> AlertState:
        """Rebuild the state from :meth:`rows` (e.g. after a restart)."""
        state = cls()
        for r in rows["workers"]:
            state.workers[r["worker_id"]] = WorkerFacts(**_without(r, "worker_id"))
        for r in rows["worker_fees"]:
            state.workers[r["worker_id"]].fee_ids.add(r["fee_id"])
        for r in rows["agencies"]:
            state.agencies[r["agency_id"]] = AgencyFacts(**_without(r, "agency_id"))
        for r in rows["agency_villages"]:
            state.agencies[r["agency_id"]].named_in[r["village"]] = r["named_on"]
        for r in rows["cases"]:
            state.cases[r["case_id"]] = CaseFacts(**_without(r, "case_id"))
        for r in rows["areas"]:
            state.areas[r["area"]] = AreaFigures(registered=r["registered"])
        for r in rows["area_cases"]:
            state.areas[r["area"]].cases_by_day[r["day"]] = r["cases"]
        state.alerts = AlertBook([alert_from_row(r) for r in rows["alerts"]])
        state.agenda = Agenda(
            {(AlertRule(r["rule"]), r["about"]): r["due_at"] for r in rows["due"]}
        )
        return state


TABLES = (
    "workers",
    "worker_fees",
    "agencies",
    "agency_villages",
    "cases",
    "areas",
    "area_cases",
    "alerts",
    "due",
)


def alert_row(alert: Alert) -> Row:
    row = asdict(alert)
    for name in ("rule", "severity", "level", "status", "resolution"):
        if row[name] is not None:
            row[name] = row[name].value
    return row


def alert_from_row(row: Row) -> Alert:
    values = dict(row)
    values["rule"] = AlertRule(values["rule"])
    values["severity"] = Severity(values["severity"])
    values["level"] = Level(values["level"])
    values["status"] = AlertStatus(values["status"])
    if values["resolution"] is not None:
        values["resolution"] = AlertResolution(values["resolution"])
    return Alert(**values)


def _plain(obj: Any, skip: set[str]) -> Row:
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in skip}


def _without(row: Row, *names: str) -> Row:
    return {k: v for k, v in row.items() if k not in names}
