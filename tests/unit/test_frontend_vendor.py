"""The vendored front-end libraries are exactly what frontend/'s lock file pins.

shared/web/static/vendor/manifest.json names every served library file (package, version, file,
SHA-256); ``scripts/vendor-frontend`` writes it. Checked here: the files are there and unchanged,
nothing unlisted is served, each version is the exact pin of frontend/package.json and the
version of frontend/package-lock.json, each package keeps its licence beside it, and every
``/static/…`` file a page names exists (a page left pointing at an old version fails).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from shared.web.assets import MANIFEST, STATIC_DIR, VENDOR_DIR

ROOT = Path(__file__).parents[2]
PACKAGE = json.loads((ROOT / "frontend" / "package.json").read_text())
LOCK = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
ENTRIES = json.loads(MANIFEST.read_text())


def test_every_listed_file_is_there_unchanged():
    assert ENTRIES, "the manifest lists no file"
    for entry in ENTRIES:
        path = VENDOR_DIR / entry["file"]
        assert path.is_file(), entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["file"]


def test_nothing_unlisted_is_served_from_vendor():
    present = {p.relative_to(VENDOR_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file()}
    assert present == {e["file"] for e in ENTRIES} | {"manifest.json"}


def test_versions_are_the_exact_pins_and_the_locked_ones():
    dependencies = PACKAGE["dependencies"]
    assert LOCK["packages"][""]["dependencies"] == dependencies
    for name, pin in dependencies.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pin), f"{name}: pin an exact version, not {pin}"
        assert LOCK["packages"][f"node_modules/{name}"]["version"] == pin
    served = {(e["name"], e["version"]) for e in ENTRIES}
    assert served == {(name, dependencies[name]) for name in PACKAGE["pantauVendor"]}
    for entry in ENTRIES:
        assert entry["file"].startswith(f"{entry['name']}-{entry['version']}/"), entry["file"]


def test_each_library_keeps_its_licence():
    for name in PACKAGE["pantauVendor"]:
        files = [e["file"] for e in ENTRIES if e["name"] == name]
        assert any(Path(f).name.upper().startswith("LICENSE") for f in files), name


def _pages() -> list[Path]:
    return [
        *ROOT.glob("services/*/static/*.html"),
        ROOT / "shared" / "web" / "sign-in.html",
        *ROOT.glob("tests/browser/*.py"),
    ]


def test_every_static_file_a_page_names_exists():
    named = {
        (page, ref)
        for page in _pages()
        for ref in re.findall(r"""["'](/static/[^"'?#]+)""", page.read_text())
    }
    assert named
    for page, ref in named:
        parts = ref.removeprefix("/static/").split("/", 1)
        own = ROOT / "services" / parts[0] / "static" / parts[1] if len(parts) == 2 else None
        assert (STATIC_DIR / ref.removeprefix("/static/")).is_file() or (
            own is not None and own.is_file()
        ), f"{page.relative_to(ROOT)} names {ref}, which is not served"
