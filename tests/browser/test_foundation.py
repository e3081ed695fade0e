"""The front-end foundation in a real headless Chromium: the sign-in page (desktop and a 390 px
phone, Bahasa Indonesia and English), a page built on it (a Chart.js chart, Indonesian formats)
under its strict Content-Security-Policy, and the test network block."""

from __future__ import annotations

from typing import ClassVar

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from shared.service.app import build_app
from shared.service.pages import html_page
from shared.settings import ServiceSettings

pytestmark = pytest.mark.browser

# A page on the foundation, as docs/frontend.md shows one: the shared styles and helpers, a
# library from /static/vendor/, and the page's own script (inline here: allowed by its hash).
PAGE = """<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pantau — contoh</title>
<link rel="stylesheet" href="/static/pantau.css">
<script src="/static/vendor/chart.js-4.6.2/chart.umd.min.js" defer></script>
<script src="/static/pantau.js" defer></script>
</head>
<body>
<header class="p-bar"><span class="p-brand">Pantau</span>
  <span class="p-bar-title" data-i18n="demo.title">Contoh</span></header>
<main class="p-main">
  <section class="p-card"><h2 data-i18n="demo.workers">Pekerja</h2>
    <p id="count"></p><div class="p-chart"><canvas id="chart"></canvas></div></section>
</main>
<script>
document.addEventListener("DOMContentLoaded", async () => {
  const P = window.Pantau;
  P.i18n.add({ id: { "demo.title": "Contoh", "demo.workers": "Pekerja menurut jenis kelamin" },
               en: { "demo.title": "Example", "demo.workers": "Workers by sex" } });
  P.bar(await P.session());
  document.getElementById("count").textContent = P.fmt.number(1234567);
  new Chart(document.getElementById("chart"), {
    type: "bar",
    data: { labels: ["2026-01", "2026-02", "2026-03"].map(P.fmt.month),
            datasets: [{ label: P.t("sex.female"), data: [12, 19, 7], backgroundColor: "#c2185b" },
                       { label: P.t("sex.male"), data: [9, 14, 11], backgroundColor: "#1976d2" }] },
    options: { animation: false, maintainAspectRatio: false },
  });
});
</script>
</body>
</html>
"""


class DemoSettings(ServiceSettings):
    service: ClassVar[str] = "demo"


def demo_app(*, with_page: bool) -> FastAPI:
    router = APIRouter()
    if with_page:

        @router.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def home() -> HTMLResponse:
            return html_page(PAGE)

    return build_app(DemoSettings(), title="demo", routers=[router])


async def test_the_sign_in_page_on_a_desktop_and_a_phone(
    serve, page, open_page, page_log, screenshot
) -> None:
    base = await serve(demo_app(with_page=False))
    await page.goto(f"{base}/sign-in")
    await expect(page.locator("#dev-form h1")).to_be_visible()
    assert await page.text_content("#dev-form h1") == "Masuk ke Pantau"
    assert await page.text_content("#role option[value=monitor]") == "Pemantau"
    await screenshot(page, "desktop")

    phone = await open_page(width=390, height=844, mobile=True)
    await phone.goto(f"{base}/sign-in")
    await phone.select_option("#role", "village-officer")
    await expect(phone.locator("#area-hint")).to_have_text(
        "Peran ini masuk di tingkat desa/kelurahan."
    )
    await phone.fill("#area-search", "oebobo")
    options = phone.locator("#area-results button")
    await expect(options).to_have_count(2)  # villages only, for a village officer
    assert "KOTA KUPANG, NUSA TENGGARA TIMUR" in await options.last.text_content()
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "phone-searching")

    # Nothing chosen yet: the page says what is missing.
    await page.select_option("#role", "monitor")
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("Pilih wilayah dari daftar.")
    # Find an area by name, by keyboard, and sign in.
    await page.fill("#area-search", "kupang")
    await expect(page.locator("#area-results button").first).to_contain_text("KABUPATEN KUPANG")
    await page.press("#area-search", "ArrowDown")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await expect(page.locator("#area-chosen")).to_have_text("Dipilih: KOTA KUPANG (53.71)")
    await page.fill("#name", "maria")
    await page.click("#submit")
    # This service has no page of its own: the sign-in page says who is signed in.
    signed = page.locator("[data-testid=signed-in-as]")
    await expect(signed).to_contain_text("Sebagai Pemantau di KOTA KUPANG (53.71), sampai ")
    assert "WIB" in await signed.text_content()
    await expect(page.locator("[data-testid=who]")).to_have_text("Pemantau · KOTA KUPANG")
    assert await page.is_hidden("#continue")

    await page.click(".p-bar-end button[lang=en]")
    await expect(signed).to_contain_text("As Monitor in KOTA KUPANG (53.71), until ")
    assert await page.text_content("#dev-form h1") == "Sign in as someone else"
    assert await page.get_attribute("html", "lang") == "en"
    await screenshot(page, "signed-in-english")

    await page.click("[data-testid=sign-out]")
    await expect(page.locator("#signed-in")).to_be_hidden()
    await page.wait_for_url(f"{base}/sign-in")
    assert await page.context.cookies() == []
    assert page_log.blocked == [] and page_log.errors == []


