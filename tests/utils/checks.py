"""Assertions on contract state, shared by unit and property tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ape
from eth_abi import decode, encode
from eth_utils import keccak

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
    "producer", "status", "machineId", "jobCount", "liveJobs", "token", "pricePerCm3", "capacity", "used",
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


def read(contract: Contract, method: str, *args: Any) -> Any:
    """A view call straight through web3 and eth_abi, with the ABI ape compiled.

    About ten times cheaper than an ape contract call, which matters for whole-state checks
    that read every order and job. Returns the single output (a struct as a dict keyed by
    its field names) or a tuple of outputs.
    """
    abi = contract.contract_type.view_methods[method]
    data = keccak(text=abi.selector)[:4] + encode([i.canonical_type for i in abi.inputs],
                                                   [address_of(a) if hasattr(a, "address") else a
                                                    for a in args])
    raw = ape.chain.provider.web3.eth.call({"to": address_of(contract), "data": data})
    values = decode([o.canonical_type for o in abi.outputs], raw)
    outputs = [_named(o, v) for o, v in zip(abi.outputs, values, strict=True)]
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _named(abi_type: Any, value: Any) -> Any:
    if abi_type.components and abi_type.type == "tuple":
        return {c.name: _named(c, v) for c, v in zip(abi_type.components, value, strict=True)}
    return _plain(value)


def order_dict(orders: Contract, order: int) -> dict[str, Any]:
    o = read(orders, "getOrder", order)
    return {name: o[name] for name in ORDER_FIELDS}


def job_dict(orders: Contract, order: int, job: int) -> dict[str, Any]:
    j = read(orders, "getJob", order, job)
    return {name: j[name] for name in JOB_FIELDS}


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
    actual = OrderStatus(order_dict(orders, order)["status"])
    assert actual == status, f"order {order} is {actual.name}, expected {status.name}"


def check_job_status(orders: Contract, order: int, job: int, status: JobStatus) -> None:
    actual = JobStatus(job_dict(orders, order, job)["status"])
    assert actual == status, f"job {order}/{job} is {actual.name}, expected {status.name}"


def check_credit(orders: Contract, account: Any, amount: int, token: Any = ZERO_ADDRESS) -> None:
    actual = read(orders, "credits", address_of(account), address_of(token))
    assert actual == amount, f"credit of {address_of(account)}: {actual} != {amount}"


def balance_of(holder: Any, token: Any = ZERO_ADDRESS) -> int:
    """ETH balance (token address(0)) or ERC-20 balance of `holder`."""
    if address_of(token) == ZERO_ADDRESS:
        return int(ape.chain.provider.get_balance(address_of(holder)))
    contract = token if hasattr(token, "contract_type") else ape.Contract(address_of(token))
    return int(read(contract, "balanceOf", address_of(holder)))


# ---------------------------------------------------------------- whole-state checks


def all_orders(orders: Contract) -> dict[int, tuple[dict[str, Any], dict[int, dict[str, Any]]]]:
    """Every order with its jobs: {order id: (order, {job id: job})}."""
    state = {}
    for order in range(1, read(orders, "orderCount") + 1):
        o = order_dict(orders, order)
        state[order] = (o, {job: job_dict(orders, order, job) for job in range(1, o["jobCount"] + 1)})
    return state


def all_jobs(orders: Contract) -> Iterator[tuple[int, dict[str, Any], int, dict[str, Any]]]:
    """(order id, order, job id, job) for every job of every order."""
    for order, (o, jobs) in all_orders(orders).items():
        for job, j in jobs.items():
            yield order, o, job, j


def check_space(orders: Contract, order: int,
                state: tuple[dict[str, Any], dict[int, dict[str, Any]]] | None = None) -> None:
    """space-conserved and jobs-fit-envelope: used == build space of live jobs <= capacity;
    liveJobs == their number; live jobs fit."""
    if state is None:
        o = order_dict(orders, order)
        jobs = {job: job_dict(orders, order, job) for job in range(1, o["jobCount"] + 1)}
    else:
        o, jobs = state
    envelope = (o["envX"], o["envY"], o["envZ"])
    used = live = 0
    for job, j in jobs.items():
        if JobStatus(j["status"]) in LIVE:
            dims = (j["dimX"], j["dimY"], j["dimZ"])
            used += build_space(dims, j["quantity"])
            live += 1
            assert fits(dims, envelope), f"job {order}/{job} {dims} does not fit {envelope}"
    if OrderStatus(o["status"]) == OrderStatus.CANCELLED:
        assert used == 0 and o["used"] == 0
    assert o["used"] == used, f"order {order}: used {o['used']} != live jobs' {used}"
    assert o["liveJobs"] == live, f"order {order}: liveJobs {o['liveJobs']} != {live} live jobs"
    assert used <= o["capacity"], f"order {order}: used {used} > capacity {o['capacity']}"
    assert read(orders, "spaceLeft", order) == o["capacity"] - used


def check_escrow(orders: Contract, tokens: Iterable[Any], accounts: Sequence[Any],
                 state: dict[int, tuple[dict[str, Any], dict[int, dict[str, Any]]]] | None = None) -> None:
    """value-conserved: per token, contract balance == deposits held + credits owed."""
    held: dict[str, int] = {}
    for o, jobs in (state if state is not None else all_orders(orders)).values():
        for j in jobs.values():
            if JobStatus(j["status"]) in HELD:
                held[o["token"]] = held.get(o["token"], 0) + j["deposit"]
    for token in [ZERO_ADDRESS, *tokens]:
        key = address_of(token).lower()
        owed = sum(read(orders, "credits", address_of(a), address_of(token)) for a in accounts)
        balance = balance_of(orders, token)
        assert balance == held.get(key, 0) + owed, (
            f"token {key}: balance {balance} != held {held.get(key, 0)} + owed {owed}"
        )


def check_invariants(orders: Contract, tokens: Iterable[Any], accounts: Sequence[Any]) -> None:
    """The state invariants of docs/DESIGN.md, "Invariants", that can be read from a single
    state: space-conserved, jobs-fit-envelope and value-conserved, for every order."""
    state = all_orders(orders)
    for order, order_state in state.items():
        check_space(orders, order, order_state)
    check_escrow(orders, list(tokens), accounts, state)


def snapshot(orders: Contract, accounts: Sequence[Any], tokens: Iterable[Any] = (),
             registry: Contract | None = None) -> dict[str, Any]:
    """Everything a step could change, read field by field: orders, jobs, credits, token
    balances, escrow (and the registry's keys and machine count)."""
    tokens = [ZERO_ADDRESS, *tokens]
    state: dict[str, Any] = {
        "orderCount": read(orders, "orderCount"),
        "orders": {o: order_dict(orders, o) for o in range(1, read(orders, "orderCount") + 1)},
        "jobs": {(o, j): job for o, _, j, job in all_jobs(orders)},
        "credits": {(address_of(a), address_of(t)): read(orders, "credits", address_of(a), address_of(t))
                    for a in accounts for t in tokens},
        "balances": {(address_of(h), address_of(t)): balance_of(h, t)
                     for h in [orders, *accounts] for t in tokens if address_of(t) != ZERO_ADDRESS},
        "escrow": balance_of(orders),
    }
    if registry is not None:
        state["machineCount"] = read(registry, "machineCount")
        state["fingerprints"] = {address_of(a): read(registry, "fingerprintOf", address_of(a))
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
