"""Shared fixtures: project paths, isolated Kubo nodes, Hypothesis profiles."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from offchain.devtools.kubo import KuboNode

ROOT = Path(__file__).resolve().parent.parent

# Keys, gpg, full disks and dead APIs for the transfer and CLI tests.
pytest_plugins = ["tests.utils.fixtures"]

# ci: the same examples on every run (derandomized, no example database), so that CI on a
# clean clone runs exactly what ran here; audit: a fresh random search, longer.
settings.register_profile(
    "ci",
    max_examples=25,
    stateful_step_count=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "audit",
    max_examples=400,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def kubo_factory() -> Iterator[Callable[[], KuboNode]]:
    """Start isolated Kubo nodes; all are stopped and removed after the test."""
    nodes: list[KuboNode] = []

    def make() -> KuboNode:
        node = KuboNode()
        nodes.append(node)
        return node.start()

    yield make
    for node in nodes:
        node.stop()


@pytest.fixture
def kubo_pair(kubo_factory: Callable[[], KuboNode]) -> tuple[KuboNode, KuboNode]:
    """Two connected nodes: (customer's, producer's)."""
    customer, producer = kubo_factory(), kubo_factory()
    producer.connect(customer)
    return customer, producer


#: The EVM builds (offchain/chain/evm.py): the contract and property tests run against the
#: one chosen with --evm (cancun: public chains; london: the members' geth network).
EVM_TARGETS = ("cancun", "london")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--evm", choices=EVM_TARGETS, default="cancun",
        help="contract build the contract and property tests deploy (default cancun; "
             "london: the members' network build)",
    )


@pytest.fixture(scope="session")
def evm_target(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--evm"))


def london_config(config: str) -> str:
    """ape-config.yaml's text for the London build: solc's EVM version and the guard folder."""
    out = config.replace("  evm_version: cancun\n  optimize:", "  evm_version: london\n  optimize:")
    out = out.replace("@prodnet/evm=contracts/evm/cancun", "@prodnet/evm=contracts/evm/london")
    if out.count("london") < 2:
        raise ValueError("ape-config.yaml changed: update tests/conftest.py london_config")
    return out


def fixture_project(name: str, dest: Path, evm: str = "cancun") -> Path:
    """Copy tests/fixtures/NAME to DEST as an Ape project with the real compiler settings
    (of the EVM build EVM)."""
    project = dest / name
    shutil.copytree(ROOT / "tests" / "fixtures" / name, project)
    config = (ROOT / "ape-config.yaml").read_text().replace("name: prodnet", f"name: {name}")
    if evm == "london":
        config = london_config(config)
    (project / "ape-config.yaml").write_text(config)
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    return project
