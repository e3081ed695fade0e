"""The event envelope every Pantau topic carries: one JSON object, keyed by ``subject``."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contract.ids import uuid7

Source = Literal["registry", "cases", "alerts", "reporting"]

_KEBAB_PAST = re.compile(r"^[a-z]+(-[a-z]+)+$")
AREA_CODE = r"^(ID|\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)$"


class Envelope(BaseModel):
    """One event. Consumers deduplicate on ``id`` and ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    type: str = Field(pattern=_KEBAB_PAST.pattern)
    version: int = Field(ge=1)
    source: Source
    subject: str = Field(min_length=1)
    sequence: int = Field(ge=1)
    time: datetime
    area: str = Field(pattern=AREA_CODE)
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset (RFC 3339)")
        return value.astimezone(UTC)

    def to_json(self) -> bytes:
        """The wire form: UTF-8 JSON with the time in RFC 3339 UTC (``Z``)."""
        return self.model_dump_json().replace('+00:00"', 'Z"', 1).encode()

    def headers(self) -> dict[str, str]:
        """Kafka headers repeating the id and type, so routers need not parse the body."""
        return {"event-id": str(self.id), "event-type": self.type}


def new_event(
    *,
    source: Source,
    subject: str,
    sequence: int,
    area: str,
    data: BaseModel | dict[str, Any],
    type: str | None = None,
    version: int | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    """Build an envelope with a fresh, time-ordered id (:func:`~shared.contract.ids.uuid7`).

    ``data`` is a contract model (:class:`shared.contract.events.EventData`), which names its
    own type and version, or a plain dict with ``type`` (and ``version``, default 1) given.
    """
    if isinstance(data, BaseModel):
        type = type or getattr(data, "event_type", None)
        version = version or getattr(data, "event_version", None)
        payload = data.model_dump(mode="json")
    else:
        payload = data
    if type is None:
        raise TypeError("new_event needs a contract model as data, or an explicit type")
    return Envelope(
        id=uuid7(),
        type=type,
        version=version or 1,
        source=source,
        subject=subject,
        sequence=sequence,
        time=time or datetime.now(UTC),
        area=area,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=payload,
    )
