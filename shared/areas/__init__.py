"""Indonesia's administrative areas (ODbL data, see data/LICENSE.md) and jurisdiction checks."""

from shared.areas.hierarchy import (
    NATION,
    AreaIndex,
    ancestors,
    area_level,
    areas,
    is_within,
    parent,
)
from shared.areas.history import RetiredDistrict, district_history

__all__ = [
    "NATION",
    "AreaIndex",
    "RetiredDistrict",
    "ancestors",
    "area_level",
    "areas",
    "district_history",
    "is_within",
    "parent",
]
