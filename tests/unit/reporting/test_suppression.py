"""Small-cell suppression: withheld cells cannot be recovered by subtraction."""

from __future__ import annotations

import random
from decimal import Decimal

from services.reporting.suppression import (
    Equation,
    area_equations,
    derivable_by_subtraction,
    determined,
    primary,
    suppress,
    tree_equations,
)


def D(n: int) -> Decimal:
    return Decimal(n)


def test_primary_withholds_small_counts_and_their_amounts_but_not_zeros() -> None:
    values = {
        ("53", "workers/departed/female"): D(3),
        ("53", "workers/departed/male"): D(0),
        ("53", "workers/registered/female"): D(5),
        ("53", "fees/illegal/count"): D(2),
        ("53", "fees/illegal/amount/IDR"): D(9_000_000),
        ("53", "agencies/licensed"): D(1),
    }
    assert primary(values, 5) == {
        ("53", "workers/departed/female"),
        ("53", "fees/illegal/count"),
        ("53", "fees/illegal/amount/IDR"),
    }


def test_a_lone_withheld_child_takes_its_smallest_sibling_with_it() -> None:
    kids = ["53.01", "53.02", "53.03"]
    values = {("53", "x"): D(31), ("53.01", "x"): D(2), ("53.02", "x"): D(9), ("53.03", "x"): D(20)}
    eqs = tree_equations({"53": kids}, ["x"])
    hidden = suppress(values, eqs, 5)
    assert hidden == {("53.01", "x"), ("53.02", "x")}
    assert derivable_by_subtraction(values, eqs, hidden) == []


def test_a_small_total_hides_enough_children() -> None:
    values = {("53", "x"): D(4), ("53.01", "x"): D(0), ("53.02", "x"): D(4)}
    eqs = [Equation((("53", "x"),), (("53.01", "x"), ("53.02", "x")))]
    hidden = suppress(values, eqs, 5)
    assert ("53", "x") in hidden and ("53.02", "x") in hidden
    assert derivable_by_subtraction(values, eqs, hidden) == []


def _random_tree(seed: int) -> tuple[dict, list[Equation]]:
    rng = random.Random(seed)
    paths = [
        f"cases/by_{axis}/{code}/{sex}"
        for axis, codes in [("category", "abc"), ("level", "vr"), ("status", ["new", "closed"])]
        for code in codes
        for sex in ("female", "male")
    ] + ["cases/open/female", "cases/open/male"]
    provinces = ["53", "32"]
    regencies = {p: [f"{p}.0{i}" for i in range(1, rng.randrange(3, 6))] for p in provinces}
    values: dict = {}
    # Consistent figures: random case records at regencies, summed upwards.
    for reg_list in regencies.values():
        for reg in reg_list:
            for _ in range(rng.randrange(0, 25)):
                sex = rng.choice(["female", "male"])
                status = rng.choice(["new", "closed"])
                row = [
                    f"cases/by_category/{rng.choice('abc')}/{sex}",
                    f"cases/by_level/{rng.choice('vr')}/{sex}",
                    f"cases/by_status/{status}/{sex}",
                ] + ([f"cases/open/{sex}"] if status == "new" else [])
                for area in (reg, reg[:2], "ID"):
                    for p in row:
                        values[(area, p)] = values.get((area, p), D(0)) + 1
    areas_all = ["ID", *provinces, *[r for rs in regencies.values() for r in rs]]
    for a in areas_all:
        for p in paths:
            values.setdefault((a, p), D(0))
    children = {"ID": provinces, **regencies}
    eqs = tree_equations(children, paths)
    for a in areas_all:
        eqs += area_equations(a, paths)
    return values, eqs


def test_no_withheld_value_is_derivable_by_subtraction_on_random_trees() -> None:
    for seed in range(40):
        values, eqs = _random_tree(seed)
        for eq in eqs:  # the fixture really satisfies its equations
            assert sum(values[c] for c in eq.left) == sum(values[c] for c in eq.right)
        hidden = suppress(values, eqs, 5)
        assert primary(values, 5) <= hidden
        assert derivable_by_subtraction(values, eqs, hidden) == [], seed
        # Spelled out: for every equation, the published cells never pin down a withheld one.
        for eq in eqs:
            unknown = [c for c in eq.cells() if c in hidden]
            assert len(unknown) != 1


def _fixed_by_fractions(eqs: list[Equation], hidden: set) -> set:
    """Independent check: dense exact elimination over the rationals of the withheld cells."""
    from fractions import Fraction

    unknowns = sorted(hidden)
    col = {c: i for i, c in enumerate(unknowns)}
    rows = []
    for eq in eqs:
        row = [Fraction(0)] * len(unknowns)
        for c in eq.left:
            if c in col:
                row[col[c]] += 1
        for c in eq.right:
            if c in col:
                row[col[c]] -= 1
        if any(row):
            rows.append(row)
    pivots = []
    r = 0
    for j in range(len(unknowns)):
        p = next((i for i in range(r, len(rows)) if rows[i][j] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        pv = rows[r][j]
        rows[r] = [x / pv for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][j] != 0:
                f = rows[i][j]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(j)
        r += 1
    return {unknowns[j] for i, j in enumerate(pivots) if sum(1 for x in rows[i] if x != 0) == 1}


def test_no_withheld_value_is_derivable_by_any_combination_of_published_figures() -> None:
    attacks = 0
    for seed in range(6):
        values, eqs = _random_tree(seed)
        single_rule_only = suppress(values, eqs, 5, exact=False)
        # The audit agrees with an independent exact computation...
        pinned = determined(eqs, single_rule_only)
        assert pinned == _fixed_by_fractions(eqs, single_rule_only)
        attacks += len([c for c in pinned if values[c] != 0])
        hidden = suppress(values, eqs, 5)
        # ...and after the exact complements no withheld value is pinned down any more (a
        # withheld zero may be: it says nobody is there, as a published zero would).
        assert {c for c in determined(eqs, hidden) if values[c] != 0} == set()
        assert {c for c in _fixed_by_fractions(eqs, hidden) if values[c] != 0} == set()
    assert attacks, "the single-equation rule alone leaves cells a combination reveals"
