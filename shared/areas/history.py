"""District codes that earlier official lists had and today's lacks (``data/district_history.csv``).

A NIK keeps for life the district code it was issued under, so a Belu NIK from before Malaka was
split off (2013) still starts ``530408`` although Malaka Tengah is ``53.21.01`` today. Each row
says until when a code may have been issued (``valid_until``) and which current district took its
area over (``successor``, when one did). Provenance: data/README.md; the file is rebuilt with
``python -m shared.areas.build_history``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class RetiredDistrict:
    code: str  # "53.04.08"
    name: str  # as the last edition listing it spelled it
    valid_until: date  # the last day a NIK may have been issued under it
    successor: str | None  # the current district that took its area over, if one did
    last_listed: str  # the key of the last edition listing it (data/README.md)


@cache
def district_history() -> dict[str, RetiredDistrict]:
    """Every retired district code, by code (loaded once)."""
    path = resources.files("shared.areas") / "data" / "district_history.csv"
    with path.open("r", encoding="utf-8") as handle:
        return {
            row["code"]: RetiredDistrict(
                code=row["code"],
                name=row["name"],
                valid_until=date.fromisoformat(row["valid_until"]),
                successor=row["successor"] or None,
                last_listed=row["last_listed"],
            )
            for row in csv.DictReader(handle)
        }
