"""The real area hierarchy: nation ``ID`` → province → regency → district → village.

A code's parent is its prefix (``53.71.01.1001`` → ``53.71.01`` → ``53.71`` → ``53`` → ``ID``), so
ancestry needs no lookup; names and children come from the CSVs shipped in ``data/``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

NATION = "ID"
AreaLevel = Literal["national", "province", "regency", "district", "village"]
_LEVEL_BY_PARTS: dict[int, AreaLevel] = {1: "province", 2: "regency", 3: "district", 4: "village"}
_FILES = [
    ("provinces.csv", None),
    ("regencies.csv", "province_code"),
    ("districts.csv", "regency_code"),
    ("villages.csv", "district_code"),
]


def area_level(code: str) -> AreaLevel:
    """The level a code's shape denotes (no lookup: ``53.71`` is a regency code)."""
    if code == NATION:
        return "national"
    return _LEVEL_BY_PARTS[len(code.split("."))]


def parent(code: str) -> str | None:
    """The enclosing area (``None`` for the nation)."""
    if code == NATION:
        return None
    head, _, _ = code.rpartition(".")
    return head or NATION


def ancestors(code: str, *, include_self: bool = True) -> list[str]:
    """``code`` (optionally) and every enclosing area up to ``ID``, innermost first."""
    chain = [code] if include_self else []
    current = parent(code)
    while current is not None:
        chain.append(current)
        current = parent(current)
    return chain


def is_within(code: str, scope: str) -> bool:
    """True when ``code`` is ``scope`` or lies under it: the jurisdiction rule."""
    return scope == NATION or code == scope or code.startswith(scope + ".")


@dataclass(frozen=True)
class AreaIndex:
    """Names and children of every real area, loaded once from the shipped CSVs."""

    names: dict[str, str]
    children_of: dict[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def load(cls) -> AreaIndex:
        names: dict[str, str] = {NATION: "INDONESIA"}
        children: dict[str, list[str]] = {NATION: []}
        data = resources.files("shared.areas") / "data"
        for filename, parent_column in _FILES:
            with (data / filename).open("r", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    code = row["code"]
                    names[code] = row["name"]
                    children.setdefault(code, [])
                    children[row[parent_column] if parent_column else NATION].append(code)
        return cls(names=names, children_of={k: tuple(sorted(v)) for k, v in children.items()})

    def __contains__(self, code: object) -> bool:
        return code in self.names

    def name(self, code: str) -> str:
        return self.names[code]

    def children(self, code: str) -> tuple[str, ...]:
        return self.children_of.get(code, ())

    def is_village(self, code: str) -> bool:
        return code in self.names and area_level(code) == "village"

    def is_district(self, code: str) -> bool:
        return code in self.names and area_level(code) == "district"

    def descendants(self, code: str) -> list[str]:
        """Every area under ``code`` (not itself), parents before children."""
        out: list[str] = []
        stack = list(reversed(self.children(code)))
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self.children(current)))
        return out

    def villages(self) -> list[str]:
        return [code for code in self.names if area_level(code) == "village"]


@cache
def areas() -> AreaIndex:
    """The process-wide area index (about 0.2 s to load, then shared)."""
    return AreaIndex.load()
