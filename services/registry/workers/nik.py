"""The NIK (Nomor Induk Kependudukan) and what a registration must agree with.

16 digits: ``PPRRDD`` the registering district (province, regency, district, two digits each),
``DDMMYY`` the birth date where a woman's day is +40 (41-71), then a 4-digit serial (0001-9999).
The NIK carries only two digits of the year; the century is the most recent one that gives a
date not in the future and a plausible worker's age (:data:`MIN_AGE`-:data:`MAX_AGE`).

A NIK is for life: its district code is the one in force when it was issued, which a later code
list may have renumbered (a regency split off, a province divided). A code is accepted when it is
a district today, or a retired one (``shared.areas.district_history``) that was still in force
when the NIK could have been issued: the earliest a NIK is issued is at birth, so a retired code
is refused for a person born after its ``valid_until``. A code no edition ever had is refused.

Every message here describes the fault and never repeats a digit of the NIK.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.areas import RetiredDistrict, areas, district_history
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
    retired: RetiredDistrict | None = None  # set when the district code has since been retired


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def plausible_birth_date(born: date, today: date) -> bool:
    return born <= today and MIN_AGE <= age_on(born, today) <= MAX_AGE


def parse_nik(nik: str, *, today: date) -> NikInfo:
    """Decode a NIK or raise :class:`NikError` saying what is wrong with it."""
    if len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        raise NikError("NIK must be exactly 16 digits")
    district = f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"
    retired = None
    if not areas().is_district(district):
        retired = district_history().get(district)
        if retired is None:
            raise NikError(
                "NIK's first six digits are not a district code, neither today's nor a retired one"
            )
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
    born = plausible[0]
    if retired is not None and born > retired.valid_until:
        raise NikError(
            "NIK's district code was retired before the birth date in the NIK, "
            "so no NIK can have been issued under it for this person"
        )
    serial = int(nik[12:16])
    if serial == 0:
        raise NikError("NIK's serial (last four digits) cannot be 0000")
    return NikInfo(district=district, birth_date=born, sex=sex, serial=serial, retired=retired)
