"""Bounded field types for every request model: no text, number or date without limits.

Every value a caller sends is bounded here, so that nothing it can send reaches the database or
a log unchecked (PostgreSQL refuses a NUL byte in text and an integer past 2^63; a date of year 1
is never a real fact). A value outside its bounds is a 422 naming the field; the message never
repeats the value (the kit's error handlers strip pydantic's ``input``).

- :class:`Text` — ``Annotated[str, Text(200)]``: one line of text, stripped, 1..200 characters,
  no control characters (NUL, line breaks, escapes) and no lone surrogates; ``lines=True`` allows
  line breaks and tabs (a narrative); ``public=True`` (text that leaves the service, on a topic
  or in answers to others) also refuses runs of 10 or more digits, separators between them
  aside, the shape of a NIK or a phone number. :data:`PersonName`, :data:`PublicName` are the
  common ones.
- :data:`Day` — a date from :data:`FIRST_DAY` to :data:`LAST_DAY`; :data:`BirthDate` from 1900.
- :data:`Offset` and :data:`Limit` — paging query parameters (:func:`next_offset` the next
  page's); :data:`Count` any other count.

Usage::

    class AgencyIn(BaseModel):
        name: PublicName                          # = Annotated[str, Text(200, public=True)]
        licence_no: Annotated[str, Text(64, public=True)]
        founded_on: Day | None = None

    async def list_things(offset: Offset = 0, limit: Limit = 50): ...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sized
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import core_schema

FIRST_DAY = date(1945, 8, 17)  # no fact this system records is older than the republic
LAST_DAY = date(2100, 12, 31)
FIRST_BIRTH_DATE = date(1900, 1, 1)
MAX_OFFSET = 1_000_000
MAX_PAGE = 100
MAX_COUNT = 1_000_000_000

# Ten or more digits, possibly split by separators (spaces, dots, dashes, slashes, parentheses):
# "0812-3456-7890" and "3171 0101 0101 0001" are a phone number and a NIK all the same.
# (Full-width forms and Unicode dashes count as separators too; \d matches any decimal digit.)
_SEPARATORS = r"\s.\-/()\u2010-\u2015\u2212\uff08\uff09\uff0d\uff0e\uff0f"
_LONG_DIGIT_RUN = re.compile(rf"\d(?:[{_SEPARATORS}]*\d){{9,}}")
_MULTI_LINE_ALLOWED = frozenset("\n\t")
# Unicode categories never accepted: control characters, lone surrogates, unassigned code points
# and private-use characters (none is part of a name or a sentence).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Co"})


@dataclass(frozen=True)
class Text:
    """Bounds for a text field: ``Annotated[str, Text(200)]``.

    Stripped, ``min_length``..``max_length`` characters, no control characters, lone surrogates,
    unassigned or private-use code points. ``lines=True`` allows line breaks and tabs (a
    narrative); ``public=True`` also refuses runs of 10 or more digits, the shape of a NIK or a
    phone number, for text that leaves the service (separators between the digits do not
    break a run: ``0812-3456-7890``, ``(0812) 3456.7890``).
    """

    max_length: int
    min_length: int = 1
    lines: bool = False
    public: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            self.check,
            core_schema.str_schema(
                strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
            ),
        )

    def check(self, value: str) -> str:
        allowed = _MULTI_LINE_ALLOWED if self.lines else frozenset()
        for char in value:
            if char not in allowed and unicodedata.category(char) in _REFUSED_CATEGORIES:
                raise ValueError("must not contain control or unassigned characters")
        if self.public and _LONG_DIGIT_RUN.search(value):
            raise ValueError(
                "must not contain a run of 10 or more digits, separators aside (it would look "
                "like a NIK or a phone number, which are personal data)"
            )
        return value


# A person's name: kept inside its service only.
PersonName = Annotated[str, Text(200)]
# An organisation's name that is published (an agency): public text.
PublicName = Annotated[str, Text(200, public=True)]

Day = Annotated[
    date,
    Field(ge=FIRST_DAY, le=LAST_DAY, description=f"a date from {FIRST_DAY} to {LAST_DAY}"),
]
BirthDate = Annotated[
    date,
    Field(ge=FIRST_BIRTH_DATE, le=LAST_DAY, description=f"a date from {FIRST_BIRTH_DATE}"),
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]

Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip (at most {MAX_OFFSET:,})")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"rows per page (1-{MAX_PAGE})")]


def next_offset(fetched: Sized, limit: int, offset: int) -> int | None:
    """The next page's offset, None on the last page: ``fetched`` is the rows read with
    ``limit + 1`` (one more than a page shows, so that there being more is known)."""
    return offset + limit if len(fetched) > limit else None