async def test_a_page_on_the_foundation_under_its_policy(
    serve, page, page_log, sign_in, screenshot
) -> None:
    base = await serve(demo_app(with_page=True))
    await sign_in(page, base, "ministry", "ID")
    await expect(page.locator("#count")).to_have_text("1.234.567")
    assert await page.text_content("h2") == "Pekerja menurut jenis kelamin"
    # The chart is drawn (pixels on its canvas) by the library the service serves.
    drawn = await page.evaluate(
        """() => {
          const canvas = document.getElementById("chart");
          const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          return Chart.getChart(canvas) !== undefined && pixels.data.some((v) => v !== 0);
        }"""
    )
    assert drawn
    await screenshot(page, "chart")

    fmt = await page.evaluate(
        """() => [Pantau.fmt.number(1234567.5), Pantau.fmt.rupiah(1500000),
                  Pantau.fmt.date("2026-03-10"), Pantau.fmt.month("2026-03"),
                  Pantau.fmt.dateTime("2026-03-10T08:00:00Z"), Pantau.fmt.percent(0.256)]"""
    )
    assert fmt == ["1.234.567,5", "Rp\xa01.500.000", "10 Maret 2026", "Mar 2026", fmt[4], "25,6%"]
    assert fmt[4].startswith("10 Mar 2026") and fmt[4].endswith("15.00 WIB")
    await page.click(".p-bar-end button[lang=en]")
    assert await page.evaluate('Pantau.fmt.date("2026-03-10")') == "10 March 2026"
    assert await page.evaluate("Pantau.fmt.number(1234567.5)") == "1.234.567,5"
    assert await page.text_content("h2") == "Workers by sex"
    assert page_log.errors == [] and page_log.blocked == []

    # The policy refuses injected script: an inline event handler does not run.
    await page.evaluate(
        """() => { document.body.insertAdjacentHTML("beforeend",
                   '<img src="/nothing.png" onerror="window.injected = 1">'); }"""
    )
    await expect(page.locator("img[src='/nothing.png']")).to_have_count(1)
    await page.wait_for_timeout(200)
    assert await page.evaluate("window.injected") is None
    assert any("Content Security Policy" in e for e in page_log.errors)

    # Anything but the service is blocked by the test's network block.
    with pytest.raises(PlaywrightError):
        await page.goto("https://cdn.example.invalid/chart.js")
    assert page_log.blocked == ["https://cdn.example.invalid/chart.js"]


@pytest.mark.parametrize(
    "raw_next",
    [
        "/%09/evil.example",  # the URL parser drops a tab: "//evil.example"
        "/%0A/evil.example",  # and a line feed
        "/%0D/evil.example",  # and a carriage return
        "/\\evil.example",  # a backslash is a slash in an http(s) URL
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/sign-in",  # not back to the sign-in page either
    ],
)
async def test_sign_in_never_leads_off_the_service(
    serve, page, page_log, raw_next: str
) -> None:
    """?next= is followed only to a page of the service itself; anything that the browser
    would resolve to another origin lands on the service's home page."""
    base = await serve(demo_app(with_page=True))
    await page.goto(f"{base}/sign-in?next={raw_next}")
    await page.select_option("#role", "ministry")
    await page.click("#submit")
    await page.wait_for_url(f"{base}/")
    assert page.url == f"{base}/"
    assert not [b for b in page_log.blocked if "evil" in b]


async def test_sign_in_follows_next_to_a_page_of_the_service(serve, page, page_log) -> None:
    base = await serve(demo_app(with_page=True))
    await page.goto(f"{base}/sign-in?next=%2F%3Flang%3Den%23top")
    await page.select_option("#role", "ministry")
    await page.click("#submit")
    await page.wait_for_url(f"{base}/?lang=en#top")
    assert page_log.errors == []
