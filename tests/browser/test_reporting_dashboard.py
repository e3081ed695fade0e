"""The officials' dashboard in a real headless Chromium, signed in through the sign-in page, with
six months of traffic: a ministry official drills down from the nation to a village and every
figure on each level equals the API's; the CSV equals the page; a village officer sees only her
village and is refused elsewhere with a clear message; the layout holds on a 390 px phone; codes
read as words in Bahasa Indonesia and English. Every test runs with the network blocked except
for the service itself, and no token is ever in an address or in reach of a script."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from shared.auth import SESSION_COOKIE
from tests.browser.dashboard_support import (
    DRILL,
    api,
    assert_figures_equal,
    derived,
    monthly_traffic,
    number,
    same,
    serve_dashboard,
    shown_figures,
    shows_area,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
async def dashboard(make_database, serve) -> AsyncIterator[str]:
    async for base in serve_dashboard(serve, make_database, monthly_traffic()):
        yield base


async def assert_page_equals_api(page: Page, base: str, code: str) -> None:
    """Every figure of the area (tiles, tables) and of each child row equals the API's."""
    summary = await api(page, base, f"/v1/areas/{code}/summary")
    checked = assert_figures_equal(
        await shown_figures(page, "#headline"), summary["totals"], f"{code} tiles"
    )
    for card in (
        "workers",
        "occupation",
        "destination",
        "fees",
        "components",
        "cases",
        "gbv",
        "levels",
        "alerts",
        "agencies",
        "prepared",
        "reintegrated",
        "services",
        "people",
    ):
        checked += assert_figures_equal(
            await shown_figures(page, f"#{card}-card"), summary["totals"], f"{code} {card}"
        )
    assert checked > 30
    if summary["level"] == "village":
        await expect(page.locator("#children-card")).to_be_hidden()
        return
    rows = page.locator("#children tbody tr")
    shown_codes = await rows.evaluate_all("(rows) => rows.map((r) => r.dataset.area)")
    by_code = {c["area"]: c for c in summary["children"]}
    assert set(shown_codes) <= set(by_code)
    for child in shown_codes:
        assert_figures_equal(
            await shown_figures(page, f'#children tr[data-area="{child}"]'),
            by_code[child]["totals"],
            f"{code} child {child}",
        )
    # The total row is the area itself.
    assert_figures_equal(
        await shown_figures(page, "#children tfoot"), summary["totals"], f"{code} total row"
    )


