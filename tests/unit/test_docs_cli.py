"""The documentation and the ``pantau`` command line agree.

Every ``pantau COMMAND --option`` written in code (fenced blocks and inline code) of README.md,
docs/*.md, services/*/README.md and deploy/README.md must name a command and options that
exist; so must the arguments of ``docker compose run … SERVICE COMMAND …``, whose image runs
``pantau`` (deploy/Dockerfile's entry point).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import typer.main

from pantau.cli import app

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
# `pantau CMD …` (also .venv/bin/pantau), up to the end of that shell command or comment.
PANTAU = re.compile(r"(?:^|[\s(`$'\"/])pantau\s+([a-z][a-z-]*)([^|;&)#\n]*)")
COMPOSE_RUN = re.compile(
    r"docker compose run((?:\s+--?[\w-]+)*)\s+[a-z][\w-]*\s+([a-z][a-z-]*)([^|;&)#\n]*)"
)
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


@dataclass(frozen=True)
class Mention:
    where: str
    command: str
    options: tuple[str, ...]


def documents() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "deploy" / "README.md"]
    found += sorted((ROOT / "docs").glob("*.md"))
    found += sorted((ROOT / "services").glob("*/README.md"))
    return [p for p in found if p.is_file()]


def code_of(text: str) -> list[str]:
    """Fenced blocks (continuation lines joined) and inline code spans outside them."""
    pieces = [block.replace("\\\n", " ") for block in FENCE.findall(text)]
    outside = FENCE.sub("", text)
    pieces += INLINE.findall(outside.replace("\n", " "))
    return pieces


def mentions() -> list[Mention]:
    out: list[Mention] = []
    for path in documents():
        name = str(path.relative_to(ROOT))
        for piece in code_of(path.read_text()):
            for line in piece.splitlines():
                for match in PANTAU.finditer(line):
                    out.append(Mention(name, match[1], tuple(OPTION.findall(match[2]))))
                for match in COMPOSE_RUN.finditer(line):
                    out.append(Mention(name, match[2], tuple(OPTION.findall(match[3]))))
    return out


def cli_options() -> dict[str, set[str]]:
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group) or hasattr(group, "commands")
    options: dict[str, set[str]] = {}
    for name, command in group.commands.items():
        names = {"--help"}
        for param in command.params:
            names.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
        options[name] = names
    return options


def test_the_scan_finds_what_the_readme_documents() -> None:
    found = {(m.command, m.options) for m in mentions()}
    assert ("token", ("--role", "--area")) in found
    assert any(command == "replay" for command, _ in found)


@pytest.mark.parametrize("mention", mentions(), ids=lambda m: f"{m.where}:{m.command}")
def test_every_documented_command_and_option_exists(mention: Mention) -> None:
    known = cli_options()
    assert mention.command in known, (
        f"{mention.where} documents `pantau {mention.command}`, which does not exist "
        f"(commands: {', '.join(sorted(known))})"
    )
    missing = [o for o in mention.options if o not in known[mention.command]]
    assert not missing, (
        f"{mention.where} documents `pantau {mention.command} {' '.join(missing)}`, which "
        f"`pantau {mention.command}` does not take ({', '.join(sorted(known[mention.command]))})"
    )
