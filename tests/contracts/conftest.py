"""Deployments for the unit tests.

One session deploys two stacks on Anvil: public mode (no membership) and permissioned
mode (a Membership with roles granted to the producers and customers; `stranger` holds
none), plus the test tokens. Ape's isolation reverts the chain after every test, so each
test starts from this state. The `world` fixture runs a test in all four combinations of
mode and payment (ETH, ERC-20); `world_eth` in both modes with ETH; `permissioned` in
permissioned mode only.

View calls that return a struct or are expected to revert pass ``skip_trace=True``: under
``ape test --gas`` ape 0.8.51 traces every call and mis-decodes those two cases (empty
return data for structs, revert data read as a return value); transactions are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ape
import pytest

from offchain.chain import evm
from tests.conftest import fixture_project
from tests.utils import actions, checks
from tests.utils.constants import (
    ARBITRATION_WINDOW,
    CONFIRMATION_WINDOW,
    CUSTOMER_ROLE,
    FDM,
    MAX_LEAD_TIME,
    PLA,
    PRODUCER_ROLE,
    SMALL_ENVELOPE,
    ZERO_ADDRESS,
)

MINTED = 10**24


@pytest.fixture(scope="session", autouse=True)
def _memoized_test_accounts() -> Iterator[None]:
    """Speed only: ape derives every test account from the mnemonic again each time it
    checks whether an address is a test account (twice per revert, ~1 s). The derivation
    is deterministic, so remember its results for the session."""
    from ape_test.accounts import TestAccountContainer

    original = TestAccountContainer.get_test_account
    cache: dict[tuple[str, int], Any] = {}

    def get_test_account(self: Any, index: int) -> Any:
        key = (self.mnemonic, index)
        if key not in cache:
            cache[key] = original(self, index)
        return cache[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TestAccountContainer, "get_test_account", get_test_account)
        yield


@dataclass
class Stack:
    """One deployment: registry, orders and (permissioned mode) membership."""

    registry: Any
    orders: Any
    membership: Any | None
    machine: int  # producer's SLS/PA12 machine, 340 x 340 x 600 mm
    small_machine: int  # producer's FDM/PLA machine, 100 x 100 x 100 mm
    machine2: int  # producer2's SLS/PA12 machine


@dataclass
class World:
    """A stack seen in one payment currency, with the cast of accounts."""

    mode: str
    currency: str
    stack: Stack
    token: Any | None
    deployer: Any
    producer: Any
    producer2: Any
    alice: Any
    bob: Any
    stranger: Any
    extra_tokens: list[Any] = field(default_factory=list)
    #: Orders built once per session (see `_build_scenarios`); tests get them by the
    #: methods below, the chain being reverted after each test.
    prebuilt: dict[str, Any] = field(default_factory=dict)

    @property
    def registry(self) -> Any:
        return self.stack.registry

    @property
    def orders(self) -> Any:
        return self.stack.orders

    @property
    def membership(self) -> Any | None:
        return self.stack.membership

    @property
    def machine(self) -> int:
        return self.stack.machine

    @property
    def pay(self) -> str:
        """Payment token address of this world's orders (address(0): ETH)."""
        return ZERO_ADDRESS if self.token is None else self.token.address

    @property
    def accounts(self) -> list[Any]:
        return [self.deployer, self.producer, self.producer2, self.alice, self.bob, self.stranger]

    @property
    def tokens(self) -> list[Any]:
        return [t for t in [self.token, *self.extra_tokens] if t is not None]

    def unchanged(self) -> Any:
        """Context: the block changes nothing in the orders contract (orders, jobs, credits,
        escrow), the registry, the membership or the tokens."""
        return checks.unchanged(self.orders, self.registry, self.membership, *self.tokens)

    def invariants(self) -> None:
        checks.check_invariants(self.orders, self.tokens, self.accounts)

    def balance(self, holder: Any) -> int:
        return checks.balance_of(holder, self.pay)

    # Steps returning ids, in this world's payment currency.

    def open(self, **kw: Any) -> int:
        kw.setdefault("token", self.pay)
        receipt = actions.open_order(self.orders, kw.pop("sender", self.producer),
                                     kw.pop("machine", self.machine), **kw)
        return actions.order_id(receipt, self.orders)

    def request(self, customer: Any = None, **kw: Any) -> int:
        kw.setdefault("token", self.pay)
        receipt = actions.request_order(self.orders, customer or self.alice, **kw)
        return actions.order_id(receipt, self.orders)

    def join(self, order: int, customer: Any = None, **kw: Any) -> int:
        receipt = actions.join(self.orders, customer or self.alice, order, **kw)
        return actions.job_id(receipt, self.orders)

    def closed_order(self, *customers: Any, **join_kw: Any) -> tuple[int, list[int]]:
        """An order closed by its producer with one job per customer (default alice, bob)."""
        if not customers and not join_kw and "closed" in self.prebuilt:
            order, jobs = self.prebuilt["closed"]
            return order, list(jobs)
        order = self.open()
        jobs = [self.join(order, c, **join_kw) for c in (customers or (self.alice, self.bob))]
        actions.close(self.orders, self.producer, order)
        return order, jobs

    def submitted(self) -> tuple[int, int]:
        """A closed order whose only job (alice's) has its model submitted."""
        if "submitted" in self.prebuilt:
            return self.prebuilt["submitted"]
        order, (job,) = self.closed_order(self.alice)
        actions.submit_model(self.orders, self.alice, order, job)
        return order, job

    def shipped(self) -> tuple[int, int]:
        """A closed order whose only job (alice's) has been shipped."""
        if "shipped" in self.prebuilt:
            return self.prebuilt["shipped"]
        order, job = self.submitted()
        actions.ship(self.orders, self.producer, order, job)
        return order, job


