"""The repository's own documentation matches the code and stands alone.

docs/contract.md: its generated parts (topics, code lists) are current; every event type and
each of its fields, every HTTP endpoint of each service that runs, and every ``pantau`` command
and option are described, and nothing is described that does not exist. docs/domain.md names
the zero-cost rule's lists. No file cites the team's design brief, which is not in the
repository, and every relative link in the Markdown files resolves.
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
import typer.main

from pantau import catalog
from pantau.cli import app as cli_app
from shared.contract.codes import ZERO_COST_COMPONENTS, ZERO_COST_OCCUPATIONS
from shared.contract.envelope import Envelope
from shared.contract.events import EVENT_MODELS
from shared.web import areas as web_areas
from shared.web import session
from tests.support import contract_doc

ROOT = Path(__file__).parents[2]
CONTRACT = (ROOT / "docs" / "contract.md").read_text()
DOMAIN = (ROOT / "docs" / "domain.md").read_text()

_HEADING = re.compile(r"^(#{2,4}) (.*)$", re.M)
_ROW_NAME = re.compile(r"^\| `([a-z_]+)` \| ([^|]*) \|", re.M)


def _section(text: str, title: re.Pattern[str]) -> str:
    """The text under the first heading matching ``title``, up to the next heading of its
    level or above."""
    for found in _HEADING.finditer(text):
        if title.search(found.group(2)):
            level = len(found.group(1))
            end = len(text)
            for later in _HEADING.finditer(text, found.end()):
                if len(later.group(1)) <= level:
                    end = later.start()
                    break
            return text[found.end() : end]
    raise AssertionError(f"docs/contract.md has no heading matching {title.pattern!r}")


def _documented_fields(section: str) -> dict[str, str]:
    """field name → its type cell, from the section's table(s)."""
    return {name: kind for name, kind in _ROW_NAME.findall(section)}


def _nullable(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def test_generated_parts_are_current() -> None:
    for name, render in contract_doc.BLOCKS.items():
        assert contract_doc.block(CONTRACT, name) == render(), (
            f"docs/contract.md's {name} are out of date: run {contract_doc.REGENERATE}"
        )


def test_the_envelope_table_lists_every_envelope_field() -> None:
    section = _section(CONTRACT, re.compile(r"^The envelope$"))
    assert set(_documented_fields(section)) == set(Envelope.model_fields)


@pytest.mark.parametrize(("event_type", "version"), sorted(EVENT_MODELS), ids=lambda v: str(v))
def test_every_event_type_and_field_is_described(event_type: str, version: int) -> None:
    model = EVENT_MODELS[(event_type, version)]
    topic = _section(CONTRACT, re.compile(rf"^`{re.escape(model.topic)}`"))
    section = _section(topic, re.compile(rf"^`{event_type}` v{version}$"))
    documented = _documented_fields(section)

    assert set(documented) == set(model.model_fields), (
        f"docs/contract.md, {event_type} v{version}: describe exactly the model's fields"
    )
    for name, field in model.model_fields.items():
        assert ("or null" in documented[name]) == _nullable(field.annotation), (
            f"docs/contract.md, {event_type}.{name}: say 'or null' exactly when it may be null"
        )


_WEB_ROUTERS = (session.router, web_areas.router)
# Every service serves these; the conventions describe them once.
_COMMON_PATHS = {
    "/health/live",
    "/health/ready",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    # the front-end foundation's (shared.web): sign-in page, session, area search
    *(getattr(r, "path", "") for router in _WEB_ROUTERS for r in router.routes),
}


def test_the_conventions_describe_the_kits_own_endpoints() -> None:
    conventions = _section(CONTRACT, re.compile(r"^Conventions \(every service\)$"))
    served = {
        f"{method} {getattr(route, 'path', '')}"
        for router in _WEB_ROUTERS
        for route in router.routes
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD"
    }
    assert served <= _endpoints(conventions), sorted(served - _endpoints(conventions))


def _endpoints(text: str) -> set[str]:
    return set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`\s]*)`", text))


@pytest.mark.parametrize("service", [s.name for s in catalog.runnable()])
def test_every_endpoint_of_a_running_service_is_described(service: str) -> None:
    app = importlib.import_module(f"services.{service}.app").create_app()
    in_schema = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    # Routes kept out of the OpenAPI document (the dashboard page) count as well.
    direct = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", None) or ()
        if hasattr(route, "path")
    }
    actual = {
        f"{method} {path}"
        for method, path in in_schema | direct
        if method != "HEAD" and path not in _COMMON_PATHS
    }
    section = _section(CONTRACT, re.compile(rf"^{service} \(port \d+\)$"))
    documented = _endpoints(section)
    assert documented == actual, (
        f"docs/contract.md, {service}: missing {sorted(actual - documented)}, "
        f"not served {sorted(documented - actual)}"
    )


def _commands() -> dict[str, set[str]]:
    group = typer.main.get_command(cli_app)
    commands: dict[str, set[str]] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        options: set[str] = set()
        for param in command.params:
            if param.param_type_name == "option":
                options.update(param.opts + param.secondary_opts)
        commands[name] = options - {"--help"}
    return commands


def test_every_command_and_option_is_described() -> None:
    cli = _section(CONTRACT, re.compile(r"^Command line$"))
    documented = {
        m.group(1): _section(cli, re.compile(rf"^`pantau {m.group(1)}\b"))
        for m in re.finditer(r"^### `pantau ([a-z-]+)", cli, re.M)
    }
    commands = _commands()
    assert set(documented) == set(commands)
    for name, options in commands.items():
        heading = re.search(rf"^### (`pantau {name}\b.*)$", cli, re.M)
        text = (heading.group(1) if heading else "") + documented[name]
        mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
        assert mentioned == options, f"docs/contract.md, pantau {name}: describe its options"


def test_domain_names_the_zero_cost_lists_and_date() -> None:
    from services.registry.fees.legality import ZERO_COST_EFFECTIVE

    for code in (*ZERO_COST_OCCUPATIONS, *ZERO_COST_COMPONENTS):
        assert f"`{code.value}`" in DOMAIN, code
    assert ZERO_COST_EFFECTIVE.isoformat() in DOMAIN


_TEXT_SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".toml", ".yml", ".yaml", ".sh", ".sql"}
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _repository_text_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        if _SKIP_DIRS.intersection(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix in _TEXT_SUFFIXES or path.parent.name in {"scripts", ".ci"}:
            files.append(path)
    return files


def test_no_file_cites_the_design_brief_outside_the_repository() -> None:
    # Built from parts, so this file does not cite them itself.
    parts = ["CONTRACT" + r"\.md", "DOMAIN" + r"\.md", "shared/" + "design", "/work/" + "shared"]
    brief = re.compile("|".join(parts))
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _repository_text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if brief.search(line)
    ]
    assert citing == [], "cite docs/contract.md or docs/domain.md instead"


def _markdown_files() -> list[Path]:
    return [p for p in _repository_text_files() if p.suffix == ".md"]


def test_relative_links_in_markdown_resolve() -> None:
    broken = []
    for path in _markdown_files():
        text = path.read_text()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve()
            if not resolved.is_relative_to(ROOT.resolve()):
                broken.append(f"{path.relative_to(ROOT)}: {target} (outside the repository)")
            elif not resolved.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    anchors = set()
    for title in re.findall(r"^#{1,6} (.*)$", path.read_text(), re.M):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors
