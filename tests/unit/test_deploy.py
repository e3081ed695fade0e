"""The deployment files hold together: docker-compose.yml, deploy/ and the CI scripts.

No Docker engine runs where the tests do, so the compose file is checked statically (and with
``docker compose config`` when a compose CLI is installed; it parses without a daemon). The
PostgreSQL init script is run for real against a throw-away cluster.
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import importlib
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import yaml

from shared.contract.topics import all_topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

DATABASE_SERVICES = ("registry", "cases", "alerts", "reporting")
# The app services this compose file runs, with their contract ports (docs/contract.md).
APP_PORTS = {"registry": 8001, "cases": 8002, "alerts": 8003, "reporting": 8004}
PROMISED_COMMANDS = {"dev", "token", "serve", "migrate", "replay", "simulate", "compare"}
PANTAU_IMAGE = "pantau:"
SECRET_ENV = {
    "PANTAU_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
    "REGISTRY_NIK_HMAC_SECRET": "fedcba9876543210fedcba9876543210",
    "POSTGRES_PASSWORD": "test-postgres",
    "REGISTRY_DB_PASSWORD": "test-registry",
    "CASES_DB_PASSWORD": "test-cases",
    "ALERTS_DB_PASSWORD": "test-alerts",
    "REPORTING_DB_PASSWORD": "test-reporting",
}
_DEFAULTED = re.compile(r"^\$\{(?P<name>\w+):-(?P<default>[^}]*)\}$")
_REQUIRED = re.compile(r"\$\{(?P<name>\w+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def resolve_default(value: str) -> str:
    """``${NAME:-default}`` -> ``default`` (what compose uses when NAME is unset)."""
    match = _DEFAULTED.match(value)
    return match["default"] if match else value


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """``PLAINTEXT://kafka:9092,CONTROLLER://:9093`` -> {name: (host, port)}."""
    parsed: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, address = item.split("://", 1)
        host, port = address.rsplit(":", 1)
        parsed[name] = (host, int(port))
    return parsed


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def pantau_commands(services: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Service name -> pantau arguments, for services running the image's `pantau` entrypoint."""
    return {
        name: command_of(service)
        for name, service in services.items()
        if str(service.get("image", "")).startswith(PANTAU_IMAGE) and "entrypoint" not in service
    }


def healthcheck_command(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    return shlex.split(test) if isinstance(test, str) else [str(t) for t in test]


# --- services, images, volumes, restart policies --------------------------------------------


def test_every_service_has_an_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    assert services
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name


def test_pantau_services_build_the_one_image_from_the_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    built = [s for s in services.values() if "build" in s]
    assert built
    for service in built:
        assert str(service["image"]).startswith(PANTAU_IMAGE)
        assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]) == DOCKERFILE


def test_dockerfile_runs_pantau_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    assert stages and all(image == "python:3.11-slim" for image in stages)
    assert re.search(r"pip install .*\.\s*(\\|&&|$)", text, flags=re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r'^ENTRYPOINT \["pantau"\]', text, flags=re.MULTILINE)


def setuptools_config() -> dict[str, Any]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    config: dict[str, Any] = pyproject["tool"]["setuptools"]
    return config


def package_tops() -> set[str]:
    """The top-level folders whose packages the wheel (and so the image) contains."""
    return {p.rstrip("*") for p in setuptools_config()["packages"]["find"]["include"]}


