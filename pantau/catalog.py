"""Which services exist, where their pieces are, and the ports and settings they use.

A service is a package ``services/<name>/``; it can run once it has an ``app.py`` (with
``create_app``), it has a schema once it has a ``migrations/`` folder, and its settings class is
the :class:`ServiceSettings` subclass defined in its ``settings.py``. Nothing is hard-coded beyond
the documented default ports, so services appear here as they are written.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib import resources

from shared.settings import ServiceSettings

# The documented ports (docs/contract.md); a service not listed gets the next one after these.
DEFAULT_PORTS: dict[str, int] = {"registry": 8001, "cases": 8002, "alerts": 8003, "reporting": 8004}
DEFAULT_BROKER_PORT = 9092


class UnknownServiceError(LookupError):
    """No such service package, or it cannot run yet."""


@dataclass(frozen=True)
class Service:
    """One service package as found on disk."""

    name: str
    has_app: bool
    has_migrations: bool
    default_port: int

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def app_factory(self) -> str:
        """The uvicorn import string of the app factory."""
        return f"{self.package}.app:create_app"

    @property
    def database_name(self) -> str:
        return f"pantau_{self.name}"


def discover() -> list[Service]:
    """Every service package, in port order (registry, cases, alerts, reporting, others)."""
    root = resources.files("services")
    found: list[Service] = []
    extra_port = max(DEFAULT_PORTS.values()) + 1
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.is_dir() or entry.name.startswith(("_", ".")):
            continue
        if not (entry / "__init__.py").is_file():
            continue
        port = DEFAULT_PORTS.get(entry.name)
        if port is None:
            port, extra_port = extra_port, extra_port + 1
        found.append(
            Service(
                name=entry.name,
                has_app=(entry / "app.py").is_file(),
                has_migrations=(entry / "migrations").is_dir(),
                default_port=port,
            )
        )
    return sorted(found, key=lambda s: s.default_port)


def get(name: str) -> Service:
    for service in discover():
        if service.name == name:
            return service
    known = ", ".join(s.name for s in discover()) or "none"
    raise UnknownServiceError(f"no service {name!r} (known: {known})")


def runnable() -> list[Service]:
    return [s for s in discover() if s.has_app]


def settings_class(service: Service) -> type[ServiceSettings]:
    """The service's own settings class, or a generic one reading ``<NAME>_*`` variables."""
    try:
        module = importlib.import_module(f"{service.package}.settings")
    except ModuleNotFoundError:
        module = None
    if module is not None:
        classes = [
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, ServiceSettings)
            and obj is not ServiceSettings
            and obj.__module__ == module.__name__
        ]
        if classes:
            return classes[0]
    from pydantic_settings import SettingsConfigDict

    generic: type[ServiceSettings] = type(
        f"{service.name.title()}Settings",
        (ServiceSettings,),
        {
            "model_config": SettingsConfigDict(env_prefix=service.env_prefix, extra="ignore"),
            "service": service.name,
            "default_port": service.default_port,
            "__module__": __name__,
        },
    )
    return generic
