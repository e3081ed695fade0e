"""Who may read which figures: the GBV-type breakdown of cases is case-file detail.

The type of gender-based violence a survivor suffered is readable only by the case workers and
supervisors who may open case files (the cases service's policy). In reporting's answers (summary,
``export.csv``, ``summary/as-of``, the dashboard built on them) the ``cases/by_gbv_type/…``
figures are therefore shown in full only to the roles ``case-worker`` and ``supervisor``. For
every other role they are *withheld* (``null``) where small:

* at the nation, provinces and regencies, as small-cell suppression decides over the whole
  published tree at once (:mod:`services.reporting.suppression`, as the agency publisher does):
  a count below ``k`` is withheld, and so are complements, so that no withheld count can be
  worked out from the figures shown beside it (a parent's figure is the sum of its children's;
  the GBV types add up to no other figure of an area, because a case of any category may carry
  one or none). Deciding over the whole tree makes every answer withhold the same cells: the
  regency answer cannot show what the province answer withheld as a complement.
* at districts and villages (and the "not attributed below" areas there), always: figures that
  fine are a handful of people's case files. Withholding all of them (zeros too) leaves their
  regency's figure the only equation they enter, which pins down none below ``k``.

The role ``operator`` runs the infrastructure and reads no figures at all (403); it keeps the
watermark, the checksums ``pantau compare`` walks, area names and health.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends

from services.reporting.db import Conn
from services.reporting.projections.area_ids import area_id
from services.reporting.projections.catalog import CATALOG
from services.reporting.projections.delta import Key, Value
from services.reporting.projections.model import PUBLISHED_LEVELS
from services.reporting.projections.store import LIVE
from services.reporting.publisher import tree_of
from services.reporting.suppression import Cell, suppress, tree_equations
from shared.areas import area_level
from shared.auth import Principal, Role, require_role, roles

GBV_PREFIX = "cases/by_gbv_type/"
GBV_PATHS: tuple[str, ...] = tuple(p for p in CATALOG.template_paths if p.startswith(GBV_PREFIX))
FULL_VIEW = frozenset({Role.CASE_WORKER, Role.SUPERVISOR})
FIGURE_READERS: tuple[Role, ...] = tuple(r for r in Role if r is not Role.OPERATOR)

FigureReader = Annotated[Principal, Depends(roles(*FIGURE_READERS))]

Withheld = dict[str, set[str]]  # per area of an answer, the leaf paths withheld


def require_figures(principal: Principal) -> None:
    """403 for a role that reads no figures (the operator)."""
    require_role(principal, *FIGURE_READERS)


def sees_gbv_types(principal: Principal) -> bool:
    return principal.role in FULL_VIEW


def suppression_note(principal: Principal, k: int) -> dict[str, Any] | None:
    """What an answer says about withheld figures (``null`` when nothing is withheld)."""
    if sees_gbv_types(principal):
        return None
    return {"k": k, "figures": ["cases.by_gbv_type"]}


def decide(
    tree: Mapping[str, list[str]],
    values: Mapping[str, Mapping[str, Decimal]],
    answer: Iterable[str],
    k: int,
) -> Withheld:
    """The GBV paths withheld for each area of ``answer``, given the GBV figures ``values`` of
    every area of the published ``tree``."""
    paths = _paths_of(values)
    return _answer(tree, paths, _hidden(tree, values, paths, k), answer)


def _paths_of(values: Mapping[str, Mapping[str, Decimal]]) -> list[str]:
    """The GBV paths to decide over: the catalogue's, and any other the figures hold."""
    paths = list(GBV_PATHS)
    for area_values in values.values():
        paths += [p for p in area_values if p.startswith(GBV_PREFIX) and p not in paths]
    return paths


def _answer(
    tree: Mapping[str, list[str]], paths: list[str], hidden: frozenset[Cell], answer: Iterable[str]
) -> Withheld:
    out: Withheld = {}
    for code in answer:
        if code in tree and area_level(code) in PUBLISHED_LEVELS:
            out[code] = {p for p in paths if (code, p) in hidden}
        else:
            out[code] = set(paths)
    return out


# The decision depends only on the tree and its GBV figures, which change when a case is opened
# or triaged, not with every event: every summary between two such changes reuses it.
_decisions: OrderedDict[tuple[Any, ...], frozenset[Cell]] = OrderedDict()
_DECISIONS_KEPT = 16


