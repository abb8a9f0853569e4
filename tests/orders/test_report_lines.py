"""The one-line event format of `order watch`: the fair market rules' events in words,
amounts in the order's payment token; other events as their arguments."""

from __future__ import annotations

from offchain.chain.codec import ZERO_ADDRESS
from offchain.index import EventRow
from offchain.orders.report import event_line

TOKEN = "0x" + "ab" * 20


def _event(name: str, args: dict, job_id: int | None = 2) -> EventRow:
    return EventRow(
        block=7,
        log_index=0,
        timestamp=1_800_000_000,
        tx_hash="0x" + "00" * 32,
        name=name,
        order_id=3,
        job_id=job_id,
        args={"orderId": 3, **args},
    )


def test_a_reject_reads_as_its_split_in_eth() -> None:
    line = event_line(_event("JobRejected", {"jobId": 2, "toProducer": 10**17, "toCustomer": 9 * 10**17}))
    assert "block 7 JobRejected order 3 job 2 model rejected by the producer" in line
    assert "job 2:" not in line
    assert "0.1 ETH to the producer (the reject fee), 0.9 ETH back to the customer" in line


def test_a_settle_reads_as_the_default_rule_in_the_order_token() -> None:
    line = event_line(
        _event("JobResolved", {"jobId": 2, "arbiter": ZERO_ADDRESS, "toProducer": 0, "toCustomer": 5}), TOKEN
    )
    assert "settled by the default rule after the arbitration window" in line
    assert f"5 units of token {TOKEN} back to the customer" in line and "ETH" not in line


def test_other_events_keep_their_arguments() -> None:
    line = event_line(_event("JobShipped", {"jobId": 2, "shippedAt": 1_800_000_100}))
    assert "JobShipped order 3 job 2" in line and "shippedAt" in line


def test_an_eviction_reads_as_the_producers_with_its_refund() -> None:
    line = event_line(_event("JobEvicted", {"jobId": 2, "refund": 4 * 10**14}))
    assert line.endswith("JobEvicted order 3 job 2 evicted, removed by the producer; 0.0004 ETH refunded to "
                         "the customer"), line
    in_token = event_line(_event("JobEvicted", {"jobId": 2, "refund": 12}), TOKEN)
    assert in_token.endswith(f"12 units of token {TOKEN} refunded to the customer"), in_token


def test_the_arbiter_named_with_the_order_reads_as_a_term() -> None:
    arbiter = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    line = event_line(_event("ArbiterNamed", {"arbiter": arbiter}, job_id=None))
    assert line.endswith(
        f"ArbiterNamed order 3 arbiter {arbiter} named with the order's terms, for good: it resolves "
        "this order's disputes"
    ), line
