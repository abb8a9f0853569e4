"""Seed a local Anvil with a market in bulk: raw JSON-RPC transactions, not the CLI.

Anvil's dev accounts are unlocked, so ``eth_sendTransaction`` needs no signing; with
automine off, thousands of transactions go in JSON-RPC batches with an explicit gas
limit (no estimation against a pending state) and are mined block by block. Used by
the market benchmark (10,000 open orders, 20,000 jobs) and the index's fault tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode

from offchain.chain import evm
from offchain.chain.abi import Abi
from offchain.chain.codec import ZERO_ADDRESS, text16
from offchain.chain.deploy import (
    DEFAULT_ARBITRATION_WINDOW,
    DEFAULT_CONFIRMATION_WINDOW,
    DEFAULT_MAX_LEAD_TIME,
)
from offchain.chain.deployments import Deployment
from offchain.chain.rpc import NodeError, Rpc
from offchain.errors import ProdnetError
from offchain.parts.units import price_wei

DAY = 86_400
#: The seeded deployment's settings: `ape run deploy`'s defaults.
CONFIRMATION_WINDOW, ARBITRATION_WINDOW, MAX_LEAD_TIME = (
    DEFAULT_CONFIRMATION_WINDOW, DEFAULT_ARBITRATION_WINDOW, DEFAULT_MAX_LEAD_TIME
)
BLOCK_GAS = 29_000_000  # under Anvil's 30M block gas limit
GAS = {"open": 250_000, "join": 160_000, "request": 260_000, "close": 80_000, "default": 400_000}
#: (process, material, envelope um): the seeded machines, each producer gets all of them.
MACHINES = (
    ("SLS", "PA12", (340_000, 340_000, 600_000)),
    ("SLM", "Ti64", (250_000, 250_000, 300_000)),
    ("FDM", "PLA", (300_000, 300_000, 400_000)),
    ("MJF", "PA11", (380_000, 284_000, 380_000)),
)


class SeedError(ProdnetError):
    """Seeding the local chain failed."""


@dataclass(frozen=True)
class Contracts:
    registry: str
    orders: str
    block: int  # the deployment block
    abi: list[dict[str, Any]]  # registry + orders ABI entries

    def record(self, network: str, chain_id: int, deployer: str) -> Deployment:
        """The deployment record of these contracts (as ``ape run deploy`` would save it)."""
        from eth_utils import to_checksum_address

        return Deployment(
            network,
            chain_id,
            to_checksum_address(self.registry),
            to_checksum_address(self.orders),
            None,
            to_checksum_address(deployer),
            self.block,
            CONFIRMATION_WINDOW,
            ARBITRATION_WINDOW,
            MAX_LEAD_TIME,
        )


def project_artifacts() -> tuple[dict[str, list[dict[str, Any]]], dict[str, bytes]]:
    """ABI and creation bytecode of the project's contracts (compiled by Ape if needed)."""
    from ape import project

    abis, code = {}, {}
    for name in ("CapacityRegistry", "ProductionOrders", "Membership", evm.MARKET_ABI):
        contract_type = getattr(project, name).contract_type
        abis[name] = [e.model_dump(by_alias=True, mode="json") for e in contract_type.abi]
        code[name] = bytes(contract_type.deployment_bytecode.to_bytes())
    return abis, code