@pytest.fixture(scope="session")
def token_project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return ape.Project(fixture_project("tokens", tmp_path_factory.mktemp("tok")))


@pytest.fixture(scope="session")
def cast(accounts: Any) -> dict[str, Any]:
    names = ("deployer", "producer", "producer2", "alice", "bob", "stranger")
    return {name: accounts[i] for i, name in enumerate(names)}


@pytest.fixture(scope="session")
def token(token_project: Any, cast: dict[str, Any]) -> Any:
    t = cast["deployer"].deploy(token_project.TestToken)
    for name in ("alice", "bob", "producer", "producer2", "stranger"):
        t.mint(cast[name], MINTED, sender=cast["deployer"])
    return t


@pytest.fixture(scope="session")
def fee_token(token_project: Any, cast: dict[str, Any]) -> Any:
    """ERC-20 that keeps 1% of every transfer (the orders contract must refuse it)."""
    t = cast["deployer"].deploy(token_project.FeeToken)
    t.mint(cast["alice"], MINTED, sender=cast["deployer"])
    return t


@pytest.fixture(scope="session")
def sender_fee_token(token_project: Any, cast: dict[str, Any]) -> Any:
    """ERC-20 that charges its fee to the sender (not on the allowlist: refused at open)."""
    t = cast["deployer"].deploy(token_project.SenderFeeToken)
    for name in ("alice", "bob"):
        t.mint(cast[name], MINTED, sender=cast["deployer"])
    return t


@pytest.fixture(scope="session")
def hook_token(token_project: Any, cast: dict[str, Any]) -> Any:
    """ERC-20 that calls back a configured contract during transfers."""
    t = cast["deployer"].deploy(token_project.HookToken)
    for name in ("alice", "bob"):
        t.mint(cast[name], MINTED, sender=cast["deployer"])
    return t


