"""A minimal Chrome DevTools Protocol client: start headless Chromium, evaluate JavaScript."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from typing import Any

import httpx
import websockets

from pantau.local.procs import free_port


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("no Chromium found: apt-get install chromium")


class Browser:
    def __init__(self) -> None:
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="pantau-chromium-")
        self.proc: asyncio.subprocess.Process | None = None
        self.ws: Any = None
        self._id = 0

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *[
                chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}", "about:blank",
            ],
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    pages = (await client.get(f"http://127.0.0.1:{self.port}/json")).json()
                    page = next(p for p in pages if p["type"] == "page")
                    break
                except (httpx.HTTPError, StopIteration, ValueError):
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError("Chromium did not open its debugging port")
        self.ws = await websockets.connect(page["webSocketDebuggerUrl"], max_size=None)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        mine = self._id
        await self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == mine:
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                result: dict[str, Any] = msg["result"]
                return result

    async def goto(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def js(self, expression: str) -> Any:
        out = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"])
        return out["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 15.0) -> Any:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            with contextlib.suppress(RuntimeError):
                value = await self.js(expression)
                if value:
                    return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for: {expression}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
