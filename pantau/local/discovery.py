"""How commands beside ``pantau dev`` find the system it runs: an env file at a well-known place.

``pantau dev`` writes what it gave its services (database URLs, the broker, the services'
addresses, a province node's) to ``.pantau/dev.env`` in the checkout it runs from (outside a
checkout: ``$XDG_STATE_HOME/pantau/dev.env``, by default ``~/.local/state/pantau/dev.env``;
``PANTAU_DEV_ENV_FILE`` names another file), and removes it when it stops. Every other command
reads it before it parses its options and fills in only the variables that are not set
already, so an option beats an environment variable, which beats the file, which beats the
built-in defaults. A file whose ``pantau dev`` is gone (killed with -9) is ignored, and
``PANTAU_DEV_DISCOVERY=0`` makes a command ignore it too (a test, or a command meant for another
system, then reaches nothing of the running ``pantau dev`` by default).

The file is plain ``KEY=value`` lines, shell-quoted: ``set -a; . .pantau/dev.env; set +a``
gives a shell the same settings.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_FILE_VARIABLE = "PANTAU_DEV_ENV_FILE"
DISCOVERY_VARIABLE = "PANTAU_DEV_DISCOVERY"  # 0 (or off, no, false): ignore a running pantau dev
PID_KEY = "PANTAU_DEV_PID"
# The service URLs `pantau dev` publishes, and a province node's (`--province-node`).
PROVINCE_NODE_KEY = "PANTAU_PROVINCE_NODE"
PROVINCE_NODE_URL_KEY = "PANTAU_PROVINCE_NODE_URL"
PROVINCE_NODE_DATABASE_KEY = "PANTAU_PROVINCE_NODE_DATABASE_URL"


def service_url_key(name: str) -> str:
    """The variable holding a running service's base URL, e.g. ``PANTAU_REPORTING_URL``."""
    return f"PANTAU_{name.upper()}_URL"


def _checkout() -> Path | None:
    """The source checkout this package runs from, if it is one (``pip install -e``)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "pantau").is_dir() else None


def env_file(environ: Mapping[str, str] = os.environ) -> Path:
    """Where ``pantau dev`` writes its env file and where the other commands look for it."""
    named = environ.get(ENV_FILE_VARIABLE)
    if named:
        return Path(named)
    checkout = _checkout()
    if checkout is not None and os.access(checkout, os.W_OK):
        return checkout / ".pantau" / "dev.env"
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "pantau" / "dev.env"


@dataclass
class DevEnv:
    """A running ``pantau dev``'s settings, as read from its env file."""

    path: Path
    pid: int
    values: dict[str, str]
    applied: set[str] = field(default_factory=set)  # keys apply() took from the file

    def get(self, key: str) -> str | None:
        return self.values.get(key)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    with contextlib.suppress(OSError):  # a reused pid is some other program
        return b"pantau" in cmdline.read_bytes()
    return True


def parse(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        words = shlex.split(raw) if raw else [""]
        values[key.strip()] = words[0] if words else ""
    return values


def read(path: Path | None = None) -> DevEnv | None:
    """The running ``pantau dev``'s settings; None when there is no file or its process is gone."""
    path = path or env_file()
    try:
        values = parse(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        pid = int(values.get(PID_KEY, ""))
    except ValueError:
        return None
    if not _alive(pid):
        return None
    return DevEnv(path=path, pid=pid, values=values)


def disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """True when ``PANTAU_DEV_DISCOVERY`` turns discovery off for this command."""
    return environ.get(DISCOVERY_VARIABLE, "").strip().lower() in {"0", "off", "no", "false"}


def running(environ: Mapping[str, str] = os.environ) -> DevEnv | None:
    """The running ``pantau dev`` this command may use: None when none runs or discovery is off."""
    return None if disabled(environ) else read(env_file(environ))


def apply(environ: MutableMapping[str, str] | None = None) -> DevEnv | None:
    """Fill ``environ`` (default ``os.environ``) from the running ``pantau dev``'s file, never
    overriding a variable that is set; return what was found (None if nothing runs, or
    discovery is off)."""
    target: MutableMapping[str, str] = os.environ if environ is None else environ
    found = running(target)
    if found is None:
        return None
    for key, value in found.values.items():
        if key not in target:
            target[key] = value
            found.applied.add(key)
    return found


def write(values: Mapping[str, str], path: Path | None = None) -> Path:
    """Write this process's env file atomically (mode 0600: it may hold a token secret)."""
    path = path or env_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Written by `pantau dev` (pid {os.getpid()}) for the commands run beside it;",
        "# removed when it stops. Shell: set -a; . THIS_FILE; set +a",
        f"{PID_KEY}={os.getpid()}",
        *(f"{key}={shlex.quote(value)}" for key, value in values.items() if key != PID_KEY),
    ]
    fd, temp = tempfile.mkstemp(prefix=".dev.env.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path


def remove(path: Path) -> None:
    """Remove the env file if this process wrote it (another ``pantau dev`` may own it now)."""
    try:
        values = parse(path.read_text())
    except OSError:
        return
    if values.get(PID_KEY) == str(os.getpid()):
        with contextlib.suppress(OSError):
            path.unlink()
