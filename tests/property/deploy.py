"""Build and deploy what the state machines run against.

One temporary Ape project holds the contracts of this tree, the test token and the mutants
(each a textual variant of ProductionOrders.sol under its own contract name), so a session
compiles once. Each deployment is set up once (roles, keys, machines, tokens) and every
Hypothesis example then starts from a chain snapshot taken after it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, fixture_project
from tests.property.driver import Driver
from tests.property.model import (
    CUSTOMER_ROLE,
    MAX_UINT256,
    PRODUCER_ROLE,
    ZERO,
    Dims,
    Machine,
)

CONFIRMATION_WINDOW = 3 * 24 * 3600
SOURCE = ROOT / "contracts" / "ProductionOrders.sol"
CONTRACT_LINE = "contract ProductionOrders is"

# Accounts by index: 0 deploys (and is the membership admin), 1 and 2 are producers,
# 3, 4 and 5 customers, 6 both, 7 an outsider. In permissioned mode 0 and 7 hold no
# participant role; in public mode everyone may do everything.
N_ACTORS = 8
PRODUCERS = (1, 2, 6)
CUSTOMERS = (3, 4, 5, 6)
TOKEN_HOLDERS = {3: 2 * 10**19, 4: 2 * 10**19, 5: 10**18, 6: 2 * 10**19}
FINITE_ALLOWANCE = {6: 10**19}  # the others approve the maximum


def code(text: str, size: int) -> bytes:
    """ASCII code right-padded with zero bytes (bytes16 process/material codes)."""
    return text.encode().ljust(size, b"\0")


PA12 = code("PA12", 16)
TI64 = code("Ti6Al4V", 16)
ABS = code("ABS", 16)
SLS = code("SLS", 16)
SLM = code("SLM", 16)
# Machines registered at setup: owner index, process, material, envelope (micrometres).
SETUP_MACHINES: tuple[tuple[int, bytes, bytes, Dims], ...] = (
    (1, SLS, PA12, (300_000, 300_000, 300_000)),
    (2, SLS, PA12, (250_000, 200_000, 150_000)),
    (6, SLM, TI64, (100_000, 400_000, 100_000)),
)


def fingerprint(index: int, version: int = 0) -> bytes:
    return bytes([index + 1, version + 1]) * 10 + bytes(12)


def armored(index: int, version: int = 0) -> bytes:
    return f"-----BEGIN PGP PUBLIC KEY BLOCK-----\nactor {index} v{version}\n".encode()


@dataclass(frozen=True)
class Mutant:
    """A deliberately broken ProductionOrders: `anchor` (found exactly once) -> `replacement`."""

    name: str
    anchor: str
    replacement: str
    invariants: tuple[str, ...]  # labels the machine may report (docs/DESIGN.md, "Invariants")
    description: str

    @property
    def contract(self) -> str:
        return f"ProductionOrders{self.name}"

    def source(self, original: str) -> str:
        for text in (self.anchor, CONTRACT_LINE):
            count = original.count(text)
            if count != 1:
                raise ValueError(
                    f"mutant {self.name}: {text!r} found {count} times in {SOURCE.name}, "
                    "expected exactly once (the contract changed: update the mutant)"
                )
        mutated = original.replace(self.anchor, self.replacement)
        return mutated.replace(CONTRACT_LINE, f"contract {self.contract} is")


@dataclass
class Build:
    project: Any
    path: Path
    problems: dict[str, str]  # mutant name -> why it could not be built


def build_project(dest: Path, mutants: tuple[Mutant, ...], evm: str = "cancun") -> Build:
    """The tree's contracts + the test token + the mutants, in one temporary Ape project,
    built for EVM (only that build's guard folder under contracts/evm)."""
    from ape import Project

    path = fixture_project("property-token", dest, evm)
    shutil.copytree(ROOT / "contracts", path / "contracts", dirs_exist_ok=True)
    for other in (path / "contracts" / "evm").iterdir():
        if other.name != evm:
            shutil.rmtree(other)
    original = SOURCE.read_text()
    problems: dict[str, str] = {}
    for mutant in mutants:
        try:
            text = mutant.source(original)
        except ValueError as err:
            problems[mutant.name] = str(err)
            continue
        (path / "contracts" / f"{mutant.contract}.sol").write_text(text)
    project = Project(path)
    project.load_contracts()
    return Build(project, path, problems)


@dataclass
class Deployment:
    label: str
    permissioned: bool
    chain: Any
    driver: Driver
    orders: str
    registry: str
    token: str
    actors: list[str]
    roles: dict[str, set[bytes]]
    machines: list[Machine]
    fingerprints: dict[str, bytes]
    window: int = CONFIRMATION_WINDOW
    extra: dict[str, Any] = field(default_factory=dict)


def deploy(
    build: Build,
    accounts: Any,
    chain: Any,
    *,
    label: str,
    permissioned: bool,
    orders_contract: str = "ProductionOrders",
) -> Deployment:
    project = build.project
    actors = [accounts[i] for i in range(N_ACTORS)]
    admin = actors[0]
    roles: dict[str, set[bytes]] = {a.address: set() for a in actors}
    membership_address = ZERO
    if permissioned:
        membership = admin.deploy(project.Membership, admin.address)
        membership_address = membership.address
        for i in PRODUCERS:
            membership.grantRole(PRODUCER_ROLE, actors[i].address, sender=admin)
            roles[actors[i].address].add(PRODUCER_ROLE)
        for i in CUSTOMERS:
            membership.grantRole(CUSTOMER_ROLE, actors[i].address, sender=admin)
            roles[actors[i].address].add(CUSTOMER_ROLE)
    token = admin.deploy(project.PropertyToken)
    registry = admin.deploy(project.CapacityRegistry, membership_address)
    orders = admin.deploy(
        project.get_contract(orders_contract), registry.address, membership_address,
        CONFIRMATION_WINDOW,
    )
    fingerprints: dict[str, bytes] = {}
    for i in PRODUCERS:
        registry.publishKey(fingerprint(i), armored(i), sender=actors[i])
        fingerprints[actors[i].address] = fingerprint(i)
    machines: list[Machine] = []
    for i, process, material, envelope in SETUP_MACHINES:
        uri = f"ipfs://machine-{i}"
        registry.registerMachine(process, material, list(envelope), uri, sender=actors[i])
        machines.append(Machine(actors[i].address, envelope, process, material, uri))
    for i, amount in TOKEN_HOLDERS.items():
        token.mint(actors[i].address, amount, sender=admin)
        allowance = FINITE_ALLOWANCE.get(i, MAX_UINT256)
        token.approve(orders.address, allowance, sender=actors[i])
    driver = Driver(
        chain.provider, {"orders": orders, "registry": registry, "token": token}
    )
    return Deployment(
        label=label,
        permissioned=permissioned,
        chain=chain,
        driver=driver,
        orders=orders.address,
        registry=registry.address,
        token=token.address,
        actors=[a.address for a in actors],
        roles=roles,
        machines=machines,
        fingerprints=fingerprints,
    )
