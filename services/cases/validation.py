"""Bounds on what people type, checked before anything changes (messages never echo a value)."""

from __future__ import annotations

import re

from services.cases.errors import InvalidField
from shared.areas import area_level
from shared.contract.codes import ORGANISATION_CODE_MAX, ORGANISATION_CODE_PATTERN
from shared.contract.envelope import AREA_CODE

NARRATIVE_MAX = 10_000  # what happened, in the complainant's or officer's words
NOTE_MAX = 1_000  # an officer's note beside a reason code
REASON_MIN = 10  # a stated reason (consent override, break the glass) says something
CONTACT_MAX = 200  # a phone number, an address or a name to ask for
ORGANISATION_CODE = re.compile(ORGANISATION_CODE_PATTERN)
_AREA = re.compile(AREA_CODE)


def bounded_text(field: str, value: str, maximum: int, minimum: int = 1) -> str:
    """``value`` stripped, if it has ``minimum`` to ``maximum`` characters and no NUL byte."""
    if "\x00" in value:
        raise InvalidField(field, "must not contain NUL characters")
    text = value.strip()
    if len(text) < minimum:
        raise InvalidField(field, f"needs at least {minimum} characters")
    if len(text) > maximum:
        raise InvalidField(field, f"may have at most {maximum} characters")
    return text


def optional_text(field: str, value: str | None, maximum: int) -> str | None:
    """None for a missing or blank value, else :func:`bounded_text`."""
    if value is None or not value.strip():
        return None
    return bounded_text(field, value, maximum)


def area_of_level(field: str, code: str, *levels: str) -> str:
    """``code`` if it is an area code of one of ``levels`` (village, regency …)."""
    if not _AREA.fullmatch(code) or area_level(code) not in levels:
        raise InvalidField(field, f"must be a {' or '.join(levels)} code")
    return code


def organisation_code(field: str, code: str) -> str:
    if len(code) > ORGANISATION_CODE_MAX or not ORGANISATION_CODE.fullmatch(code):
        raise InvalidField(
            field, "must be an organisation code: lower-case letters and digits, joined by . _ -"
        )
    return code
