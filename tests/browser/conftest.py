"""Pages in a real headless Chromium: Playwright for Python driving Debian's ``chromium``.

Playwright's own browser download cannot work here and is never used: the browser is
``$PANTAU_CHROMIUM``, else ``chromium`` on the PATH (``/usr/bin/chromium``; .ci/run installs it
when browser tests exist), started headless with ``--no-sandbox`` when running as root.

Fixtures (see docs/frontend.md):

- ``serve``: ``base = await serve(app)`` serves a FastAPI app on a free 127.0.0.1 port for the
  test (``lifespan=True`` to run its start-up; off by default: a test usually fills its database
  itself) and lets pages reach it;
- ``page``: a fresh browser context and page (1280 by 800) whose every request is blocked except to
  the apps served by ``serve``; ``open_page(width=390, height=844)`` opens more (a phone, a
  second monitor's board);
- ``page_log``: what the test's pages met: ``blocked`` (requests the network block refused),
  ``errors`` (console errors, Content-Security-Policy violations among them, and uncaught
  exceptions) and ``refused`` (answers of 400 and above, as ``"403 GET /v1/…"``); a page that
  works offline and obeys its CSP leaves the first two empty;
- ``sign_in``: ``await sign_in(page, base, "ministry", "ID")`` through the sign-in page, as a
  person does (pick the role, type in the area box, choose the area, press the button);
- ``screenshot``: ``await screenshot(page, "nation")`` writes a PNG into this run's folder,
  ``$PANTAU_SCREENSHOTS`` or ``.artifacts/screenshots/<time>/`` (not committed), named after the
  test; a failing test's pages are captured there too. The folder is printed at the end.

:func:`block_network_except` is the network block itself, for a context made by hand.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    Route,
    async_playwright,
)

from pantau.local.procs import free_port

ROOT = Path(__file__).parents[2]
_HERE = Path(__file__).parent
_RUN_FOLDER: list[Path] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    """Debian's Chromium (or ``$PANTAU_CHROMIUM``); fails the test run when there is none."""
    found = (
        os.environ.get("PANTAU_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail(
            "browser tests need Chromium: apt-get install chromium (or set PANTAU_CHROMIUM)",
            pytrace=False,
        )
    return found


def screenshot_folder() -> Path:
    """This run's screenshot folder (made on first use)."""
    if not _RUN_FOLDER:
        chosen = os.environ.get("PANTAU_SCREENSHOTS")
        folder = (
            Path(chosen)
            if chosen
            else ROOT / ".artifacts" / "screenshots" / time.strftime("%Y%m%d-%H%M%S")
        )
        folder.mkdir(parents=True, exist_ok=True)
        _RUN_FOLDER.append(folder)
    return _RUN_FOLDER[0]


@dataclass
class PageLog:
    """What the test's pages met (see the module docstring)."""

    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "401 GET /auth/session": answers >= 400

    def console(self, message: ConsoleMessage) -> None:
        # Chromium also logs every answer >= 400 as a console error; those are in `refused`.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def response(self, response: Response) -> None:
        if response.status >= 400:
            path = re.sub(r"^[a-z]+://[^/]+", "", response.url)
            self.refused.append(f"{response.status} {response.request.method} {path}")


async def block_network_except(
    context: BrowserContext, allowed: Callable[[], Any], log: PageLog
) -> None:
    """Abort every request of ``context`` whose origin is not in ``allowed()`` (read at each
    request, so origins served later count), recording it in ``log.blocked``."""

    async def decide(route: Route) -> None:
        url = route.request.url
        origin = re.match(r"^[a-z]+://[^/]+", url)
        if origin and origin.group(0) in allowed():
            await route.continue_()
        else:
            log.blocked.append(url)
            await route.abort("blockedbyclient")

    await context.route("**/*", decide)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Browser]:
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=[*args, "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def served_origins() -> set[str]:
    return set()


Serve = Callable[..., Awaitable[str]]


@pytest_asyncio.fixture(loop_scope="session")
async def serve(served_origins: set[str]) -> AsyncIterator[Serve]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: Any, *, lifespan: bool = False) -> str:
        port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="on" if lifespan else "off",
            log_level="warning",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        while not server.started:  # uvicorn offers no started event
            if task.done():
                task.result()  # raises what stopped it
            await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        served_origins.add(base)
        return base

    yield start
    for server, _ in servers:
        server.should_exit = True
    await asyncio.gather(*(task for _, task in servers), return_exceptions=True)


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


OpenPage = Callable[..., Awaitable[Page]]


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(
    chromium: Browser, served_origins: set[str], page_log: PageLog, request: pytest.FixtureRequest
) -> AsyncIterator[OpenPage]:
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    async def opening(*, width: int = 1280, height: int = 800, mobile: bool = False) -> Page:
        context = await chromium.new_context(
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        await block_network_except(context, lambda: served_origins, page_log)
        page = await context.new_page()
        page.on("console", page_log.console)
        page.on("response", page_log.response)
        page.on("pageerror", lambda e: page_log.errors.append(f"uncaught: {e}"))
        pages.append(page)
        return page

    yield opening
    report = getattr(request.node, "rep_call", None)
    for number, page in enumerate(pages, 1):
        if report is not None and report.failed and not page.is_closed():
            name = f"{_test_name(request)}-failed-{number}.png"
            await page.screenshot(path=str(screenshot_folder() / name), full_page=True)
    for context in contexts:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(open_page: OpenPage) -> Page:
    return await open_page()


SignIn = Callable[..., Awaitable[None]]


@pytest.fixture
def sign_in() -> SignIn:
    async def signing_in(
        page: Page,
        base: str,
        role: str,
        area: str,
        *,
        find: str | None = None,
        name: str | None = None,
        next: str = "/",
    ) -> None:
        """Sign in through ``base``'s sign-in page; ``find`` is typed into the area box (the
        area's code by default), and the page then goes to ``next``."""
        await page.goto(f"{base}/sign-in?next={quote(next, safe='/')}")
        await page.select_option("#role", role)
        if role != "ministry":
            await page.fill("#area-search", find or area)
            await page.click(f'#area-results button[data-code="{area}"]')
        if name:
            await page.fill("#name", name)
        await page.click("#submit")
        await page.wait_for_url(f"{base}{next}")

    return signing_in


Screenshot = Callable[..., Awaitable[Path]]


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    async def shoot(page: Page, name: str, *, full_page: bool = True) -> Path:
        path = screenshot_folder() / f"{_test_name(request)}-{name}.png"
        await page.screenshot(path=str(path), full_page=full_page)
        return path

    return shoot


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Kept on the test item, so that open_page can capture a failed test's pages.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _RUN_FOLDER:
        terminalreporter.write_line(f"browser screenshots: {_RUN_FOLDER[0]}")
