"""Copy the pinned front-end libraries from frontend/node_modules into the served static folder.

Run by ``scripts/vendor-frontend`` after ``npm ci`` (Python's standard library only). For each
package named under ``pantauVendor`` in frontend/package.json it copies the listed files into
``shared/web/static/vendor/<name>-<version>/`` and writes ``vendor/manifest.json`` (name,
version, file, sha256 per file). The version in the folder's name lets the services cache these
files for a year: a new version is a new URL. Everything else in ``vendor/`` is removed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent
VENDOR = FRONTEND.parent / "shared" / "web" / "static" / "vendor"
EXACT = re.compile(r"^\d+\.\d+\.\d+$")


def folder_of(name: str, version: str) -> str:
    """``chart.js`` 4.6.2 → ``chart.js-4.6.2``; a scoped ``@scope/pkg`` → ``scope-pkg-…``."""
    return f"{name.lstrip('@').replace('/', '-')}-{version}"


def main() -> int:
    package = json.loads((FRONTEND / "package.json").read_text())
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    wanted: dict[str, list[str]] = package["pantauVendor"]
    problems = []
    for name, pin in package["dependencies"].items():
        if not EXACT.match(pin):
            problems.append(f"{name}: pin an exact version, not {pin!r} (npm install --save-exact)")
    for name in wanted:
        if name not in package["dependencies"]:
            problems.append(f"{name}: listed in pantauVendor but not a dependency")
    if problems:
        print("vendor-frontend: " + "; ".join(problems), file=sys.stderr)
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    manifest = []
    for name, files in sorted(wanted.items()):
        version = lock["packages"][f"node_modules/{name}"]["version"]
        source = FRONTEND / "node_modules" / name
        installed = json.loads((source / "package.json").read_text())["version"]
        if installed != version or version != package["dependencies"][name]:
            print(
                f"vendor-frontend: {name}: package.json pins {package['dependencies'][name]}, "
                f"the lock has {version}, node_modules has {installed}; run npm install first",
                file=sys.stderr,
            )
            return 1
        folder = VENDOR / folder_of(name, version)
        folder.mkdir()
        for relative in files:
            target = folder / Path(relative).name
            shutil.copyfile(source / relative, target)
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            file = target.relative_to(VENDOR).as_posix()
            manifest.append({"name": name, "version": version, "file": file, "sha256": digest})
            print(f"vendor-frontend: {file} ({target.stat().st_size:,} bytes)")
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
