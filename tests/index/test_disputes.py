"""The fair market rules in the index: rejections (fee and refund), disputes (resolved by the
arbiter's split, settled by the default rule, confirmed after all, still open), named arbiters,
live jobs and the token allowlist; each kept as the chain has it, and counted per producer
(read as the market's track records by offchain.orders.record)."""

from __future__ import annotations

from pathlib import Path

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from offchain.orders.record import track_records
from tests.index.helpers import TOKENS, World, assert_index_matches_chain, deposit


def test_rejections_disputes_arbiters_and_the_allowlist_are_kept(market: World, tmp_path: Path) -> None:
    w = market
    ids = w.notes["orders"]
    index = w.index(tmp_path)
    index.sync()
    assert_index_matches_chain(index, w.rpc, w.c)
    o8, o9 = ids["disputes"], ids["p2_rejected"]
    d = deposit()

    # the order's named arbiter, and its live jobs (a rejected job no longer is one)
    order = index.order(o8)
    assert order is not None and order.arbiter == w.arbiter and order.has_arbiter
    assert (order.jobCount, order.liveJobs, order.used) == (5, 4, 4 * 1_000)
    request = index.order(ids["requested"])
    assert request is not None and request.arbiter == w.arbiter  # named by its requester
    named_at_request = [e.name for e in index.timeline(ids["requested"])]
    assert named_at_request == ["OrderRequested", "JobJoined", "ArbiterNamed"]
    rejected_only = index.order(o9)
    assert rejected_only is not None and not rejected_only.has_arbiter
    assert (rejected_only.liveJobs, rejected_only.used) == (0, 0)

    # each job's outcome: who got what, and who decided it
    jobs = {j.job_id: j for j in index.jobs([o8])}
    outcome = {n: (int(j.status), j.to_producer, j.to_customer, j.resolved_by) for n, j in jobs.items()}
    assert outcome == {
        1: (JobStatus.RESOLVED, d // 4, d - d // 4, w.arbiter),  # the arbiter's split
        2: (JobStatus.COMPLETED, None, None, None),  # confirmed after all
        3: (JobStatus.RESOLVED, 0, d, ZERO_ADDRESS),  # the default rule: a full refund
        4: (JobStatus.REJECTED, d // 10, d - d // 10, None),  # the reject fee, the rest refunded
        5: (JobStatus.DISPUTED, None, None, None),
    }
    assert jobs[3].by_default_rule and not jobs[1].by_default_rule
    only = index.job(o9, 1)
    assert only is not None and (only.status, only.to_producer, only.to_customer) == (
        JobStatus.REJECTED, d // 10, d - d // 10)

    # what the arbiter still has to decide
    waiting = index.jobs(status=JobStatus.DISPUTED, arbiter=w.arbiter)
    assert [(j.order_id, j.job_id) for j in waiting] == [(o8, 5)]
    assert index.jobs(status=JobStatus.DISPUTED, arbiter=w.p1) == []

    # the events, with the arbiter as the account of its own
    timeline = index.timeline(o8)
    names = [e.name for e in timeline]
    assert names.count("JobDisputed") == 4 and names.count("JobResolved") == 2
    assert names.count("JobRejected") == 1 and names.count("ArbiterNamed") == 1
    assert names.index("ArbiterNamed") == 1  # named as it opened (the same transaction), before any join
    assert timeline[0].tx_hash == timeline[1].tx_hash
    (account,) = index.db.execute(
        "SELECT account FROM events WHERE name = 'ArbiterNamed' AND order_id = ?", (o8,)
    ).fetchone()
    assert account == w.arbiter
    assert index.credits(w.arbiter) == {}  # arbitrating earns nothing on chain

    # a request never taken, reclaimed after its deadline: refunded, then cancelled, in one transaction
    reclaimed = ids["request_reclaimed"]
    assert index.order(reclaimed).status == OrderStatus.CANCELLED  # type: ignore[union-attr]
    last = index.timeline(reclaimed)[-2:]
    assert [e.name for e in last] == ["JobRefunded", "OrderCancelled"] and last[0].tx_hash == last[1].tx_hash

    # the allowlist as its last TokenAllowed events left it
    assert index.tokens() == {TOKENS[0]: True, TOKENS[1]: False}
    index.close()


def test_evicted_jobs_are_refunded_with_their_refund_kept(market: World, tmp_path: Path) -> None:
    """The producer evicted jobs 1, 2 and 4 of an open order in one transaction: each is
    Refunded with the whole deposit back to its customer (a JobEvicted each, in the order's
    timeline), told apart from a cancel's refund; job 3 is still joined; the producer's track
    record does not count them as reclaimed or cancelled."""
    w = market
    o11, cancelled = w.notes["orders"]["evictions"], w.notes["orders"]["cancelled"]
    index = w.index(tmp_path)
    index.sync()
    d = deposit()
    jobs = {j.job_id: j for j in index.jobs([o11])}
    assert {n: (int(j.status), j.to_producer, j.to_customer, j.evicted) for n, j in jobs.items()} == {
        1: (JobStatus.REFUNDED, 0, d, True),
        2: (JobStatus.REFUNDED, 0, d, True),
        3: (JobStatus.JOINED, None, None, False),
        4: (JobStatus.REFUNDED, 0, d, True),
    }
    order = index.order(o11)
    assert order is not None and order.status == OrderStatus.OPEN
    assert (order.jobCount, order.liveJobs, order.used) == (4, 1, 1_000)
    evictions = [e for e in index.timeline(o11) if e.name == "JobEvicted"]
    assert [(e.job_id, int(e.args["refund"])) for e in evictions] == [(1, d), (2, d), (4, d)]
    assert len({e.tx_hash for e in evictions}) == 1  # one transaction
    refunded = index.jobs([cancelled])
    assert refunded and all(j.status == JobStatus.REFUNDED and not j.evicted for j in refunded)
    index.close()


def test_the_track_record_counts_rejections_how_disputes_ended_and_late_jobs(
    market: World, tmp_path: Path
) -> None:
    """The market's reading of the index's counts (offchain.orders.record): p1's job reclaimed
    after the deadline with its model submitted is late; p2's, reclaimed without one, is not."""
    w = market
    index = w.index(tmp_path)
    index.sync()
    records = {p.lower(): r for p, r in track_records(index).items()}
    p1, p2 = records[w.p1.lower()], records[w.p2.lower()]
    disputes = "1 rejected, 4 disputed (1 split, 1 refunded by default, 1 confirmed after all, 1 open)"
    assert p1.disputes_text() == disputes
    assert p1.text() == (
        "3 done, 6 on time, 1 late, 1 reclaimed, 2 cancelled, 1 unconfirmed; " + disputes
    )
    assert (p1.late, p1.on_time_share) == (1, 6 / 7)
    assert p2.disputes_text() == "1 rejected"
    assert p2.text() == "1 done, 2 on time, 0 late, 1 reclaimed, 1 cancelled, 0 unconfirmed; 1 rejected"
    assert (p2.late, p2.on_time_share, p2.evicted) == (0, 1.0, 3)
    index.close()
