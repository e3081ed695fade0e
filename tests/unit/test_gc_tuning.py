"""The collector pause around a batch: off inside, back on after and during its waits, and never
longer than the batch that started it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.gc_tuning import CollectorPause


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_during_a_batch_and_on_after() -> None:
    pause = CollectorPause()
    with pause.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_is_on_again_when_the_batch_raises() -> None:
    with pytest.raises(RuntimeError), CollectorPause().paused():
        raise RuntimeError("batch failed")
    assert gc.isenabled()


def test_it_runs_while_the_batch_waits_to_retry() -> None:
    pause = CollectorPause()
    with pause.paused():
        with pause.running():
            assert gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_batch_started_during_another_pause_does_not_extend_it() -> None:
    first, second = CollectorPause(), CollectorPause()
    outer, inner = first.paused(), second.paused()
    outer.__enter__()
    inner.__enter__()
    with second.running():  # not its pause: nothing to switch
        assert not gc.isenabled()
    outer.__exit__(None, None, None)  # the first batch ends while the second goes on
    assert gc.isenabled()
    inner.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off() -> None:
    gc.disable()
    pause = CollectorPause()
    with pause.paused(), pause.running():
        assert not gc.isenabled()
    assert not gc.isenabled()