def _deploy(target: str, cast: dict[str, Any], permissioned: bool, tokens: tuple[Any, ...]) -> Stack:
    """A stack of the contracts built for TARGET (--evm: the build the network gets)."""
    deployer = cast["deployer"]
    membership = None
    if permissioned:
        membership = deployer.deploy(evm.container("Membership", target), deployer)
        for name in ("producer", "producer2"):
            membership.grantRole(PRODUCER_ROLE, cast[name], sender=deployer)
        for name in ("alice", "bob"):
            membership.grantRole(CUSTOMER_ROLE, cast[name], sender=deployer)
    gate = membership.address if membership else ZERO_ADDRESS
    registry = deployer.deploy(evm.container("CapacityRegistry", target), gate)
    orders = deployer.deploy(
        evm.container("ProductionOrders", target), registry, gate, deployer, CONFIRMATION_WINDOW,
        ARBITRATION_WINDOW, MAX_LEAD_TIME,
    )
    orders = evm.market(orders)
    for allowed in tokens:
        orders.allowToken(allowed, True, sender=deployer)
    for name in ("producer", "producer2", "alice", "bob"):
        actions.publish_key(registry, cast[name])
    machine = actions.machine_id(actions.register_machine(registry, cast["producer"]), registry)
    small = actions.machine_id(
        actions.register_machine(registry, cast["producer"], process=FDM, material=PLA,
                                 envelope=SMALL_ENVELOPE), registry)
    machine2 = actions.machine_id(actions.register_machine(registry, cast["producer2"]), registry)
    return Stack(registry, orders, membership, machine, small, machine2)


def _build_scenarios(world: World) -> dict[str, Any]:
    """The orders many tests start from, built once: closed with jobs of alice and bob,
    closed with alice's model submitted, closed with alice's part shipped."""
    built: dict[str, Any] = {}
    built["closed"] = world.closed_order(world.alice, world.bob)
    built["submitted"] = world.submitted()
    order, job = world.submitted()
    actions.ship(world.orders, world.producer, order, job)
    built["shipped"] = (order, job)
    return built


@pytest.fixture(scope="session")
def stacks(
    evm_target: str, cast: dict[str, Any], token: Any, fee_token: Any, hook_token: Any
) -> dict[str, Stack]:
    """Both modes; the test tokens are on the allowlist (the fee-charging ones to show the
    received-amount check too), the fee-on-sender token is not."""
    tokens = (token, fee_token, hook_token)
    return {
        "public": _deploy(evm_target, cast, False, tokens),
        "permissioned": _deploy(evm_target, cast, True, tokens),
    }


@pytest.fixture(scope="session")
def prebuilt(stacks: dict[str, Stack], cast: dict[str, Any], token: Any) -> dict[str, dict[str, Any]]:
    """Scenario orders per mode and currency, built after both stacks are deployed."""
    return {
        f"{mode}-{currency}": _build_scenarios(_world(stacks, cast, token, mode, currency, {}))
        for mode in ("public", "permissioned")
        for currency in ("eth", "token")
    }


def _world(stacks: dict[str, Stack], cast: dict[str, Any], token: Any, mode: str,
           currency: str, prebuilt: dict[str, dict[str, Any]]) -> World:
    return World(mode, currency, stacks[mode], token if currency == "token" else None,
                 **cast, extra_tokens=[token] if currency == "eth" else [],
                 prebuilt=prebuilt.get(f"{mode}-{currency}", {}))


@pytest.fixture(params=["public-eth", "public-token", "permissioned-eth", "permissioned-token"])
def world(request: pytest.FixtureRequest, stacks: dict[str, Stack], cast: dict[str, Any],
          token: Any, prebuilt: dict[str, dict[str, Any]]) -> World:
    mode, currency = request.param.split("-")
    return _world(stacks, cast, token, mode, currency, prebuilt)


@pytest.fixture(params=["public", "permissioned"])
def world_eth(request: pytest.FixtureRequest, stacks: dict[str, Stack], cast: dict[str, Any],
              token: Any, prebuilt: dict[str, dict[str, Any]]) -> World:
    return _world(stacks, cast, token, request.param, "eth", prebuilt)


@pytest.fixture(params=["public", "permissioned"])
def world_token(request: pytest.FixtureRequest, stacks: dict[str, Stack], cast: dict[str, Any],
                token: Any, prebuilt: dict[str, dict[str, Any]]) -> World:
    return _world(stacks, cast, token, request.param, "token", prebuilt)


@pytest.fixture
def permissioned(stacks: dict[str, Stack], cast: dict[str, Any], token: Any,
                 prebuilt: dict[str, dict[str, Any]]) -> World:
    return _world(stacks, cast, token, "permissioned", "eth", prebuilt)


@pytest.fixture
def public(stacks: dict[str, Stack], cast: dict[str, Any], token: Any,
           prebuilt: dict[str, dict[str, Any]]) -> World:
    return _world(stacks, cast, token, "public", "eth", prebuilt)