def _numbered(txs: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Each transaction with its position among its sender's (for explicit nonces)."""
    seen: dict[str, int] = {}
    out = []
    for tx in txs:
        n = seen.get(tx["from"], 0)
        seen[tx["from"]] = n + 1
        out.append((tx, n))
    return out


class Seeder:
    """Sends transactions from Anvil's unlocked accounts to the prodnet contracts."""

    def __init__(self, rpc: Rpc, abis: dict[str, list[dict[str, Any]]], code: dict[str, bytes]) -> None:
        self.rpc = rpc
        self.abis = abis
        self.code = code
        self.abi = Abi(abis["CapacityRegistry"] + abis[evm.MARKET_ABI])
        self.accounts: list[str] = list(rpc.request("eth_accounts"))

    # -- transactions -----------------------------------------------------------------
    def _tx(self, sender: str, to: str | None, data: bytes, gas: int, value: int = 0) -> dict[str, Any]:
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(gas), "value": hex(value)}
        if to is not None:
            tx["to"] = to
        return tx

    def call_data(self, name: str, *args: Any) -> bytes:
        return self.abi.functions[name].encode(*args)

    def send(
        self, txs: Sequence[dict[str, Any]], progress: Callable[[int], None] | None = None
    ) -> list[dict[str, Any]]:
        """Send TXS with automine off, one block's worth at a time (by their gas limits, so
        none is left out of a block), and return their receipts (each must succeed)."""
        senders = sorted({tx["from"] for tx in txs})
        counts = self.rpc.batch([("eth_getTransactionCount", [a, "pending"]) for a in senders])
        nonces = {a: int(n, 16) for a, n in zip(senders, counts, strict=True)}
        txs = [{**tx, "nonce": hex(nonces[tx["from"]] + i)} for tx, i in _numbered(txs)]
        self.rpc.request("evm_setAutomine", False)
        hashes: list[str] = []
        try:
            batch = max(1, BLOCK_GAS // max(int(tx["gas"], 16) for tx in txs)) if txs else 1
            for start in range(0, len(txs), batch):
                answers = self.rpc.batch([("eth_sendTransaction", [tx]) for tx in txs[start : start + batch]])
                for answer in answers:
                    if isinstance(answer, NodeError):
                        raise SeedError(f"a seeded transaction was refused: {answer}")
                hashes += answers
                self.rpc.request("evm_mine")
                if progress is not None:
                    progress(len(hashes))
            for _ in range(10_000):
                if int(self.rpc.request("txpool_status")["pending"], 16) == 0:
                    break
                self.rpc.request("evm_mine")
        finally:
            self.rpc.request("evm_setAutomine", True)
        receipts = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        failed = [
            h
            for h, r in zip(hashes, receipts, strict=True)
            if not isinstance(r, dict) or r["status"] != "0x1"
        ]
        if failed:
            raise SeedError(f"{len(failed)} of {len(hashes)} seeded transactions failed, e.g. {failed[0]}")
        return receipts  # type: ignore[return-value]

    def transact(
        self, sender: str, c: Contracts, name: str, *args: Any, value: int = 0, gas: int = GAS["default"]
    ) -> dict[str, Any]:
        """One call of function NAME (registry's or orders') by SENDER, mined; its receipt."""
        to = c.registry if name in ("publishKey", "registerMachine") else c.orders
        (receipt,) = self.send([self._tx(sender, to, self.call_data(name, *args), gas, value)])
        return receipt

    # -- the market -------------------------------------------------------------------
    def deploy(self, deployer: str | None = None) -> Contracts:
        """CapacityRegistry and ProductionOrders in public mode (no Membership)."""
        deployer = deployer or self.accounts[0]
        (registry_receipt,) = self.send(
            [
                self._tx(
                    deployer,
                    None,
                    self.code["CapacityRegistry"] + encode(["address"], [ZERO_ADDRESS]),
                    5_000_000,
                )
            ]
        )
        registry = registry_receipt["contractAddress"]
        (orders_receipt,) = self.send(
            [
                self._tx(
                    deployer,
                    None,
                    self.code["ProductionOrders"]
                    + encode(
                        ["address", "address", "address", "uint256", "uint256", "uint256"],
                        [registry, ZERO_ADDRESS, deployer, CONFIRMATION_WINDOW, ARBITRATION_WINDOW,
                         MAX_LEAD_TIME],
                    ),
                    8_000_000,
                )
            ]
        )
        return Contracts(
            registry,
            orders_receipt["contractAddress"],
            int(registry_receipt["blockNumber"], 16),
            self.abis["CapacityRegistry"] + self.abis[evm.MARKET_ABI],
        )

    def producers_ready(self, c: Contracts, producers: Sequence[str]) -> dict[str, list[int]]:
        """Each producer publishes a key and registers every machine of MACHINES; their ids."""
        txs = []
        for p in producers:
            fingerprint = bytes.fromhex(p[2:]) + b"\0" * 12
            txs.append(
                self._tx(
                    p,
                    c.registry,
                    self.call_data("publishKey", fingerprint, b"-----BEGIN PGP-----"),
                    GAS["default"],
                )
            )
        self.send(txs)
        txs = [
            self._tx(
                p,
                c.registry,
                self.call_data(
                    "registerMachine", text16(process), text16(material), list(envelope), "ipfs://machine"
                ),
                GAS["default"],
            )
            for p in producers
            for process, material, envelope in MACHINES
        ]
        self.send(txs)
        ids = iter(range(1, len(txs) + 1))
        return {p: [next(ids) for _ in MACHINES] for p in producers}

    def open_orders(
        self,
        c: Contracts,
        machines: dict[str, list[int]],
        count: int,
        now: int,
        seed: int = 7,
        progress: Callable[[int], None] | None = None,
    ) -> list[int]:
        """COUNT open orders spread over the producers' machines, prices and windows varied."""
        rnd = random.Random(seed)
        txs, producers = [], list(machines)
        for i in range(count):
            producer = producers[i % len(producers)]
            m = i % len(MACHINES)
            _, _, envelope = MACHINES[m]
            capacity = 2_000_000 + rnd.randrange(0, 4) * 500_000
            end = now + rnd.randrange(20, 40) * DAY
            txs.append(
                self._tx(
                    producer,
                    c.orders,
                    self.call_data(
                        "open",
                        machines[producer][m],
                        list(envelope),
                        capacity,
                        now - 60,
                        end,
                        end + rnd.randrange(5, 20) * DAY,
                        rnd.randrange(1, 50) * 10**12,
                        ZERO_ADDRESS,  # paid in ETH
                        ZERO_ADDRESS,  # no arbiter
                    ),
                    GAS["open"],
                )
            )
        self.send(txs, progress=progress)
        return list(range(1, count + 1))

    def join_orders(
        self,
        c: Contracts,
        order_ids: Sequence[int],
        count: int,
        customers: Sequence[str],
        price_of: Callable[[int], int],
        seed: int = 11,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """COUNT jobs, round-robin over ORDER_IDS (small parts that always fit)."""
        rnd = random.Random(seed)
        txs = []
        for i in range(count):
            order_id = order_ids[i % len(order_ids)]
            dims = [rnd.randrange(10, 60) * 1000 for _ in range(3)]
            volume = max(1, dims[0] * dims[1] * dims[2] // 10**9 // 3)
            quantity = rnd.randrange(1, 4)
            deposit = price_wei(price_of(order_id), dims, quantity)
            txs.append(
                self._tx(
                    customers[i % len(customers)],
                    c.orders,
                    self.call_data("join", order_id, dims, volume, quantity),
                    GAS["join"],
                    deposit,
                )
            )
        self.send(txs, progress=progress)
        return count

    def price_reader(self, c: Contracts) -> Callable[[int], int]:
        """pricePerCm3 of an order, read in one batch for all orders at first use."""
        get_order = self.abi.functions["getOrder"]
        cache: dict[int, int] = {}

        def price(order_id: int) -> int:
            if order_id not in cache:
                count = int(
                    self.abi.functions["orderCount"].decode(
                        self.rpc.calls([(c.orders, self.call_data("orderCount"))], self.rpc.head())[0]
                    )
                )
                head = self.rpc.head()
                ids = list(range(1, count + 1))
                for oid, raw in zip(
                    ids, self.rpc.calls([(c.orders, get_order.encode(i)) for i in ids], head), strict=True
                ):
                    if isinstance(raw, NodeError):
                        raise raw
                    cache[oid] = int(get_order.decode(raw)["pricePerCm3"])
            return cache[order_id]

        return price
