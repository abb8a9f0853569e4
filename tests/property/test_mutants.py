"""The state machine bites: deliberately broken variants of the market are caught.

Each mutant (tests/property/mutants.py) is a textual change of one of the market's sources
(contracts/market/*.sol mostly), compiled with the whole source set into a ProductionOrders
of its own (deploy.build_mutant, cached in .build; never written to contracts/) and deployed
in public mode (or permissioned, for a mutant of a role rule).
The same state machine then runs against it and must fail with the invariant the mutant
breaks. Generation only (no shrinking: the first failure is enough), derandomized and with
fixed settings, so the result depends neither on luck, nor on the example database, nor on
the profile.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.property.deploy import Build, Mutant, deploy
from tests.property.machine import InvariantError, machine_for
from tests.property.mutants import MUTANTS
from tests.property.stats import STATS

# The same settings under every profile, so the (derandomized) search is the same in ci
# and audit. Each mutant fell within the first 210 examples in the last run here (PartyResolves
# the latest, at 208; CancelWithModel at 102, every other one within 42); the budget leaves
# room for changes to the machine to shift that.
MUTANT_EXAMPLES = 1000
MUTANT_STEPS = 30


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(mutant: Mutant, property_build: Build, accounts: Any,
                          chain: Any) -> None:
    assert mutant.name not in property_build.problems, property_build.problems[mutant.name]
    label = f"mutant-{mutant.name}"
    deployment = deploy(property_build, accounts, chain, label=label,
                        permissioned=mutant.permissioned, orders_contract=mutant.contract)
    current = settings()
    with STATS.timed(label), pytest.raises(InvariantError) as caught:
        run_state_machine_as_test(
            machine_for(deployment),
            settings=settings(
                current,
                max_examples=MUTANT_EXAMPLES,
                stateful_step_count=MUTANT_STEPS,
                phases=[Phase.generate],
                derandomize=True,
                database=None,
                report_multiple_bugs=False,
                print_blob=False,
            ),
        )
    STATS.runs[label].caught = caught.value.invariant
    assert caught.value.invariant in mutant.invariants, (
        f"{mutant.description}: expected invariant {mutant.invariants}, got {caught.value}"
    )
