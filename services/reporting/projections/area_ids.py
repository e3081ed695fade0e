"""Area codes as the integers the projection tables store them as.

An area's id is its code's digits behind a leading ``1`` (``ID`` -> 1, ``53`` -> 153,
``53.71.01.1001`` -> 15371011001): the number of digits gives the level, and an ancestor is an
integer division, so PostgreSQL expands a village's delta to every ancestor without a lookup.
The SQL functions ``area_code(bigint)`` and ``area_id(text)`` (migration 003) are the same maps.
"""

from __future__ import annotations

from functools import lru_cache

from shared.areas import NATION

NATION_ID = 1
DISTRICT_DIVISOR = 10**4  # a village's id / 10^4 is its district's
LEVEL_STEP = 100  # a district's id / 100 is its regency's, a regency's its province's, …
REGENCY_OR_ABOVE = 10**5  # ids below it are of regencies (5 digits), provinces or the nation


@lru_cache(maxsize=200_000)
def area_id(code: str) -> int:
    if code == NATION:
        return NATION_ID
    return int("1" + code.replace(".", ""))


@lru_cache(maxsize=200_000)
def area_code(ident: int) -> str:
    digits = str(ident)[1:]
    if not digits:
        return NATION
    parts = [digits[0:2], digits[2:4], digits[4:6], digits[6:10]]
    return ".".join(p for p in parts if p)
