"""The buttons each side gets (offchain.orders.moves): the fair market rules by state and time,
without a chain or a browser."""

from __future__ import annotations

from dataclasses import dataclass

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from offchain.orders.moves import Clock, job_moves, may_name_arbiter, order_moves

DAY = 86_400
SHIPPED_AT = 1_000 * DAY
DEADLINE = SHIPPED_AT + 5 * DAY
ARBITER = "0x" + "ab" * 20


@dataclass
class Job:
    shippedAt: int = SHIPPED_AT  # noqa: N815 (the struct's field name)


def at(seconds_after_shipment: int) -> Clock:
    return Clock(SHIPPED_AT + seconds_after_shipment, 14 * DAY, 7 * DAY)


def moves_of(status: int, who: str, clock: Clock, deadline: int = DEADLINE) -> tuple[str, ...]:
    return job_moves(
        OrderStatus.CLOSED,
        status,
        is_producer=who == "producer",
        is_customer=who == "customer",
        is_arbiter=who == "arbiter",
        job=Job(),
        deadline=deadline,
        clock=clock,
    )


def test_the_producer_ships_or_rejects_a_model_until_the_deadline_and_finalizes_after_the_window() -> None:
    assert moves_of(JobStatus.MODEL_SUBMITTED, "producer", at(0)) == ("fetch-model", "ship", "reject")
    assert moves_of(JobStatus.MODEL_SUBMITTED, "producer", at(5 * DAY)) == ("fetch-model",)
    assert moves_of(JobStatus.SHIPPED, "producer", at(14 * DAY - 1)) == ()
    assert moves_of(JobStatus.SHIPPED, "producer", at(14 * DAY)) == ("finalize",)
    assert moves_of(JobStatus.DISPUTED, "producer", at(14 * DAY)) == ()  # no finalize while disputed


def test_the_customer_disputes_within_the_window_and_may_confirm_a_disputed_job() -> None:
    assert moves_of(JobStatus.SHIPPED, "customer", at(14 * DAY - 1)) == ("confirm", "dispute")
    assert moves_of(JobStatus.SHIPPED, "customer", at(14 * DAY)) == ("confirm",)
    assert moves_of(JobStatus.DISPUTED, "customer", at(DAY)) == ("confirm",)


def test_the_arbiter_resolves_and_anyone_settles_after_the_arbitration_window() -> None:
    assert moves_of(JobStatus.DISPUTED, "arbiter", at(DAY)) == ("resolve",)
    assert moves_of(JobStatus.DISPUTED, "someone", at(21 * DAY - 1)) == ()
    assert moves_of(JobStatus.DISPUTED, "someone", at(21 * DAY)) == ("settle",)
    assert moves_of(JobStatus.DISPUTED, "arbiter", at(21 * DAY)) == ("resolve", "settle")
    assert moves_of(JobStatus.SHIPPED, "arbiter", at(DAY)) == ()
    # an arbiter that is also a party to the job never resolves it
    assert "resolve" not in job_moves(
        OrderStatus.CLOSED, JobStatus.DISPUTED, True, False, is_arbiter=True, job=Job(), clock=at(DAY)
    )


def test_no_cancel_once_a_job_has_a_model_and_an_arbiter_is_named_by_whoever_set_the_terms() -> None:
    closed = OrderStatus.CLOSED
    assert order_moves(closed, True, (JobStatus.JOINED, JobStatus.LEFT)) == ("cancel",)
    assert order_moves(closed, True, (JobStatus.JOINED, JobStatus.REJECTED)) == ("cancel",)
    for blocker in (JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED, JobStatus.DISPUTED, JobStatus.RESOLVED):
        assert order_moves(closed, True, (JobStatus.JOINED, blocker)) == ()
    opened = OrderStatus.OPEN
    assert order_moves(opened, True, (), public=True) == ("close", "cancel", "name-arbiter")
    assert order_moves(opened, True, (), public=False) == ("close", "cancel")  # ARBITER_ROLE decides
    assert order_moves(opened, True, (JobStatus.LEFT,), public=True) == ("close", "cancel")
    assert order_moves(opened, True, (), public=True, arbiter=ARBITER) == ("close", "cancel")
    requested = OrderStatus.REQUESTED
    assert order_moves(requested, False, (JobStatus.JOINED,), is_requester=True, public=True) == (
        "take", "name-arbiter")
    assert order_moves(requested, False, (JobStatus.JOINED,), public=True) == ("take",)
    assert not may_name_arbiter(True, OrderStatus.CLOSED, 0, True, False, ZERO_ADDRESS)
