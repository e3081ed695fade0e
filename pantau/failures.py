"""Failures of the ``pantau`` commands as one clear line each, never a traceback.

:class:`CommandFailed` carries such a line and an exit code (2: bad input; 1: a failure at run
time). :func:`one_line` turns what goes wrong when a command reaches for a service's database or
the broker into that line, naming the setting to change and whether a running ``pantau dev``
was found (:mod:`pantau.local.discovery`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from pantau.local import discovery


class CommandFailed(Exception):
    """A command cannot go on; ``str(exc)`` is the line to show."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def where(database_url: str) -> str:
    """host:port/database of a PostgreSQL URL, without user or password."""
    parts = urlsplit(database_url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


def dev_hint(variable: str, value: str | None, option: str | None = None) -> str:
    """Where the failing ``value`` came from (a running ``pantau dev``, the environment, an
    option, or the default), and what chooses another."""
    path = discovery.env_file()
    found = discovery.running()
    choose = f"{option} or {variable}" if option else variable
    if found is not None and value is not None and found.get(variable) == value:
        return f"the address pantau dev wrote to {path}; {choose} chooses another"
    if value is not None and os.environ.get(variable) == value:
        return f"set by {variable}"
    if found is None:
        return f"no pantau dev is running from here: start ./scripts/dev, or set {choose}"
    return f"given by {option}" if option else f"the default; set {variable}"


@dataclass(frozen=True)
class Target:
    """What a command reaches for: a service's database and/or the broker, and their settings."""

    service: str
    database_url: str | None = None
    bootstrap: str | None = None
    prefix: str = ""  # the service's settings prefix, e.g. "REPORTING_"
    broker_option: str | None = None  # the command's option naming the broker, if any

    @property
    def database_setting(self) -> str:
        return f"{self.prefix}DATABASE_URL"

    @property
    def broker_setting(self) -> str:
        return f"{self.prefix}KAFKA_BOOTSTRAP_SERVERS" if self.prefix else "KAFKA_BOOTSTRAP_SERVERS"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextmanager
def one_line(target: Target) -> Iterator[None]:
    """Translate database and broker failures inside the block into :class:`CommandFailed`."""
    import asyncpg
    from aiokafka.errors import KafkaConnectionError, KafkaError

    db = where(target.database_url) if target.database_url else "(none)"
    try:
        yield
    except asyncpg.InvalidCatalogNameError as exc:
        raise CommandFailed(
            f"the {target.service} database {db} does not exist "
            f"({dev_hint(target.database_setting, target.database_url)})"
        ) from exc
    except asyncpg.UndefinedTableError as exc:
        raise CommandFailed(
            f"the {target.service} database {db} has no tables yet: "
            f"run `pantau migrate {target.service}` first ({_reason(exc)})"
        ) from exc
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise CommandFailed(
            f"the {target.service} database {db} refused the login: {_reason(exc)} "
            f"({target.database_setting})"
        ) from exc
    except asyncpg.PostgresError as exc:
        raise CommandFailed(
            f"the {target.service} database {db} answered {type(exc).__name__}: {_reason(exc)}"
        ) from exc
    except KafkaConnectionError as exc:
        raise CommandFailed(
            f"cannot reach the Kafka broker at {target.bootstrap} "
            f"({dev_hint(target.broker_setting, target.bootstrap, target.broker_option)})"
        ) from exc
    except KafkaError as exc:
        raise CommandFailed(
            f"the Kafka broker at {target.bootstrap} answered {type(exc).__name__}: {_reason(exc)}"
        ) from exc
    except (TimeoutError, OSError) as exc:
        if target.database_url is None:
            raise
        raise CommandFailed(
            f"cannot reach PostgreSQL at {db} for {target.service}: {_reason(exc)} "
            f"({dev_hint(target.database_setting, target.database_url)})"
        ) from exc


def debug() -> bool:
    """``PANTAU_DEBUG=1`` shows the traceback of an unexpected error as well."""
    return os.environ.get("PANTAU_DEBUG", "").lower() in {"1", "true", "yes"}
