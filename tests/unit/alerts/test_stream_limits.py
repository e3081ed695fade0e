"""The live stream's connect budget is spent per caller and per client address (IPv6: its /64),
so many tokens from one client cannot open streams without bound."""

from __future__ import annotations

import httpx

from services.alerts.app import create_app
from services.alerts.settings import AlertsSettings
from shared.auth import issue_token


async def test_a_new_token_from_a_spent_address_is_refused() -> None:
    app = create_app(AlertsSettings(limit_stream_connects="2/minute", access_log=False))
    limits = app.state.limits
    # Two streams already opened from this client's /64, by other callers.
    limits.spend("stream_connects", "address:2001:db8:7:8::/64")
    limits.spend("stream_connects", "address:2001:db8:7:8::/64")
    transport = httpx.ASGITransport(app=app, client=("2001:db8:7:8::99", 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://alerts") as client:
        token = issue_token("monitor", "82", sub="a-fresh-caller")
        answer = await client.get(
            "/v1/alerts/stream", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) >= 1
