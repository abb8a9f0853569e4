"""The two attacks of the review of the fair market rules that used to work, now failing.

1. Arbiter front-run: a producer named its own arbiter between a customer's read of the
   order and the customer's join, then had the puppet give it the whole disputed deposit.
   The arbiter is now a term fixed when the order is opened (or requested): there is no call
   that changes it, so a join always lands under the arbiter its customer read.
2. Live-slot griefing: one account held every live slot of an order with 1 mm3 parts, for
   gas alone (deposits it got back by leaving). The producer now evicts jobs that have no
   model yet from its open order, each refunded in full, in one transaction.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from ape import chain
from eth_utils import function_signature_to_4byte_selector

from tests.utils import actions, checks
from tests.utils.constants import (
    ARBITRATION_WINDOW,
    CONFIRMATION_WINDOW,
    MAX_LIVE_JOBS,
    MM,
    PART,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    ZERO_ADDRESS,
    JobStatus,
    OrderStatus,
    build_space,
    price_of,
)

DEPOSIT = price_of(PRICE_PER_CM3, PART, 1)
TINY = (1 * MM, 1 * MM, 1 * MM)  # 1 mm3: the cheapest part there is
TINY_DEPOSIT = price_of(PRICE_PER_CM3, TINY, 1)


# ---------------------------------------------------------------- 1. arbiter front-run


def test_no_call_names_an_arbiter_after_the_order_is_open(public):
    """The review's step 3 (nameArbiter mined before alice's join) has nothing to call: the
    old selector reverts and the order's arbiter stays the one alice read."""
    order = public.open()
    assert public.orders.arbiterOf(order) == ZERO_ADDRESS
    data = function_signature_to_4byte_selector("nameArbiter(uint256,address)") + (
        order.to_bytes(32, "big") + bytes(12) + bytes.fromhex(public.stranger.address[2:])
    )
    with public.unchanged(), ape.reverts():
        public.producer.transfer(public.orders.address, 0, data=data)
    assert public.orders.arbiterOf(order) == ZERO_ADDRESS


def test_the_front_run_ends_in_a_full_refund_to_the_customer(public):
    """The whole story of finding 1 replayed: alice joins an order without an arbiter, the
    producer ships nothing, alice disputes, the producer's puppet cannot resolve, and the
    default rule gives alice her whole deposit."""
    puppet = public.stranger
    order = public.open()
    job = public.join(order, public.alice)
    actions.close(public.orders, public.producer, order)
    actions.submit_model(public.orders, public.alice, order, job)
    actions.ship(public.orders, public.producer, order, job)
    actions.dispute(public.orders, public.alice, order, job)
    with public.unchanged(), ape.reverts(public.orders.NotArbiter, caller=puppet.address):
        actions.resolve(public.orders, puppet, order, job, DEPOSIT)
    shipped = checks.job_dict(public.orders, order, job)["shippedAt"]
    chain.pending_timestamp = shipped + CONFIRMATION_WINDOW + ARBITRATION_WINDOW
    actions.settle(public.orders, puppet, order, job)
    checks.check_credit(public.orders, public.alice, DEPOSIT)
    checks.check_credit(public.orders, public.producer, 0)
    public.invariants()


def test_an_arbiter_named_at_open_is_the_one_every_join_accepts(public):
    order = public.open(arbiter=public.stranger)
    public.join(order, public.alice)
    public.join(order, public.bob)
    assert public.orders.arbiterOf(order) == public.stranger.address


# ---------------------------------------------------------------- 2. live-slot griefing


def _hold_every_slot(public: Any, order: int) -> list[int]:
    """The attack: bob joins MAX_LIVE_JOBS 1 mm3 parts, paying each deposit."""
    join = public.orders.join.encode_input(order, TINY, 1, 1)
    first = public.orders.jobCount(order) + 1
    actions.burst(public.bob, public.orders, [join] * MAX_LIVE_JOBS, value=TINY_DEPOSIT)
    return list(range(first, first + MAX_LIVE_JOBS))


