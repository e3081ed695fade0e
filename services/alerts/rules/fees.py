"""``illegal_fee`` and ``fee_warning``: every ``fee-charged`` is one or the other.

The zero-cost rule (docs/domain.md, "Fees"): Law 18/2017 art. 30 and Regulation BP2MI 9/2020
art. 3 (in full effect from 2021-07-15) forbid charging a worker in one of ten occupations any
of fourteen cost components. Everything else charged to a worker is against the ILO's fair
recruitment principles: a warning.

The rule reads the fee event alone: its component, its ``charged_on`` and the ``occupation`` the
registry gives as the worker's on that day (placed, else applied for, else null; a null
occupation cannot be shown to be one of the ten, so it is a warning). The alert is about the
worker; one open alert per worker covers every further fee charged to them until a monitor
resolves it, and the same fee arriving again (another event, same ``fee_id``) is never counted
twice. A fee is an occurrence: it does not clear by itself, a monitor resolves it.

Level and area: the **regency** of the worker's village. The regency's manpower office (Disnaker,
the LTSA) verifies the worker and oversees recruiters locally; the village recorded the fee and
cannot sanction an agency; the province and the ministry see the alert too, as it lies in
their area.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from services.alerts.jurisdiction import area_at
from services.alerts.rules.context import Finding, RuleContext
from shared.contract.codes import (
    ZERO_COST_COMPONENTS,
    ZERO_COST_OCCUPATIONS,
    AlertRule,
    Level,
    Severity,
)

ZERO_COST_EFFECTIVE = date(2021, 7, 15)  # Regulation BP2MI 9/2020 in full effect


class Fee(NamedTuple):
    """What the fee rules read of one ``fee-charged``."""

    fee_id: str
    worker_id: str
    village: str
    component: str
    charged_on: date
    occupation: str | None
    agency_id: str | None

    @property
    def illegal(self) -> bool:
        return (
            self.component in ZERO_COST_COMPONENTS
            and self.charged_on >= ZERO_COST_EFFECTIVE
            and self.occupation in ZERO_COST_OCCUPATIONS
        )

    def details(self) -> dict[str, str]:
        out = {
            "fee_id": self.fee_id,
            "component": self.component,
            "charged_on": self.charged_on.isoformat(),
        }
        if self.agency_id is not None:
            out["agency_id"] = self.agency_id
        return out


def _finding(fee: Fee, severity: Severity) -> Finding:
    level = Level.REGENCY
    return Finding(severity, level, area_at(fee.village, level), fee.details())


class IllegalFee:
    """A fee on one of the fourteen components, charged on or after 2021-07-15, to a worker in
    one of the ten occupations: ``critical``, about the worker."""

    code = AlertRule.ILLEGAL_FEE

    def on_fee(self, ctx: RuleContext, fee: Fee) -> None:
        if fee.illegal:
            ctx.raise_alert(
                self.code, fee.worker_id, _finding(fee, Severity.CRITICAL), clears_itself=False
            )


class FeeWarning:
    """Any other fee (ILO fair recruitment: no worker should pay): ``warning``, about the
    worker."""

    code = AlertRule.FEE_WARNING

    def on_fee(self, ctx: RuleContext, fee: Fee) -> None:
        if not fee.illegal:
            ctx.raise_alert(
                self.code, fee.worker_id, _finding(fee, Severity.WARNING), clears_itself=False
            )
