"""Handling levels: village → regency → province → national, one step at a time.

A case is handled at one level, by the office of that level whose area contains the case's
village (its *handling area*). Trafficking and sexual violence, and any case with a GBV type,
start at province level at least (docs/domain.md, cases: practice, not regulation).
"""

from __future__ import annotations

from shared.areas import NATION, ancestors, area_level
from shared.contract.codes import CaseCategory, GbvType, Level

LADDER: tuple[Level, ...] = (Level.VILLAGE, Level.REGENCY, Level.PROVINCE, Level.NATIONAL)
_RANK = {level: rank for rank, level in enumerate(LADDER)}

# Categories handled from the province up whatever their GBV type (sexual violence, TPPO).
PROVINCE_CATEGORIES = frozenset({CaseCategory.TRAFFICKING, CaseCategory.SEXUAL_HARASSMENT})

_LEVEL_OF_AREA: dict[str, Level] = {
    "village": Level.VILLAGE,
    "regency": Level.REGENCY,
    "province": Level.PROVINCE,
    "national": Level.NATIONAL,
}


def rank(level: Level) -> int:
    """0 for village … 3 for national."""
    return _RANK[level]


def next_level(level: Level) -> Level | None:
    """The level above, or None at the national level."""
    position = _RANK[level] + 1
    return LADDER[position] if position < len(LADDER) else None


def higher(a: Level, b: Level) -> Level:
    return a if _RANK[a] >= _RANK[b] else b


def minimum_level(category: CaseCategory, gbv_type: GbvType | None) -> Level:
    """The lowest level that may handle a case of this category and GBV type."""
    if category in PROVINCE_CATEGORIES or gbv_type is not None:
        return Level.PROVINCE
    return Level.VILLAGE


def level_of_area(area: str) -> Level:
    """The level whose office an area code names (districts have none: a ValueError)."""
    kind = area_level(area)
    if kind not in _LEVEL_OF_AREA:
        raise ValueError(f"no handling level has {kind} areas")
    return _LEVEL_OF_AREA[kind]


def starting_level(
    office: Level, area: str, category: CaseCategory, gbv_type: GbvType | None
) -> Level:
    """Where a new case starts: the opening office's level, raised to what the category needs
    and to the level of the case's area (a report naming only a regency starts there)."""
    return higher(higher(office, minimum_level(category, gbv_type)), level_of_area(area))


def handling_area(area: str, level: Level) -> str:
    """The area of the office handling a case of ``area`` at ``level`` (``ID`` for national)."""
    if level is Level.NATIONAL:
        return NATION
    for code in ancestors(area):
        if area_level(code) == level.value:
            return code
    raise ValueError(f"{area} has no {level.value} above it")
