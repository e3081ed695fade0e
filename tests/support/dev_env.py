"""A stand-in for a running ``pantau dev`` in tests: its env file, held by a live process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pantau.local import discovery


@contextmanager
def running_dev(path: Path, values: dict[str, str]) -> Iterator[Path]:
    """Write ``path`` as a live ``pantau dev`` would (a process whose command line names pantau
    holds it), and remove it afterwards."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)", "pantau-dev-stand-in"]
    )
    try:
        lines = [f"{discovery.PID_KEY}={holder.pid}"]
        lines += [f"{key}={value}" for key, value in values.items()]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        yield path
    finally:
        holder.kill()
        holder.wait()
        path.unlink(missing_ok=True)
