"""The NIK (Nomor Induk Kependudukan) and what a registration must agree with.

16 digits: ``PPRRDD`` the registering district (province, regency, district, two digits each),
``DDMMYY`` the birth date where a woman's day is +40 (41-71), then a 4-digit serial (0001-9999).
The NIK carries only two digits of the year; the century is the most recent one that gives a
date not in the future and a plausible worker's age (:data:`MIN_AGE`-:data:`MAX_AGE`).

Every message here describes the fault and never repeats a digit of the NIK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shared.areas import areas
from shared.contract.codes import Sex

# A worker is at least 12 (minors reported abroad must still be recordable: trafficking) and
# at most 100. Both windows (NIK and birth_date) use the same bounds, so at most one century fits.
MIN_AGE = 12
MAX_AGE = 100
FEMALE_DAY_OFFSET = 40


class NikError(ValueError):
    """The NIK is malformed or impossible; the message never contains the NIK."""


@dataclass(frozen=True)
class NikInfo:
    district: str  # "53.71.01"
    birth_date: date
    sex: Sex
    serial: int


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def plausible_birth_date(born: date, today: date) -> bool:
    return born <= today and MIN_AGE <= age_on(born, today) <= MAX_AGE


def _is_real_district(code: str) -> bool:
    return areas().is_district(code)


def parse_nik(
    nik: str,
    *,
    today: date,
    is_district: Callable[[str], bool] = _is_real_district,
) -> NikInfo:
    """Decode a NIK or raise :class:`NikError` saying what is wrong with it."""
    if len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        raise NikError("NIK must be exactly 16 digits")
    district = f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"
    if not is_district(district):
        raise NikError("NIK's first six digits are not a known district code")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = Sex.MALE
    if day > FEMALE_DAY_OFFSET:
        sex, day = Sex.FEMALE, day - FEMALE_DAY_OFFSET
    possible: list[date] = []
    for century in (2000, 1900):
        try:
            possible.append(date(century + yy, month, day))
        except ValueError:
            continue
    if not possible:
        raise NikError(
            "NIK's birth-date digits (DDMMYY, day + 40 for women) are not a possible date"
        )
    plausible = [d for d in possible if plausible_birth_date(d, today)]
    if not plausible:
        raise NikError(
            f"NIK's birth date gives no plausible age ({MIN_AGE} to {MAX_AGE} years) in any century"
        )
    serial = int(nik[12:16])
    if serial == 0:
        raise NikError("NIK's serial (last four digits) cannot be 0000")
    return NikInfo(district=district, birth_date=plausible[0], sex=sex, serial=serial)
