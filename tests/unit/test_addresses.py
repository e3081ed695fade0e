"""Per-address budgets: IPv4 clients by address, IPv6 clients by their /64."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from shared.addresses import address_key
from shared.service import errors
from shared.service.limits import RateLimits, limited_by_address, parse_budget


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.2", "192.0.2.2"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::1", "::/64"),
        ("testclient", "testclient"),
    ],
)
def test_address_key(host: str, key: str) -> None:
    assert address_key(host) == key


async def _status(app: FastAPI, host: str) -> int:
    transport = httpx.ASGITransport(app=app, client=(host, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return (await client.post("/report")).status_code


async def test_a_v6_client_cannot_get_new_budgets_by_changing_address_in_its_64() -> None:
    app = FastAPI()
    errors.install(app)
    app.state.limits = RateLimits({"public_writes": parse_budget("2/minute")})

    @app.post("/report", dependencies=[Depends(limited_by_address("public_writes"))])
    async def report() -> dict[str, bool]:
        return {"ok": True}

    assert await _status(app, "2001:db8:1:2::1") == 200
    assert await _status(app, "2001:db8:1:2::2") == 200
    assert await _status(app, "2001:db8:1:2:dead:beef:0:3") == 429  # same /64: spent
    assert await _status(app, "2001:db8:1:3::1") == 200  # another /64
    assert await _status(app, "192.0.2.1") == 200
    assert await _status(app, "192.0.2.1") == 200
    assert await _status(app, "192.0.2.1") == 429
    assert await _status(app, "192.0.2.2") == 200  # IPv4: each address its own

