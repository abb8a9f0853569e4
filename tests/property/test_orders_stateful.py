"""Stateful property tests of CapacityRegistry + ProductionOrders against the model.

Public mode (ETH and ERC-20 orders, anyone may act) and permissioned mode (Membership
roles; accounts 0 and 7 are non-members). Examples and steps come from the Hypothesis
profile (HYPOTHESIS_PROFILE: ci or audit, see tests/conftest.py).
"""

from __future__ import annotations

from hypothesis.stateful import run_state_machine_as_test

from tests.property.deploy import Deployment
from tests.property.machine import machine_for
from tests.property.stats import STATS


def _run(deployment: Deployment) -> None:
    before = STATS.runs[deployment.label].steps
    with STATS.timed(deployment.label):
        run_state_machine_as_test(machine_for(deployment))
    assert STATS.runs[deployment.label].steps > before, "no step ran"


def test_public_mode_holds_the_invariants(public_deployment: Deployment) -> None:
    _run(public_deployment)


def test_permissioned_mode_holds_the_invariants(permissioned_deployment: Deployment) -> None:
    _run(permissioned_deployment)
