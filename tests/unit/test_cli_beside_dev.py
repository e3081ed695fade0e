"""Commands run beside ``pantau dev`` find it through its env file; every failure is one line.

The installed entry point (:func:`pantau.cli.main`) is called in-process with the arguments a
user would type; what it prints on stderr must be one line, with a non-zero exit, whatever
went wrong: an unreachable database or broker or node, a bad option or value.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pantau.cli import app, main
from pantau.local import discovery
from tests.support.dev_env import running_dev


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private env file path, and os.environ and aiokafka's log level as they were after."""
    saved = dict(os.environ)
    level = logging.getLogger("aiokafka").level
    for key in list(os.environ):
        prefixes = ("REGISTRY_", "REPORTING_", "CASES_", "ALERTS_", "KAFKA_", "PANTAU_")
        if key.startswith(prefixes) or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    path = tmp_path / "dev.env"
    monkeypatch.setenv(discovery.ENV_FILE_VARIABLE, str(path))
    yield path
    os.environ.clear()
    os.environ.update(saved)
    logging.getLogger("aiokafka").setLevel(level)


def closed_port() -> int:
    """A port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


def assert_one_line(code: int, err: str) -> str:
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- the env file ------------------------------------------------------------------------------


def test_env_file_round_trip_fills_only_what_is_not_set(_isolated: Path) -> None:
    written = discovery.write({"A_URL": "postgresql://x@h:1/db", "B": "two words"}, _isolated)
    assert written == _isolated and _isolated.stat().st_mode & 0o077 == 0

    environ = {"B": "mine", discovery.ENV_FILE_VARIABLE: str(_isolated)}
    found = discovery.apply(environ)

    assert found is not None and found.pid == os.getpid()
    assert environ["A_URL"] == "postgresql://x@h:1/db"
    assert environ["B"] == "mine"  # the environment wins over the file
    assert found.applied == {"A_URL", discovery.PID_KEY}
    discovery.remove(_isolated)
    assert not _isolated.exists()


def test_a_file_left_by_a_dead_pantau_dev_is_ignored(_isolated: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass", "pantau"])
    dead.wait()
    _isolated.write_text(
        f"{discovery.PID_KEY}={dead.pid}\nREPORTING_DATABASE_URL=postgresql://x/y\n"
    )

    assert discovery.read(_isolated) is None
    environ = {discovery.ENV_FILE_VARIABLE: str(_isolated)}
    assert discovery.apply(environ) is None and "REPORTING_DATABASE_URL" not in environ


def test_a_file_owned_by_another_process_is_not_removed(_isolated: Path) -> None:
    with running_dev(_isolated, {"X": "1"}):
        discovery.remove(_isolated)
        assert _isolated.exists()


def test_default_place_is_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(discovery.ENV_FILE_VARIABLE)
    root = Path(discovery.__file__).resolve().parents[2]
    assert discovery.env_file() == root / ".pantau" / "dev.env"
    ignored = (root / ".gitignore").read_text().split()
    assert ".pantau/" in ignored


def test_replay_finds_the_database_pantau_dev_wrote(
    _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    values = {"REPORTING_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/pantau_reporting"}
    with running_dev(_isolated, values):
        code, out, err = run(["replay", "reporting"], capsys)
    line = assert_one_line(code, err)
    assert f"127.0.0.1:{port}/pantau_reporting" in line  # not 127.0.0.1:5432
    assert f"pantau dev wrote to {_isolated}" in line
    assert out == ""


def test_replay_of_a_scope_uses_that_node_s_database_or_refuses(
    _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    national, province = closed_port(), closed_port()
    values = {
        "REPORTING_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{national}/pantau_reporting",
        "PANTAU_PROVINCE_NODE": "53",
        "PANTAU_PROVINCE_NODE_DATABASE_URL": (
            f"postgresql://postgres@127.0.0.1:{province}/pantau_reporting_53"
        ),
    }
    with running_dev(_isolated, values):
        code, _, err = run(["replay", "reporting", "--scope", "53"], capsys)
        assert f"127.0.0.1:{province}/pantau_reporting_53" in assert_one_line(code, err)
        # Never one province's figures into the national node's database.
        code, _, err = run(["replay", "reporting", "--scope", "32"], capsys)
        line = assert_one_line(code, err)
        assert code == 2 and "holds the national node, not scope 32" in line
        code, _, err = run(["replay", "reporting"], capsys)
        assert f"127.0.0.1:{national}/pantau_reporting " in assert_one_line(code, err)


def test_environment_beats_the_file_and_options_beat_both(
    _isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file_port, env_port, option_port = closed_port(), closed_port(), closed_port()
    with running_dev(_isolated, {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{file_port}"}):
        code, _, err = run(["tail", "registry.worker.v1"], capsys)
        assert f"127.0.0.1:{file_port}" in assert_one_line(code, err)

        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{env_port}")
        code, _, err = run(["tail", "registry.worker.v1"], capsys)
        line = assert_one_line(code, err)
        assert f"127.0.0.1:{env_port}" in line and "set by KAFKA_BOOTSTRAP_SERVERS" in line

        args = ["tail", "registry.worker.v1", "--bootstrap", f"127.0.0.1:{option_port}"]
        code, _, err = run(args, capsys)
        line = assert_one_line(code, err)
        assert f"127.0.0.1:{option_port}" in line and "--bootstrap" in line


def test_discovery_can_be_turned_off_for_a_command(
    _isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file_port = closed_port()
    with running_dev(_isolated, {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{file_port}"}):
        monkeypatch.setenv(discovery.DISCOVERY_VARIABLE, "0")
        environ: dict[str, str] = {
            discovery.ENV_FILE_VARIABLE: str(_isolated),
            discovery.DISCOVERY_VARIABLE: "off",
        }
        assert discovery.apply(environ) is None and "KAFKA_BOOTSTRAP_SERVERS" not in environ

        # The command uses its own default broker, not the running pantau dev's.
        _, _, err = run(["tail", "registry.worker.v1", "--idle-exit", "0.1"], capsys)
        assert f"127.0.0.1:{file_port}" not in err and "pantau dev wrote" not in err
        assert "KAFKA_BOOTSTRAP_SERVERS" not in os.environ


def test_simulate_and_compare_find_the_services(
    _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, national, province = closed_port(), closed_port(), closed_port()
    values = {
        "PANTAU_REGISTRY_URL": f"http://127.0.0.1:{registry}",
        "PANTAU_REPORTING_URL": f"http://127.0.0.1:{national}",
        "PANTAU_PROVINCE_NODE_URL": f"http://127.0.0.1:{province}",
    }
    with running_dev(_isolated, values):
        # simulate retries for a while, showing its progress on stderr, then stops in one line.
        code, _, err = run(["simulate", "--workers", "1"], capsys)
        assert code == 1 and "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert last.startswith("pantau: simulate stopped:")
        assert f"pantau dev wrote to {_isolated}" in last
        code, _, err = run(["compare"], capsys)
        assert f"node A (http://127.0.0.1:{national})" in assert_one_line(code, err)


def test_token_is_signed_with_the_secret_pantau_dev_runs_with(
    _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import jwt

    secret = "a-secret-of-this-machine-only-0123456789"
    with running_dev(_isolated, {"PANTAU_TOKEN_SECRET": secret}):
        code, out, err = run(["token", "--role", "ministry", "--area", "ID"], capsys)
    assert code == 0, err
    claims = jwt.decode(out.strip(), secret, algorithms=["HS256"])
    assert claims["role"] == "ministry"


def test_dev_does_not_read_another_dev_s_file(_isolated: Path) -> None:
    with running_dev(_isolated, {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}):
        with pytest.raises(SystemExit):
            main(["dev", "--help"])
        assert "KAFKA_BOOTSTRAP_SERVERS" not in os.environ  # it would start no broker of its own
        with pytest.raises(SystemExit):
            main(["token", "--help"])
        assert os.environ["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:1"


def test_compare_without_nodes_says_how_to_get_them(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["compare"], capsys)
    assert code == 2
    assert "--province-node" in assert_one_line(code, err)


# -- one line for every failure ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "variable"),
    [
        (["replay", "reporting"], "REPORTING_DATABASE_URL"),
        (["migrate", "registry"], "REGISTRY_DATABASE_URL"),
        (["serve", "reporting", "--port", "0"], "REPORTING_DATABASE_URL"),
    ],
)
def test_unreachable_database_is_one_line(
    args: list[str],
    variable: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = closed_port()
    monkeypatch.setenv(variable, f"postgresql://postgres@127.0.0.1:{port}/pantau")
    monkeypatch.setenv("PANTAU_DEV", "1")
    if args[0] == "serve":
        args = [*args[:-1], str(closed_port())]
    code, out, err = run(args, capsys)
    line = assert_one_line(code, err)
    assert line.startswith("pantau: cannot reach PostgreSQL at 127.0.0.1:")
    assert variable in line and "no pantau dev is running" not in line
    assert out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["tail", "registry.worker.v1", "--bootstrap", "127.0.0.1:{port}"],
        ["compare", "http://127.0.0.1:{port}", "http://127.0.0.1:{port}"],
    ],
)
def test_unreachable_broker_or_service_is_one_line(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    code, out, err = run([a.format(port=port) for a in args], capsys)
    line = assert_one_line(code, err)
    assert "cannot reach" in line and f"127.0.0.1:{port}" in line
    assert out == ""


def test_a_default_address_says_no_pantau_dev_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from pantau.failures import dev_hint

    hint = dev_hint("REPORTING_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    assert hint.startswith("no pantau dev is running from here: start ./scripts/dev")
    monkeypatch.setenv("REPORTING_DATABASE_URL", "postgresql://elsewhere/x")
    assert dev_hint("REPORTING_DATABASE_URL", "postgresql://elsewhere/x") == (
        "set by REPORTING_DATABASE_URL"
    )


def commands() -> list[str]:
    import typer.main

    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", commands())
def test_a_bad_option_is_one_line(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([command, "--no-such-option"], capsys)
    line = assert_one_line(code, err)
    assert code == 2
    assert line.startswith(f"pantau {command}: ") and "--no-such-option" in line
    assert out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["replay", "reporting", "--processes", "0"],
        ["token", "--role", "ministry"],
        ["compare", "http://a", "http://b", "--area", "nowhere"],
        ["dev", "--province-node", "99.99"],
        ["replay", "payroll"],
    ],
)
def test_a_bad_value_is_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert_one_line(code, err)
    assert code == 2
    assert out == ""


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    """The same through a real process: `python -m pantau.cli` as the entry point runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTING_")}
    env["REPORTING_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{closed_port()}/x"
    env[discovery.ENV_FILE_VARIABLE] = str(tmp_path / "none.env")
    done = subprocess.run(
        [sys.executable, "-m", "pantau.cli", "replay", "reporting", "--processes", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert_one_line(done.returncode, done.stderr)
    assert "cannot reach PostgreSQL" in done.stderr
