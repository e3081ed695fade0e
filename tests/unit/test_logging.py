"""A service's log is one format: every line JSON (off a terminal), without terminal colours,
whether structlog, the standard library, FastStream's broker or uvicorn wrote it (uvicorn's
access log stays off while a service runs: shared.service.app)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from shared.logging import BROKER_LOGGER, configure_logging, get_logger


@pytest.fixture
def _restored() -> Iterator[None]:
    """Logging as it was: later tests must not write to this test's captured (closed) stderr."""
    names = (
        "",
        "faststream",
        "faststream.access",
        "faststream.access.kafka",
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
    )
    saved = {
        name: (logger.handlers[:], logger.propagate, logger.level)
        for name, logger in ((n, logging.getLogger(n)) for n in names)
    }
    config = structlog.get_config()
    context = structlog.contextvars.get_contextvars()
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**context)


@pytest.mark.usefixtures("_restored")
def test_every_logger_writes_json_lines_without_colour_codes(capsys):
    import faststream  # noqa: F401  (its import installs its own coloured handlers)

    # Whatever levels earlier code gave them (an in-process uvicorn sets its loggers' own).
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    configure_logging(service="cases", json=True)
    get_logger("cases").info("case_opened", case_id="c-1")
    logging.getLogger(BROKER_LOGGER).info("Processed", extra={"topic": "cases.case.v1"})
    logging.getLogger("faststream").info("FastStream app started")
    logging.getLogger("uvicorn.error").info("Started server process")

    err = capsys.readouterr().err
    assert "\x1b[" not in err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [line["event"] for line in lines] == [
        "case_opened",
        "Processed",
        "FastStream app started",
        "Started server process",
    ]
    assert all(line["service"] == "cases" and "timestamp" in line for line in lines)
    assert lines[1]["topic"] == "cases.case.v1" and lines[1]["logger"] == BROKER_LOGGER
