"""The builder of data/district_history.csv on small editions shaped like the real ones."""

from datetime import date
from pathlib import Path

from shared.areas.build_history import (
    Edition,
    history,
    read_area_csv,
    read_sql_dump,
    read_tabula_csv,
)

CURRENT = {
    "53.04.01": "Lamaknen",
    "53.21.01": "Malaka Tengah",
    "53.21.02": "Malaka Barat",
    "93.01.01": "Merauke",
    "95.01.27": "Tagime",
    "95.04.40": "Tagime",
    "95.01.03": "Wamena",
    "95.01.04": "Asologaima",
}


def test_retired_codes_get_their_last_listing_end_and_successor():
    editions = [
        Edition(
            "old",
            2013,
            {
                "53.04.01": "Lamaknen",
                "53.04.08": "Malaka Tengah",
                "53.04.10": "MALAKA BARAT",
                "91.01.01": "MERAUKE",
                "91.02.55": "TAGIME",  # two current Tagime: the regency's others decide
                "91.02.03": "WAMENA",
                "91.02.04": "ASOLOGAIMA",
                "53.04.30": "Hilang",  # merged away: no successor
            },
        ),
        Edition("new", 2021, {"53.04.01": "Lamaknen", "91.01.01": "Merauke"}),
    ]
    rows = {r["code"]: r for r in history(editions, CURRENT, current_year=2022)}
    assert set(rows) == {
        "53.04.08",
        "53.04.10",
        "91.01.01",
        "91.02.55",
        "91.02.03",
        "91.02.04",
        "53.04.30",
    }
    assert rows["53.04.08"] == {
        "code": "53.04.08",
        "name": "Malaka Tengah",
        "valid_until": date(2021, 12, 31).isoformat(),  # the first edition without it
        "successor": "53.21.01",
        "last_listed": "old",
    }
    assert rows["53.04.10"]["name"] == "Malaka Barat"  # capitals in title case
    assert rows["91.01.01"]["valid_until"] == "2022-12-31"  # retired by today's list
    assert rows["91.01.01"]["successor"] == "93.01.01" and rows["91.01.01"]["last_listed"] == "new"
    assert rows["91.02.55"]["successor"] == "95.01.27"
    assert rows["53.04.30"]["successor"] == ""


def test_the_three_source_shapes_are_read(tmp_path: Path):
    tabula = tmp_path / "pm18.csv"
    tabula.write_text(
        '"",53.04, 4 KAB. BELU\n53.04.08, 8 Malaka Tengah\n"", 24\n53.04.24,Kobalima Timur\n'
    )
    assert read_tabula_csv(tabula) == {"53.04.08": "Malaka Tengah", "53.04.24": "Kobalima Timur"}
    dump = tmp_path / "w.sql"
    dump.write_text(
        'INSERT INTO wilayah VALUES ("53.04","KAB. BELU"),("53.04.08","Malaka Tengah"),\n'
        "('53.04.08.2001',\t'Barene'), ('91.01.01',\t'MERAUKE');"
    )
    assert read_sql_dump(dump) == {"53.04.08": "Malaka Tengah", "91.01.01": "MERAUKE"}
    area = tmp_path / "districts.csv"
    area.write_text("code,regency_code,name\n910101,9101,MERAUKE\n93.01.01,93.01,Merauke\n")
    assert read_area_csv(area) == {"91.01.01": "MERAUKE", "93.01.01": "Merauke"}
