"""The dashboard's words exist in Bahasa Indonesia and English: every key of its texts.js in both
languages, and every key its page and scripts name literally among them (or the foundation's)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
STATIC = ROOT / "services" / "reporting" / "static"
FOUNDATION = ROOT / "shared" / "web" / "static" / "pantau.js"

_LANGUAGE = re.compile(r"^\s*(id|en): \{\s*$")
_KEY = re.compile(r'^\s*"([a-z][\w.-]*)": ')
_END = re.compile(r"^\s*\},?\s*$")


def keys_by_language(source: str) -> dict[str, set[str]]:
    """The keys of each ``id: {…}`` and ``en: {…}`` block of ``Pantau.i18n.add`` calls."""
    found: dict[str, set[str]] = {"id": set(), "en": set()}
    language = None
    for line in source.splitlines():
        if match := _LANGUAGE.match(line):
            language = match.group(1)
        elif _END.match(line):
            language = None
        elif language and (match := _KEY.match(line)):
            found[language].add(match.group(1))
    return found


def test_every_text_of_the_dashboard_is_in_both_languages() -> None:
    texts = keys_by_language((STATIC / "texts.js").read_text(encoding="utf-8"))
    assert texts["id"], "texts.js holds no texts?"
    assert sorted(texts["id"] - texts["en"]) == [], "keys without English words"
    assert sorted(texts["en"] - texts["id"]) == [], "keys without Indonesian words"


def test_every_key_the_page_names_exists() -> None:
    known = set().union(
        *keys_by_language((STATIC / "texts.js").read_text(encoding="utf-8")).values(),
        *keys_by_language(FOUNDATION.read_text(encoding="utf-8")).values(),
    )
    html = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    named = set(re.findall(r'data-i18n(?:-[a-z-]+)?="([^"]+)"', html))
    for script in STATIC.glob("*.js"):
        named |= set(re.findall(r'P\.t\("([^"]+)"', script.read_text(encoding="utf-8")))
    assert named, "no keys found: has the page changed how it names them?"
    assert sorted(named - known) == []