def test_one_account_holding_every_live_slot_blocks_joins(public):
    order = public.open()
    _hold_every_slot(public, order)
    checks.check_order(public.orders, order, liveJobs=MAX_LIVE_JOBS, used=MAX_LIVE_JOBS)
    with public.unchanged(), ape.reverts(public.orders.TooManyJobs, orderId=order, max=MAX_LIVE_JOBS):
        actions.join(public.orders, public.alice, order)


def test_the_producer_evicts_the_squatter_and_honest_customers_join_again(public):
    order = public.open()
    squatted = _hold_every_slot(public, order)
    receipt = actions.evict(public.orders, public.producer, order, *squatted)
    evicted = [log for log in receipt.events if log.event_name == "JobEvicted"]
    assert [(e.jobId, e.refund) for e in evicted] == [(job, TINY_DEPOSIT) for job in squatted]
    for job in squatted:
        checks.check_job_status(public.orders, order, job, JobStatus.REFUNDED)
    checks.check_order(public.orders, order, liveJobs=0, used=0, status=OrderStatus.OPEN)
    checks.check_credit(public.orders, public.bob, TINY_DEPOSIT * MAX_LIVE_JOBS)
    job = public.join(order, public.alice)
    checks.check_order(public.orders, order, liveJobs=1, used=build_space(PART, 1))
    checks.check_job_status(public.orders, order, job, JobStatus.JOINED)
    public.invariants()


def test_an_evicted_customer_loses_nothing_but_its_slot(world):
    order = world.open()
    job = world.join(order, world.alice)
    before = world.orders.credits(world.alice, world.pay)
    receipt = actions.evict(world.orders, world.producer, order, job)
    assert actions.event_args(receipt, world.orders.JobEvicted).refund == DEPOSIT
    checks.check_credit(world.orders, world.alice, before + DEPOSIT, world.pay)
    checks.check_order(world.orders, order, liveJobs=0, used=0)
    world.invariants()


def test_only_the_orders_producer_evicts(world):
    order = world.open()
    job = world.join(order, world.alice)
    # In permissioned mode alice lacks PRODUCER_ROLE: test_evict_needs_the_producer_role.
    callers = (world.producer2,) if world.membership is not None else (world.alice, world.producer2)
    for caller in callers:
        with world.unchanged(), ape.reverts(world.orders.NotOrderProducer, orderId=order,
                                            caller=caller.address):
            actions.evict(world.orders, caller, order, job)


def test_evict_takes_only_joined_jobs(world):
    order = world.open()
    joined = world.join(order, world.alice)
    left = world.join(order, world.bob)
    actions.leave(world.orders, world.bob, order, left)
    with world.unchanged(), ape.reverts(world.orders.WrongJobStatus, orderId=order, jobId=left,
                                        status=JobStatus.LEFT):
        actions.evict(world.orders, world.producer, order, joined, left)  # all or nothing
    with world.unchanged(), ape.reverts(world.orders.JobNotFound, orderId=order, jobId=9):
        actions.evict(world.orders, world.producer, order, 9)


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_evict_needs_an_open_order(world, state):
    """Once the order is closed its customers submit models: nobody is evicted any more."""
    order, jobs = world.closed_order()
    expected = OrderStatus.CLOSED
    if state == "cancelled":
        actions.cancel(world.orders, world.producer, order)
        expected = OrderStatus.CANCELLED
    with world.unchanged(), ape.reverts(world.orders.WrongOrderStatus, orderId=order, status=expected):
        actions.evict(world.orders, world.producer, order, jobs[0])


def test_evict_needs_the_producer_role(permissioned):
    order = permissioned.open()
    job = permissioned.join(order, permissioned.alice)
    permissioned.membership.revokeRole(
        permissioned.membership.PRODUCER_ROLE(), permissioned.producer, sender=permissioned.deployer
    )
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.evict(permissioned.orders, permissioned.producer, order, job)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.evict(permissioned.orders, permissioned.alice, order, job)
