"""The GBV-type withholding decision: the same figures give the same cells withheld (reused),
and a changed figure is decided again, never answered from an earlier decision."""

from __future__ import annotations

from decimal import Decimal

from services.reporting.disclosure import decide
from services.reporting.publisher import tree_of

RAPE_F = "cases/by_gbv_type/rape/female"


def _figures(n: int) -> dict[str, dict[str, Decimal]]:
    """``n`` rape cases of women in one regency of NTT, rolled up to the nation."""
    return {code: {RAPE_F: Decimal(n)} for code in ("ID", "53", "53.71")}


def test_a_small_count_is_withheld_and_a_large_one_shown():
    tree = tree_of("ID", set())
    small = decide(tree, _figures(2), ["ID", "53", "53.71"], 5)
    assert all(RAPE_F in small[code] for code in ("ID", "53", "53.71"))
    again = decide(tree, _figures(2), ["ID", "53", "53.71"], 5)
    assert again == small
    large = decide(tree, _figures(40), ["ID", "53", "53.71"], 5)
    assert not any(RAPE_F in large[code] for code in ("ID", "53", "53.71"))


def test_a_figure_that_falls_below_k_is_withheld_again():
    tree = tree_of("ID", set())
    assert RAPE_F not in decide(tree, _figures(40), ["53.71"], 5)["53.71"]
    assert RAPE_F in decide(tree, _figures(3), ["53.71"], 5)["53.71"]
    assert RAPE_F not in decide(tree, _figures(40), ["53.71"], 5)["53.71"]
