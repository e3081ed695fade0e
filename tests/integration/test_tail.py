"""``pantau tail``: prints exactly ``--limit`` records, stops on SIGTERM, and ends with one line
when its broker goes away.

Each runs the installed command as its own process (``python -m pantau.cli``), the way a user
runs it, against a real broker.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer

from pantau.local.tansu import TansuBroker
from shared.kafka import ensure_topics
from tests.support.messaging import fresh_topic

ROOT = Path(__file__).parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment without a running ``pantau dev``'s settings (its env file is elsewhere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    env["PANTAU_DEV_ENV_FILE"] = str(tmp_path / "no-dev.env")
    return env


async def _publish(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(n):
            await producer.send_and_wait(topic, json.dumps({"n": i}).encode(), key=b"k")
    finally:
        await producer.stop()


async def _tail(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pantau.cli",
        "tail",
        *args,
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _first_line(process: asyncio.subprocess.Process) -> dict[str, object]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line, "tail printed nothing"
    return dict(json.loads(line))


async def test_limit_prints_exactly_that_many_records(kafka_bootstrap, tmp_path):
    topic = await fresh_topic(kafka_bootstrap, "tail", 1)
    await _publish(kafka_bootstrap, topic, 7)

    process = await _tail(
        tmp_path, topic, "--bootstrap", kafka_bootstrap, "--from-beginning", "--limit", "2"
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, stderr.decode()
    lines = [json.loads(line) for line in stdout.decode().splitlines()]
    assert [line["value"] for line in lines] == [{"n": 0}, {"n": 1}]


async def test_sigterm_stops_it_cleanly(kafka_bootstrap, tmp_path):
    topic = await fresh_topic(kafka_bootstrap, "tail", 1)
    await _publish(kafka_bootstrap, topic, 1)
    process = await _tail(tmp_path, topic, "--bootstrap", kafka_bootstrap, "--from-beginning")
    assert (await _first_line(process))["value"] == {"n": 0}

    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)

    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_a_broker_that_goes_away_ends_it_with_one_line(tmp_path):
    broker = TansuBroker(log_path=tmp_path / "tansu.log").start()
    try:
        await ensure_topics(broker.bootstrap, {"local.tail": 1})
        await _publish(broker.bootstrap, "local.tail", 1)
        process = await _tail(
            tmp_path, "local.tail", "--bootstrap", broker.bootstrap, "--from-beginning"
        )
        assert (await _first_line(process))["value"] == {"n": 0}
    finally:
        broker.stop()

    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0] == (
        f"pantau: the broker at {broker.bootstrap} went away; stopped after 1 record"
    )
