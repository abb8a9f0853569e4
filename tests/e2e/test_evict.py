"""The producer's evict through the operator CLI on the public deployment: three customers'
joined jobs removed from its open order in one transaction, each refunded in full; a
customer's evict and an unknown job are refused in one line with nothing sent; a re-run is
"already done"; `order status` and `order history` (the index) show the jobs refunded with
the eviction's own wording.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.e2e.helpers import event_topic, history_events, job_of_join, parallel, state_snapshot, status_jobs
from tests.e2e.world import World

JOB_EVICTED = event_topic("JobEvicted(uint256,uint256,uint256)")


def _eth(wei: int) -> str:
    """WEI as the CLI prints an ETH amount: '0.0064 ETH'."""
    text = format(Decimal(wei) / Decimal(10**18), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " ETH"


def test_the_producer_evicts_three_jobs_in_one_transaction(
    public_world: World, parts: dict[str, Path]
) -> None:
    w, p = public_world, public_world.people
    order_id = w.open_order(capacity="1000")
    declared = {"alice": (p.alice, "bracket"), "bob": (p.bob, "gear"), "carol": (p.carol, "gear")}
    joins = parallel(
        *(
            (lambda who=who, part=part: w.cli.run(who, "order", "join", str(order_id), str(parts[part])).ok())
            for who, part in declared.values()
        )
    )
    jobs = {name: job_of_join(w.rpc, r.tx("join"))[1] for name, r in zip(declared, joins, strict=True)}
    assert sorted(jobs.values()) == [1, 2, 3]
    deposits = {name: int(w.orders.job(order_id, job)["deposit"]) for name, job in jobs.items()}
    assert all(deposits.values())

    # refused in one line, nothing sent: a customer evicting, a job the order does not have
    before = state_snapshot(w.rpc, p.alice.address, p.producer.address)
    by_customer, unknown = parallel(
        lambda: w.cli.run(p.alice, "order", "evict", str(order_id), "--job", str(jobs["bob"])),
        lambda: w.as_producer("evict", str(order_id), "--job", str(jobs["alice"]), "--job", "9"),
    )
    assert by_customer.error == (
        f"{p.alice.address} is not the producer of order {order_id} (it is produced by "
        f"{p.producer.address}): only an order's producer evicts its jobs"
    ), by_customer.explain()
    assert unknown.error == f"order {order_id} has no job 9 (its jobs are 1 to 3)", unknown.explain()
    assert state_snapshot(w.rpc, p.alice.address, p.producer.address) == before
    assert {w.orders.job_status(order_id, job) for job in jobs.values()} == {"joined"}

    # the three jobs in one transaction: each refund credited to its customer
    people = {name: who for name, (who, _) in declared.items()}
    credits = {name: w.orders.credits(who.address) for name, who in people.items()}
    args = [arg for job in sorted(jobs.values()) for arg in ("--job", str(job))]
    evicted = w.as_producer("evict", str(order_id), *args).ok()
    receipt = w.rpc.receipt(evicted.tx("evict"))
    assert receipt["status"] == "0x1" and receipt["from"].lower() == p.producer.address.lower()
    logs = [log for log in receipt["logs"] if log["topics"][0] == "0x" + JOB_EVICTED.hex()]
    assert [(int(log["topics"][1], 16), int(log["topics"][2], 16), int(log["data"], 16)) for log in logs] == [
        (order_id, job, deposits[name]) for name, job in sorted(jobs.items(), key=lambda item: item[1])
    ]
    total = _eth(sum(deposits.values()))
    assert f"evict: order {order_id}: jobs 1, 2 and 3 evicted, {total} refunded in all (" in evicted.stdout
    for name, job in jobs.items():
        assert f"job {job}: {_eth(deposits[name])} credited back to {people[name].address}" in evicted.stdout
        assert w.orders.job_status(order_id, job) == "refunded"
        assert w.orders.credits(people[name].address) == credits[name] + deposits[name], name
    order = w.orders.order(order_id)
    assert (int(order["used"]), int(order["liveJobs"]), w.orders.order_status(order_id)) == (0, 0, "open")

    # again: already done, nothing sent
    before = state_snapshot(w.rpc, p.producer.address)
    again = w.as_producer("evict", str(order_id), "--job", str(jobs["carol"])).ok()
    assert again.stdout.strip() == (
        f"evict: already done: order {order_id}: job {jobs['carol']} is already refunded"
    ), again.explain()
    assert state_snapshot(w.rpc, p.producer.address) == before

    # the index: refunded, with the eviction's wording in the status table and the history
    status, history = parallel(
        lambda: w.cli.run(p.dave, "order", "status", str(order_id)).ok(),
        lambda: w.cli.run(p.bob, "order", "history", str(order_id)).ok(),
    )
    rows = status_jobs(status.stdout)
    for name, job in jobs.items():
        row = rows[(order_id, job)]
        assert row["job status"] == "refunded", status.explain()
        assert row["deadline / outcome"] == (
            f"evicted: removed by the producer before it had a model; {_eth(deposits[name])} back to the "
            "customer"
        ), status.explain()
    events = history_events(history.stdout)
    evictions = [e for e in events if e["event"] == "JobEvicted"]
    assert [e["details"] for e in evictions] == [
        f"job {job}: evicted, removed by the producer; {_eth(deposits[name])} refunded to the customer"
        for name, job in sorted(jobs.items(), key=lambda item: item[1])
    ], history.explain()
    assert len({e["tx"] for e in evictions}) == 1 and evicted.tx("evict").startswith(
        evictions[0]["tx"].rstrip("…")
    )
