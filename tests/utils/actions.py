"""One function per contract step: performs it and returns the receipt.

Defaults describe the reference order of tests/utils/constants.py; keyword arguments
override them. Payments are handled for the caller: for an ETH order the exact deposit
is sent as value, for an ERC-20 order the deposit is approved first (``value=`` and
``approve=`` override this, for the tests of wrong payments).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ape
from ape import chain

from tests.utils.constants import (
    ARMORED_KEY,
    CAPACITY,
    DAY,
    MACHINE_ENVELOPE,
    MODEL_URI,
    PA12,
    PART,
    PART_VOLUME,
    PRICE_PER_CM3,
    REGION,
    SLS,
    ZERO_ADDRESS,
    price_of,
)

Receipt = Any
Account = Any
Contract = Any


def address_of(thing: Any) -> str:
    """Address of an account, a contract or an address string."""
    return str(getattr(thing, "address", thing))


def _token_contract(token: Any) -> Contract:
    return token if hasattr(token, "approve") else ape.Contract(address_of(token))


def _payment(orders: Contract, payer: Account, token: Any, amount: int, value: int | None,
             approve: int | None) -> dict[str, int]:
    """Transaction kwargs paying `amount`: ETH as value, or an approval of the token first."""
    if address_of(token) == ZERO_ADDRESS:
        return {"value": amount if value is None else value}
    allowance = amount if approve is None else approve
    if allowance:
        _token_contract(token).approve(orders, allowance, sender=payer)
    return {"value": value} if value else {}


def event_args(receipt: Receipt, event: Any) -> Any:
    """Arguments of the first `event` (e.g. ``orders.JobJoined``) in `receipt`."""
    logs = receipt.decode_logs(event)
    assert logs, f"no {event.name} in {receipt.txn_hash}"
    return logs[0]


def order_id(receipt: Receipt, orders: Contract) -> int:
    """Id of the order created by an open or request receipt."""
    for event in (orders.OrderOpened, orders.OrderRequested):
        logs = receipt.decode_logs(event)
        if logs:
            return int(logs[0].orderId)
    raise AssertionError("receipt created no order")


def job_id(receipt: Receipt, orders: Contract) -> int:
    """Id of the job created by a join or request receipt."""
    return int(event_args(receipt, orders.JobJoined).jobId)


# ---------------------------------------------------------------- registry


def publish_key(registry: Contract, account: Account, fingerprint: bytes | None = None,
                armored: bytes = ARMORED_KEY) -> Receipt:
    """Publish a key; the default fingerprint is derived from the account's address."""
    fp = fingerprint if fingerprint is not None else bytes.fromhex(address_of(account)[2:]) + b"\0" * 12
    return registry.publishKey(fp, armored, sender=account)


def register_machine(registry: Contract, producer: Account, *, process: bytes = SLS,
                     material: bytes = PA12, envelope: tuple[int, int, int] = MACHINE_ENVELOPE,
                     uri: str = "ipfs://machine-metadata") -> Receipt:
    return registry.registerMachine(process, material, envelope, uri, sender=producer)


def machine_id(receipt: Receipt, registry: Contract) -> int:
    return int(event_args(receipt, registry.MachineRegistered).machineId)


# ---------------------------------------------------------------- orders


def window(start: int | None = None, end: int | None = None, deadline: int | None = None
           ) -> tuple[int, int, int]:
    """(start, end, deadline): defaults now, now + 1 day, end + 9 days."""
    start = chain.pending_timestamp if start is None else start
    end = start + DAY if end is None else end
    deadline = end + 9 * DAY if deadline is None else deadline
    return start, end, deadline


def open_order(orders: Contract, producer: Account, machine: int, *,
               envelope: tuple[int, int, int] = REGION, capacity: int = CAPACITY,
               start: int | None = None, end: int | None = None, deadline: int | None = None,
               price: int = PRICE_PER_CM3, token: Any = ZERO_ADDRESS,
               arbiter: Any = ZERO_ADDRESS) -> Receipt:
    start, end, deadline = window(start, end, deadline)
    return orders.open(machine, envelope, capacity, start, end, deadline, price,
                       address_of(token), address_of(arbiter), sender=producer)


def request_order(orders: Contract, customer: Account, *, material: bytes = PA12,
                  dims: tuple[int, int, int] = PART, volume: int = PART_VOLUME, quantity: int = 1,
                  max_price: int = PRICE_PER_CM3, token: Any = ZERO_ADDRESS,
                  end: int | None = None, deadline: int | None = None,
                  value: int | None = None, approve: int | None = None,
                  arbiter: Any = ZERO_ADDRESS) -> Receipt:
    _, end, deadline = window(None, end, deadline)
    deposit = price_of(max_price, dims, quantity)
    pay = _payment(orders, customer, token, deposit, value, approve)
    return orders.request(material, dims, volume, quantity, max_price, address_of(token), end,
                          deadline, address_of(arbiter), sender=customer, **pay)


def take_order(orders: Contract, producer: Account, order: int, machine: int, *,
               envelope: tuple[int, int, int] = REGION, capacity: int = CAPACITY,
               price: int = PRICE_PER_CM3) -> Receipt:
    return orders.take(order, machine, envelope, capacity, price, sender=producer)


