"""`pantau dev` restarts a dead service with backoff, loudly, and gives up loudly after repeated
quick deaths (pantau/local/stack.py, pantau/dev.py). Real child processes, a controlled clock."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from pantau import catalog
from pantau.dev import DevRunner
from pantau.local.stack import DevStack, RestartPolicy, ServiceProcess, StackOptions


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def start(stack: DevStack, argv: list[str], tmp_path: Path) -> ServiceProcess:
    """A "registry" that is really ``argv``, started by the stack as it starts services."""
    running = ServiceProcess(
        service=catalog.get("registry"),
        port=0,
        database_url="",
        log_path=tmp_path / "registry.log",
        argv=argv,
    )
    stack.services.append(running)
    stack._spawn(running)
    return running


def stack_running(argv: list[str], tmp_path: Path, clock: Clock) -> tuple[DevStack, ServiceProcess]:
    stack = DevStack(
        options=StackOptions(write_env_file=False),
        say=lambda _: None,
        warn=lambda _: None,
        restart_policy=RestartPolicy(first_delay=1, max_delay=4, quick_seconds=60, give_up_after=4),
        clock=clock,
    )
    return stack, start(stack, argv, tmp_path)


CRASH = [sys.executable, "-c", "import sys; print('boom: no database'); sys.exit(3)"]


def test_a_service_dying_soon_after_start_is_restarted_with_doubling_delays_then_given_up(
    tmp_path: Path,
) -> None:
    clock = Clock()
    stack, running = stack_running(CRASH, tmp_path, clock)
    delays = []
    try:
        for _ in range(10):
            assert running.proc is not None
            running.proc.wait(timeout=30)
            clock.now += 2  # each run lasted two seconds: a quick death
            [death] = stack.deaths()
            assert death.exit_code == 3 and death.running is running
            if death.restart_in is None:
                break
            delays.append(death.restart_in)
            clock.now += death.restart_in - 0.5
            assert stack.restart_due() == []  # not before its delay
            clock.now += 0.5
            assert stack.restart_due() == [running]
        assert delays == [1, 2, 4]
        assert running.gave_up and running.restarts == 3 and running.quick_deaths == 4
        clock.now += 3_600
        assert stack.restart_due() == [] and stack.deaths() == []
        assert "boom: no database" in running.log_tail()
    finally:
        stack.stop()


def test_a_death_after_a_long_run_starts_the_count_over(tmp_path: Path) -> None:
    clock = Clock()
    stack, running = stack_running(CRASH, tmp_path, clock)
    try:
        for _ in range(3):
            assert running.proc is not None
            running.proc.wait(timeout=30)
            clock.now += 600  # it ran ten minutes before dying
            [death] = stack.deaths()
            assert death.restart_in == 1 and running.quick_deaths == 0
            clock.now += 1
            assert stack.restart_due() == [running]
        assert not running.gave_up
    finally:
        stack.stop()


def test_a_stopping_stack_restarts_nothing(tmp_path: Path) -> None:
    clock = Clock()
    stack, running = stack_running(CRASH, tmp_path, clock)
    assert running.proc is not None
    running.proc.wait(timeout=30)
    stack.stop()
    clock.now += 60
    assert [d.restart_in for d in stack.deaths()] == [None]
    assert stack.restart_due() == []


@pytest.mark.parametrize("gave_up", [False, True])
def test_deaths_are_reported_loudly(tmp_path: Path, gave_up: bool) -> None:
    clock = Clock()
    out = io.StringIO()
    runner = DevRunner(StackOptions(write_env_file=False), Console(file=out, width=120))
    runner.stack.clock = clock
    runner.stack.restart_policy = RestartPolicy(give_up_after=1 if gave_up else 5)
    running = start(runner.stack, CRASH, tmp_path)
    try:
        assert running.proc is not None
        running.proc.wait(timeout=30)
        clock.now += 5
        [death] = runner.stack.deaths()
        runner._report_death(death)
    finally:
        runner.stack.stop()
    text = out.getvalue()
    assert "boom: no database" in text and "exited with code 3 after 5 s" in text
    if gave_up:
        assert "SERVICE REGISTRY DIED AGAIN: NOT RESTARTING IT" in text
        assert "gives up on it" in text
    else:
        assert "SERVICE REGISTRY DIED" in text and "Restarting it in 1 s." in text
