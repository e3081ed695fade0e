"""Small-cell suppression of the aggregates published to agencies.

A count below ``k`` (but above zero) is withheld (*primary* suppression), with the fee amounts
of a withheld fee count. Published figures are tied by equations an agency can subtract along:

* across areas: a parent's leaf equals the sum of that leaf over its children (for the levels
  that are published together: nation, provinces, regencies);
* inside an area: two breakdowns of one total are equal (cases by category = by level = by
  status, per sex; workers departed = by occupation = by destination, per sex; fees by legality =
  by component; open cases = cases by every non-closed status; alerts by severity = by rule),
  as each metric declares them (``Metric.equations`` in ``projections/subjects/``).

*Complementary* suppression then withholds, in every equation that would leave exactly one
withheld cell (derivable by subtraction), the smallest published cell as well, until no equation
has exactly one withheld cell. Subtraction along several equations at once can still pin a cell
down (a withheld 2x2 block of a table with both margins published is safe, a withheld "L" is
not), so an exact audit follows: Gaussian elimination over the withheld cells (modulo a large
prime; equations have ±1 coefficients) finds every withheld cell that *any* combination of the
published figures determines, and each gets a further complement, until none is determined.
Not covered: differencing between successive publications over time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.reporting.projections.catalog import CATALOG

Cell = tuple[str, str]  # (area, leaf path)


@dataclass(frozen=True)
class Equation:
    """sum(left) == sum(right): subtracting along it recovers a lone unknown."""

    left: tuple[Cell, ...]
    right: tuple[Cell, ...]

    def cells(self) -> tuple[Cell, ...]:
        return self.left + self.right


EXEMPT_PREFIXES = CATALOG.public_prefixes  # public facts (agencies' licences)


def area_equations(area: str, paths: Sequence[str]) -> list[Equation]:
    """Equalities between two breakdowns of the same total, inside one area's totals."""
    eqs = CATALOG.equations(paths)
    return [
        Equation(tuple((area, p) for p in left), tuple((area, p) for p in right))
        for left, right in eqs
        if left and right
    ]


def tree_equations(children: Mapping[str, Sequence[str]], paths: Sequence[str]) -> list[Equation]:
    """parent.leaf == sum(child.leaf) for every published parent and every leaf."""
    eqs = []
    for parent_area, kids in children.items():
        if not kids:
            continue
        for p in paths:
            eqs.append(Equation(((parent_area, p),), tuple((k, p) for k in kids)))
    return eqs


def _count_path_of(path: str) -> str | None:
    """The count cell whose smallness makes an amount cell sensitive."""
    if "/amount/" in path:
        return path.split("/amount/", 1)[0] + "/count"
    return None


def primary(values: Mapping[Cell, Decimal], k: int) -> set[Cell]:
    """Cells withheld for themselves: counts in [1, k), and the amounts of such fee counts."""
    out: set[Cell] = set()
    for (area, path), v in values.items():
        if path.startswith(EXEMPT_PREFIXES):
            continue
        count_path = _count_path_of(path)
        count = values.get((area, count_path), Decimal(0)) if count_path else v
        if 0 < count < k:
            out.add((area, path))
    return out


def suppress(
    values: Mapping[Cell, Decimal],
    equations: Sequence[Equation],
    k: int,
    *,
    exact: bool = True,
) -> set[Cell]:
    """Every withheld cell: primary ones, then complements until nothing can be derived."""
    hidden = primary(values, k)
    of_cell: dict[Cell, list[int]] = defaultdict(list)
    for i, eq in enumerate(equations):
        for cell in eq.cells():
            of_cell[cell].append(i)
    _close(values, equations, of_cell, hidden, list(range(len(equations))))
    while exact:
        # A withheld zero may be computable (it tells that nobody is there, which a published
        # zero would tell anyway); every other withheld value must stay unknown.
        pinned = {c for c in determined(equations, hidden) if values.get(c, Decimal(0)) != 0}
        if not pinned:
            break
        touched: list[int] = []
        for cell in sorted(pinned):
            pick, eqs = _nearest_published(values, equations, of_cell, hidden, cell)
            if pick is None:
                continue
            hidden.add(pick)
            touched += eqs
            touched += of_cell[pick]
        if not touched:
            break  # nothing published is left around them
        _close(values, equations, of_cell, hidden, touched)
    return hidden


