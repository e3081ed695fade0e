"""Every code of the contract is said as words in Bahasa Indonesia and English, in one place:
shared/web/static/codes.js, which pages read through ``Pantau.codes.label(list, code)``."""

from __future__ import annotations

import inspect
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from services.registry.agencies.models import AgencyStatus
from shared.contract import codes

CODES_JS = Path(__file__).parents[2] / "shared" / "web" / "static" / "codes.js"


def _labels() -> dict[str, dict[str, dict[str, str]]]:
    text = CODES_JS.read_text(encoding="utf-8")
    start, end = text.index("Pantau.codes.add(\n") + len("Pantau.codes.add(\n"), text.rindex("\n);")
    labels: dict[str, Any] = json.loads(text[start:end])
    return labels


def _list_name(cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _contract_lists() -> dict[str, list[str]]:
    lists = {
        _list_name(cls): [member.value for member in cls]
        for _, cls in inspect.getmembers(codes, inspect.isclass)
        if issubclass(cls, StrEnum) and cls is not StrEnum and cls.__module__ == codes.__name__
    }
    lists["agency_status"] = [s.value for s in AgencyStatus]
    return lists


def test_every_code_of_the_contract_has_words_in_both_languages() -> None:
    labels = _labels()
    contract = _contract_lists()
    assert set(labels) == set(contract), "codes.js lists exactly the contract's code lists"
    for name, members in contract.items():
        assert list(labels[name]) == members, f"codes.js {name}: the contract's codes, in order"
        for code, words in labels[name].items():
            assert set(words) == {"id", "en"}, f"codes.js {name}.{code}: words in id and en"
            assert all(w.strip() and w.strip() == w for w in words.values()), (name, code)


def test_words_differ_between_the_codes_of_one_list() -> None:
    """Two codes said alike would make two rows of a table look the same."""
    for name, entries in _labels().items():
        for lang in ("id", "en"):
            said = [words[lang] for words in entries.values()]
            assert len(said) == len(set(said)), f"codes.js {name}: two codes read alike in {lang}"
