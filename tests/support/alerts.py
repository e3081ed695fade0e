"""Running the alerts service in tests: its app on a hand-driven clock, events into its topics,
its alert events read back, its live stream read as a browser would.

- :class:`AlertsRun` — the app (lifespan running: consumer, relay, clock loop, feed) with an
  HTTP client; :func:`running_alerts` starts one and stops it (a restart is a second one on
  the same database).
- :func:`publish` — contract events onto their topics, keyed by subject, as the publishers do.
- :func:`alert_events` — the ``alerts.alert.v1`` records about some subjects.
- :func:`settled` — wait until the consumer has read everything published and the outbox is
  empty (then nothing more is coming).
- :func:`serve` / :class:`SseReader` — a real HTTP server and a server-sent events client.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from pantau.local.procs import free_port
from services.alerts.app import create_app
from services.alerts.clock import Clock
from services.alerts.intake import CONSUMER
from services.alerts.settings import AlertsSettings
from services.alerts.ticker import behind, end_offsets
from shared.areas import areas
from shared.auth import issue_token
from shared.consumer import read_positions
from shared.contract.envelope import Envelope
from shared.contract.events import TOPIC_OF_TYPE
from tests.support.messaging import read_topic, wait_until
from tests.unit.alerts.stream import Stream


def auth(role: str, area: str, sub: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role, area, sub=sub)}"}


@dataclass
class AlertsRun:
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    dsn: str
    settings: AlertsSettings

    async def caught_up(self, within: float = 60) -> None:
        """Until the clock loop runs (the consumer has read the log as it stood at start)."""

        async def ready() -> bool:
            return bool(self.app.state.keeper.caught_up)

        await wait_until(ready, within=within)

    def wake(self) -> None:
        """Let the clock loop look at its due checks now (after moving the clock)."""
        self.app.state.keeper.wake()


def alerts_settings(factory: Any, dsn: str, **overrides: Any) -> AlertsSettings:
    """Settings for a test run: a group of its own, a quick clock loop and catch-up check."""
    values: dict[str, Any] = {
        "database_url": dsn,
        "consumer_group": f"alerts-test-{uuid.uuid4().hex[:8]}",
        "clock_max_sleep_seconds": 0.1,
        "catch_up_poll_seconds": 0.1,
        "access_log": False,
        "consumer_batch_size": 500,
    }
    values.update(overrides)
    settings: AlertsSettings = factory(AlertsSettings, **values)
    return settings


@asynccontextmanager
async def running_alerts(settings: AlertsSettings, clock: Clock) -> AsyncIterator[AlertsRun]:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://alerts") as client:
            yield AlertsRun(app, client, clock, settings.database_url, settings)


async def publish(bootstrap: str, envelopes: Iterable[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for envelope in envelopes:
            headers = [(k, v.encode()) for k, v in envelope.headers().items()]
            await producer.send(
                str(TOPIC_OF_TYPE[envelope.type]),
                envelope.to_json(),
                key=envelope.subject.encode(),
                headers=headers,
            )
        await producer.flush()
    finally:
        await producer.stop()


async def settled(run: AlertsRun, bootstrap: str, within: float = 60) -> None:
    """Until the consumer has applied everything on its topics now and the outbox is empty."""
    targets = await end_offsets(bootstrap)

    async def done() -> bool:
        conn = await asyncpg.connect(run.dsn)
        try:
            positions = await read_positions(conn, CONSUMER)
            waiting = await conn.fetchval("SELECT count(*) FROM outbox")
        finally:
            await conn.close()
        return behind(targets, positions) == 0 and waiting == 0

    await wait_until(done, within=within)


def _about(record: Any) -> str | None:
    value = json.loads(record.value)
    about: str | None = value["data"].get("about")
    return about


async def alert_envelopes(
    bootstrap: str, abouts: Iterable[str], *, at_least: int = 0, within: float = 60
) -> list[Envelope]:
    """Every ``alerts.alert.v1`` event of the alerts about ``abouts`` (their later steps too,
    which carry no ``about``: matched by the alert id), in topic order per alert."""
    wanted = set(abouts)

    def mine(records: list[Any]) -> list[Envelope]:
        envelopes = [Envelope.model_validate_json(r.value) for r in records]
        ids = {e.subject for e in envelopes if e.data.get("about") in wanted}
        return [e for e in envelopes if e.subject in ids]

    records = await read_topic(
        bootstrap, "alerts.alert.v1", until=lambda seen: len(mine(seen)) >= at_least, within=within
    )
    return mine(records)


def raised(envelopes: Iterable[Envelope]) -> list[tuple[str, str]]:
    """(rule, about) of each ``alert-raised``, in order."""
    return [(e.data["rule"], e.data["about"]) for e in envelopes if e.type == "alert-raised"]


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """``app`` behind a real uvicorn server (its lifespan included); yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@dataclass
class SseEvent:
    id: str | None
    event: str | None
    data: str


