"""The dashboard's trends, past days, missing sources and printed report in a real headless
Chromium: the chart shows the months of the traffic with the API's series, and its period picker
chooses months; the figures as they were on a past day equal the API's rebuild; a figure whose
source has sent nothing yet says so instead of showing a zero; the printed report leaves the
controls out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.dashboard_support import (
    ALERTS_TOPIC,
    CASES_TOPIC,
    MONTHS,
    api,
    assert_figures_equal,
    monthly_traffic,
    serve_dashboard,
    shown_figures,
    shows_area,
)
from tests.unit.reporting.events import Consumed

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TRAFFIC = monthly_traffic()


@pytest.fixture
async def dashboard(make_database, serve, monkeypatch) -> AsyncIterator[str]:
    # The as-of rebuild reads the topics from the beginning; here the "log" is the traffic
    # itself (tests/integration/test_reporting_api.py reads a real broker's).
    async def read_log(settings: Any, topics: Any) -> AsyncIterator[list[Consumed]]:
        yield [e for e in TRAFFIC if e.topic in topics]

    monkeypatch.setattr("services.reporting.as_of.read_log", read_log)
    async for base in serve_dashboard(serve, make_database, TRAFFIC):
        yield base


@pytest.fixture
async def registry_only(make_database, serve) -> AsyncIterator[str]:
    """A node that has read workers and fees but not a single case or alert event."""
    events = [e for e in TRAFFIC if e.topic not in (CASES_TOPIC, ALERTS_TOPIC)]
    async for base in serve_dashboard(serve, make_database, events):
        yield base


async def chart(page: Page) -> dict[str, Any]:
    """What the chart draws: its labels and each dataset's label and data."""
    data: dict[str, Any] = await page.evaluate(
        """() => {
            const c = Chart.getChart(document.getElementById("chart"));
            const datasets = c.data.datasets.map((d) => ({ label: d.label, data: d.data }));
            return { labels: c.data.labels, datasets };
        }"""
    )
    return data


async def table_months(page: Page) -> list[str]:
    months: list[str] = await page.locator("[data-testid=series-table] tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.month)"
    )
    return months


def series_value(series: dict[str, dict[str, Any]], month: str, name: str, part: str) -> float:
    entry = series.get(month)
    if entry is None:
        return 0
    if name == "fees":
        return entry["fees"]["count"] if part == "count" else entry["fees"]["amount"].get("IDR", 0)
    if name == "alerts_raised":
        return entry["alerts_raised"]
    return entry[name][part]


