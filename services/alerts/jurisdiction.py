"""Which area an alert goes to: the area of the level that must act, above the subject's area.

An alert's ``area`` is the area whose monitors must see it (docs/contract.md); a monitor sees
the alerts of their area and of everything under it. Each rule names the level that must act,
and the alert goes to that level's area enclosing the subject (a worker's or case's village,
an agency's villages), so that its monitors, and those above them, see it, and those below do
not.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from shared.areas import NATION
from shared.contract.codes import Level

_PARTS = {Level.PROVINCE: 1, Level.REGENCY: 2, Level.VILLAGE: 4}
_ABOVE = {
    Level.VILLAGE: Level.REGENCY,
    Level.REGENCY: Level.PROVINCE,
    Level.PROVINCE: Level.NATIONAL,
    Level.NATIONAL: Level.NATIONAL,
}


@lru_cache(maxsize=1 << 18)
def area_at(code: str, level: Level) -> str:
    """The area of ``level`` enclosing ``code`` (``53.71.01.1001`` at regency: ``53.71``).

    A code above ``level`` (a self-report naming only a regency, at village level) is its own
    answer: the lowest area known.
    """
    if level is Level.NATIONAL or code == NATION:
        return NATION
    return ".".join(code.split(".")[: _PARTS[level]])


def level_above(level: Level) -> Level:
    """The next level up (the nation is the top)."""
    return _ABOVE[level]


def covering_level(villages: Iterable[str]) -> tuple[Level, str]:
    """The province enclosing every one of ``villages``, or the nation if they span provinces."""
    provinces = {area_at(v, Level.PROVINCE) for v in villages}
    if len(provinces) == 1:
        return Level.PROVINCE, provinces.pop()
    return Level.NATIONAL, NATION


def is_village(code: str) -> bool:
    """True for a village-shaped code (four parts)."""
    return code.count(".") == 3
