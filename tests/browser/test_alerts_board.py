"""The monitors' board in a real headless Chromium, with the service running on the real broker and
database: an alert raised by an event appears on open boards without a reload; acknowledging it
on one board updates the other; resolving it from a phone takes it off both; a monitor of another
regency never sees it; a fee recorded through the registry's API reaches an open board."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from pantau.simulate import make_nik
from services.alerts.app import create_app
from services.alerts.clock import SystemClock
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from tests.support.alerts import alerts_settings, auth, publish, villages_of
from tests.unit.alerts.stream import Stream

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WEST, EAST = "82.07", "82.08"  # Halmahera regencies no other test uses


async def open_board(page: Page, base: str, sign_in: Any, role: str, area: str) -> None:
    """Sign in as ``role`` at ``area`` and wait until the board follows the stream."""
    await sign_in(page, base, role, area)
    await expect(page.locator("[data-testid=live]")).to_have_attribute("data-state", "live")


def alert_about(page: Page, about: str) -> Any:
    return page.locator(f'[data-testid=alert][data-about="{about}"]')


async def test_alerts_appear_live_and_steps_on_one_board_reach_the_other(
    make_database, service_settings, serve, page, open_page, page_log, sign_in, screenshot
) -> None:
    settings = alerts_settings(service_settings, await make_database("services.alerts"))
    base = await serve(create_app(settings, clock=SystemClock()), lifespan=True)
    phone = await open_page(width=390, height=844, mobile=True)
    outsider = await open_page()
    await open_board(page, base, sign_in, "monitor", WEST)
    await open_board(phone, base, sign_in, "monitor", WEST)
    await open_board(outsider, base, sign_in, "monitor", EAST)
    assert await page.text_content("[data-testid=area-name]") == (
        f"Kabupaten Pulau Morotai ({WEST})"
    )

    log = Stream()
    worker = log.registered(villages_of(WEST, 1)[0])
    await publish(settings.kafka_bootstrap_servers, [worker, log.fee(worker.subject)])

    # Raised by the event, on both open boards, without a reload.
    for board in (page, phone):
        alert = alert_about(board, worker.subject)
        await expect(alert).to_have_count(1)
        await expect(alert.locator("[data-testid=rule]")).to_have_text("Biaya ilegal")
        await expect(alert.locator("[data-testid=status]")).to_have_text("Terbuka")
    critical = page.locator('[data-testid=by-severity] [data-severity="critical"] strong')
    await expect(critical).to_have_text("1")
    await expect(page.locator('[data-testid=by-rule] tr[data-rule="illegal_fee"]')).to_contain_text(
        "1"
    )
    await screenshot(page, "raised")

    # Acknowledged on the desktop board: the phone's board shows it too.
    await alert_about(page, worker.subject).locator("[data-testid=acknowledge]").click()
    for board in (page, phone):
        status = alert_about(board, worker.subject).locator("[data-testid=status]")
        await expect(status).to_have_text("Sudah ditanggapi")
    await screenshot(phone, "acknowledged-phone")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390

    # Resolved from the phone with a note: off both boards' unresolved lists.
    on_phone = alert_about(phone, worker.subject)
    await on_phone.locator("[data-testid=resolve]").click()
    await on_phone.locator("select[name=note]").select_option("referred")
    await on_phone.locator("textarea[name=comment]").fill("Dirujuk ke BP3MI Maluku Utara")
    await on_phone.locator("button[type=submit]").click()
    for board in (page, phone):
        await expect(alert_about(board, worker.subject)).to_have_count(0)
    await expect(critical).to_have_text("0")
    await page.select_option("[data-testid=filter]", "resolved")
    resolved = alert_about(page, worker.subject)
    await expect(resolved.locator("[data-testid=status]")).to_have_text("Selesai")
    await expect(resolved).to_contain_text("Dirujuk")
    await expect(resolved).to_contain_text("Dirujuk ke BP3MI Maluku Utara")  # monitors see it

    # The other regency's monitor never saw it.
    await expect(outsider.locator("[data-testid=alert]")).to_have_count(0)
    await screenshot(outsider, "other-regency")
    assert page_log.blocked == [] and page_log.errors == []
    assert [r for r in page_log.refused if "/v1/" in r] == []


async def test_an_officer_reads_the_board_without_acting(
    make_database, service_settings, serve, page, page_log, sign_in
) -> None:
    settings = alerts_settings(service_settings, await make_database("services.alerts"))
    base = await serve(create_app(settings, clock=SystemClock()), lifespan=True)
    await open_board(page, base, sign_in, "regency-officer", EAST)
    log = Stream()
    worker = log.registered(villages_of(EAST, 1)[0])
    await publish(
        settings.kafka_bootstrap_servers, [worker, log.fee(worker.subject, component="other")]
    )
    alert = alert_about(page, worker.subject)
    await expect(alert.locator("[data-testid=rule]")).to_have_text("Biaya yang perlu diperhatikan")
    await expect(alert.locator("button")).to_have_count(0)
    # Who acts instead, and what the worker's id is.
    await expect(alert.locator("[data-testid=who-acts]")).to_contain_text(
        "pemantau (peran monitor) tingkat Kabupaten/kota untuk Kabupaten Pulau Taliabu (82.08)"
    )
    await expect(alert).to_contain_text(f"pekerja, id {worker.subject[:8]}")
    await expect(page.locator("#ids-hint")).to_contain_text("bukan NIK")
    # In English on request.
    await page.click(".p-bar-end button[lang=en]")
    await expect(alert.locator("[data-testid=rule]")).to_have_text("Fee warning")
    await expect(alert.locator("[data-testid=who-acts]")).to_contain_text("monitors")
    assert page_log.errors == [] and page_log.blocked == []


async def test_a_fee_recorded_at_the_registry_appears_on_an_open_board(
    make_database, service_settings, serve, page, page_log, sign_in
) -> None:
    registry = create_registry(
        service_settings(RegistrySettings, database_url=await make_database("services.registry"))
    )
    registry_base = await serve(registry, lifespan=True)
    settings = alerts_settings(service_settings, await make_database("services.alerts"))
    base = await serve(create_app(settings, clock=SystemClock()), lifespan=True)
    village = "53.71.03.1001"
    await open_board(page, base, sign_in, "monitor", "53.71")

    officer = auth("village-officer", village)
    async with httpx.AsyncClient(base_url=registry_base, headers=officer) as client:
        nik = make_nik("53.71.03", date(1999, 2, 3), "female", random.randint(5000, 9999))
        worker = await client.post(
            "/v1/workers",
            json={
                "nik": nik,
                "name": "Ince Tahu",
                "sex": "female",
                "birth_date": "1999-02-03",
                "village": village,
                "occupation": "baby_carer",
            },
        )
        assert worker.status_code == 201, worker.text
        worker_id = worker.json()["id"]
        fee = await client.post(
            f"/v1/workers/{worker_id}/fees",
            json={
                "component": "job_training",
                "amount": 2_000_000,
                "currency": "IDR",
                "charged_on": date.today().isoformat(),
                "agency_id": None,
            },
        )
        assert fee.status_code == 201, fee.text

    alert = alert_about(page, worker_id)
    await expect(alert.locator("[data-testid=rule]")).to_have_text("Biaya ilegal")
    await expect(alert).to_contain_text("Kota Kupang (53.71)")
    assert page_log.errors == [] and page_log.blocked == []


async def test_an_alert_about_an_agency_names_the_agency(
    make_database, service_settings, serve, page, page_log, sign_in, screenshot
) -> None:
    settings = alerts_settings(service_settings, await make_database("services.alerts"))
    base = await serve(create_app(settings, clock=SystemClock()), lifespan=True)
    await open_board(page, base, sign_in, "monitor", "82")
    log = Stream()
    agency = log.licensed(seat="31")  # "PT Contoh", seated in Jakarta
    worker = log.registered(villages_of(EAST, 1)[0])
    await publish(
        settings.kafka_bootstrap_servers,
        [
            agency,
            worker,
            log.suspended(agency.subject),
            log.fee(worker.subject, agency=agency.subject),
        ],
    )
    alert = alert_about(page, agency.subject)  # raised live: the stream's view names it too
    await expect(alert.locator("[data-testid=rule]")).to_have_count(1)
    await expect(alert).to_contain_text("agensi PT Contoh")
    await page.reload()  # and so does the list
    await expect(page.locator("[data-testid=live]")).to_have_attribute("data-state", "live")
    await expect(alert_about(page, agency.subject)).to_contain_text("agensi PT Contoh")
    await screenshot(page, "agency")
    assert page_log.errors == [] and page_log.blocked == []
