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

__all__ = ["NATION", "AreaIndex", "ancestors", "area_level", "areas", "is_within", "parent"]
