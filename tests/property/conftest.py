"""Session report of the property tests: steps run, per test and in total."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
from hypothesis import settings

from tests.conftest import ROOT
from tests.property.deploy import Build, Deployment, build_project, deploy
from tests.property.mutants import MUTANTS
from tests.property.stats import STATS

REPORT = ROOT / "reports" / "property-steps.json"
LOADED = time.monotonic()  # this conftest loads at collection


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STATS.runs:
        return
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    current = settings()
    by_test = {
        label: {
            "steps": t.steps,
            "examples": t.examples,
            "seconds": round(t.seconds, 1),
            "outcomes": {f: dict(sorted(o.items())) for f, o in sorted(t.outcomes.items())},
            **({"caught": t.caught} if t.caught else {}),
        }
        for label, t in sorted(STATS.runs.items())
    }
    report = {
        "profile": profile,
        "max_examples": current.max_examples,
        "stateful_step_count": current.stateful_step_count,
        "total_steps": STATS.total_steps,
        "seconds_since_collection": round(time.monotonic() - LOADED, 1),
        "by_test": by_test,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    terminalreporter.section("property steps")
    for label, row in by_test.items():
        caught = f", caught as {row['caught']}" if "caught" in row else ""
        terminalreporter.write_line(
            f"{label}: {row['steps']} steps in {row['examples']} examples, {row['seconds']} s"
            f"{caught}"
        )
    terminalreporter.write_line(
        f"total: {STATS.total_steps} steps (profile {profile}) in "
        f"{report['seconds_since_collection']} s -> {REPORT.relative_to(ROOT)}"
    )


@pytest.fixture(scope="session")
def property_build(tmp_path_factory: pytest.TempPathFactory, evm_target: str) -> Build:
    """One compile per session: the tree's contracts, the test token and the mutants (for
    the EVM build chosen with --evm)."""
    return build_project(tmp_path_factory.mktemp("property"), MUTANTS, evm_target)


# Module scope: ape's test isolation reverts the chain at the end of each module, so a
# deployment must not outlive the module that made it.
@pytest.fixture(scope="module")
def public_deployment(property_build: Build, accounts: Any, chain: Any) -> Deployment:
    return deploy(property_build, accounts, chain, label="public", permissioned=False)


@pytest.fixture(scope="module")
def permissioned_deployment(property_build: Build, accounts: Any, chain: Any) -> Deployment:
    return deploy(property_build, accounts, chain, label="permissioned", permissioned=True)