def _hidden(
    tree: Mapping[str, list[str]],
    values: Mapping[str, Mapping[str, Decimal]],
    paths: list[str],
    k: int,
) -> frozenset[Cell]:
    key = (
        k,
        tuple(paths),
        tuple(sorted(tree)),
        frozenset((a, p, v) for a, cells in values.items() for p, v in cells.items() if v),
    )
    hidden = _decisions.get(key)
    if hidden is None:
        flat: dict[Cell, Decimal] = {
            (a, p): values.get(a, {}).get(p, Decimal(0)) for a in tree for p in paths
        }
        hidden = frozenset(suppress(flat, tree_equations(tree, paths), k))
        _decisions[key] = hidden
        if len(_decisions) > _DECISIONS_KEPT:
            _decisions.popitem(last=False)
    else:
        _decisions.move_to_end(key)
    return hidden


# The GBV paths' ids first (a small table), so that the cells are read by their primary key
# (area, path): filtering every cell of the tree's areas by path would read all their figures.
_GBV_CELLS = (
    "SELECT c.area, p.path, c.v FROM {schema}.cells AS c JOIN figure_paths AS p ON p.id = c.path"
    " WHERE c.area = ANY($1::bigint[]) AND c.path = ANY(ARRAY("
    "SELECT id FROM figure_paths WHERE path LIKE 'cases/by\\_gbv\\_type/%')) AND c.v <> 0"
)


# The live figures are exactly those of the consumer's stored positions (stored in the same
# transaction as the figures), so a decision made at some positions holds for every answer read
# at the same positions.
_by_positions: OrderedDict[tuple[Any, ...], tuple[dict[str, list[str]], list[str], frozenset[Cell]]]
_by_positions = OrderedDict()

_POSITIONS = (
    "SELECT current_database(), topic, partition, next_offset FROM consumer_positions"
    " WHERE consumer = $1"
)


async def withheld_live(
    conn: Conn,
    scope: str,
    answer: Iterable[str],
    k: int,
    schema: str = LIVE,
    consumer: str | None = None,
) -> Withheld:
    """:func:`decide` over the live views (run inside the answer's snapshot); given the
    ``consumer`` whose positions the views reflect, reused while those positions stand."""
    answer = list(answer)
    if not any(area_level(code) in PUBLISHED_LEVELS for code in answer):
        # A district's or a village's answer: everything withheld, nothing to decide or read.
        return {code: set(GBV_PATHS) for code in answer}
    mark: tuple[Any, ...] | None = None
    if consumer is not None:
        rows = await conn.fetch(_POSITIONS, consumer)
        if rows:  # figures written without positions (no consumer yet) are never reused
            mark = (schema, scope, k, tuple(sorted(tuple(r) for r in rows)))
            known = _by_positions.get(mark)
            if known is not None:
                _by_positions.move_to_end(mark)
                return _answer(*known, answer)
    extra = [r["code"] for r in await conn.fetch(f"SELECT code FROM {schema}.extra_areas")]
    tree = tree_of(scope, extra)
    ids = {area_id(c): c for c in tree}
    values: dict[str, dict[str, Decimal]] = {c: {} for c in tree}
    for r in await conn.fetch(_GBV_CELLS.format(schema=schema), list(ids)):
        values[ids[r["area"]]][r["path"]] = r["v"]
    paths = _paths_of(values)
    hidden = _hidden(tree, values, paths, k)
    if mark is not None:
        _by_positions[mark] = (tree, paths, hidden)
        if len(_by_positions) > _DECISIONS_KEPT:
            _by_positions.popitem(last=False)
    return _answer(tree, paths, hidden, answer)


def withheld_in_cube(
    cube: Mapping[Key, Value], scope: str, answer: Iterable[str], k: int
) -> Withheld:
    """:func:`decide` over an in-memory cube (the as-of rebuild: every ancestor's rows)."""
    present = {key[0] for key in cube}
    tree = tree_of(scope, present)
    values: dict[str, dict[str, Decimal]] = {c: {} for c in tree}
    for (area, metric, dims), (n, amount) in cube.items():
        if area not in values:
            continue
        for path, value in CATALOG.cell_paths(metric, dims, n, amount):
            if path.startswith(GBV_PREFIX):
                values[area][path] = values[area].get(path, Decimal(0)) + value
    return decide(tree, values, answer, k)


def withhold(body: dict[str, Any], withheld: Withheld) -> dict[str, Any]:
    """Set the withheld leaves of a summary body (the area and its children) to ``None``."""
    for node in [body, *body.get("children", ())]:
        if area_level(node["area"]) not in PUBLISHED_LEVELS:
            _null_leaves(node["totals"].get("cases", {}).get("by_gbv_type"))
        for path in withheld.get(node["area"], ()):
            tree = node["totals"]
            *heads, last = path.split("/")
            for part in heads:
                tree = tree.setdefault(part, {})
            tree[last] = None
    return body


def _null_leaves(tree: Any) -> None:
    """Every figure under ``tree`` withheld (a district's or a village's GBV types, whatever
    types its figures hold)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if isinstance(value, dict):
                _null_leaves(value)
            else:
                tree[key] = None
