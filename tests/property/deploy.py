"""Build and deploy what the state machines run against.

One temporary Ape project holds the contracts of this tree and the test token, so a session
compiles them once; each mutant (a textual variant of one source file of the market) is
compiled on first use into a ProductionOrders of its own (offchain.chain.evm.build, cached in
.build by the digest of its sources). Each deployment is set up once (roles, keys, machines, tokens) and every
Hypothesis example then starts from a chain snapshot taken after it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offchain.chain.evm import market
from tests.conftest import ROOT, fixture_project
from tests.property.driver import Driver
from tests.property.model import (
    ARBITER_ROLE,
    CUSTOMER_ROLE,
    MAX_UINT256,
    PRODUCER_ROLE,
    ZERO,
    Dims,
    Machine,
)

DAY = 24 * 3600
# The deployment's windows: short enough that the machine's time jumps (DELTAS, and the
# boundaries it warps to) land on both sides of each of them within an example.
CONFIRMATION_WINDOW = 3 * DAY
ARBITRATION_WINDOW = 2 * DAY
MAX_LEAD_TIME = 30 * DAY

# Accounts by index: 0 deploys (the membership admin and the token admin), 1 and 2 are
# producers, 3, 4 and 5 customers, 6 both, 7 an outsider. In permissioned mode 0 and 7 hold
# no participant role, 7 and 6 hold ARBITER_ROLE (6 is a party to many jobs: the arbiter
# rule "never a party" bites); in public mode everyone may do everything and arbiters are
# named per order.
N_ACTORS = 8
ADMIN = 0
PRODUCERS = (1, 2, 6)
CUSTOMERS = (3, 4, 5, 6)
ARBITERS = (7, 6)
TOKEN_HOLDERS = {3: 2 * 10**19, 4: 2 * 10**19, 5: 10**18, 6: 2 * 10**19}
FINITE_ALLOWANCE = {6: 10**19}  # the others approve the maximum (of the allowed token)


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
    """A deliberately broken market: `anchor` (found exactly once in the contracts' sources)
    -> `replacement`."""

    name: str
    anchor: str
    replacement: str
    invariants: tuple[str, ...]  # labels the machine may report (docs/DESIGN.md, "Invariants")
    description: str
    permissioned: bool = False  # the deployment the mutant runs against

    @property
    def contract(self) -> str:
        return f"ProductionOrders{self.name}"

    def sources(self, originals: dict[str, str]) -> dict[str, str]:
        """ORIGINALS (path -> text) with the anchor replaced in the one file that holds it."""
        found = {path: text.count(self.anchor) for path, text in originals.items() if self.anchor in text}
        if sum(found.values()) != 1:
            raise ValueError(
                f"mutant {self.name}: {self.anchor!r} found {sum(found.values())} times in the "
                "contracts, expected exactly once (the contract changed: update the mutant)"
            )
        (path,) = found
        return {**originals, path: originals[path].replace(self.anchor, self.replacement)}


@dataclass
class Build:
    """The tree's contracts (+ the test token), built with the real compiler settings; the
    mutants in a second project, built on first use."""

    project: Any
    path: Path
    problems: dict[str, str]  # mutant name -> why it could not be built
    mutants: tuple[Mutant, ...] = ()
    evm: str = "cancun"

    def orders_container(self, name: str) -> Any:
        """The ProductionOrders contract type, or mutant `name`'s."""
        if name == "ProductionOrders":
            return self.project.get_contract(name)
        (mutant,) = [m for m in self.mutants if m.contract == name]
        return build_mutant(mutant, self.evm)


def _copy_contracts(path: Path, evm: str) -> None:
    """The tree's contracts into project `path`, with only EVM's guard folder."""
    shutil.copytree(ROOT / "contracts", path / "contracts", dirs_exist_ok=True)
    for other in (path / "contracts" / "evm").iterdir():
        if other.name != evm:
            shutil.rmtree(other)


def build_project(dest: Path, mutants: tuple[Mutant, ...], evm: str = "cancun") -> Build:
    """The tree's contracts + the test token, in one temporary Ape project built for EVM
    (only that build's guard folder under contracts/evm). The mutants' sources are checked
    at once (problems), built only when a mutant is deployed (build_mutants)."""
    from ape import Project

    path = fixture_project("property-token", dest, evm)
    _copy_contracts(path, evm)
    from offchain.chain import evm as builds

    originals = builds.project_sources(ROOT, evm)
    problems: dict[str, str] = {}
    for mutant in mutants:
        try:
            mutant.sources(originals)
        except ValueError as err:
            problems[mutant.name] = str(err)
    project = Project(path)
    project.load_contracts()
    return Build(project, path, problems, mutants, evm)


def build_mutant(mutant: Mutant, evm_target: str) -> Any:
    """Mutant's ProductionOrders (and the extension it deploys) built for EVM_TARGET with the
    real compiler settings."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    from offchain.chain import evm

    sources = mutant.sources(evm.project_sources(ROOT, evm_target))
    types = evm.build(ROOT, evm_target, f"mutant-{mutant.name}-{evm_target}", sources,
                      contracts=("ProductionOrders",))
    return ContractContainer(ContractType.model_validate(types["ProductionOrders"]))


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
    # A second ERC-20, minted and approved like the first but not on the allowlist at
    # setup (the token admin may allow it during an example).
    other_token: str = ZERO
    membership: str = ZERO
    admin: str = ZERO  # membership admin and token admin
    arbitration: int = ARBITRATION_WINDOW
    lead_time: int = MAX_LEAD_TIME

    @property
    def tokens(self) -> tuple[str, str]:
        """The ERC-20s the machine pays with: the allowed one, the other one."""
        return (self.token, self.other_token)


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
    membership: Any = None
    if permissioned:
        membership = admin.deploy(project.Membership, admin.address)
        membership_address = membership.address
        for i in PRODUCERS:
            membership.grantRole(PRODUCER_ROLE, actors[i].address, sender=admin)
            roles[actors[i].address].add(PRODUCER_ROLE)
        for i in CUSTOMERS:
            membership.grantRole(CUSTOMER_ROLE, actors[i].address, sender=admin)
            roles[actors[i].address].add(CUSTOMER_ROLE)
        for i in ARBITERS:
            membership.grantRole(ARBITER_ROLE, actors[i].address, sender=admin)
            roles[actors[i].address].add(ARBITER_ROLE)
    token = admin.deploy(project.PropertyToken)
    other = admin.deploy(project.PropertyToken)
    registry = admin.deploy(project.CapacityRegistry, membership_address)
    orders = admin.deploy(
        build.orders_container(orders_contract), registry.address, membership_address,
        admin.address, CONFIRMATION_WINDOW, ARBITRATION_WINDOW, MAX_LEAD_TIME,
    )
    orders = market(orders)
    orders.allowToken(token.address, True, sender=admin)
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
        other.mint(actors[i].address, amount, sender=admin)
        other.approve(orders.address, MAX_UINT256, sender=actors[i])
    contracts = {"orders": orders, "registry": registry, "token": token, "other": other}
    if membership is not None:
        contracts["membership"] = membership
    driver = Driver(chain.provider, contracts)
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
        other_token=other.address,
        membership=membership_address,
        admin=admin.address,
    )