def test_the_image_carries_every_non_python_file_of_the_packages() -> None:
    """Migrations and area data ship in the wheel only if package-data names their suffix."""
    patterns = set(setuptools_config()["package-data"]["*"])
    suffixes = {
        path.suffix
        for top in package_tops()
        for path in (ROOT / top).rglob("*.*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".py"}
    }
    assert {".sql", ".csv"} <= suffixes
    assert {f"*{suffix}" for suffix in suffixes} <= patterns


def test_the_build_context_holds_every_package_the_wheel_needs() -> None:
    text = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    rules = [line.strip() for line in text.splitlines() if line.strip()[:1] not in {"", "#"}]
    assert rules[0] == "*", "allow-list: nothing enters the image unless named"
    assert {"!pyproject.toml", *(f"!{top}/" for top in package_tops())} <= set(rules)


def test_kafka_and_postgres_keep_their_data_in_named_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    for name, target in {
        "kafka": env_of(services["kafka"])["KAFKA_LOG_DIRS"],
        "postgres": "/var/lib/postgresql/data",
    }.items():
        mounts = [str(v).split(":") for v in services[name]["volumes"]]
        assert any(m[0] in declared and m[1] == target for m in mounts), name


def test_long_running_services_restart_and_one_shots_do_not(
    services: dict[str, dict[str, Any]],
) -> None:
    one_shots = {
        dependency
        for service in services.values()
        for dependency, rule in (service.get("depends_on") or {}).items()
        if rule.get("condition") == "service_completed_successfully"
    }
    assert {"topics", *(f"migrate-{name}" for name in APP_PORTS)} <= one_shots
    for name, service in services.items():
        if name in one_shots:
            assert str(service.get("restart", "no")) == "no", name
        else:
            assert service.get("restart") in {"always", "unless-stopped"}, name


# --- Kafka ----------------------------------------------------------------------------------


def test_kafka_runs_kraft_with_one_combined_node(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert str(kafka["image"]).startswith("apache/kafka:")
    env = env_of(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = env["KAFKA_NODE_ID"]

    voters = [v.split("@", 1) for v in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")]
    assert [voter_id for voter_id, _ in voters] == [node_id]
    voter_host, voter_port = voters[0][1].rsplit(":", 1)
    assert voter_host == "kafka"

    bound = listeners(env["KAFKA_LISTENERS"])
    controller_names = env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
    assert all(name in bound for name in controller_names)
    assert int(voter_port) in {bound[name][1] for name in controller_names}

    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(bound) <= set(protocols)

    advertised = listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    assert advertised and not set(advertised) & set(controller_names)
    for name, (host, port) in advertised.items():
        assert host == "kafka", "advertised listeners must be reachable on the compose network"
        assert bound[name][1] == port
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised

    cluster_id = resolve_default(env["CLUSTER_ID"])
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16, "a KRaft cluster id is a UUID"


def test_kafka_never_creates_topics_on_its_own(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["kafka"])
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"].lower() == "false"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert "healthcheck" in services["kafka"]


def test_clients_bootstrap_from_the_advertised_listener(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka_env = env_of(services["kafka"])
    advertised = {
        f"{h}:{p}" for h, p in listeners(kafka_env["KAFKA_ADVERTISED_LISTENERS"]).values()
    }
    bootstraps = {
        (name, value)
        for name, service in services.items()
        for key, value in env_of(service).items()
        if key.endswith("_KAFKA_BOOTSTRAP_SERVERS")
    }
    assert {name for name, _ in bootstraps} >= set(APP_PORTS)
    for name, value in bootstraps:
        assert value in advertised, name
    for name in APP_PORTS:
        assert env_of(services[name])[f"{name.upper()}_KAFKA_IDEMPOTENCE"] == "true"


def test_the_topics_one_shot_creates_every_contract_topic(
    services: dict[str, dict[str, Any]],
) -> None:
    topics = services["topics"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    command = command_of(topics)
    assert topics["entrypoint"] == ["python", "-c"]
    (code,) = command
    compile(code, "<topics>", "exec")
    assert "from shared.contract.topics import all_topics" in code
    assert "from shared.kafka import ensure_topics" in code
    advertised = listeners(env_of(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"])
    bootstrap = "{}:{}".format(*advertised["PLAINTEXT"])
    assert f"ensure_topics('{bootstrap}', all_topics())" in code


@pytest.mark.integration
def test_the_topics_one_shot_code_creates_every_topic_with_its_partitions(
    services: dict[str, dict[str, Any]],
) -> None:
    """Run the one-shot's own code against a fresh broker, then read the topics back."""
    from aiokafka.admin import AIOKafkaAdminClient

    from pantau.local.tansu import TansuBroker

    (code,) = command_of(services["topics"])
    with TansuBroker() as broker:
        result = subprocess.run(
            [sys.executable, "-c", code.replace("kafka:9092", broker.bootstrap)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr

        async def partitions() -> dict[str, int]:
            admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
            await admin.start()
            try:
                described = await admin.describe_topics(list(all_topics()))
            finally:
                await admin.close()
            return {t["topic"]: len(t["partitions"]) for t in described}

        assert asyncio.run(partitions()) == all_topics()


# --- PostgreSQL -----------------------------------------------------------------------------


def test_postgres_runs_the_init_script_with_every_service_password(
    services: dict[str, dict[str, Any]],
) -> None:
    postgres = services["postgres"]
    assert str(postgres["image"]).split(":")[1].startswith("16")
    mounts = [str(v).split(":") for v in postgres["volumes"]]
    assert any(
        (ROOT / m[0]).resolve() == INIT_SCRIPT and m[1].startswith("/docker-entrypoint-initdb.d/")
        for m in mounts
    )
    assert INIT_SCRIPT.stat().st_mode & stat.S_IXUSR, "executed, not sourced, by the entrypoint"
    env = env_of(postgres)
    for service in DATABASE_SERVICES:
        assert _REQUIRED.fullmatch(env[f"{service.upper()}_DB_PASSWORD"])
    healthcheck = " ".join(healthcheck_command(postgres))
    assert "pg_isready" in healthcheck and "-h 127.0.0.1" in healthcheck


def test_each_service_connects_as_its_own_role_to_its_own_database(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_PORTS:
        env = env_of(services[name])
        raw = env[f"{name.upper()}_DATABASE_URL"]
        (password,) = _REQUIRED.findall(raw)
        assert password == f"{name.upper()}_DB_PASSWORD", "the password comes from the environment"
        url = urlsplit(_REQUIRED.sub("secret", raw))
        assert (url.scheme, url.hostname, url.port, url.username, url.password, url.path) == (
            "postgresql",
            "postgres",
            5432,
            name,
            "secret",
            f"/{name}",
        )


@pytest.fixture(scope="module")
def initialised_cluster() -> Iterator[str]:
    """A throw-away cluster after init-databases.sh ran on it; yields its superuser DSN."""
    from pantau.local.postgres import LocalPostgres

    with LocalPostgres() as cluster:
        env = cluster.binaries.env()
        env.update(
            PATH=f"{cluster.binaries.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            PGHOST="127.0.0.1",
            PGPORT=str(cluster.port),
            POSTGRES_USER="postgres",
            **{k: v for k, v in SECRET_ENV.items() if k.endswith("_DB_PASSWORD")},
        )
        env["REGISTRY_DB_PASSWORD"] = "it's \"quoted\" :'x'"
        result = subprocess.run(
            [str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        yield cluster.dsn()


@pytest.mark.integration
def test_the_init_script_gives_each_service_one_database_it_alone_owns(
    initialised_cluster: str,
) -> None:
    async def check() -> None:
        conn = await asyncpg.connect(initialised_cluster)
        try:
            owners = {
                r["datname"]: r["owner"]
                for r in await conn.fetch(
                    "SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database"
                    " WHERE datname = ANY($1::text[])",
                    list(DATABASE_SERVICES),
                )
            }
            roles = {
                r["rolname"]: r
                for r in await conn.fetch(
                    "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole,"
                    " rolpassword IS NOT NULL AS has_password FROM pg_authid"
                    " WHERE rolname = ANY($1::text[])",
                    list(DATABASE_SERVICES),
                )
            }
        finally:
            await conn.close()
        assert owners == {s: s for s in DATABASE_SERVICES}
        for service in DATABASE_SERVICES:
            role = roles[service]
            assert role["rolcanlogin"] and role["has_password"]
            assert not (role["rolsuper"] or role["rolcreatedb"] or role["rolcreaterole"])

        for service in DATABASE_SERVICES:
            own = await asyncpg.connect(initialised_cluster, user=service, database=service)
            try:
                await own.execute("CREATE TABLE deploy_probe (x int); DROP TABLE deploy_probe")
            finally:
                await own.close()
            for other in DATABASE_SERVICES:
                if other != service:
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await asyncpg.connect(initialised_cluster, user=service, database=other)

    asyncio.run(check())


@pytest.mark.integration
@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_migrations_run_as_the_service_role_not_the_superuser(
    initialised_cluster: str, service: str
) -> None:
    """The migrate one-shots connect as the service's own role: no statement may need more."""
    from shared.migrations import migrate

    package = f"services.{service}"
    has_own = (ROOT / "services" / service / "migrations").is_dir()
    dsn = urlsplit(initialised_cluster)._replace(
        netloc=f"{service}@{urlsplit(initialised_cluster).netloc.split('@', 1)[1]}",
        path=f"/{service}",
    )
    applied = asyncio.run(migrate(dsn.geturl(), package if has_own else None))
    assert applied and all(name.startswith(("shared/", f"{package}/")) for name in applied)


def test_the_init_script_refuses_to_run_without_a_password(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DB_PASSWORD")}
    env["PATH"] = f"{tmp_path}{os.pathsep}{env.get('PATH', '')}"
    psql = tmp_path / "psql"  # must never be reached
    psql.write_text("#!/bin/sh\necho psql-called; exit 0\n")
    psql.chmod(0o755)
    result = subprocess.run(
        [str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "REGISTRY_DB_PASSWORD" in result.stderr
    assert "psql-called" not in result.stdout


# --- the app services ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_starts_after_its_broker_database_topics_and_migration(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends = {dep: rule["condition"] for dep, rule in services[name]["depends_on"].items()}
    assert depends == {
        "kafka": "service_healthy",
        "postgres": "service_healthy",
        "topics": "service_completed_successfully",
        f"migrate-{name}": "service_completed_successfully",
    }
    migrate = services[f"migrate-{name}"]
    assert command_of(migrate) == ["migrate", name]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert env_of(migrate) == env_of(services[name]), "migrate the database the service uses"


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_serves_its_contract_port_and_checks_readiness_there(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    port = APP_PORTS[name]
    assert command_of(service) == ["serve", name, "--host", "0.0.0.0"]
    assert any(str(p).endswith(f":{port}") for p in service["ports"])
    probe = healthcheck_command(service)
    assert probe[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{port}/health/ready" in probe[3]


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_requires_the_token_secret(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    secret = env_of(services[name])["PANTAU_TOKEN_SECRET"]
    assert _REQUIRED.fullmatch(secret), "no default: compose must refuse to start without it"
    assert secret.startswith("${PANTAU_TOKEN_SECRET:?")


class _ReadinessHandler(http.server.BaseHTTPRequestHandler):
    ready = True

    def do_GET(self) -> None:
        code = 200 if self.path == "/health/ready" and self.ready else 503
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("ready", [True, False])
def test_the_healthcheck_probe_fails_on_503(
    services: dict[str, dict[str, Any]], ready: bool
) -> None:
    handler = type("Handler", (_ReadinessHandler,), {"ready": ready})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code = healthcheck_command(services["registry"])[3].replace(
            ":8001/", f":{server.server_address[1]}/"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) is ready


def test_every_pantau_command_in_compose_exists(services: dict[str, dict[str, Any]]) -> None:
    """Once pantau/cli.py exists its typer app is the reference; until then, the brief's list."""
    used = pantau_commands(services)
    assert used, "no service runs the pantau entrypoint"
    if not (ROOT / "pantau" / "cli.py").exists():
        assert {args[0] for args in used.values()} <= PROMISED_COMMANDS
        return

    import typer

    # imported by name: pantau/cli.py is written alongside this test and may be missing here
    app = importlib.import_module("pantau.cli").app
    # typer vendors its own click: use the group's command table, not click's isinstance
    commands = getattr(typer.main.get_command(app), "commands", {})
    for name, args in used.items():
        command = commands.get(args[0])
        assert command is not None, f"{name}: `pantau {args[0]}` is not a CLI command"
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for arg in args[1:]:
            if arg.startswith("--"):
                assert arg in options, f"{name}: `pantau {args[0]}` has no option {arg}"


# --- the compose CLI, when installed ------------------------------------------------------


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def run_compose_config(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cli = compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI installed (the static checks above still ran)")
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env.update(env_overrides)
    return subprocess.run(
        [*cli, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), "config", "-q"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_docker_compose_accepts_the_file() -> None:
    result = run_compose_config(SECRET_ENV)
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_run_without_the_token_secret() -> None:
    env = {k: v for k, v in SECRET_ENV.items() if k != "PANTAU_TOKEN_SECRET"}
    result = run_compose_config(env)
    assert result.returncode != 0
    assert "PANTAU_TOKEN_SECRET" in result.stderr


# --- the CI and developer scripts ---------------------------------------------------------


@pytest.mark.parametrize("script", [".ci/run", "scripts/test", "scripts/dev"])
def test_scripts_are_executable_strict_bash(script: str) -> None:
    path = ROOT / script
    assert path.stat().st_mode & stat.S_IXUSR
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text


def test_ci_runs_the_test_command() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec \./scripts/test\b", text, flags=re.MULTILINE)


def test_the_test_command_lints_type_checks_and_runs_pytest() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "test"), "--dry-run"],
        capture_output=True,
        text=True,
        check=True,
    )
    steps = result.stdout.splitlines()
    assert [Path(step.split()[0]).name for step in steps[1:]] == ["ruff", "mypy", "pytest"]
    text = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert "-eq 5" in text, "pytest's 'no tests collected' must fail the run"


def test_env_example_names_every_required_variable() -> None:
    required = set(_REQUIRED.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    example = (ROOT / "deploy" / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    assert required == set(SECRET_ENV)
    assert required <= named