@dataclass
class SseReader:
    """A server-sent events client reading in the background; ``events`` grows as they come."""

    url: str
    headers: dict[str, str]
    events: list[SseEvent] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SseReader:
        self._task = asyncio.create_task(self._read())
        await wait_until(self._answered, within=30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task

    async def _answered(self) -> bool:
        if self._task is not None and self._task.done():
            self._task.result()
        return self.status is not None

    async def _read(self) -> None:
        timeout = httpx.Timeout(10, read=None)
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            self.status = response.status_code
            if response.status_code != 200:
                return
            fields: dict[str, str] = {}
            data: list[str] = []
            async for line in response.aiter_lines():
                if line == "":
                    if data:
                        self.events.append(
                            SseEvent(fields.get("id"), fields.get("event"), "\n".join(data))
                        )
                    fields, data = {}, []
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "data":
                        data.append(value)
                    else:
                        fields[name] = value

    def alerts(self) -> list[dict[str, Any]]:
        return [json.loads(e.data) for e in self.events]

    async def wait_for(self, count: int, within: float = 30) -> None:
        async def enough() -> bool:
            if self._task is not None and self._task.done():
                self._task.result()
            return len(self.events) >= count

        await wait_until(enough, within=within)


@dataclass
class Tripwires:
    """Events that trip every rule of the contract in one regency, and what they must raise.

    ``setup`` (registrations, licences) goes first: a surge is judged when a case arrives,
    against the workers registered by then, and registrations and cases travel on different
    topics, in no order between them."""

    setup: list[Envelope]
    events: list[Envelope]
    raised_now: set[tuple[str, str]]  # once consumed (and the clock has ticked)
    raised_after_72h: set[tuple[str, str]]  # once the clock is 72 hours further

    @property
    def abouts(self) -> set[str]:
        return {about for _, about in self.raised_now | self.raised_after_72h}


def villages_of(regency: str, count: int) -> list[str]:
    index = areas()
    found = [v for d in index.children(regency) for v in index.children(d)]
    return found[:count]


def every_rule(log: Stream, regency: str) -> Tripwires:
    """Tripwires in four villages of ``regency`` (one no other test uses: the areas' figures
    of the window rules are counted over everything on the topics)."""
    v1, v2, v3, v4 = villages_of(regency, 4)
    province = regency.split(".")[0]
    today = log.clock.now().date()
    setup: list[Envelope] = []
    events: list[Envelope] = []
    now: set[tuple[str, str]] = set()

    def worker(village: str) -> str:
        registered = log.registered(village)
        setup.append(registered)
        return registered.subject

    # Fees: one breaking the zero-cost rule, one only against fair recruitment.
    a, b = worker(v1), worker(v1)
    events += [log.fee(a, component="passport"), log.fee(b, component="other")]
    now |= {("illegal_fee", a), ("fee_warning", b)}
    # An agency suspended today, and a departure through it today.
    x = log.licensed(seat=province)
    c = worker(v2)
    setup.append(x)
    events += [log.suspended(x.subject), log.verified(c)]
    events.append(log.departed(c, agency=x.subject))
    now.add(("unlicensed_agency", x.subject))
    # A departure never verified; a return 40 days past a contract's end.
    d, e = worker(v2), worker(v2)
    events += [log.departed(d), log.verified(e)]
    events.append(
        log.departed(
            e,
            departed_on=today - timedelta(days=400),
            contract_end=today - timedelta(days=40),
        )
    )
    now |= {("non_procedural", d), ("return_overdue", e)}
    # Cases: a deadline near, one past, one left unassigned, one for an unregistered worker.
    near = log.opened(v1, due_on=today + timedelta(days=5))
    past = log.opened(v1, due_on=today - timedelta(days=1))
    waiting = log.opened(v1)
    unregistered = log.opened(v1, worker=None)
    events += [near, past, waiting, unregistered]
    events += [log.assigned(k.subject) for k in (near, past, unregistered)]
    now |= {
        ("case_deadline_near", near.subject),
        ("case_overdue", past.subject),
        ("non_procedural", unregistered.subject),
    }
    # An agency named in cases of three villages.
    y = log.licensed(seat=province)
    setup.append(y)
    for village in (v1, v2, v3):
        case = log.opened(village, agency=y.subject)
        events += [case, log.assigned(case.subject)]
    now.add(("agency_hotspot", y.subject))
    # A village with three cases and no registered worker, in a regency of 35 workers.
    for _ in range(30):
        worker(v1)
    for _ in range(3):
        case = log.opened(v4)
        events += [case, log.assigned(case.subject)]
    now.add(("village_surge", v4))
    return Tripwires(setup, events, now, {("case_unassigned", waiting.subject)})
