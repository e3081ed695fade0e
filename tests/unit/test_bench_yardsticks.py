"""The benchmarks' machine yardsticks: positive numbers, and nothing left behind."""

from __future__ import annotations

import math
from pathlib import Path

from bench._infra import machine_speed


def test_machine_speed_measures_and_cleans_up(tmp_path: Path) -> None:
    speed = machine_speed(tmp_path)

    assert set(speed) == {"python_loop_ns", "fsync_8k_ms"}
    assert all(value > 0 and math.isfinite(value) for value in speed.values())
    assert list(tmp_path.iterdir()) == []
