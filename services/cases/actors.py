"""Who is acting: anything with a role, a jurisdiction area and a token subject.

``shared.auth.Principal`` (what a bearer token names) fits as it is; the domain asks no more.
"""

from __future__ import annotations

from typing import Protocol

from shared.auth import Role

OFFICERS = frozenset(
    {Role.VILLAGE_OFFICER, Role.REGENCY_OFFICER, Role.PROVINCE_OFFICER, Role.MINISTRY}
)


class Actor(Protocol):
    @property
    def role(self) -> Role: ...
    @property
    def area(self) -> str: ...
    @property
    def sub(self) -> str: ...