def join(orders: Contract, customer: Account, order: int, *, dims: tuple[int, int, int] = PART,
         volume: int = PART_VOLUME, quantity: int = 1, value: int | None = None,
         approve: int | None = None) -> Receipt:
    """Join paying the order's price for the part (see module doc for overrides)."""
    from tests.utils.checks import read  # checks imports this module

    o = read(orders, "getOrder", order)
    deposit = price_of(o["pricePerCm3"], dims, quantity)
    pay = _payment(orders, customer, o["token"], deposit, value, approve)
    return orders.join(order, dims, volume, quantity, sender=customer, **pay)


def join_parts(orders: Contract, customer: Account, order: int,
               parts: list[tuple[tuple[int, int, int], int, int]], *, value: int | None = None,
               approve: int | None = None) -> Receipt:
    """Join with an assembly, PARTS as (dims, volume, quantity), paying the sum of the parts'
    prices (each the price of its own join)."""
    from tests.utils.checks import read  # checks imports this module

    o = read(orders, "getOrder", order)
    deposit = sum(price_of(o["pricePerCm3"], dims, quantity) for dims, _, quantity in parts)
    pay = _payment(orders, customer, o["token"], deposit, value, approve)
    return orders.joinParts(order, [list(p) for p in parts], sender=customer, **pay)


def leave(orders: Contract, customer: Account, order: int, job: int) -> Receipt:
    return orders.leave(order, job, sender=customer)


def close(orders: Contract, caller: Account, order: int) -> Receipt:
    return orders.close(order, sender=caller)


def cancel(orders: Contract, caller: Account, order: int) -> Receipt:
    return orders.cancel(order, sender=caller)


def submit_model(orders: Contract, customer: Account, order: int, job: int, *,
                 digest: bytes | None = None, uri: str = MODEL_URI) -> Receipt:
    """Submit a model; the default digest is derived from the ids (non-zero)."""
    d = digest if digest is not None else bytes([order % 256, job % 256]) * 16
    return orders.submitModel(order, job, d, uri, sender=customer)


def submit_models(orders: Contract, customer: Account, order: int, jobs: list[int], *,
                  digest: bytes = b"\xa5" * 32, uri: str = MODEL_URI) -> Receipt:
    """Submit one model for several jobs (an assembly's file)."""
    return orders.submitModels(order, jobs, digest, uri, sender=customer)


def ship(orders: Contract, producer: Account, order: int, job: int) -> Receipt:
    return orders.ship(order, job, sender=producer)


def confirm(orders: Contract, customer: Account, order: int, job: int) -> Receipt:
    return orders.confirmReceipt(order, job, sender=customer)


def finalize(orders: Contract, producer: Account, order: int, job: int) -> Receipt:
    return orders.finalize(order, job, sender=producer)


def reclaim(orders: Contract, customer: Account, order: int, job: int) -> Receipt:
    return orders.reclaim(order, job, sender=customer)


def reject(orders: Contract, producer: Account, order: int, job: int) -> Receipt:
    return orders.reject(order, job, sender=producer)


#: What the stories' customers say when they dispute a shipped part.
REASON = "the part arrived cracked along its long edge"


def dispute(orders: Contract, customer: Account, order: int, job: int, reason: str = REASON) -> Receipt:
    return orders.dispute(order, job, reason, sender=customer)


def resolve(orders: Contract, arbiter: Account, order: int, job: int, to_producer: int) -> Receipt:
    return orders.resolve(order, job, to_producer, sender=arbiter)


def settle(orders: Contract, caller: Account, order: int, job: int) -> Receipt:
    return orders.settle(order, job, sender=caller)


def evict(orders: Contract, producer: Account, order: int, *jobs: int) -> Receipt:
    return orders.evict(order, list(jobs), sender=producer)


def withdraw(orders: Contract, account: Account, token: Any = ZERO_ADDRESS) -> Receipt:
    return orders.withdraw(address_of(token), sender=account)


# ---------------------------------------------------------------- time


def burst(sender: Account, contract: Contract, calls: Sequence[bytes], gas: int = 300_000,
          value: int = 0) -> None:
    """Send CALLS (encoded inputs) from SENDER to CONTRACT the way offchain.devtools.seed
    does: automine off, JSON-RPC batches of one block's worth, mined block by block. Asserts
    every one succeeded (each sends VALUE wei). For tests that need thousands of
    transactions; Anvil only."""
    from offchain.chain.rpc import Rpc
    from offchain.devtools.seed import BLOCK_GAS

    rpc = Rpc(chain.provider.uri)
    nonce = int(rpc.request("eth_getTransactionCount", sender.address, "pending"), 16)
    txs = [{"from": sender.address, "to": contract.address, "data": "0x" + bytes(data).hex(), "gas": hex(gas),
            "value": hex(value), "nonce": hex(nonce + i)} for i, data in enumerate(calls)]
    per_block = BLOCK_GAS // gas
    hashes: list[str] = []
    rpc.request("evm_setAutomine", False)
    try:
        for first in range(0, len(txs), per_block):
            hashes += rpc.batch([("eth_sendTransaction", [tx]) for tx in txs[first:first + per_block]])
            rpc.request("evm_mine")
    finally:
        rpc.request("evm_setAutomine", True)
    receipts = rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    failed = [h for h, r in zip(hashes, receipts, strict=True)
              if not isinstance(r, dict) or r["status"] != "0x1"]
    assert not failed, f"{len(failed)} of {len(hashes)} transactions failed, first {failed[0]}"


def advance_to(timestamp: int) -> None:
    """Mine a block at `timestamp` (must be in the future)."""
    chain.mine(timestamp=timestamp)


def advance(seconds: int) -> None:
    """Mine a block `seconds` after the next pending timestamp."""
    chain.mine(timestamp=chain.pending_timestamp + seconds)
