"""structlog set-up: JSON lines when not on a terminal, readable lines on one.

The standard library's loggers (uvicorn, aiokafka, FastStream's broker logger, see
:data:`BROKER_LOGGER`) go through the same renderer, so a service's log file is one format:
JSON lines, with no terminal colour codes.

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

# The logger FastStream's broker is given (shared.kafka.make_broker): outside FastStream's own
# "faststream" hierarchy, whose handlers write coloured plain text.
BROKER_LOGGER = "pantau.broker"
_FASTSTREAM_LOGGERS = ("faststream", "faststream.access", "faststream.access.kafka")


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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *shared,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if as_json else structlog.dev.set_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # FastStream's and uvicorn's loggers write (coloured) text through their own handlers:
    # through ours instead. uvicorn has set its up before it calls the app factory.
    for name in (*_FASTSTREAM_LOGGERS, "uvicorn", "uvicorn.error", "uvicorn.access"):
        own = logging.getLogger(name)
        own.handlers[:] = []
        own.propagate = True
        own.setLevel(logging.NOTSET)  # the root's level, i.e. ``level``
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
