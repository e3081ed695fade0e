"""Build ``data/district_history.csv``: district codes of earlier official lists that today's lacks.

A NIK keeps the district code under which it was issued for life, so a code that a later edition
of the Ministry of Home Affairs' list renumbered (a new regency split off, a province divided) must
still be recognised. This tool compares earlier editions of the list with the current one
(``data/districts.csv``) and writes every district code that an earlier edition has and the
current one lacks, with its last name, until when it may have been issued, and its successor.

The inputs are the files named in ``data/README.md`` ("Historic district codes"), fetched from
their public repositories at the commits given there; run::

    python -m shared.areas.build_history \\
        --pm-18-2013 buku-induk.tabula-processed.csv --pm-56-2015 wilayah.sql \\
        --pm-137-2017 wilayah_2018.sql --pm-72-2019 wilayah_2020.sql \\
        --kep-050-145-2022 districts.csv > shared/areas/data/district_history.csv

The successor is the current district of the same name (case, spaces and punctuation ignored)
in the province or provinces that took the code's area over, decided by the regency's other
districts when a name occurs twice, else the closest spelling in that regency; empty when no
current district is close enough (a district merged away or renamed beyond recognition).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DISTRICT = re.compile(r"^\d\d\.\d\d\.\d\d$")
_SQL_ROW = re.compile(r"""\(\s*["'](\d\d\.\d\d\.\d\d)["']\s*,\s*["']([^"']*)["']\s*\)""")
_FUZZY_CUTOFF = 0.75
# Where the areas of a divided province went (the code's own province always counts too).
PROVINCES_TAKING_OVER = {"64": ("65",), "91": ("93", "94", "95"), "92": ("96",)}
COLUMNS = ("code", "name", "valid_until", "successor", "last_listed")


@dataclass(frozen=True)
class Edition:
    """One edition of the official list: its key (as in the CSV's ``last_listed``) and year."""

    key: str
    year: int
    districts: dict[str, str]


def read_tabula_csv(path: Path) -> dict[str, str]:
    """Permendagri 18/2013 as extracted from its PDF: a code cell, then ``"<no> <name>"``."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            for i, cell in enumerate(row[:-1]):
                if DISTRICT.match(cell.strip()):
                    out[cell.strip()] = re.sub(r"^\s*\d+\s+", "", row[i + 1]).strip()
    return out


def read_sql_dump(path: Path) -> dict[str, str]:
    """A ``wilayah (kode, nama)`` SQL dump: the rows whose code is a district's."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return {m.group(1): m.group(2).strip() for m in _SQL_ROW.finditer(text)}


def read_area_csv(path: Path) -> dict[str, str]:
    """An ``idn-area-data`` ``districts.csv`` (codes with or without dots)."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["code"]
            if "." not in code:
                code = f"{code[0:2]}.{code[2:4]}.{code[4:6]}"
            out[code] = row["name"].strip()
    return out


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _display(name: str) -> str:
    """Names as last listed; the all-capitals spelling of some editions in title case."""
    return " ".join(w.capitalize() for w in name.split()) if name.isupper() else name


def _region(code: str) -> tuple[str, ...]:
    return (code[:2], *PROVINCES_TAKING_OVER.get(code[:2], ()))


def successors(retired: dict[str, str], current: dict[str, str]) -> dict[str, str]:
    """The current district each retired code became (see the module docstring)."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for code, name in current.items():
        by_name[_norm(name)].append(code)
    found: dict[str, str] = {}
    ambiguous: dict[str, list[str]] = {}
    for code, name in retired.items():
        candidates = [c for c in by_name.get(_norm(name), []) if c[:2] in _region(code)]
        if len(candidates) > 1:
            same_number = [c for c in candidates if c[-2:] == code[-2:]]
            candidates = same_number if len(same_number) == 1 else candidates
        if len(candidates) == 1:
            found[code] = candidates[0]
        else:
            ambiguous[code] = candidates
    # Where did each old regency go? The regency most of its unambiguous districts went to.
    regency_went: dict[str, Counter[str]] = defaultdict(Counter)
    for code, successor in found.items():
        regency_went[code[:5]][successor[:5]] += 1
    for code, candidates in ambiguous.items():
        went = regency_went[code[:5]]
        if not went:
            continue
        target = went.most_common(1)[0][0]
        inside = [c for c in candidates if c.startswith(target + ".")]
        if len(inside) == 1:
            found[code] = inside[0]
            continue
        names = {_norm(n): c for c, n in current.items() if c.startswith(target + ".")}
        close = difflib.get_close_matches(
            _norm(retired[code]), list(names), n=1, cutoff=_FUZZY_CUTOFF
        )
        if close:
            found[code] = names[close[0]]
    return found


def history(
    editions: Iterable[Edition], current: dict[str, str], current_year: int
) -> list[dict[str, str]]:
    """Rows of ``district_history.csv``, by code.

    ``valid_until`` is 31 December of the year of the first edition (later than the last one
    listing the code) that no longer lists it, the current one included: the civil registry may
    have gone on issuing NIKs under a code until the list that retired it reached it.
    """
    ordered = sorted(editions, key=lambda e: e.year)
    retired: dict[str, str] = {}
    last_listed: dict[str, Edition] = {}
    for edition in ordered:
        for code, name in edition.districts.items():
            if code not in current:
                retired[code] = name
                last_listed[code] = edition
    followers = successors(retired, current)
    rows = []
    for code in sorted(retired):
        seen = last_listed[code]
        later = [e.year for e in ordered if e.year > seen.year and code not in e.districts]
        until = min(later, default=current_year)
        rows.append(
            {
                "code": code,
                "name": _display(retired[code]),
                "valid_until": date(until, 12, 31).isoformat(),
                "successor": followers.get(code, ""),
                "last_listed": seen.key,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--pm-18-2013", type=Path, required=True)
    parser.add_argument("--pm-56-2015", type=Path, required=True)
    parser.add_argument("--pm-137-2017", type=Path, required=True)
    parser.add_argument("--pm-72-2019", type=Path, required=True)
    parser.add_argument("--kep-050-145-2022", type=Path, required=True)
    parser.add_argument(
        "--current",
        type=Path,
        default=Path(__file__).parent / "data" / "districts.csv",
        help="today's list (default: the shipped districts.csv)",
    )
    parser.add_argument(
        "--current-year", type=int, default=2022, help="year of today's list (Kepmendagri 2022)"
    )
    args = parser.parse_args(argv)
    editions = [
        Edition("pm-18-2013", 2013, read_tabula_csv(args.pm_18_2013)),
        Edition("pm-56-2015", 2015, read_sql_dump(args.pm_56_2015)),
        Edition("pm-137-2017", 2017, read_sql_dump(args.pm_137_2017)),
        Edition("pm-72-2019", 2019, read_sql_dump(args.pm_72_2019)),
        Edition("kep-050-145-2022", 2021, read_area_csv(args.kep_050_145_2022)),
    ]
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history(editions, read_area_csv(args.current), args.current_year))


if __name__ == "__main__":
    main()