async def test_the_chart_shows_the_months_of_the_traffic(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, dashboard, "ministry", "ID", next="/?area=53.71")
    await shows_area(page, "53.71")
    answer = await api(page, dashboard, "/v1/areas/53.71/series")
    series = {m["month"]: m for m in answer["months"]}
    assert sorted(series) == list(MONTHS)  # the API has the traffic's six months

    # All months from the first with figures up to now, women and men stacked.
    months = await table_months(page)
    assert months[: len(MONTHS)] == list(MONTHS) and months[-1] >= MONTHS[-1]
    drawn = await chart(page)
    assert drawn["labels"][:3] == ["Okt 2025", "Nov 2025", "Des 2025"]
    assert len(drawn["labels"]) == len(months)
    assert [d["label"] for d in drawn["datasets"]] == ["Perempuan", "Laki-laki"]
    for i, sex in enumerate(("female", "male")):
        assert drawn["datasets"][i]["data"] == [
            series_value(series, m, "registered", sex) for m in months
        ]
    assert all(
        series_value(series, m, "registered", "female")
        + series_value(series, m, "registered", "male")
        > 0
        for m in MONTHS
    )
    await expect(page.locator("#chart-title")).to_contain_text("Pendaftaran · Okt 2025")
    await screenshot(page, "registrations")

    # Another figure: departures; fees draw their number and their amount in rupiah.
    await page.select_option("#series", "departed")
    drawn = await chart(page)
    assert drawn["datasets"][1]["data"] == [
        series_value(series, m, "departed", "male") for m in months
    ]
    await page.select_option("#series", "fees")
    drawn = await chart(page)
    assert drawn["datasets"][0]["data"] == [
        series_value(series, m, "fees", "count") for m in months
    ]
    assert drawn["datasets"][1]["data"] == [
        series_value(series, m, "fees", "amount") for m in months
    ]
    await screenshot(page, "fees")

    # The data table holds every series, month by month, as the API gives them.
    await page.click(".d-table-details summary")
    cells = await page.locator("[data-testid=series-table] td[data-series]").evaluate_all(
        "(cells) => cells.map((c) =>"
        " [c.closest('tr').dataset.month, c.dataset.series, c.dataset.value])"
    )
    # Eight series by sex, fees (number, amount), alerts.
    assert len(cells) == len(months) * 19
    for month, name, value in cells:
        base, _, part = name.partition(".")
        want = series_value(series, month, base, part.replace("amount.IDR", "amount"))
        assert float(value) == want, (month, name)

    # A period of one's choosing, kept in the address.
    await page.select_option("#period", "custom")
    await page.fill("#from", "2025-11")
    await page.fill("#to", "2026-01")
    await page.locator("#to").dispatch_event("change")
    await expect(page.locator("#chart-title")).to_contain_text("Nov 2025 \u2013 Jan 2026")
    assert (await chart(page))["labels"] == ["Nov 2025", "Des 2025", "Jan 2026"]
    assert "period=custom" in page.url and "from=2025-11" in page.url and "to=2026-01" in page.url
    await page.reload()
    await shows_area(page, "53.71")
    assert (await chart(page))["labels"] == ["Nov 2025", "Des 2025", "Jan 2026"]
    assert await page.input_value("#series") == "fees"
    await page.select_option("#period", "12")
    assert len((await chart(page))["labels"]) == 12

    # Districts and villages keep no monthly series: the page says so and points up.
    await page.goto(f"{dashboard}/?area=53.71.01")
    await shows_area(page, "53.71.01")
    await expect(page.locator("[data-testid=trends-not-kept]")).to_be_visible()
    await page.click("#trends-body a")
    await shows_area(page, "53.71")
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_figures_as_they_were_on_a_past_day(dashboard, page, page_log, sign_in) -> None:
    await sign_in(page, dashboard, "regency-officer", "53.71", find="kupang")
    await shows_area(page, "53.71")
    # The day's field: Indonesian, no day to come, and its format (then the day) in words.
    assert await page.get_attribute("#as-of", "lang") == "id"
    assert await page.get_attribute("#as-of", "max") == datetime.now(UTC).date().isoformat()
    await expect(page.locator("[data-testid=as-of-hint]")).to_contain_text("dd = hari, mm = bulan")
    await page.fill("#as-of", "2025-12-31")
    await expect(page.locator("[data-testid=as-of-hint]")).to_have_text("dipilih: 31 Desember 2025")
    await page.click("#as-of-form button")
    banner = page.locator("[data-testid=as-of-banner]")
    await expect(banner).to_contain_text(
        "Angka sebagaimana tercatat di sistem sampai akhir 31 Desember 2025"
    )
    # It says how this differs from the monthly trends (dated by when things happened).
    await expect(banner).to_contain_text("bukan tanggal kejadian")
    await expect(banner).to_contain_text("tren bulanan")
    await shows_area(page, "53.71")
    assert "as_of=2025-12-31" in page.url
    past = await api(page, dashboard, "/v1/areas/53.71/summary/as-of/2025-12-31")
    now = await api(page, dashboard, "/v1/areas/53.71/summary")
    assert past["totals"] != now["totals"]
    assert_figures_equal(await shown_figures(page, "#headline"), past["totals"], "as of")
    assert_figures_equal(await shown_figures(page, "#workers-card"), past["totals"], "as of")
    assert await page.get_attribute("#csv", "href") == "/v1/areas/53.71/export.csv?as_of=2025-12-31"
    # Drilling down keeps the day; the way back to today is one tap.
    await page.click('#children tr[data-area="53.71.01"] a')
    await shows_area(page, "53.71.01")
    assert "as_of=2025-12-31" in page.url
    await page.click("#as-of-leave")
    await shows_area(page, "53.71.01")
    await expect(page.locator("[data-testid=as-of-banner]")).to_be_hidden()
    assert "as_of" not in page.url
    assert page_log.blocked == [] and page_log.errors == []


