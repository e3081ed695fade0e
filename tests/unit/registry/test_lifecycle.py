"""registered → verified → departed → returned (→ departed again); non-procedural skip a step."""

import pytest

from services.registry.workers import lifecycle
from services.registry.workers.lifecycle import IllegalTransition
from shared.contract.codes import WorkerStatus as S


def test_the_procedural_path():
    status = lifecycle.verify(S.REGISTERED)
    assert status is S.VERIFIED
    status = lifecycle.depart(status, procedural=True)
    assert status is S.DEPARTED
    status = lifecycle.return_home(status)
    assert status is S.RETURNED
    assert lifecycle.depart(status, procedural=True) is S.DEPARTED


@pytest.mark.parametrize("status", [S.VERIFIED, S.DEPARTED, S.RETURNED])
def test_only_a_registration_is_verified(status):
    with pytest.raises(IllegalTransition, match=f"worker is {status.value}"):
        lifecycle.verify(status)


def test_a_procedural_worker_departs_only_after_verification():
    with pytest.raises(IllegalTransition, match="verification"):
        lifecycle.depart(S.REGISTERED, procedural=True)


def test_a_non_procedural_worker_may_depart_unverified():
    assert lifecycle.depart(S.REGISTERED, procedural=False) is S.DEPARTED
    assert lifecycle.depart(S.VERIFIED, procedural=False) is S.DEPARTED
    assert lifecycle.depart(S.RETURNED, procedural=False) is S.DEPARTED


@pytest.mark.parametrize("procedural", [True, False])
def test_no_departure_while_abroad(procedural):
    with pytest.raises(IllegalTransition, match="worker is departed"):
        lifecycle.depart(S.DEPARTED, procedural=procedural)


@pytest.mark.parametrize("status", [S.REGISTERED, S.VERIFIED, S.RETURNED])
def test_only_a_departed_worker_returns(status):
    with pytest.raises(IllegalTransition, match="needs status departed"):
        lifecycle.return_home(status)
