"""The cube's vocabulary: keys, codes, areas and levels every part of the projection shares.

Figures are kept as a *cube*: ``(area, metric, dims) -> (n, amount)`` where ``dims`` is a tuple
of codes joined with ``|`` (a missing code is ``-``). Each kind of subject declares its metrics,
the dimensions of their rows and the summary leaves a row adds to (``projections/subjects/``,
listed in ``projections/catalog.py``, which also lists them all). One metric is common to all:
``monthly`` (``YYYY-MM|series|part``, a count and an amount), the monthly series, kept from the
regency up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shared.areas import NATION

Key = tuple[str, str, str]  # (area, metric, dims)
Value = list[Any]  # [n: int, amount: Decimal]

NONE = "-"
SEP = "|"
SEXES = ("female", "male")
SERIES_METRIC = "monthly"
# Levels whose summary leaves are materialised in ``cells`` (villages' are derived from the
# cube at read time: a village has few rows), and the levels published to agencies.
CELL_LEVELS = frozenset({"national", "province", "regency", "district"})
PUBLISHED_LEVELS = frozenset({"national", "province", "regency"})
_PAD = ("00", "00", "00", "0000")


@lru_cache(maxsize=200_000)
def leaf_area(code: str) -> str:
    """The village-shaped code a fact is attributed to.

    Worker and case events name a village. An event naming a higher area (an alert about a
    regency, an agency licensed nationally) is attributed to that area's "not attributed below"
    pseudo child, padded with zeros (``53.71`` -> ``53.71.00.0000``; ``ID`` -> ``00.00.00.0000``),
    so that every area's figures remain the sum of its children's.
    """
    parts = [] if code == NATION else code.split(".")
    return ".".join([*parts, *_PAD[len(parts) :]])


def is_pseudo(code: str) -> bool:
    """True for the zero-padded "not attributed below" areas."""
    return code != NATION and code.split(".")[-1] in {"00", "0000"}


def procedural_code(flag: bool) -> str:
    """The code of a worker's or case's ``procedural`` flag."""
    return "procedural" if flag else "non_procedural"


@lru_cache(maxsize=1 << 16)
def dims(*codes: object) -> str:
    """Codes joined with ``|`` (``-`` for a missing one): a cube row's dimension tuple."""
    return SEP.join([NONE if c is None else str(c).replace(SEP, "/") for c in codes])
