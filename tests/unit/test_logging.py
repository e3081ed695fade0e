"""A service's log is one format: every line JSON (off a terminal), without terminal colours,
whether structlog, the standard library, FastStream's broker or uvicorn wrote it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from shared.logging import BROKER_LOGGER, configure_logging, get_logger


@pytest.fixture
def _restored() -> Iterator[None]:
    names = ("", "faststream", "faststream.access", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate) for n in names}
    level = logging.getLogger().level
    yield
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
    logging.getLogger().setLevel(level)


@pytest.mark.usefixtures("_restored")
def test_every_logger_writes_json_lines_without_colour_codes(capsys):
    import faststream  # noqa: F401  (its import installs its own coloured handlers)

    configure_logging(service="cases", json=True)
    get_logger("cases").info("case_opened", case_id="c-1")
    logging.getLogger(BROKER_LOGGER).info("Processed", extra={"topic": "cases.case.v1"})
    logging.getLogger("faststream").info("FastStream app started")
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.access").info("GET /health/live 200")

    err = capsys.readouterr().err
    assert "\x1b[" not in err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [line["event"] for line in lines] == [
        "case_opened",
        "Processed",
        "FastStream app started",
        "Started server process",
        "GET /health/live 200",
    ]
    assert all(line["service"] == "cases" and "timestamp" in line for line in lines)
    assert lines[1]["topic"] == "cases.case.v1" and lines[1]["logger"] == BROKER_LOGGER
