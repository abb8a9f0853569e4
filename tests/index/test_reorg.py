"""Reorgs (anvil_snapshot / anvil_revert and a different branch) are rolled back to the fork
block; a restarted node (a new chain at the same URL) gets an index file of its own."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from tests.index.helpers import World, assert_index_matches_chain, deposit, event_txs
from tests.utils.actions import REASON


def _counts(index: Any, producer: str) -> Any:
    (counts,) = index.producer_counts([producer]).values()
    return counts


def _hashes(receipts: list[dict[str, Any]]) -> set[str]:
    return {r["transactionHash"] for r in receipts}


def test_a_reorg_is_rolled_back_to_the_fork_and_the_new_branch_read(
    new_world: Callable[[], World], tmp_path: Path
) -> None:
    w = new_world()
    c0, c1, c2, c3, c4 = w.customers
    o1, o2 = w.open(w.p1), w.open(w.p1)
    w.join(c0, o1)
    w.join(c1, o1)
    w.do(c1, "leave", o1, 2)  # c1 holds a credit from before the fork
    index = w.index(tmp_path)
    index.sync()
    fork = w.rpc.head()
    assert index.credits(c1)

    # branch A: 4 blocks; c1 withdraws its credit, a job joins, an order opens, o2 gets a job
    snapshot = w.rpc.request("anvil_snapshot")
    branch_a = _hashes([
        w.do(c1, "withdraw", ZERO_ADDRESS),
        w.do(c2, "join", o1, [10_000] * 3, 500, 1, value=deposit()),
        w.do(w.p1, "open", w.machines[w.p1][1], [100_000] * 3, 50_000, w.now() - 60, w.now() + 86_400,
             w.now() + 2 * 86_400, 7, ZERO_ADDRESS, ZERO_ADDRESS),
        w.do(c0, "join", o2, [10_000] * 3, 500, 1, value=deposit()),
    ])
    a = index.sync()
    assert a.rolled_back_to is None and a.stop == fork + 4
    assert_index_matches_chain(index, w.rpc, w.c)
    assert branch_a <= event_txs(index) and index.order(3) is not None and not index.credits(c1)

    # branch B from the fork: more blocks (6), other transactions
    assert w.rpc.request("anvil_revert", snapshot) is True
    assert w.rpc.head() == fork
    branch_b = _hashes([
        w.do(c3, "join", o2, [20_000] * 3, 4_000, 2, value=deposit(dims=[20_000] * 3, quantity=2)),
        w.do(w.p2, "open", w.machines[w.p2][0], [300_000] * 3, 80_000, w.now() - 60, w.now() + 86_400,
             w.now() + 2 * 86_400, 9, ZERO_ADDRESS, w.arbiter),
        w.do(c4, "join", 3, [10_000] * 3, 500, 1, value=deposit(price=9)),
        w.do(w.p1, "close", o1),
        w.do(c0, "submitModel", o1, 1, b"\x11" * 32, "ipfs://branch-b"),
    ])
    w.rpc.request("evm_mine")
    assert w.rpc.head() == fork + 6
    b = index.sync()
    assert b.rolled_back_to == fork and not b.rebuilt
    assert (b.start, b.stop) == (fork + 1, fork + 6)
    assert_index_matches_chain(index, w.rpc, w.c)
    assert not branch_a & event_txs(index), "events of the undone branch are still in the index"
    assert branch_b <= event_txs(index)
    assert index.credits(c1), "the credit c1 withdrew only on the undone branch is gone"
    order3 = index.order(3)
    assert order3 is not None and order3.producer.lower() == w.p2.lower()
    assert order3.arbiter == w.arbiter, "branch B's order 3 named its arbiter at open; A's did not"
    assert index.order(o1).status == OrderStatus.CLOSED  # type: ignore[union-attr]
    assert index.job(o1, 1).uri == "ipfs://branch-b"  # type: ignore[union-attr]
    assert index.job(o1, 3) is None and index.job(o2, 1).customer.lower() == c3  # type: ignore[union-attr]

    # branch C (4 blocks), then branch D from the same fork with fewer blocks (1)
    fork2 = w.rpc.head()
    snapshot = w.rpc.request("evm_snapshot")
    branch_c = _hashes([
        w.do(c2, "join", o2, [10_000] * 3, 500, 1, value=deposit()),
        w.do(c3, "join", 3, [10_000] * 3, 500, 1, value=deposit(price=9)),
        w.do(w.p2, "close", 3),
        w.do(c4, "submitModel", 3, 1, b"\x22" * 32, "ipfs://branch-c"),
    ])
    assert index.sync().stop == fork2 + 4
    assert_index_matches_chain(index, w.rpc, w.c)
    assert w.rpc.request("evm_revert", snapshot) is True
    branch_d = _hashes([w.do(c4, "join", o2, [30_000] * 3, 9_000, 1, value=deposit(dims=[30_000] * 3))])
    assert w.rpc.head() == fork2 + 1 < index.synced_block
    d = index.sync()
    assert d.rolled_back_to == fork2
    assert (d.start, d.stop, d.events) == (fork2 + 1, fork2 + 1, 1)
    assert_index_matches_chain(index, w.rpc, w.c)
    assert not branch_c & event_txs(index) and branch_d <= event_txs(index)
    assert index.order(3).status == OrderStatus.OPEN  # type: ignore[union-attr]
    assert index.job(3, 1).uri == ""  # type: ignore[union-attr]
    index.close()


def test_a_reorg_drops_a_resolution_a_rejection_an_eviction_an_arbiter_and_an_allowed_token(
    new_world: Callable[[], World], tmp_path: Path
) -> None:
    w = new_world()
    c0, c1, c2, c3, c4 = w.customers
    o1 = w.dispute_ready(w.p1, [c0, c1], arbiter=w.arbiter)
    for job, customer in ((1, c0), (2, c1)):
        w.do(w.p1, "ship", o1, job)
        w.do(customer, "dispute", o1, job, REASON)
    o2 = w.dispute_ready(w.p2, [c2])
    crowded = w.open(w.p2)  # open, three joined jobs: evicted on branch A, one left on branch B
    for customer in (c3, c4, c3):
        w.join(customer, crowded)
    index = w.index(tmp_path)
    index.sync()
    fork = w.rpc.head()
    d = deposit()
    token = "0x3333333333333333333333333333333333333333"

    # branch A: the arbiter splits job 1, p2 rejects its model and evicts every job of the crowded
    # order in one transaction, a token is allowed, a fresh order names its arbiter at open
    snapshot = w.rpc.request("evm_snapshot")
    branch_a = _hashes([
        w.do(w.arbiter, "resolve", o1, 1, d // 3),
        w.do(w.p2, "reject", o2, 1),
        w.do(w.p2, "evict", crowded, [1, 2, 3]),
        w.do(w.token_admin, "allowToken", token, True),
        w.do(w.p1, "open", *w.open_args(w.p1, arbiter=w.arbiter)),
    ])
    fresh = w.order_count()
    assert index.sync().rolled_back_to is None
    assert_index_matches_chain(index, w.rpc, w.c)
    job = index.job(o1, 1)
    assert job is not None
    assert (job.to_producer, job.to_customer, job.resolved_by) == (d // 3, d - d // 3, w.arbiter)
    assert index.job(o2, 1).status == JobStatus.REJECTED  # type: ignore[union-attr]
    assert index.order(o2).liveJobs == 0 and index.order(fresh).arbiter == w.arbiter  # type: ignore[union-attr]
    evicted = index.jobs([crowded])
    assert [(j.status, j.to_producer, j.to_customer, j.evicted) for j in evicted] == [
        (JobStatus.REFUNDED, 0, d, True)] * 3
    assert (index.order(crowded).liveJobs, index.order(crowded).used) == (0, 0)  # type: ignore[union-attr]
    assert [e.name for e in index.timeline(crowded)][-3:] == ["JobEvicted"] * 3
    assert index.credits(c3) and index.credits(c4)
    assert index.tokens() == {token: True}
    assert _counts(index, w.p1).split == 1

    # branch B from the fork: the customer confirms job 1 after all, the arbiter refunds job 2,
    # p2 ships instead of rejecting; c3 leaves its first job of the crowded order, nobody is
    # evicted; the fresh order opens without an arbiter; no token
    assert w.rpc.request("evm_revert", snapshot) is True
    branch_b = _hashes([
        w.do(c0, "confirmReceipt", o1, 1),
        w.do(w.arbiter, "resolve", o1, 2, 0),
        w.do(w.p2, "ship", o2, 1),
        w.do(c3, "leave", crowded, 1),
    ])
    assert w.open(w.p1) == fresh
    w.rpc.request("evm_mine")
    b = index.sync()
    assert b.rolled_back_to == fork and not b.rebuilt
    assert_index_matches_chain(index, w.rpc, w.c)
    assert not branch_a & event_txs(index) and branch_b <= event_txs(index)
    job = index.job(o1, 1)
    assert job is not None and job.status == JobStatus.COMPLETED
    assert (job.to_producer, job.to_customer, job.resolved_by) == (None, None, None), "a dropped JobResolved"
    job = index.job(o1, 2)
    assert job is not None and (job.to_producer, job.to_customer, job.resolved_by) == (0, d, w.arbiter)
    rejected = index.job(o2, 1)
    assert rejected is not None and rejected.status == JobStatus.SHIPPED and rejected.to_producer is None
    assert index.order(o2).liveJobs == 1 and index.order(o2).used == 1_000  # type: ignore[union-attr]
    assert not index.order(fresh).has_arbiter  # type: ignore[union-attr]
    kept = [(j.status, j.to_customer, j.evicted) for j in index.jobs([crowded])]
    assert kept == [(JobStatus.LEFT, None, False)] + [(JobStatus.JOINED, None, False)] * 2
    assert (index.order(crowded).liveJobs, index.order(crowded).used) == (2, 2_000)  # type: ignore[union-attr]
    assert "JobEvicted" not in {e.name for e in index.timeline(crowded)}, "a dropped JobEvicted"
    assert not index.credits(c4), "c4's refund of the undone eviction is gone"
    assert index.tokens() == {}
    counts = _counts(index, w.p1)
    assert (counts.split, counts.confirmed_after_dispute, counts.refunded_by_arbiter) == (0, 1, 1)
    assert _counts(index, w.p2).rejected == 0
    index.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_chain_at_the_same_url_gets_its_own_index_file(
    new_world: Callable[[], World], artifacts: Any, tmp_path: Path
) -> None:
    old = new_world()
    for capacity in (60_000, 70_000):
        old.join(old.customers[0], old.open(old.p1, capacity=capacity))
    notices: list[str] = []
    old_index = old.index(tmp_path, notices)
    old_index.sync()
    assert_index_matches_chain(old_index, old.rpc, old.c)
    old_path, old_orders = old_index.path, old_index.orders()
    old_index.close()
    before = _digest(old_path)

    old.node.restart()  # same URL, same chain id, a new chain
    new = World.start(artifacts, node=old.node)
    assert new.c.orders == old.c.orders  # the same deployer and nonces: the same addresses
    new.open(new.p2, capacity=77_777)
    new_index = new.index(tmp_path, notices)
    assert new_index.path != old_path
    new_index.sync()
    assert_index_matches_chain(new_index, new.rpc, new.c)
    assert [(o.id, o.capacity, o.producer.lower()) for o in new_index.orders()] == [(1, 77_777, new.p2)]
    assert new_index.jobs() == []
    new_index.close()

    assert notices == []
    assert _digest(old_path) == before, "the old chain's index file was written to"
    assert sorted(p.name for p in tmp_path.glob("*.sqlite")) == sorted([old_path.name, new_index.path.name])
    # the old file still holds the old chain, read as it was
    db = sqlite3.connect(old_path)
    try:
        assert [r[0] for r in db.execute("SELECT capacity FROM orders ORDER BY id")] == [
            f"{o.capacity:080d}" for o in old_orders
        ]
    finally:
        db.close()
