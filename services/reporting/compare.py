"""Comparing two reporting nodes: same watermark? which area first differs?

Both nodes answer ``GET /v1/watermark`` and ``GET /v1/areas/{code}/checksums``, whose checksums
each cover an area's whole subtree, villages included (:mod:`services.reporting.checksums`).
The walk starts at ``area`` (default: the narrower of the two scopes, so a national node and a
province node are compared on that province) and descends into the first child, in code
order, whose checksum differs, until an area differs while all its children agree (its own
figures differ) or it has none: that area is named. So a difference anywhere below the start
is found from the top, in one request per level and node.

A node that cannot be reached, refuses the token, or does not hold the area is a
:class:`CompareError` with one line saying so.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.areas import is_within
from shared.contract.envelope import AREA_CODE


class CompareError(Exception):
    """The comparison could not be made; the message is one line for the operator."""


@dataclass
class Comparison:
    area: str
    agree: bool
    first_difference: str | None
    same_watermark: bool
    watermark_a: dict[str, Any] = field(repr=False)
    watermark_b: dict[str, Any] = field(repr=False)
    path: list[str] = field(default_factory=list)

    def describe(self) -> str:
        mark = "same watermark" if self.same_watermark else "DIFFERENT watermarks"
        if self.agree:
            return f"nodes agree on {self.area} and everything below it ({mark})"
        return (
            f"nodes differ: first area that differs is {self.first_difference} "
            f"(path {' > '.join(self.path)}; {mark})"
        )


def _start_area(a: dict[str, Any], b: dict[str, Any]) -> str:
    sa, sb = a.get("scope", "ID"), b.get("scope", "ID")
    return sb if is_within(sb, sa) else sa


Fetch = Callable[[str], Awaitable[dict[str, Any]]]


def compare_nodes(
    url_a: str, url_b: str, area: str | None, token: str, *, timeout: float = 60.0
) -> Comparison:
    """Compare the figures of two nodes and name the first (deepest) area where they differ."""
    if area is not None and not re.fullmatch(AREA_CODE, area):
        raise CompareError(f"--area {area!r} is not an area code (ID, 53, 53.71, …)")

    async def run() -> Comparison:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx.AsyncClient(base_url=url_a, headers=headers, timeout=timeout) as a,
            httpx.AsyncClient(base_url=url_b, headers=headers, timeout=timeout) as b,
        ):
            return await compare_with(_fetcher(a, "A"), _fetcher(b, "B"), area)

    return asyncio.run(run())


def _fetcher(client: httpx.AsyncClient, name: str) -> Fetch:
    node = f"node {name} ({client.base_url})"

    async def fetch(url: str) -> dict[str, Any]:
        try:
            response = await client.get(url)
        except httpx.TransportError as exc:
            raise CompareError(f"cannot reach {node}: {type(exc).__name__}") from exc
        if response.status_code == 404 and "/areas/" in url:
            code = url.split("/areas/", 1)[1].split("/", 1)[0]
            raise CompareError(f"{node} does not hold area {code}: outside its scope, or unknown")
        if response.status_code in (401, 403):
            raise CompareError(
                f"{node} refused the token ({response.status_code}): give a ministry token "
                "with --token, or the node's PANTAU_TOKEN_SECRET"
            )
        if response.status_code != 200:
            raise CompareError(f"{node} answered {response.status_code} to GET {url}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise CompareError(f"{node} is not a reporting node: GET {url} gave no JSON") from exc
        return body

    return fetch


async def _checksums(
    get_a: Fetch, get_b: Fetch, area: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both nodes' checksums of ``area``, asked at once (the top ones scan a whole node)."""
    return await _both(get_a(f"/v1/areas/{area}/checksums"), get_b(f"/v1/areas/{area}/checksums"))


async def _both(
    a: Awaitable[dict[str, Any]], b: Awaitable[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both answers, asked at once; the first failure (node A's first) is raised."""
    answers = await asyncio.gather(a, b, return_exceptions=True)
    got: list[dict[str, Any]] = []
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
        got.append(answer)
    return got[0], got[1]


async def compare_with(get_a: Fetch, get_b: Fetch, area: str | None) -> Comparison:
    """The comparison walk over two fetchers of the nodes' JSON resources."""
    wa, wb = await _both(get_a("/v1/watermark"), get_b("/v1/watermark"))
    start = area or _start_area(wa, wb)
    for name, mark in (("A", wa), ("B", wb)):
        scope = mark.get("scope", "ID")
        if not (is_within(start, scope) or is_within(scope, start)):
            raise CompareError(f"area {start} is outside node {name}'s scope ({scope})")
    path = [start]
    current = start
    ca, cb = await _checksums(get_a, get_b, current)
    agree = ca["checksum"] == cb["checksum"]
    first: str | None = None
    while not agree:
        kids_a = {c["area"]: c["checksum"] for c in ca["children"]}
        kids_b = {c["area"]: c["checksum"] for c in cb["children"]}
        differing = sorted(
            c for c in kids_a.keys() | kids_b.keys() if kids_a.get(c) != kids_b.get(c)
        )
        if not differing:
            first = current
            break
        child = differing[0]
        path.append(child)
        if child not in kids_a or child not in kids_b:
            first = child
            break
        current = child
        ca, cb = await _checksums(get_a, get_b, current)
    return Comparison(
        area=start,
        agree=agree,
        first_difference=first,
        same_watermark=wa.get("positions") == wb.get("positions"),
        watermark_a=wa,
        watermark_b=wb,
        path=path,
    )