def _rank(values: Mapping[Cell, Decimal], cell: Cell) -> tuple[bool, Decimal, Cell]:
    # Smallest non-zero first: withholding zeros protects little and spreads through empty areas.
    v = values.get(cell, Decimal(0))
    return (v == 0, v, cell)


def _nearest_published(
    values: Mapping[Cell, Decimal],
    equations: Sequence[Equation],
    of_cell: Mapping[Cell, list[int]],
    hidden: set[Cell],
    start: Cell,
) -> tuple[Cell | None, list[int]]:
    """The best published cell in the equations around ``start``, widening through withheld
    cells until one is found."""
    seen_cells = {start}
    frontier = [start]
    seen_eqs: set[int] = set()
    while frontier:
        options: list[Cell] = []
        eqs: list[int] = []
        nxt: list[Cell] = []
        for cell in frontier:
            for j in of_cell.get(cell, ()):
                if j in seen_eqs:
                    continue
                seen_eqs.add(j)
                eqs.append(j)
                for c in equations[j].cells():
                    if c not in hidden:
                        options.append(c)
                    elif c not in seen_cells:
                        seen_cells.add(c)
                        nxt.append(c)
        if options:
            return min(options, key=lambda c: _rank(values, c)), eqs
        frontier = nxt
    return None, []


def _close(
    values: Mapping[Cell, Decimal],
    equations: Sequence[Equation],
    of_cell: Mapping[Cell, list[int]],
    hidden: set[Cell],
    work: list[int],
) -> None:
    """Single-equation rule: no equation may keep exactly one withheld cell."""
    queued = set(work)
    while work:
        i = work.pop()
        queued.discard(i)
        cells = equations[i].cells()
        withheld = [c for c in cells if c in hidden]
        if len(withheld) != 1:
            continue
        candidates = [c for c in cells if c not in hidden]
        if not candidates:
            continue
        pick = min(candidates, key=lambda c: _rank(values, c))
        hidden.add(pick)
        for j in of_cell[pick]:
            if j not in queued:
                queued.add(j)
                work.append(j)


_PRIME = (1 << 61) - 1


def determined(equations: Sequence[Equation], hidden: set[Cell]) -> set[Cell]:
    """Withheld cells whose value the published figures fix through any linear combination.

    A cell is fixed iff its unit vector lies in the row space of the equations restricted to the
    withheld cells; with the rows in reduced echelon form that is a basis row with one entry.
    """
    basis: dict[Cell, dict[Cell, int]] = {}  # pivot -> row (pivot coefficient 1)
    holders: dict[Cell, set[Cell]] = defaultdict(set)  # column -> pivots of rows using it
    for eq in equations:
        row: dict[Cell, int] = {}
        for c in eq.left:
            if c in hidden:
                row[c] = row.get(c, 0) + 1
        for c in eq.right:
            if c in hidden:
                row[c] = row.get(c, 0) - 1
        row = {c: v % _PRIME for c, v in row.items() if v % _PRIME}
        for col in [c for c in row if c in basis]:
            factor = row.get(col)
            if not factor:
                continue
            for c, v in basis[col].items():
                nv = (row.get(c, 0) - factor * v) % _PRIME
                if nv:
                    row[c] = nv
                else:
                    row.pop(c, None)
        if not row:
            continue
        pivot = min(row)
        inv = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {c: v * inv % _PRIME for c, v in row.items()}
        for other in list(holders.get(pivot, ())):
            target = basis[other]
            factor = target[pivot]
            for c, v in row.items():
                nv = (target.get(c, 0) - factor * v) % _PRIME
                if nv:
                    if c not in target:
                        holders[c].add(other)
                    target[c] = nv
                else:
                    if c in target:
                        holders[c].discard(other)
                    target.pop(c, None)
        basis[pivot] = row
        for c in row:
            holders[c].add(pivot)
    return {pivot for pivot, row in basis.items() if len(row) == 1}


def derivable_by_subtraction(
    values: Mapping[Cell, Decimal], equations: Sequence[Equation], hidden: set[Cell]
) -> list[Cell]:
    """Withheld cells that one equation and the published cells would reveal (should be none)."""
    found = []
    for eq in equations:
        withheld = [c for c in eq.cells() if c in hidden]
        if len(withheld) == 1:
            found.append(withheld[0])
    return found
