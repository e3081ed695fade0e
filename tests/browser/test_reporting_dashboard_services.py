"""The dashboard's figures of services before departure and after return, in a real headless
Chromium: the shares of prepared departures and of returns followed by reintegration, women and
men side by side, worked out from the API's counts at every level; the child areas sorted by
them (which villages prepare their workers); the children of workers abroad in community
parenting; the definitions with their legal sources, in Bahasa Indonesia and English; the
monthly series by the month of departure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from tests.browser.dashboard_support import (
    api,
    assert_figures_equal,
    monthly_traffic,
    serve_dashboard,
    shown_figures,
    shows_area,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
async def dashboard(make_database, serve) -> AsyncIterator[str]:
    async for base in serve_dashboard(serve, make_database, monthly_traffic()):
        yield base


async def test_a_regency_sees_which_villages_prepare_their_workers(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, dashboard, "regency-officer", "53.71", find="53.71")
    await shows_area(page, "53.71")
    summary = await api(page, dashboard, "/v1/areas/53.71/summary")
    totals = summary["totals"]
    assert totals["departures"]["prepared"]["female"] > 0  # the traffic has some

    # The headline: the shares of each sex, from the counts, and how many of how many.
    for tile in ("prepared", "reintegrated", "parenting"):
        await expect(page.locator(f'[data-tile="{tile}"]')).to_be_visible()
    assert_figures_equal(await shown_figures(page, "#headline"), totals, "53.71 tiles")
    prepared = page.locator('[data-tile="prepared"]')
    all_departures = sum(totals["departures"]["all"].values())
    await expect(prepared.locator(".d-tile-sub")).to_contain_text(
        f"dari {all_departures} keberangkatan"
    )
    await expect(prepared.locator("strong").first).to_contain_text("%")
    for card in ("prepared", "reintegrated", "services", "people"):
        shown = await shown_figures(page, f"#{card}-card")
        assert shown, card
        assert_figures_equal(shown, totals, f"53.71 {card}")
    await expect(page.locator("#services-card")).to_contain_text("Pengasuhan berbasis komunitas")
    await expect(page.locator("#prepared-card")).to_contain_text("Informasi migrasi aman")

    # The child areas by their share of prepared departures, highest first; areas without a
    # departure have no share ("—", not 0 %) and come last.
    await page.click('#children [data-sort="departures_prepared_share"]')
    cells = page.locator('#children tbody td[data-derived="departures_prepared_share"]')
    values = await cells.evaluate_all("(cells) => cells.map((c) => c.dataset.value)")
    shares = [float(v) for v in values if v != ""]
    assert shares and shares == sorted(shares, reverse=True)
    assert all(v == "" for v in values[len(shares) :])
    by_code = {c["area"]: c["totals"] for c in summary["children"]}
    for child in await page.locator("#children tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.area)"
    ):
        assert_figures_equal(
            await shown_figures(page, f'#children tr[data-area="{child}"]'),
            by_code[child],
            f"53.71 child {child}",
        )
    await page.locator("#headline").screenshot(path=str(await screenshot(page, "tiles")))
    await page.locator("#children-card").screenshot(path=str(await screenshot(page, "children")))

    # What the figures mean, with the law they come from.
    await prepared.locator("summary").click()
    await expect(prepared.locator(".d-src")).to_contain_text("UU 18/2017")
    await expect(page.locator("#def-reintegrated")).to_have_text("Purna PMI ikut reintegrasi")
    await expect(page.locator("#glossary")).to_contain_text("Permenaker 2/2019")

    # The monthly series by the month of departure.
    await page.select_option("#series", "departures_prepared")
    await expect(page.locator("#chart")).to_have_attribute("data-series", "departures_prepared")
    months = (await api(page, dashboard, "/v1/areas/53.71/series"))["months"]
    month = next(m for m in months if m["departures_prepared"]["female"])
    cell = page.locator(
        f'[data-month="{month["month"]}"] [data-series="departures_prepared.female"]'
    )
    assert await cell.get_attribute("data-value") == str(month["departures_prepared"]["female"])

    services = page.locator("#services")
    await services.scroll_into_view_if_needed()
    await screenshot(page, "services", full_page=False)
    await page.click(".p-bar-end button[lang=en]")
    await expect(prepared.locator(".d-tile-title")).to_have_text("Departed prepared")
    await expect(page.locator("#services-card")).to_contain_text("Community parenting")
    await expect(prepared.locator(".d-src")).to_contain_text("Law 18/2017")
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_services_read_on_a_phone(
    dashboard, open_page, page_log, sign_in, screenshot
) -> None:
    phone = await open_page(width=390, height=844, mobile=True)
    await sign_in(phone, dashboard, "ministry", "ID", next="/?area=53.71")
    await shows_area(phone, "53.71")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await phone.locator('[data-tile="prepared"]').scroll_into_view_if_needed()
    await screenshot(phone, "tiles", full_page=False)
    # Women and men side by side in the share tiles too.
    boxes = await phone.eval_on_selector_all(
        '[data-tile="prepared"] .d-tile-sex',
        "(els) => els.map((e) => e.getBoundingClientRect().top)",
    )
    assert len(boxes) == 2 and boxes[0] == boxes[1]
    await phone.locator("#prepared-card").scroll_into_view_if_needed()
    await screenshot(phone, "prepared", full_page=False)
    assert page_log.blocked == [] and page_log.errors == []
