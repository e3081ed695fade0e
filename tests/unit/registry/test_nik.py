"""NIK decoding: district code, birth date with women's day +40, century, serial."""

from datetime import date

import pytest

from pantau.simulate import make_nik
from services.registry.workers.models import WorkerIn
from services.registry.workers.nik import NikError, parse_nik
from services.registry.workers.service import registration_errors
from shared.contract.codes import Sex

TODAY = date(2026, 11, 22)
DISTRICT = "53.71.01"  # Alak, Kota Kupang


def nik(ddmmyy: str, serial: str = "0001", district: str = "537101") -> str:
    return f"{district}{ddmmyy}{serial}"


def test_a_man_s_nik_carries_his_birth_date():
    info = parse_nik(nik("050790"), today=TODAY)
    assert info.district == DISTRICT
    assert info.birth_date == date(1990, 7, 5)
    assert info.sex is Sex.MALE
    assert info.serial == 1


def test_a_woman_s_day_is_plus_forty():
    info = parse_nik(nik("450790"), today=TODAY)
    assert info.birth_date == date(1990, 7, 5)
    assert info.sex is Sex.FEMALE


@pytest.mark.parametrize(
    ("dd", "day", "sex"),
    [("01", 1, Sex.MALE), ("31", 31, Sex.MALE), ("41", 1, Sex.FEMALE), ("71", 31, Sex.FEMALE)],
)
def test_day_edges(dd, day, sex):
    info = parse_nik(nik(f"{dd}0190"), today=TODAY)
    assert (info.birth_date.day, info.sex) == (day, sex)


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "000190",  # day 0
        "320190",  # day 32 (a man)
        "400190",  # day 40: neither a man's (up to 31) nor a woman's (from 41)
        "720190",  # day 72 (a woman's 32)
        "310490",  # 31 April
        "710490",  # a woman's 31 April
        "051390",  # month 13
        "050090",  # month 0
        "290201",  # 29 February 2001 / 1901
        "300290",  # 30 February
    ],
)
def test_impossible_dates_are_refused(ddmmyy):
    with pytest.raises(NikError, match="not a possible date"):
        parse_nik(nik(ddmmyy), today=TODAY)


def test_a_woman_s_thirtieth_of_april_is_possible():
    assert parse_nik(nik("700490"), today=TODAY).birth_date == date(1990, 4, 30)


def test_29_february_2000_is_a_date():
    assert parse_nik(nik("290200"), today=TODAY).birth_date == date(2000, 2, 29)
    assert parse_nik(nik("690200"), today=TODAY).birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("ddmmyy", "born"),
    [
        ("010199", date(1999, 1, 1)),
        ("010105", date(2005, 1, 1)),  # 21 years old: this century
        ("010130", date(1930, 1, 1)),  # 2030 is in the future: last century
        ("221126", date(1926, 11, 22)),  # born today in 2026 is too young; 1926 is exactly 100
    ],
)
def test_the_century_is_the_latest_plausible_one(ddmmyy, born):
    assert parse_nik(nik(ddmmyy), today=TODAY).birth_date == born


def test_an_age_outside_twelve_to_a_hundred_is_not_plausible():
    with pytest.raises(NikError, match="no plausible age"):
        parse_nik(nik("011020"), today=TODAY)  # 6 or 106 years old
    with pytest.raises(NikError, match="no plausible age"):
        parse_nik(nik("011214"), today=TODAY)  # 11 or 111 years old
    with pytest.raises(NikError, match="no plausible age"):
        parse_nik(nik("231114"), today=TODAY)  # 12 tomorrow
    assert parse_nik(nik("221114"), today=TODAY).birth_date == date(2014, 11, 22)  # 12 today


@pytest.mark.parametrize("district", ["999999", "530000", "537199", "000000"])
def test_the_district_must_exist(district):
    with pytest.raises(NikError, match="district"):
        parse_nik(nik("050790", district=district), today=TODAY)


@pytest.mark.parametrize(
    "value",
    ["537101050790001", "53710105079000012", "53710105O7900001", "\uff15" * 16],
)
def test_sixteen_ascii_digits(value):
    with pytest.raises(NikError, match="16 digits"):
        parse_nik(value, today=TODAY)


def test_serial_zero_is_refused():
    with pytest.raises(NikError, match="serial"):
        parse_nik(nik("050790", serial="0000"), today=TODAY)


def test_messages_never_repeat_the_nik():
    for bad in [nik("320190"), nik("050790", district="999999"), nik("011020"), nik("0")]:
        with pytest.raises(NikError) as caught:
            parse_nik(bad, today=TODAY)
        assert bad not in str(caught.value)
        assert bad[:6] not in str(caught.value) and bad[6:12] not in str(caught.value)


def test_the_simulator_s_niks_are_valid():
    value = make_nik(DISTRICT, date(1988, 3, 9), "female", 42)
    info = parse_nik(value, today=TODAY)
    assert (info.birth_date, info.sex, info.serial) == (date(1988, 3, 9), Sex.FEMALE, 42)


def _registration(**overrides):
    body = {
        "nik": nik("450790"),
        "name": "Maria Lende",
        "sex": "female",
        "birth_date": "1990-07-05",
        "village": "53.71.01.1001",
    }
    body.update(overrides)
    return WorkerIn.model_validate(body)


def test_a_consistent_registration_has_no_errors():
    assert registration_errors(_registration(), on=TODAY) == []


def test_sex_must_agree_with_the_nik():
    errors = registration_errors(_registration(sex="male"), on=TODAY)
    assert [e.field for e in errors] == ["sex"]
    assert "+40" in errors[0].msg


def test_birth_date_must_equal_the_nik_s():
    errors = registration_errors(_registration(birth_date="1990-07-06"), on=TODAY)
    assert [e.field for e in errors] == ["birth_date"]
    errors = registration_errors(_registration(birth_date="1901-07-05"), on=TODAY)
    assert [e.field for e in errors] == ["birth_date"]
    errors = registration_errors(_registration(birth_date="2027-01-01"), on=TODAY)
    assert [e.field for e in errors] == ["birth_date"] and "future" in errors[0].msg


def test_village_must_be_real():
    errors = registration_errors(_registration(village="53.71.01.9999"), on=TODAY)
    assert [e.field for e in errors] == ["village"]


def test_the_registering_district_may_differ_from_the_village():
    # A NIK records where the person was registered at birth, not where they live now.
    body = _registration(nik=nik("450790", district="530104"), village="53.71.01.1001")
    assert registration_errors(body, on=TODAY) == []


def test_errors_never_repeat_personal_values():
    body = _registration(sex="male", birth_date="1990-07-06", village="53.71.01.9999")
    for error in registration_errors(body, on=TODAY):
        for secret in (body.nik, body.name, "1990-07-06", "1990"):
            assert secret not in error.msg
