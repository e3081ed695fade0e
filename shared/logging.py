"""structlog set-up: JSON lines when not on a terminal, readable lines on one.

Handlers bind ``event_id``, ``event_type`` and ``correlation_id`` with :func:`bind_event` so that
every line logged while an event is handled carries them. Never log personal data.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog


def configure_logging(*, service: str, json: bool | None = None, level: str = "INFO") -> None:
    """Configure structlog and the standard library's root logger for one service process."""
    as_json = (not sys.stderr.isatty()) if json is None else json
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_correlation_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info if as_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(name)s %(message)s")
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _add_correlation_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """The request's correlation id (``shared.service.context``) on every line logged while it
    is served; read when a line is written, so a request that logs nothing pays nothing."""
    if "correlation_id" not in event:
        from shared.service.context import current_correlation_id

        correlation_id = current_correlation_id()
        if correlation_id is not None:
            event["correlation_id"] = correlation_id
    return event


@contextmanager
def bind_event(event_id: object, event_type: str, correlation_id: str | None) -> Iterator[None]:
    """Bind an event's id, type and correlation id to every log line inside the block."""
    with structlog.contextvars.bound_contextvars(
        event_id=str(event_id), event_type=event_type, correlation_id=correlation_id
    ):
        yield


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
