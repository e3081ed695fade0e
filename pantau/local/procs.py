"""Small process helpers shared by the local broker, the local PostgreSQL and ``pantau dev``."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Could a server bind ``port`` now? (SO_REUSEADDR, as servers do: TIME_WAIT is no obstacle)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def die_with_parent() -> None:
    """``preexec_fn``: the child gets SIGTERM when the thread that spawned it goes away.

    Spawn from the main thread: the signal follows the spawning *thread*, not the process.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def terminate(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> int | None:
    """SIGTERM, wait, then SIGKILL; return the exit code (None if it could not be reaped)."""
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