async def test_a_ministry_official_drills_down_from_the_nation_to_a_village(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await page.goto(f"{dashboard}/")
    # Not signed in: the dashboard sends the browser to the sign-in page, and back after it.
    await page.wait_for_url(f"{dashboard}/sign-in?next=%2F")
    await sign_in(page, dashboard, "ministry", "ID")
    await shows_area(page, "ID")
    assert await page.text_content("#area-name") == "Indonesia"
    assert await page.text_content("[data-testid=who]") == "Kementerian · INDONESIA"
    assert "Angka terkini: peristiwa terakhir" in await page.text_content("#watermark")
    await assert_page_equals_api(page, dashboard, "ID")
    # The libraries come from the service itself.
    assert await page.evaluate("typeof Chart") == "function"
    await screenshot(page, "1-nation")

    names = ["Indonesia"]
    for level, code in enumerate(DRILL, start=2):
        row = page.locator(f'#children tr[data-area="{code}"]')
        names.append((await row.locator("a").text_content()) or "")
        await row.locator("a").click()
        await shows_area(page, code)
        assert page.url.endswith(f"/?area={code}")
        await assert_page_equals_api(page, dashboard, code)
        await screenshot(page, f"{level}-{code}")
    # At the village a ministry official sees the GBV types withheld (case-file detail), said
    # as such, with the reason; never as 0.
    withheld = page.locator("#gbv-card [data-withheld]")
    assert await withheld.count() > 0
    assert set(await withheld.all_text_contents()) == {"disembunyikan"}
    assert "kurang dari 5" in (await withheld.first.get_attribute("title") or "")
    assert await page.locator("#gbv-card [data-figure][data-value='0']").count() == 0
    # Names all the way, and every level above is a link back.
    crumbs = await page.locator("#crumbs li").all_text_contents()
    assert crumbs == names
    assert names[1:4] == ["Nusa Tenggara Timur", "Kota Kupang", "Alak"]
    assert await page.locator("#crumbs a").count() == 4

    # Back goes up again; a breadcrumb goes to its area.
    await page.go_back()
    await shows_area(page, "53.71.01")
    await page.click('#crumbs a[data-area="53"]')
    await shows_area(page, "53")

    # No token anywhere a script or a log could see it.
    [cookie] = await page.context.cookies()
    assert cookie["name"] == SESSION_COOKIE and cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert SESSION_COOKIE not in await page.evaluate("document.cookie")
    assert await page.evaluate("sessionStorage.length + localStorage.length") == 0
    assert "token" not in page.url and "token" not in (await page.get_attribute("#csv", "href"))
    assert page_log.blocked == [] and page_log.errors == []
    assert set(page_log.refused) == {"401 GET /auth/session"}  # before signing in


async def test_children_sort_and_hide_the_empty_areas(dashboard, page, page_log, sign_in) -> None:
    await sign_in(page, dashboard, "ministry", "ID", next="/?area=53")
    await shows_area(page, "53")
    areas = page.locator("#children tbody tr")
    # The regencies with figures; the empty ones on request.
    with_figures = await areas.count()
    assert 0 < with_figures < 22
    await page.click("#children-all")
    assert await areas.count() == len(
        (await api(page, dashboard, "/v1/areas/53/summary"))["children"]
    )
    await page.click("#children-all")
    assert await areas.count() == with_figures

    async def column(index: int) -> list[float]:
        cells = await page.locator(
            f"#children tbody tr td:nth-of-type({index})"
        ).all_text_contents()
        return [number(c) for c in cells]

    await page.click('#children [data-sort="registered.female"]')
    women = await column(1)
    assert women == sorted(women, reverse=True)
    assert (
        await page.get_attribute('#children th:has([data-sort="registered.female"])', "aria-sort")
        == "descending"
    )
    await page.click('#children [data-sort="registered.female"]')
    assert await column(1) == sorted(women)
    await page.click('#children [data-sort="name"]')
    names = await page.locator("#children tbody th a").all_text_contents()
    assert names == sorted(names, key=str.casefold)
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_csv_equals_the_page(dashboard, page, page_log, sign_in) -> None:
    await sign_in(page, dashboard, "province-officer", "53", find="nusa tenggara timur")
    await shows_area(page, "53")
    href = await page.get_attribute("#csv", "href")
    assert href == "/v1/areas/53/export.csv"
    async with page.expect_download() as info:
        await page.click("#csv")  # a plain link: the session cookie is all it needs
    download = await info.value
    assert download.suggested_filename == "pantau-53.csv"
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    # A withheld figure (a small cell) is an empty value in the CSV and withheld on the page.
    csv_values = {
        (r["area"], r["figure"]): None if r["value"] == "" else float(r["value"]) for r in rows
    }

    checked = 0
    for area, scope in [("53", "#overview > :not(#children-card)"), ("53", "#children tfoot")]:
        for kind, name, value, _ in await shown_figures(page, scope):
            if kind == "figure":
                want = None if value == "" else float(value)
                assert csv_values.get((area, name), 0) == want, (area, name)
                checked += 1
    for child in await page.locator("#children tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.area)"
    ):
        for kind, name, value, _ in await shown_figures(page, f'#children tr[data-area="{child}"]'):
            if kind == "figure":
                want = None if value == "" else float(value)
                assert csv_values[(child, name)] == want, (child, name)
                checked += 1
            else:
                leaves = {f: v or 0 for (a, f), v in csv_values.items() if a == child}
                assert same(value, derived(leaves, name)), (child, name)
    assert checked > 50
    assert page_log.blocked == [] and page_log.errors == []


async def test_a_village_officer_sees_only_her_village(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, dashboard, "village-officer", "53.71.01.1001", find="53.71.01.1001")
    await shows_area(page, "53.71.01.1001")
    page_log.refused.clear()  # the sign-in page asked who is signed in: nobody yet
    await assert_page_equals_api(page, dashboard, "53.71.01.1001")
    # The areas above are named, not offered: she may not open them.
    assert await page.locator("#crumbs li").all_text_contents() == [
        "Indonesia",
        "Nusa Tenggara Timur",
        "Kota Kupang",
        "Alak",
        "Namosain",
    ]
    assert await page.locator("#crumbs a").count() == 0
    await expect(page.locator("[data-testid=trends-not-kept]")).to_be_visible()
    await screenshot(page, "village")
    assert page_log.refused == []

    # Elsewhere: a clear refusal, her own village one tap away.
    await page.goto(f"{dashboard}/?area=53.71")
    refused = page.locator("[data-testid=refused]")
    await expect(refused).to_be_visible()
    await expect(refused.locator("h2")).to_have_text("Di luar wilayah kerja Anda")
    text = await refused.text_content()
    assert "Anda masuk sebagai Petugas desa untuk Namosain" in text
    assert "Wilayah Kota Kupang (53.71) berada di luar wilayah kerja Anda" in text
    # The page's own words; the service's English reason only on the English page.
    assert "outside your jurisdiction" not in text and "((" not in text and "))" not in text
    await expect(page.locator("#overview")).to_be_hidden()
    assert page_log.refused == ["403 GET /v1/areas/53.71/summary"]
    await expect(page.locator("#tools")).to_be_hidden()
    await screenshot(page, "refused")
    await page.click(".p-bar-end button[lang=en]")
    await expect(refused.locator("h2")).to_have_text("Outside your jurisdiction")
    await expect(page.locator("#refused-detail")).to_contain_text("outside your jurisdiction")
    assert "((" not in (await refused.text_content() or "")
    await page.click(".p-bar-end button[lang=id]")
    await page.click("#refused-home")
    await shows_area(page, "53.71.01.1001")
    # The API refuses her the same way whatever the page does.
    response = await page.request.get(f"{dashboard}/v1/areas/53/summary")
    assert response.status == 403
    response = await page.request.get(f"{dashboard}/v1/areas/53/export.csv")
    assert response.status == 403
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_layout_holds_on_a_phone(
    dashboard, open_page, page_log, sign_in, screenshot
) -> None:
    phone = await open_page(width=390, height=844, mobile=True)
    await sign_in(phone, dashboard, "ministry", "ID")
    for code in ("ID", "53.71", "53.71.01.1001"):
        await phone.goto(f"{dashboard}/?area={code}")
        await shows_area(phone, code)
        # No sideways scrolling of the page: wide tables scroll inside their card.
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
        # Women and men side by side in the tiles.
        boxes = await phone.eval_on_selector_all(
            '[data-tile="registered"] .d-tile-sex',
            "(els) => els.map((e) => e.getBoundingClientRect().top)",
        )
        assert len(boxes) == 2 and boxes[0] == boxes[1]
        await screenshot(phone, f"phone-{code}")
    # Controls are big enough for a thumb.
    await phone.click("#tools > summary")  # folded on a phone
    heights = await phone.eval_on_selector_all(
        "#tools button, #tools a, #tools input, #trends select",
        "(els) => els.map((e) => e.getBoundingClientRect().height)",
    )
    assert min(heights) >= 44
    assert page_log.blocked == [] and page_log.errors == []


async def test_codes_read_as_words_in_bahasa_indonesia_and_english(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, dashboard, "ministry", "ID", next="/?area=53.71")
    await shows_area(page, "53.71")
    cases = page.locator("#cases-card")
    await expect(cases).to_contain_text("Gaji tidak dibayar")
    assert "unpaid_wages" not in (await page.text_content("#overview") or "")
    await expect(page.locator("#workers-card")).to_contain_text("Terverifikasi")
    await expect(page.locator("#destination-card")).to_contain_text("Malaysia")
    # Numbers and dates in Indonesian formats.
    amount = await page.text_content('[data-tile="illegal-fees"] strong')
    assert amount and amount.startswith("Rp") and "." in amount
    # A definition is one tap away, with its legal source.
    tile = page.locator('[data-tile="illegal-fees"]')
    await tile.locator("summary").click()
    await expect(tile.locator(".d-src")).to_contain_text("Peraturan BP2MI 9/2020")

    await page.click(".p-bar-end button[lang=en]")
    await expect(cases).to_contain_text("Unpaid wages")
    await expect(page.locator("#workers-card")).to_contain_text("Verified")
    await expect(tile.locator(".d-src")).to_contain_text("Regulation BP2MI 9/2020")
    await expect(page.locator("#area-level")).to_contain_text("Regency/city")
    # Every text of the page has its English words.
    untranslated = await page.evaluate(
        """() => [...document.querySelectorAll("[data-i18n]")].map((e) => e.dataset.i18n)
                   .filter((key) => Pantau.t(key) === key)"""
    )
    assert untranslated == []
    await screenshot(page, "english")
    await page.reload()
    await shows_area(page, "53.71")
    await expect(page.locator("#cases-card h2").first).to_have_text("Cases")
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_not_attributed_row_is_explained_and_not_an_area(
    dashboard, page, page_log, sign_in, screenshot
) -> None:
    await sign_in(page, dashboard, "ministry", "ID", next="/?area=53.71")
    await shows_area(page, "53.71")
    # Alerts raised for the regency itself are counted in its "(not attributed …)" row.
    row = page.locator('#children tr[data-area="53.71.00"]')
    await expect(row).to_contain_text("(tidak diatribusikan di bawah Kota Kupang)")
    assert await row.locator("a[data-nav]").count() == 0  # nothing to drill into
    rows = await page.locator("#children tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.area)"
    )
    assert rows[-1] == "53.71.00"  # after the areas
    await row.locator("td").first.click()
    assert page.url.endswith("/?area=53.71")
    # "What does it mean?" leads to its definition, in both languages.
    await row.locator("[data-testid=unattributed-what]").click()
    definition = page.locator("#def-unattributed + dd")
    await expect(definition).to_contain_text("bukan wilayah")
    await expect(definition).to_contain_text("peringatan")
    await screenshot(page, "unattributed-row")
    # Opened by its address, it says what it is: no province, no regency, no children.
    await page.goto(f"{dashboard}/?area=53.71.00")
    await shows_area(page, "53.71.00")
    await expect(page.locator("#area-level")).to_have_text("Tidak diatribusikan · 53.71.00")
    await expect(page.locator("[data-testid=unattributed-note]")).to_contain_text("bukan wilayah")
    await expect(page.locator("#children-card")).to_be_hidden()
    await page.click(".p-bar-end button[lang=en]")
    await expect(page.locator("#area-level")).to_have_text("Not attributed · 53.71.00")
    await expect(page.locator("#def-unattributed + dd")).to_contain_text("not an area")
    assert page_log.blocked == [] and page_log.errors == []


async def test_the_two_kinds_of_registered_have_their_own_names(
    dashboard, page, page_log, sign_in
) -> None:
    await sign_in(page, dashboard, "ministry", "ID", next="/?area=53.71")
    await shows_area(page, "53.71")
    await expect(page.locator('[data-tile="registered"] h2')).to_have_text("Pernah terdaftar")
    status = page.locator('#workers-card tr[data-row="workers.registered"] th')
    await expect(status).to_have_text("Menunggu verifikasi")
    await page.click(".p-bar-end button[lang=en]")
    await expect(page.locator('[data-tile="registered"] h2')).to_have_text("Registered (all)")
    await expect(status).to_have_text("Awaiting verification")
    assert page_log.blocked == [] and page_log.errors == []


async def test_amounts_and_the_areas_table_fit_phone_desktop_and_paper(
    dashboard, open_page, page_log, sign_in, screenshot
) -> None:
    phone = await open_page(width=390, height=844, mobile=True)
    await sign_in(phone, dashboard, "ministry", "ID")
    await shows_area(phone, "ID")
    # The rupiah amount may part from "Rp", never inside the number.
    number_lines = await phone.eval_on_selector(
        '[data-tile="illegal-fees"] strong .d-nowrap', "(e) => e.getClientRects().length"
    )
    assert number_lines == 1
    box = await phone.eval_on_selector(
        '[data-tile="illegal-fees"] strong .d-nowrap',
        "(e) => [e.getBoundingClientRect().right,"
        " e.closest('.d-tile').getBoundingClientRect().right]",
    )
    assert box[0] <= box[1]
    # On a phone the areas' table scrolls, and says so.
    await expect(phone.locator("[data-testid=children-scroll]")).to_be_visible()
    await screenshot(phone, "phone")

    desk = await open_page(width=1366, height=900)
    await sign_in(desk, dashboard, "ministry", "ID", next="/?area=53.71")
    await shows_area(desk, "53.71")
    fits = await desk.eval_on_selector("#children-box", "(e) => e.scrollWidth <= e.clientWidth + 1")
    # Either the table fits its card, or the hint says it scrolls (and the names stay put).
    hint = desk.locator("[data-testid=children-scroll]")
    await (expect(hint).to_be_hidden() if fits else expect(hint).to_be_visible())
    sticky = await desk.eval_on_selector(
        "#children tbody th[scope=row]", "(e) => getComputedStyle(e).position"
    )
    assert sticky == "sticky"
    await screenshot(desk, "desktop")
    # On paper the table stays within the page's width.
    await desk.emulate_media(media="print")
    inside = await desk.eval_on_selector(
        "#children",
        "(t) => t.getBoundingClientRect().right <= "
        "t.closest('.p-card').getBoundingClientRect().right + 1",
    )
    assert inside
    await screenshot(desk, "print")
    assert page_log.blocked == [] and page_log.errors == []
