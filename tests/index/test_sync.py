"""A sync builds the index the chain implies, then reads only new blocks; track records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from offchain.chain.codec import JobStatus, OrderStatus
from offchain.index import SyncProgress
from tests.index.helpers import World, assert_index_matches_chain, chain_state


def test_one_sync_of_a_market_in_every_state_matches_the_chain(market: World, tmp_path: Path) -> None:
    w, notices = market, []
    index = w.index(tmp_path, notices)
    seen: list[SyncProgress] = []
    result = index.sync(progress=seen.append)
    head = w.rpc.head()
    chain = chain_state(w.rpc, w.c, head, w.accounts)
    assert (result.start, result.stop, result.events) == (w.c.block, head, len(chain.events))
    assert result.rolled_back_to is None and not result.rebuilt
    assert seen and seen[-1].done == seen[-1].total == head - w.c.block + 1
    assert notices == []
    # the market really is in every state the contract has
    assert {int(o.status) for o in index.orders()} == {
        OrderStatus.OPEN, OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.REQUESTED}
    assert {int(j.status) for j in index.jobs()} == set(JobStatus) - {JobStatus.NONE}
    ids = w.notes["orders"]
    taken = index.order(ids["taken"])
    assert taken is not None and taken.producer.lower() == w.p2.lower() and taken.status == OrderStatus.OPEN
    names = {e.name for e in index.timeline()}
    assert {"OrderTaken", "JobLeft", "JobCompleted", "JobRefunded", "Withdrawn", "OrderCancelled"} <= names
    completed = [e.args["confirmed"] for e in index.timeline(ids["closed"]) if e.name == "JobCompleted"]
    assert sorted(completed) == [False, True]
    assert index.job(ids["closed"], 1).uri == f"ipfs://model-{ids['closed']}-1"  # type: ignore[union-attr]
    assert index.credits(w.p1) == {}  # withdrawn
    assert index.credits(w.p2) != {}  # not withdrawn
    assert_index_matches_chain(index, w.rpc, w.c)
    index.close()


def test_a_second_sync_reads_only_the_new_blocks(new_world: Callable[[], World], tmp_path: Path) -> None:
    w = new_world()
    order = w.open(w.p1)
    w.join(w.customers[0], order)
    index = w.index(tmp_path)
    first = index.sync()
    assert (first.start, first.stop) == (w.c.block, w.rpc.head())
    assert_index_matches_chain(index, w.rpc, w.c)

    w.join(w.customers[1], order)  # one block, one event (JobJoined; the order keeps room)
    second = index.sync()
    assert second.start == first.stop + 1
    assert (second.stop, second.events, second.rolled_back_to) == (w.rpc.head(), 1, None)
    assert index.job(order, 2) is not None
    assert_index_matches_chain(index, w.rpc, w.c)

    idle = index.sync()
    assert (idle.start, idle.stop, idle.events) == (second.stop + 1, second.stop, 0)
    assert idle.rolled_back_to is None

    w.rpc.request("evm_mine")  # a block without events of ours
    empty = index.sync()
    assert (empty.start, empty.stop, empty.events) == (second.stop + 1, second.stop + 1, 0)
    assert_index_matches_chain(index, w.rpc, w.c)
    index.close()


def test_producer_counts_count_each_producers_jobs(market: World, tmp_path: Path) -> None:
    w = market
    index = w.index(tmp_path)
    index.sync()
    counts = {producer.lower(): row for producer, row in index.producer_counts().items()}
    assert counts == w.notes["counts"]  # p1's and p2's: a request never taken has no producer
    # asked for one producer, only that one's counts
    only = index.producer_counts([w.p2])
    assert [p.lower() for p in only] == [w.p2.lower()]
    assert only[next(iter(only))] == counts[w.p2.lower()]
    index.close()
