"""Assertions on contract state, shared by unit and property tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ape

from tests.utils.actions import address_of
from tests.utils.constants import (
    HELD,
    LIVE,
    ZERO_ADDRESS,
    JobStatus,
    OrderStatus,
    build_space,
    fits,
)

Contract = Any

ORDER_FIELDS = (
    "producer", "status", "machineId", "jobCount", "token", "pricePerCm3", "capacity", "used",
    "start", "end", "deadline", "envX", "envY", "envZ", "material",
)
JOB_FIELDS = (
    "customer", "status", "deposit", "dimX", "dimY", "dimZ", "partVolume", "quantity",
    "shippedAt", "digest",
)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


def order_dict(orders: Contract, order: int) -> dict[str, Any]:
    o = orders.getOrder(order)
    return {name: _plain(getattr(o, name)) for name in ORDER_FIELDS}


def job_dict(orders: Contract, order: int, job: int) -> dict[str, Any]:
    j = orders.getJob(order, job)
    return {name: _plain(getattr(j, name)) for name in JOB_FIELDS}


def _compare(actual: dict[str, Any], expected: dict[str, Any], what: str) -> None:
    for name, want in expected.items():
        assert name in actual, f"{what} has no field {name}"
        assert actual[name] == _plain(want), f"{what}.{name}: {actual[name]!r} != {want!r}"


def check_order(orders: Contract, order: int, **expected: Any) -> dict[str, Any]:
    """Assert the order's fields named in `expected` (addresses may be accounts)."""
    expected = {k: address_of(v).lower() if hasattr(v, "address") else v for k, v in expected.items()}
    actual = order_dict(orders, order)
    _compare(actual, expected, f"order {order}")
    return actual


def check_job(orders: Contract, order: int, job: int, **expected: Any) -> dict[str, Any]:
    """Assert the job's fields named in `expected`."""
    expected = {k: address_of(v).lower() if hasattr(v, "address") else v for k, v in expected.items()}
    actual = job_dict(orders, order, job)
    _compare(actual, expected, f"job {order}/{job}")
    return actual


def check_order_status(orders: Contract, order: int, status: OrderStatus) -> None:
    actual = OrderStatus(orders.getOrder(order).status)
    assert actual == status, f"order {order} is {actual.name}, expected {status.name}"


def check_job_status(orders: Contract, order: int, job: int, status: JobStatus) -> None:
    actual = JobStatus(orders.getJob(order, job).status)
    assert actual == status, f"job {order}/{job} is {actual.name}, expected {status.name}"


def check_credit(orders: Contract, account: Any, amount: int, token: Any = ZERO_ADDRESS) -> None:
    actual = orders.credits(address_of(account), address_of(token))
    assert actual == amount, f"credit of {address_of(account)}: {actual} != {amount}"


def balance_of(holder: Any, token: Any = ZERO_ADDRESS) -> int:
    """ETH balance (token address(0)) or ERC-20 balance of `holder`."""
    if address_of(token) == ZERO_ADDRESS:
        return int(ape.chain.provider.get_balance(address_of(holder)))
    contract = token if hasattr(token, "balanceOf") else ape.Contract(address_of(token))
    return int(contract.balanceOf(address_of(holder)))


# ---------------------------------------------------------------- whole-state checks


def all_jobs(orders: Contract) -> Iterator[tuple[int, dict[str, Any], int, dict[str, Any]]]:
    """(order id, order, job id, job) for every job of every order."""
    for order in range(1, orders.orderCount() + 1):
        o = order_dict(orders, order)
        for job in range(1, o["jobCount"] + 1):
            yield order, o, job, job_dict(orders, order, job)


