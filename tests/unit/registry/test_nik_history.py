"""A NIK is for life: district codes that a later code list retired are still accepted.

Real cases: Malaka was split off Belu (Law 3/2013), so Belu's southern districts, 53.04.06-11,
14-16, 19, 20 and 24 in Permendagri 18/2013, are 53.21.xx today; Merauke was 91.01 in Papua until
the 2022 division and is 93.01 in Papua Selatan today.
"""

from datetime import date

import pytest

from pantau.simulate import make_nik
from services.registry.workers.models import WorkerIn
from services.registry.workers.nik import NikError, parse_nik
from services.registry.workers.service import registration_errors
from shared.areas import areas, district_history
from shared.contract.codes import Sex

TODAY = date(2026, 11, 22)


def test_a_belu_nik_from_before_malaka_was_split_off_is_accepted():
    # Malaka Tengah, Belu, in Permendagri 18/2013; Malaka Tengah, Malaka, today.
    info = parse_nik(make_nik("53.04.08", date(1990, 7, 5), "female", 17), today=TODAY)
    assert (info.district, info.birth_date, info.sex) == ("53.04.08", date(1990, 7, 5), Sex.FEMALE)
    assert info.retired is not None
    assert info.retired.name == "Malaka Tengah" and info.retired.successor == "53.21.01"
    assert info.retired.last_listed == "pm-18-2013"


def test_a_merauke_nik_from_before_the_papua_division_is_accepted():
    info = parse_nik(make_nik("91.01.01", date(1985, 2, 11), "male", 230), today=TODAY)
    assert info.retired is not None
    assert (info.retired.name, info.retired.successor) == ("Merauke", "93.01.01")
    assert info.retired.valid_until == date(2022, 12, 31)


def test_today_s_codes_are_not_retired():
    info = parse_nik(make_nik("53.21.01", date(1990, 7, 5), "female", 17), today=TODAY)
    assert info.retired is None
    info = parse_nik(make_nik("93.01.01", date(1985, 2, 11), "male", 230), today=TODAY)
    assert info.retired is None


@pytest.mark.parametrize(
    "district",
    [
        "53.04.25",  # Belu never had a 25th district
        "53.04.99",
        "91.01.99",  # nor Merauke a 99th
        "91.01.23",  # Merauke had 22 districts when it was 91.01
        "53.21.13",  # Malaka has 12
        "93.01.23",
    ],
)
def test_a_district_code_that_never_existed_is_refused(district):
    assert district not in areas() and district not in district_history()
    with pytest.raises(NikError, match="neither today's nor a retired one"):
        parse_nik(make_nik(district, date(1990, 7, 5), "female", 17), today=TODAY)


def test_a_retired_code_cannot_carry_a_birth_after_it_was_retired():
    # In 2030 a 13-year-old born in 2016 cannot hold a NIK under a code retired in 2015.
    later = date(2030, 1, 1)
    born = date(2016, 6, 1)
    with pytest.raises(NikError, match="retired before the birth date"):
        parse_nik(make_nik("53.04.08", born, "male", 5), today=later)
    assert parse_nik(make_nik("53.21.01", born, "male", 5), today=later).retired is None
    # Born on the last day the code may have been issued: accepted.
    last = district_history()["53.04.08"].valid_until
    assert parse_nik(make_nik("53.04.08", last, "male", 5), today=later).birth_date == last


def test_the_refusal_does_not_repeat_the_nik():
    value = make_nik("53.04.08", date(2016, 6, 1), "male", 5)
    with pytest.raises(NikError) as caught:
        parse_nik(value, today=date(2030, 1, 1))
    assert value[:6] not in str(caught.value) and value[6:12] not in str(caught.value)


def test_a_registration_with_a_historic_nik_names_a_real_current_village():
    body = WorkerIn.model_validate(
        {
            "nik": make_nik("53.04.08", date(1990, 7, 5), "female", 17),
            "name": "Maria Bria",
            "sex": "female",
            "birth_date": "1990-07-05",
            "village": "53.21.01.2001",  # Barene, Malaka Tengah, Malaka
        }
    )
    assert registration_errors(body, on=TODAY) == []
    old_village = body.model_copy(update={"village": "53.04.08.2001"})
    assert [e.field for e in registration_errors(old_village, on=TODAY)] == ["village"]


def test_the_history_file_is_consistent():
    index = areas()
    history = district_history()
    assert 100 < len(history) < 2000
    for code, row in history.items():
        assert code == row.code and code not in index, code
        assert row.name
        assert row.successor is None or index.is_district(row.successor), code
        assert row.valid_until in (date(2015, 12, 31), date(2022, 12, 31)), code
        assert row.last_listed in {
            "pm-18-2013",
            "pm-56-2015",
            "pm-137-2017",
            "pm-72-2019",
            "kep-050-145-2022",
        }, code
    malaka = {c: r.successor for c, r in history.items() if c.startswith("53.04.")}
    assert len(malaka) == 12 and all(s and s.startswith("53.21.") for s in malaka.values())
    assert len({s for s in malaka.values()}) == 12
