"""Bounded field types: the NIK/phone guard on public text (``Text(public=True)``)."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from shared.fields import PublicName, Text


class Published(BaseModel):
    name: PublicName
    licence_no: Annotated[str, Text(64, public=True)] = "L-1"


@pytest.mark.parametrize(
    "value",
    [
        "PT 081234567890",  # a phone number
        "0812-3456-7890",
        "0812 3456 7890",
        "(0812) 3456.7890",
        "0812/3456/7890",
        "3171 0101 0101 0001",  # a NIK in groups of four
        "3171.0101.0101.0001",
        "PT Maju \uff10\uff18\uff11\uff12\uff0d\uff13\uff14\uff15\uff16"
        "\uff0d\uff17\uff18\uff19\uff10",  # full-width digits and dashes
        "PT Maju 0812\u20103456\u20137890",  # Unicode hyphen and en dash
    ],
)
def test_public_text_refuses_a_nik_or_phone_number_with_or_without_separators(value) -> None:
    with pytest.raises(ValidationError) as caught:
        Published(name=value)
    error = caught.value.errors()[0]
    assert error["loc"] == ("name",)
    assert value not in error["msg"]


@pytest.mark.parametrize(
    "value",
    [
        "PT Contoh Penempatan",
        "PT Bench 12345",
        "KEP-1/2025",
        "LIC-3f9a2c7d1e",
        "Kep. Menaker No. 123/2021",  # 7 digits in all
        "PT Jaya 2024-01-15",  # a date: 8 digits
        "PT 12345 Abadi 67890",  # letters break a run
        "Jl. Sudirman No. 45 RT 03/RW 07",
    ],
)
def test_public_text_keeps_legitimate_values(value) -> None:
    assert Published(name=value, licence_no=value).name == value


def test_private_text_may_hold_digits() -> None:
    class Private(BaseModel):
        phone: Annotated[str, Text(32)]

    assert Private(phone="0812-3456-7890").phone == "0812-3456-7890"