def check_space(orders: Contract, order: int) -> None:
    """Invariants 1 and 2: used == build space of live jobs <= capacity; live jobs fit."""
    o = order_dict(orders, order)
    envelope = (o["envX"], o["envY"], o["envZ"])
    used = 0
    for job in range(1, o["jobCount"] + 1):
        j = job_dict(orders, order, job)
        if JobStatus(j["status"]) in LIVE:
            dims = (j["dimX"], j["dimY"], j["dimZ"])
            used += build_space(dims, j["quantity"])
            assert fits(dims, envelope), f"job {order}/{job} {dims} does not fit {envelope}"
    if OrderStatus(o["status"]) == OrderStatus.CANCELLED:
        assert used == 0 and o["used"] == 0
    assert o["used"] == used, f"order {order}: used {o['used']} != live jobs' {used}"
    assert used <= o["capacity"], f"order {order}: used {used} > capacity {o['capacity']}"
    assert orders.spaceLeft(order) == o["capacity"] - used


def check_escrow(orders: Contract, tokens: Iterable[Any], accounts: Sequence[Any]) -> None:
    """Invariant 4: per token, contract balance == deposits held + credits owed."""
    held: dict[str, int] = {}
    for _, o, _, j in all_jobs(orders):
        if JobStatus(j["status"]) in HELD:
            held[o["token"]] = held.get(o["token"], 0) + j["deposit"]
    for token in [ZERO_ADDRESS, *tokens]:
        key = address_of(token).lower()
        owed = sum(orders.credits(address_of(a), address_of(token)) for a in accounts)
        assert balance_of(orders, token) == held.get(key, 0) + owed, (
            f"token {key}: balance {balance_of(orders, token)} != held {held.get(key, 0)} + owed {owed}"
        )


def check_invariants(orders: Contract, tokens: Iterable[Any], accounts: Sequence[Any]) -> None:
    """All state invariants of DESIGN.md section 3 that can be read from a single state."""
    for order in range(1, orders.orderCount() + 1):
        check_space(orders, order)
    check_escrow(orders, list(tokens), accounts)


def snapshot(orders: Contract, accounts: Sequence[Any], tokens: Iterable[Any] = (),
             registry: Contract | None = None) -> dict[str, Any]:
    """Everything a step could change: orders, jobs, credits, balances (and registry)."""
    tokens = [ZERO_ADDRESS, *tokens]
    state: dict[str, Any] = {
        "orderCount": orders.orderCount(),
        "orders": {o: order_dict(orders, o) for o in range(1, orders.orderCount() + 1)},
        "jobs": {(o, j): job for o, _, j, job in all_jobs(orders)},
        "credits": {(address_of(a), address_of(t)): orders.credits(address_of(a), address_of(t))
                    for a in accounts for t in tokens},
        "balances": {(address_of(h), address_of(t)): balance_of(h, t)
                     for h in [orders, *accounts] for t in tokens if address_of(t) != ZERO_ADDRESS},
        "escrow": balance_of(orders),
    }
    if registry is not None:
        state["machineCount"] = registry.machineCount()
        state["fingerprints"] = {address_of(a): bytes(registry.fingerprintOf(address_of(a)))
                                 for a in accounts}
    return state


def storage_state(*contracts: Any) -> dict[str, tuple[bytes, int]]:
    """(storage root, balance) of each contract, from eth_getProof: any write to storage
    or any value moved changes it."""
    web3 = ape.chain.provider.web3
    state = {}
    for contract in contracts:
        proof = web3.eth.get_proof(address_of(contract), [], "latest")
        state[address_of(contract)] = (bytes(proof["storageHash"]), int(proof["balance"]))
    return state


@contextmanager
def unchanged(*contracts: Any) -> Iterator[None]:
    """Assert the block changes no storage slot and no balance of `contracts` (the orders
    contract, the registry, the tokens: their storage roots cover ERC-20 balances too)."""
    watched = [c for c in contracts if c is not None]
    before = storage_state(*watched)
    yield
    after = storage_state(*watched)
    for address, was in before.items():
        assert after[address] == was, f"state of {address} changed"
