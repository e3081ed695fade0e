"""``village_surge``: a village where complaints rise far above its regency's."""

from __future__ import annotations

from datetime import date

from services.alerts.clock import next_midnight
from services.alerts.jurisdiction import area_at, is_village
from services.alerts.rules.context import Finding, RuleContext
from shared.contract.codes import AlertRule, Level, Severity


class VillageSurge:
    """A village's cases per registered worker over the window (default 30 days) at least K
    times (default 3) its regency's, with at least M cases (default 3): ``warning``, about the
    village code.

    Cases are the verified cases opened in the window (a report not yet triaged does not count,
    so a flood of reports cannot raise it; one merged into another as a duplicate stops
    counting); registered workers are the workers ever registered
    in the area. The regency's figure includes the village's own, and a self-report naming only
    the regency counts in the regency. An area with no registered worker counts as one: three
    complaints from a village nobody registered from is exactly a surge worth seeing.

    Level and area: the **regency**: its office compares its villages and sends help to the one
    that stands out. Clears by itself: while latched it is checked again at every midnight
    (UTC), and resolved once the condition no longer holds.
    """

    code = AlertRule.VILLAGE_SURGE

    def on_case(self, ctx: RuleContext, area: str, opened_on: date) -> None:
        """A verified case opened on ``opened_on`` in ``area`` (a village, or a regency)."""
        if area.count(".") < 1:
            return  # a province or the nation: no village and no regency to compare
        first = ctx.first_day(ctx.settings.village_surge_window_days)
        regency = ctx.state.area(area_at(area, Level.REGENCY))
        regency.add_case(opened_on)
        regency.forget_before(first)
        if not is_village(area):
            return
        village = ctx.state.area(area)
        village.add_case(opened_on)
        village.forget_before(first)
        if opened_on >= first and not ctx.latched(self.code, area) and self.holds(ctx, area):
            self._raise(ctx, area)

    def on_case_merged(self, ctx: RuleContext, area: str, opened_on: date) -> None:
        """A counted case was merged into another as a duplicate: it no longer counts."""
        if area.count(".") < 1:
            return
        codes = [area_at(area, Level.REGENCY)]
        if is_village(area):
            codes.append(area)
        for code in codes:
            figures = ctx.state.areas.get(code)
            if figures is not None and figures.cases_by_day.get(opened_on, 0) > 0:
                ctx.state.area(code).cases_by_day[opened_on] -= 1

    def check(self, ctx: RuleContext, village: str) -> None:
        if self.holds(ctx, village):
            self._raise(ctx, village)  # already latched: only the next check is planned
        else:
            ctx.clear(self.code, village)

    def holds(self, ctx: RuleContext, village: str) -> bool:
        settings, areas = ctx.settings, ctx.state.areas
        first = ctx.first_day(settings.village_surge_window_days)
        here = areas.get(village)
        regency = areas.get(area_at(village, Level.REGENCY))
        if here is None or regency is None:
            return False
        cases = here.cases_since(first)
        if cases < settings.village_surge_min_cases:
            return False
        # cases / workers >= K * regency cases / regency workers, without dividing
        return cases * max(regency.registered, 1) >= (
            settings.village_surge_factor * regency.cases_since(first) * max(here.registered, 1)
        )

    def _raise(self, ctx: RuleContext, village: str) -> None:
        level = Level.REGENCY
        finding = Finding(
            Severity.WARNING,
            level,
            area_at(village, level),
            {"window_days": str(ctx.settings.village_surge_window_days)},
        )
        ctx.raise_alert(self.code, village, finding, clears_itself=True)
        ctx.schedule(self.code, village, next_midnight(ctx.now))
