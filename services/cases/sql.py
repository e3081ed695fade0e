"""SQL helpers the cases repositories share."""

from __future__ import annotations

from shared.areas import NATION


def within(column: str, area: str, param: int) -> tuple[str, list[str]]:
    """A condition selecting rows whose ``column`` (an area code, COLLATE "C") is ``area`` or
    lies under it — a range scan of the column's index — and its parameters from ``$param``."""
    if area == NATION:
        return "TRUE", []
    return (
        f"({column} = ${param} OR ({column} >= ${param + 1} AND {column} < ${param + 2}))",
        [area, area + ".", area + "/"],  # '/' follows '.' byte-wise
    )
