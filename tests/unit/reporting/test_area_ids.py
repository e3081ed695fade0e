"""Area codes as integer ids: a round trip for every real area, ancestors by integer division."""

from __future__ import annotations

import pytest

from services.reporting.projections.area_ids import (
    DISTRICT_DIVISOR,
    LEVEL_STEP,
    NATION_ID,
    REGENCY_OR_ABOVE,
    area_code,
    area_id,
)
from services.reporting.projections.model import leaf_area
from shared.areas import NATION, area_level, areas, parent


def test_every_real_area_round_trips() -> None:
    codes = list(dict.fromkeys([NATION, *areas().names]))
    ids = {area_id(c) for c in codes}
    assert len(ids) == len(codes), "no two areas share an id"
    for code in codes:
        assert area_code(area_id(code)) == code


@pytest.mark.parametrize(
    "code", ["53.71.00.0000", "00.00.00.0000", "53.00.00.0000", "11.01.01.2001"]
)
def test_pseudo_and_unlisted_codes_round_trip(code: str) -> None:
    assert area_code(area_id(code)) == code


def test_an_ancestor_is_an_integer_division() -> None:
    index = areas()
    for village in index.villages()[::97]:
        district = parent(village)
        assert district is not None
        assert area_code(area_id(village) // DISTRICT_DIVISOR) == district
        up = district
        while (above := parent(up)) is not None and above != NATION:
            assert area_code(area_id(up) // LEVEL_STEP) == above
            up = above
    assert area_id(NATION) == NATION_ID
    assert area_code(area_id(leaf_area("53.71")) // DISTRICT_DIVISOR) == "53.71.00"


def test_ids_below_the_district_threshold_are_exactly_the_published_levels() -> None:
    for code in [NATION, *list(areas().names)[::50]]:
        published = area_level(code) in {"national", "province", "regency"}
        assert (area_id(code) < REGENCY_OR_ABOVE) == published, code
