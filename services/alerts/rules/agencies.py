"""``unlicensed_agency`` and ``agency_hotspot``: rules about a placement agency (P3MI)."""

from __future__ import annotations

from datetime import date

from services.alerts.clock import next_midnight
from services.alerts.jurisdiction import area_at, covering_level, is_village
from services.alerts.rules.context import Finding, RuleContext
from shared.contract.codes import AlertRule, Level, Severity


class UnlicensedAgency:
    """An agency acting without a licence: ``critical``, about the agency.

    Raised when a fee or a departure dated on or after the day the agency was suspended or
    revoked names it, whichever of the two events arrives first: a sanction arriving after the
    evidence looks at the latest dated fee or departure already seen naming the agency. The day
    of a sanction is the date of its ``agency-suspended`` / ``agency-revoked`` event; a new
    ``agency-licensed`` ends the sanction for later evidence.

    Level and area: the **province** where the agency was caught acting (the worker's village's
    province): the provincial office (BP3MI) supervises the agencies recruiting there; the
    ministry, which licenses them, sees it in its area too. An occurrence: a monitor resolves
    it; the next fee or departure naming the sanctioned agency raises it again.
    """

    code = AlertRule.UNLICENSED_AGENCY

    def on_named(self, ctx: RuleContext, agency_id: str, on: date, village: str) -> None:
        """A fee charged or a departure made on ``on`` in ``village`` names the agency."""
        agency = ctx.state.agency(agency_id)
        agency.note_named(on, village)
        since = agency.unlicensed_since
        if since is not None and on >= since:
            self._raise(ctx, agency_id, on, since, village)

    def on_sanctioned(self, ctx: RuleContext, agency_id: str) -> None:
        """The agency's licence was suspended or revoked (earlier than known before)."""
        agency = ctx.state.agency(agency_id)
        since, named_on, village = (
            agency.unlicensed_since,
            agency.last_named_on,
            agency.last_named_village,
        )
        if since is not None and named_on is not None and village and named_on >= since:
            self._raise(ctx, agency_id, named_on, since, village)

    def _raise(
        self, ctx: RuleContext, agency_id: str, named_on: date, since: date, village: str
    ) -> None:
        level = Level.PROVINCE
        details = {"named_on": named_on.isoformat(), "unlicensed_since": since.isoformat()}
        finding = Finding(Severity.CRITICAL, level, area_at(village, level), details)
        ctx.raise_alert(self.code, agency_id, finding, clears_itself=False)


class AgencyHotspot:
    """One agency named in cases or illegal fees in at least N villages (default 3) within a
    window (default 30 days): ``critical``, about the agency.

    A mention is a verified case naming the agency (dated the day it was opened) or an illegal
    fee naming it (dated ``charged_on``), in a village. The window is the last N days up to
    today, by the clock.

    Level and area: the **province** when every village of the window lies in one province (its
    BP3MI supervises the agency there), else the **nation** (the ministry licenses agencies).
    Clears by itself: while the alert is latched it is checked again at every midnight (UTC),
    when the window slides, and resolved once fewer than N villages remain in it.
    """

    code = AlertRule.AGENCY_HOTSPOT

    def on_mention(self, ctx: RuleContext, agency_id: str, village: str, on: date) -> None:
        if not is_village(village):
            return  # a report naming only a regency is no village
        agency = ctx.state.agency(agency_id)
        agency.note_hotspot_mention(village, on)
        if ctx.latched(self.code, agency_id):
            return  # the same condition again
        first = ctx.first_day(ctx.settings.agency_hotspot_window_days)
        if on < first:
            return  # an old mention cannot make a hotspot today that the others did not
        agency.forget_before(first)
        if len(agency.named_in) >= ctx.settings.agency_hotspot_villages:
            self._raise(ctx, agency_id)

    def check(self, ctx: RuleContext, agency_id: str) -> None:
        """The window slid (midnight): resolve the hotspot once it is no longer one."""
        agency = ctx.state.agency(agency_id)
        agency.forget_before(ctx.first_day(ctx.settings.agency_hotspot_window_days))
        if len(agency.named_in) >= ctx.settings.agency_hotspot_villages:
            self._raise(ctx, agency_id)  # already latched: only the next check is planned
        else:
            ctx.clear(self.code, agency_id)

    def _raise(self, ctx: RuleContext, agency_id: str) -> None:
        villages = ctx.state.agencies[agency_id].named_in
        level, area = covering_level(villages)
        details = {
            "villages": str(len(villages)),
            "window_days": str(ctx.settings.agency_hotspot_window_days),
        }
        finding = Finding(Severity.CRITICAL, level, area, details)
        ctx.raise_alert(self.code, agency_id, finding, clears_itself=True)
        ctx.schedule(self.code, agency_id, next_midnight(ctx.now))
