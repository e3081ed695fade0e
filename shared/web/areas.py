"""``GET /auth/areas``: areas found by name or code, for the sign-in page's area picker.

Area names and codes are public (the official list, shared/areas/data), so the search needs no
session; it is limited per address (``limit_public_reads``). Names that start with the query come
before names that merely contain it, provinces before regencies before districts before villages,
then by name; each answer says where the area lies (its enclosing areas' names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from shared.areas import ancestors, area_level, areas
from shared.areas.hierarchy import AreaLevel
from shared.fields import Text
from shared.service.errors import COMMON_RESPONSES
from shared.service.limits import limited_by_address

router = APIRouter(tags=["session"])

_LEVELS: tuple[AreaLevel, ...] = ("national", "province", "regency", "district", "village")
_CODE_QUERY = re.compile(r"^(ID|\d{2}(\.\d{0,2}){0,3}\d{0,2})$", re.IGNORECASE)


class AreaFound(BaseModel):
    code: str
    name: str
    level: AreaLevel
    within: str  # the enclosing areas' names, innermost first ("" for the nation)


@dataclass(frozen=True)
class _Entry:
    words: str  # " " + the name, case-folded: " kabupaten kupang"
    code: str
    level: AreaLevel


@cache
def _entries() -> tuple[_Entry, ...]:
    """Every area, by level then name (built once: about 90,000 areas)."""
    index = areas()
    rank = {level: i for i, level in enumerate(_LEVELS)}
    entries = [
        _Entry(" " + " ".join(name.casefold().split()), code, area_level(code))
        for code, name in index.names.items()
    ]
    entries.sort(key=lambda e: (rank[e.level], e.words, e.code))
    return tuple(entries)


def search(query: str, *, level: AreaLevel | None = None, limit: int = 20) -> list[AreaFound]:
    """Areas of ``level`` (any when None), at most ``limit``: for a code (``53.71``) those whose
    code starts with it; else those with a word of their name starting with ``query`` (``kupang``
    finds KABUPATEN KUPANG), then those whose name merely contains it."""
    wanted = " ".join(query.casefold().split())
    if not wanted:
        return []
    if _CODE_QUERY.match(wanted):
        code = wanted.upper()
        codes = sorted(
            (e.code for e in _entries() if e.code.startswith(code)),
            key=lambda c: (_LEVELS.index(area_level(c)), c),
        )
        kept = [c for c in codes if level is None or area_level(c) == level]
        return [_found(c) for c in kept[:limit]]
    word = " " + wanted
    first: list[str] = []
    then: list[str] = []
    for entry in _entries():
        if level is not None and entry.level != level:
            continue
        if word in entry.words:
            first.append(entry.code)
            if len(first) == limit:
                break
        elif len(then) < limit and wanted in entry.words:
            then.append(entry.code)
    return [_found(c) for c in (first + then)[:limit]]


def _found(code: str) -> AreaFound:
    index = areas()
    enclosing = ancestors(code, include_self=False)[:-1]  # the nation goes without saying
    return AreaFound(
        code=code,
        name=index.name(code),
        level=area_level(code),
        within=", ".join(index.name(a) for a in enclosing if a in index),
    )


@router.get(
    "/auth/areas",
    responses=COMMON_RESPONSES,
    dependencies=[Depends(limited_by_address("public_reads"))],
)
async def find_areas(
    q: Annotated[str, Text(60), Query(description="part of a name, or the start of a code")],
    level: AreaLevel | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[AreaFound]:
    """Areas by name or code (no session needed: the area list is public)."""
    return search(q, level=level, limit=limit)
