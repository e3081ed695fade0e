"""The parts of docs/contract.md generated from the code: the topics and the code lists.

Everything else in that file is prose, checked against the code by tests/unit/test_docs.py.
A generated part sits between two markers::

    <!-- BEGIN GENERATED: codes -->
    ...
    <!-- END GENERATED: codes -->

Regenerate after changing shared/contract/ (the test says when)::

    .venv/bin/python -m tests.support.contract_doc
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from shared.auth import Role
from shared.contract import codes
from shared.contract.events import EVENT_MODELS
from shared.contract.topics import PARTITIONS, dlq_topic

CONTRACT_DOC = Path(__file__).parents[2] / "docs" / "contract.md"
REGENERATE = ".venv/bin/python -m tests.support.contract_doc"

# Each code list is marked in bold where the zero-cost rule lists the code.
_ZERO_COST: dict[type[StrEnum], frozenset[StrEnum]] = {
    codes.Occupation: frozenset(codes.ZERO_COST_OCCUPATIONS),
    codes.FeeComponent: frozenset(codes.ZERO_COST_COMPONENTS),
}


def _code_lists() -> list[type[StrEnum]]:
    """Every code list of the contract, in the order shared/contract/codes.py defines them."""
    found = [
        obj
        for _, obj in inspect.getmembers(codes, inspect.isclass)
        if issubclass(obj, StrEnum) and obj is not StrEnum and obj.__module__ == codes.__name__
    ]
    source = inspect.getsource(codes)
    return [*sorted(found, key=lambda e: source.index(f"class {e.__name__}(")), Role]


def render_codes() -> str:
    rows = ["| code list | codes |", "|---|---|"]
    for enum in _code_lists():
        bold = _ZERO_COST.get(enum, frozenset())
        cells = [f"**`{m.value}`**" if m in bold else f"`{m.value}`" for m in enum]
        rows.append(f"| `{enum.__name__}` | {', '.join(cells)} |")
    rows.append("")
    rows.append(
        "Bold: the codes the zero-cost rule lists (`ZERO_COST_OCCUPATIONS`, "
        "`ZERO_COST_COMPONENTS`). `Role` is the `role` of a token (`shared/auth.py`)."
    )
    return "\n".join(rows)


def render_topics() -> str:
    rows = ["| topic | partitions | event types (version) |", "|---|---|---|"]
    for topic, partitions in PARTITIONS.items():
        types = [(t, v) for (t, v), model in EVENT_MODELS.items() if model.topic == topic]
        listed = ", ".join(f"`{t}` ({v})" for t, v in types)
        rows.append(f"| `{topic}` | {partitions} | {listed} |")
    example = dlq_topic(next(iter(PARTITIONS)))
    rows.append("")
    rows.append(
        f"Each topic has a dead-letter topic of 1 partition beside it (`{example}`). "
        "Every record's key is its envelope's `subject`."
    )
    return "\n".join(rows)


BLOCKS: dict[str, Callable[[], str]] = {"topics": render_topics, "codes": render_codes}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {name} -->\n)(.*?)(\n<!-- END GENERATED: {name} -->)", re.S
    )


def block(text: str, name: str) -> str | None:
    """The current content of block ``name`` in ``text`` (None if its markers are missing)."""
    found = _pattern(name).search(text)
    return found.group(2) if found else None


def regenerate(text: str) -> str:
    for name, render in BLOCKS.items():
        found = _pattern(name).search(text)
        if found is None:
            raise ValueError(f"docs/contract.md has no markers for the generated block {name!r}")
        text = text[: found.start(2)] + render() + text[found.end(2) :]
    return text


def main() -> int:
    before = CONTRACT_DOC.read_text()
    after = regenerate(before)
    if after != before:
        CONTRACT_DOC.write_text(after)
    print(f"{CONTRACT_DOC}: {'regenerated' if after != before else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
