"""The shape shared by the clock-driven rules: a condition that holds over a span of time.

From a subject's facts, each such rule computes when its condition starts to hold and, for some,
when it stops (``[start, end)``; ``None``: it cannot hold as the facts stand). Two paths use it:

* :meth:`TimedRule.reconsider`, when an event changed the facts: an alert whose condition no
  longer holds is resolved at once (``condition_cleared``), and the next check is planned. A
  condition that already holds is raised by the clock right after the batch, not by the event:
  a replay that opens and assigns a case in one batch raises nothing.
* :meth:`TimedRule.check`, when the check falls due: raise if the condition holds, clear it if it
  ended, plan the next one.

Both only read the facts and the time, so a check that fell due during a restart fires once, on
the first tick after it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import ClassVar

from services.alerts.rules.context import Finding, RuleContext
from shared.contract.codes import AlertRule

Span = tuple[datetime, datetime | None]


class TimedRule(ABC):
    code: ClassVar[AlertRule]

    @abstractmethod
    def span(self, ctx: RuleContext, about: str) -> Span | None:
        """When the condition holds for ``about``, as its facts stand now."""

    @abstractmethod
    def finding(self, ctx: RuleContext, about: str) -> Finding:
        """The alert to raise for ``about`` (called only while the condition holds)."""

    def reconsider(self, ctx: RuleContext, about: str) -> None:
        code, now = self.code, ctx.now
        span = self.span(ctx, about)
        if span is None or (span[1] is not None and now >= span[1]):
            ctx.cancel(code, about)
            ctx.clear(code, about)
            return
        start, end = span
        if now < start:
            ctx.clear(code, about)  # e.g. a deadline moved later: the old one no longer holds
            ctx.schedule(code, about, start)
        elif not ctx.latched(code, about):
            ctx.schedule(code, about, start)  # already due: the tick after the batch raises it
        elif end is not None:
            ctx.schedule(code, about, end)
        else:
            ctx.cancel(code, about)

    def check(self, ctx: RuleContext, about: str) -> None:
        code, now = self.code, ctx.now
        span = self.span(ctx, about)
        if span is None or (span[1] is not None and now >= span[1]):
            ctx.clear(code, about)
            return
        start, end = span
        if now < start:
            ctx.clear(code, about)
            ctx.schedule(code, about, start)
            return
        ctx.raise_alert(code, about, self.finding(ctx, about), clears_itself=True)
        if end is not None:
            ctx.schedule(code, about, end)
