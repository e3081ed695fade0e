"""The dashboard in a real headless Chromium: drill down from the nation to a village, with
sex-disaggregated bars and the watermark shown."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import uvicorn

from pantau.local.procs import free_port
from services.reporting.app import create_app
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from tests.browser.cdp import Browser
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import random_stream

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def sign_in(browser: Browser, token: str) -> None:
    """Paste the token and press Show, as a person does."""
    await browser.wait_for("document.querySelector('#token') !== null")
    await browser.js(f"document.querySelector('#token').value = {token!r}")
    await browser.js("document.querySelector('#load').click()")


async def test_drill_down_from_the_nation_to_a_village(make_database) -> None:
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    events = random_stream(600, seed=71)
    for i in range(0, len(events), 200):
        await consume(pool, ProjectionHandler(dsn), events[i : i + 200])
    app = create_app(ReportingSettings(database_url=dsn))
    app.state.pool = pool  # served without the lifespan: fixed figures, no broker needed
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    browser = Browser()
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no started event
            await asyncio.sleep(0.05)
        await browser.start()
        await browser.call("Page.enable")
        token = issue_token("ministry", "ID")
        await browser.goto(f"http://127.0.0.1:{port}/")
        await sign_in(browser, token)
        await browser.wait_for(
            "document.querySelector('#area-name').textContent.includes('INDONESIA')"
        )
        watermark = await browser.js(
            "document.querySelector('[data-testid=watermark]').textContent"
        )
        assert "figures as of 2026-03-10" in watermark
        # Female and male bars side by side for workers by status.
        bars = await browser.js("document.querySelectorAll('#workers .bar .f').length")
        assert bars == 4
        assert await browser.js("document.querySelectorAll('#workers .bar .m').length") == 4
        # Under the page's Content-Security-Policy (no inline styles) the bars still get widths.
        widths = await browser.js(
            "Array.from(document.querySelectorAll('#workers .bar div'))"
            ".map((d) => d.getBoundingClientRect().width)"
        )
        assert max(widths) > 0
        path = ["53", "53.71", "53.71.01", "53.71.01.1001"]
        for code in path:
            await browser.js(f"document.querySelector('tr.child[data-area=\"{code}\"]').click()")
            await browser.wait_for(
                f"document.querySelector('#area-name').textContent.includes('({code},')"
            )
        crumbs = await browser.js("document.querySelector('#crumbs').textContent")
        assert crumbs.split(" \u203a ") == ["ID", *path]
        village_female = await browser.js(
            "Array.from(document.querySelectorAll('#workers tr')).slice(1)"
            ".reduce((a, r) => a + Number(r.children[1].textContent), 0)"
        )
        assert village_female > 0
        # A village officer of another village is refused by the API, and the page says so.
        other = issue_token("village-officer", "32.01.01.2001")
        await browser.goto(f"http://127.0.0.1:{port}/?area=53")
        await sign_in(browser, other)
        await browser.wait_for("document.querySelector('#error').textContent.includes('403')")
        # The token was kept in the tab, not in the address.
        assert "token" not in await browser.js("location.href")
        assert await browser.js("sessionStorage.getItem('pantau-token')") == other
    finally:
        await browser.stop()
        server.should_exit = True
        await serving
        await pool.close()
