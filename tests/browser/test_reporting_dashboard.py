"""The reporting dashboard in a real headless Chromium, signed in through the sign-in page: drill
down from the nation to a village, with sex-disaggregated bars and the watermark shown; a village
officer elsewhere is refused with a clear message; no token ever in the address or in reach of a
script; nothing fetched from anywhere but the service."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Page, expect

from services.reporting.app import create_app
from services.reporting.projections.handler import ProjectionHandler
from services.reporting.settings import ReportingSettings
from shared.auth import SESSION_COOKIE
from tests.integration.test_reporting_projection import consume
from tests.unit.reporting.events import random_stream

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
async def dashboard(make_database, serve):
    dsn = await make_database("services.reporting")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    events = random_stream(600, seed=71)
    for i in range(0, len(events), 200):
        await consume(pool, ProjectionHandler(dsn), events[i : i + 200])
    app = create_app(ReportingSettings(database_url=dsn))
    app.state.pool = pool  # served without the lifespan: fixed figures, no broker needed
    try:
        yield await serve(app)
    finally:
        await pool.close()


async def shows_area(page: Page, code: str) -> None:
    """Wait until the page shows ``code``'s figures (its heading names it)."""
    await expect(page.locator("#area-name")).to_contain_text(f"({code},")


async def test_drill_down_from_the_nation_to_a_village(
    dashboard, page, open_page, page_log, sign_in, screenshot
) -> None:
    await page.goto(f"{dashboard}/")
    # Not signed in: the dashboard sends the browser to the sign-in page, and back after it.
    await page.wait_for_url(f"{dashboard}/sign-in?next=%2F")
    await sign_in(page, dashboard, "ministry", "ID")
    await shows_area(page, "ID")
    assert "INDONESIA" in await page.text_content("#area-name")
    assert "angka per 2026-03-10" in await page.text_content("[data-testid=watermark]")
    assert await page.text_content("[data-testid=who]") == "Kementerian · INDONESIA"
    # Female and male bars side by side for workers by status, with widths under the page's
    # Content-Security-Policy (no style attributes).
    assert await page.locator("#workers .bar .f").count() == 4
    assert await page.locator("#workers .bar .m").count() == 4
    widths = await page.eval_on_selector_all(
        "#workers .bar div", "(ds) => ds.map((d) => d.getBoundingClientRect().width)"
    )
    assert max(widths) > 0
    # The libraries are served by the service itself.
    assert await page.evaluate("typeof Chart") == "function"
    await screenshot(page, "nation")

    path = ["53", "53.71", "53.71.01", "53.71.01.1001"]
    for code in path:
        await page.click(f'tr.child[data-area="{code}"]')
        await shows_area(page, code)
    crumbs = await page.text_content("#crumbs")
    assert crumbs.split(" \u203a ") == ["ID", *path]
    females = await page.eval_on_selector_all(
        "#workers tr td:nth-child(2)", "(cells) => cells.map((c) => c.textContent)"
    )
    assert sum(int(f.replace(".", "")) for f in females) > 0
    await screenshot(page, "village")

    # English on request; the choice is kept.
    await page.click(".p-bar-end button[lang=en]")
    assert await page.text_content("section h2") == "Workers by status"
    await page.reload()
    await shows_area(page, "53.71.01.1001")
    assert await page.text_content("section h2") == "Workers by status"

    # The session is an HttpOnly, SameSite=Strict cookie: no script can read it, and no token
    # is in the address or in the tab's storage.
    [cookie] = await page.context.cookies()
    assert cookie["name"] == SESSION_COOKIE and cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert SESSION_COOKIE not in await page.evaluate("document.cookie")
    assert await page.evaluate("sessionStorage.length + localStorage.length") <= 1  # language
    assert "token" not in page.url
    assert page_log.blocked == [] and page_log.errors == []
    assert set(page_log.refused) == {"401 GET /auth/session"}  # before signing in

    # The layout holds on a phone.
    phone = await open_page(width=390, height=844, mobile=True)
    await phone.context.add_cookies([cookie])
    await phone.goto(f"{dashboard}/?area=53.71")
    await shows_area(phone, "53.71")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "regency-phone")


async def test_a_village_officer_elsewhere_is_refused_with_a_clear_message(
    dashboard, page, page_log, sign_in
) -> None:
    await sign_in(page, dashboard, "village-officer", "32.01.01.1001", next="/?area=53")
    await expect(page.locator("#error")).not_to_be_empty()
    message = await page.text_content("#error")
    assert message.startswith("Anda tidak berwenang untuk ini.")
    assert "outside your jurisdiction (32.01.01.1001)" in message
    assert page_log.refused == ["401 GET /auth/session", "403 GET /v1/areas/53/summary"]
    assert page_log.blocked == [] and page_log.errors == []
    # Her own village is shown.
    await page.goto(f"{dashboard}/")
    await shows_area(page, "32.01.01.1001")
