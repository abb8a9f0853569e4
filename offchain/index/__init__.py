"""The market index: an event-sourced local copy of the chain's market in SQLite.

Every read path (status, history, match, demands, the steps' read-only pre-checks, the
portal) reads this index instead of walking the chain order by order; a sync before a
read brings in only the new blocks (milliseconds on a local node). One file per chain
and deployment under ``$PRODNET_HOME/index/`` (docs/DESIGN.md, "The market index").

    index = MarketIndex.open(rpc_url, deployment, abi)   # or market_index(chain) in offchain.orders
    index.sync()                                           # new blocks only; reorgs undone
    index.open_orders()                                    # OrderRow, like getOrder's struct
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from offchain import config
from offchain.chain.abi import Abi
from offchain.chain.codec import OrderStatus
from offchain.chain.rpc import NodeError, Rpc
from offchain.index import views
from offchain.index.db import get_meta, index_path, open_index, set_meta, transaction
from offchain.index.sync import Syncer, SyncProgress, SyncResult
from offchain.index.views import EventRow, JobRow, MachineRow, OrderArrays, OrderRow, ProducerCounts

__all__ = [
    "EventRow",
    "JobRow",
    "MachineRow",
    "MarketIndex",
    "OrderArrays",
    "OrderRow",
    "ProducerCounts",
    "SyncProgress",
    "SyncResult",
]


def _stderr(line: str) -> None:
    import sys

    print(f"notice: {line}", file=sys.stderr)


class MarketIndex:
    """The index of one deployment on one chain, read and synced through one node."""

    def __init__(self, db: sqlite3.Connection, path: Path, rpc: Rpc, syncer: Syncer) -> None:
        self.db = db
        self.path = path
        self.rpc = rpc
        self.syncer = syncer
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        rpc_url: str,
        chain_id: int,
        registry: str,
        orders: str,
        deploy_block: int,
        abi_entries: Iterable[dict[str, Any]],
        confirmations: int | None = None,
        notice: Callable[[str], None] = _stderr,
        folder: Path | None = None,
        range_blocks: int = 10_000,
    ) -> MarketIndex:
        """The index of this deployment on the chain at RPC_URL (created, or rebuilt when bad).
        RANGE_BLOCKS: blocks per eth_getLogs request (halved when the node refuses)."""
        rpc = Rpc(rpc_url)
        genesis = rpc.block(0)
        node_chain = rpc.chain_id()
        if genesis is None or node_chain != chain_id:
            raise NodeError(f"the node at {rpc_url} serves chain {node_chain}, not {chain_id}")
        identity = {
            "chain_id": str(chain_id),
            "genesis": genesis.hash,
            "registry": registry.lower(),
            "orders": orders.lower(),
            "deploy_block": str(deploy_block),
        }
        path = index_path(folder or config.home() / "index", chain_id, genesis.hash, orders)
        db = open_index(path, identity, notice)
        depth = config.confirmations(chain_id) if confirmations is None else confirmations
        syncer = Syncer(db, path, rpc, Abi(abi_entries), registry, orders, deploy_block, depth, range_blocks)
        return cls(db, path, rpc, syncer)

    # -- syncing ----------------------------------------------------------------------
    def sync(
        self, progress: Callable[[SyncProgress], None] | None = None, until: int | None = None
    ) -> SyncResult:
        with self._lock:
            return self.syncer.sync(progress, until)

    @property
    def synced_block(self) -> int:
        return self.syncer.cursor()

    def follow(
        self, poll_seconds: float = 1.0, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[EventRow]:
        """New events as they are mined (a sync every POLL_SECONDS), until STOP() is true."""
        import time

        after = self.last_event()
        while not stop():
            events = self.poll(after)
            if events:
                after = (events[-1].block, events[-1].log_index)
            yield from events
            time.sleep(poll_seconds)

    def last_event(self) -> tuple[int, int]:
        """(block, log index) of the newest indexed event; (-1, -1) without any."""
        last = self.db.execute(
            "SELECT block, log_index FROM events ORDER BY block DESC, log_index DESC LIMIT 1"
        ).fetchone()
        return (int(last[0]), int(last[1])) if last else (-1, -1)

    def poll(self, after: tuple[int, int]) -> list[EventRow]:
        """Sync, then the events indexed after AFTER (block, log index), oldest first."""
        self.sync()
        return views.timeline(self.db, after=after)

    def constant(self, name: str) -> int:
        """A constant of the orders contract (e.g. MAX_LIVE_JOBS), read once and kept."""
        key = f"constant:{name}"
        value = get_meta(self.db, key)
        if value is None:
            function = self.syncer.abi.functions[name]
            answer = self.rpc.calls([(self.syncer.orders, function.encode())], self.rpc.head())[0]
            if isinstance(answer, Exception):
                raise answer
            value = str(int(function.decode(answer)))
            with transaction(self.db):
                set_meta(self.db, key, value)
        return int(value)

    # -- reads ------------------------------------------------------------------------
    def order(self, order_id: int) -> OrderRow | None:
        return views.order(self.db, order_id)

    def orders(self, **filters: Any) -> list[OrderRow]:
        return views.orders(self.db, **filters)

    def open_orders(self, **filters: Any) -> list[OrderRow]:
        return views.orders(self.db, status=OrderStatus.OPEN, **filters)

    def open_order_arrays(self) -> OrderArrays:
        """The open orders as columns (numpy), for the order book of a match."""
        return views.order_arrays(self.db, OrderStatus.OPEN)

    def count_orders(self, status: int | None = None, **filters: Any) -> int:
        return views.count_orders(self.db, status, **filters)

    def job(self, order_id: int, job_id: int) -> JobRow | None:
        return views.job(self.db, order_id, job_id)

    def jobs(
        self,
        order_ids: Iterable[int] | None = None,
        customer: str | None = None,
        status: int | None = None,
        arbiter: str | None = None,
    ) -> list[JobRow]:
        return views.jobs(self.db, order_ids, customer, status, arbiter)

    def timeline(self, order_id: int | None = None, limit: int | None = None) -> list[EventRow]:
        return views.timeline(self.db, order_id, limit=limit)

    def credits(self, account: str) -> dict[str, int]:
        return views.credits(self.db, account)

    def key_of(self, account: str) -> tuple[str, int, int] | None:
        return views.key_of(self.db, account)

    def published_key(self, account: str) -> tuple[bytes, bytes] | None:
        """(fingerprint, armored key) of ACCOUNT's latest KeyPublished event, the armored key
        read from that one block's logs (the index keeps only where it is)."""
        found = self.key_of(account)
        if found is None:
            return None
        fingerprint, block, log_index = found
        for _, _, logs in self.rpc.logs([self.syncer.registry], block, block):
            for log in logs:
                if log.log_index == log_index:
                    decoded = self.syncer.abi.decode_log(log)
                    if decoded is not None and decoded[0] == "KeyPublished":
                        return bytes.fromhex(fingerprint[2:]), bytes(decoded[1]["armoredKey"])
        return None

    def tokens(self) -> dict[str, bool]:
        """The token allowlist as its TokenAllowed events left it (token -> allowed now)."""
        return views.tokens(self.db)

    def machine(self, machine_id: int) -> MachineRow | None:
        return views.machine(self.db, machine_id)

    def machines(self, owner: str | None = None) -> list[MachineRow]:
        return views.machines(self.db, owner)

    def producer_counts(self, producers: Iterable[str] | None = None) -> dict[str, ProducerCounts]:
        """What the events of each producer's orders count (all producers, or PRODUCERS); their
        meaning to the market, the track record: ``offchain.orders.record``."""
        return views.producer_counts(self.db, producers)

    def gas_used(self, tx_hashes: Iterable[str]) -> dict[str, int]:
        """gasUsed of each transaction, from the node once, then from the index."""
        wanted = set(tx_hashes)
        known = views.gas_used(self.db, wanted)
        missing = sorted(wanted - set(known))
        if missing:
            receipts = self.rpc.batch([("eth_getTransactionReceipt", [tx]) for tx in missing])
            fetched = {
                tx: int(r["gasUsed"], 16)
                for tx, r in zip(missing, receipts, strict=True)
                if isinstance(r, dict)
            }
            with transaction(self.db):
                self.db.executemany("INSERT OR REPLACE INTO receipts VALUES (?, ?)", fetched.items())
            known.update(fetched)
        return known

    def close(self) -> None:
        self.db.close()