async def test_a_figure_without_a_source_says_so_instead_of_zero(
    registry_only, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, registry_only, "ministry", "ID", next="/?area=53")
    await shows_area(page, "53")
    for tile in ("open-cases", "open-alerts"):
        box = page.locator(f'[data-tile="{tile}"]')
        await expect(box).to_contain_text("belum ada sumber")
        assert await box.locator("[data-figure], [data-derived]").count() == 0
    # Workers and fees are measured.
    await expect(page.locator('[data-tile="registered"] strong').first).not_to_be_empty()
    for card in ("cases", "gbv", "levels", "alerts"):
        note = page.locator(f"#{card}-card [data-no-source]")
        await expect(note).to_contain_text("Belum ada sumber")
        assert await page.locator(f"#{card}-card table").count() == 0
    # In the areas' table, those columns hold a dash, never a zero.
    row = page.locator("#children tbody tr").first
    assert await row.locator("[data-no-source]").count() == 3
    await expect(row.locator('[data-figure="cases.open.female"]')).to_have_count(0)
    # The chart offers the series and says which have no source.
    await page.select_option("#series", "cases_opened")
    await expect(page.locator("[data-testid=chart-no-source]")).to_contain_text(
        "kasus dari layanan kasus"
    )
    await screenshot(page, "no-source")
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_printed_report(dashboard, page, page_log, sign_in, screenshot) -> None:
    await sign_in(page, dashboard, "province-officer", "53", find="nusa tenggara timur")
    await shows_area(page, "53")
    await page.emulate_media(media="print")
    for hidden in ("#tools", "#jump", ".p-bar-end", "#children-all"):
        await expect(page.locator(hidden)).to_be_hidden()
    for shown in ("#headline", "#children", "#trends canvas", "#definitions"):
        await expect(page.locator(shown)).to_be_visible()
    await screenshot(page, "print")
    assert page_log.blocked == [] and page_log.errors == []


async def test_a_day_before_anything_was_recorded_says_so_and_a_day_to_come_is_refused(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, dashboard, "regency-officer", "53.71", find="kupang")
    await page.goto(f"{dashboard}/?area=53.71&as_of=2024-01-01")
    empty = page.locator("[data-testid=as-of-empty]")
    await expect(empty).to_be_visible()
    await expect(empty).to_contain_text("Sampai akhir 1 Januari 2024 belum satu pun peristiwa")
    await expect(empty).to_contain_text("bukan angka nol")
    await expect(page.locator("#overview")).to_be_hidden()  # no page of zeros
    await expect(page.locator("[data-testid=as-of-banner]")).to_be_visible()
    await screenshot(page, "empty-past")
    await page.click(".p-bar-end button[lang=en]")
    await expect(empty).to_contain_text("not a single event for Kota Kupang had been recorded")
    await page.click(".p-bar-end button[lang=id]")

    # A day to come: the service refuses it (422), the page says why and shows today's.
    response = await page.request.get(f"{dashboard}/v1/areas/53.71/summary/as-of/2099-01-01")
    assert response.status == 422
    await page.goto(f"{dashboard}/?area=53.71&as_of=2099-01-01")
    await shows_area(page, "53.71")
    await expect(page.locator("[data-testid=error]")).to_contain_text("1 Januari 2099 belum tiba")
    await expect(page.locator("[data-testid=as-of-banner]")).to_be_hidden()
    assert page_log.blocked == [] and page_log.errors == []
