"""close (producer any time, anyone after the window; automatic when full) and cancel."""

from __future__ import annotations

import ape
from ape import chain

from tests.utils import actions, checks
from tests.utils.constants import (
    ANY_PARTICIPANT,
    CUSTOMER_ROLE,
    PART,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    JobStatus,
    OrderStatus,
    price_of,
)

DEPOSIT = price_of(PRICE_PER_CM3, PART, 1)


# ---------------------------------------------------------------- close


def test_producer_closes_before_the_end(world):
    order = world.open()
    world.join(order, world.alice)
    receipt = actions.close(world.orders, world.producer, order)
    checks.check_order_status(world.orders, order, OrderStatus.CLOSED)
    assert actions.event_args(receipt, world.orders.OrderClosed).orderId == order


def test_producer_closes_an_empty_order(world_eth):
    order = world_eth.open()
    actions.close(world_eth.orders, world_eth.producer, order)
    checks.check_order(world_eth.orders, order, status=OrderStatus.CLOSED, jobCount=0)


def test_anyone_closes_after_the_end(world_eth):
    _, end, _ = actions.window()
    order = world_eth.open(end=end)
    chain.pending_timestamp = end
    actions.close(world_eth.orders, world_eth.bob, order)
    checks.check_order_status(world_eth.orders, order, OrderStatus.CLOSED)


def test_closing_keeps_the_jobs_joined(world_eth):
    order, jobs = world_eth.closed_order()
    for job in jobs:
        checks.check_job_status(world_eth.orders, order, job, JobStatus.JOINED)


def test_close_by_someone_else_before_the_end_is_refused(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotOrderProducer, orderId=order,
                                            caller=world_eth.bob.address):
        actions.close(world_eth.orders, world_eth.bob, order)


def test_close_twice_is_refused(world_eth):
    order = world_eth.open()
    actions.close(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, orderId=order,
                                            status=OrderStatus.CLOSED):
        actions.close(world_eth.orders, world_eth.producer, order)


def test_close_of_a_requested_order_is_refused(world_eth):
    _, end, _ = actions.window()
    order = world_eth.request(world_eth.alice, end=end)
    chain.pending_timestamp = end
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.REQUESTED):
        actions.close(world_eth.orders, world_eth.bob, order)


def test_close_of_an_unknown_order_is_refused(world_eth):
    missing = world_eth.orders.orderCount() + 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.OrderNotFound, orderId=missing):
        actions.close(world_eth.orders, world_eth.producer, missing)


def test_non_member_cannot_close_after_the_end(permissioned):
    _, end, _ = actions.window()
    order = permissioned.open(end=end)
    chain.pending_timestamp = end
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.stranger.address, role=ANY_PARTICIPANT):
        actions.close(permissioned.orders, permissioned.stranger, order)


def test_revoked_producer_cannot_close(permissioned):
    order = permissioned.open()
    permissioned.membership.revokeRole(PRODUCER_ROLE, permissioned.producer, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.close(permissioned.orders, permissioned.producer, order)


def test_stranger_closes_after_the_end_in_public_mode(public):
    _, end, _ = actions.window()
    order = public.open(end=end)
    chain.pending_timestamp = end
    actions.close(public.orders, public.stranger, order)
    checks.check_order_status(public.orders, order, OrderStatus.CLOSED)


# ---------------------------------------------------------------- cancel


def test_producer_cancels_an_open_order_and_jobs_are_refunded(world):
    order = world.open()
    jobs = [world.join(order, world.alice), world.join(order, world.bob, quantity=2)]
    receipt = actions.cancel(world.orders, world.producer, order)
    checks.check_order(world.orders, order, status=OrderStatus.CANCELLED, used=0)
    for job in jobs:
        checks.check_job_status(world.orders, order, job, JobStatus.REFUNDED)
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)
    checks.check_credit(world.orders, world.bob, 2 * DEPOSIT, world.pay)
    assert actions.event_args(receipt, world.orders.OrderCancelled).orderId == order
    assert [e.jobId for e in receipt.decode_logs(world.orders.JobRefunded)] == jobs
    world.invariants()


def test_producer_cannot_cancel_once_it_received_a_model(world):
    """Market-rules finding 6: the models were disclosed to the producer; it can reject one
    (paying the customer 90%) or ship, but no longer walk away for free."""
    order, job = world.submitted()
    with world.unchanged(), ape.reverts(world.orders.ModelReceived, orderId=order, jobId=job):
        actions.cancel(world.orders, world.producer, order)


def test_cancel_skips_jobs_already_left(world_eth):
    order = world_eth.open()
    left = world_eth.join(order, world_eth.alice)
    actions.leave(world_eth.orders, world_eth.alice, order, left)
    receipt = actions.cancel(world_eth.orders, world_eth.producer, order)
    checks.check_job_status(world_eth.orders, order, left, JobStatus.LEFT)
    checks.check_credit(world_eth.orders, world_eth.alice, DEPOSIT)  # once, from leave
    assert not receipt.decode_logs(world_eth.orders.JobRefunded)


def test_customer_cancels_its_own_request(world):
    order = world.request(world.alice)
    actions.cancel(world.orders, world.alice, order)
    checks.check_order_status(world.orders, order, OrderStatus.CANCELLED)
    checks.check_job_status(world.orders, order, 1, JobStatus.REFUNDED)
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)
    world.invariants()


def test_cancel_of_a_request_by_another_customer_is_refused(world_eth):
    order = world_eth.request(world_eth.alice)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, orderId=order, jobId=1,
                                            caller=world_eth.bob.address):
        actions.cancel(world_eth.orders, world_eth.bob, order)


def test_cancel_by_someone_else_than_the_producer_is_refused(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotOrderProducer, orderId=order,
                                            caller=world_eth.producer2.address):
        actions.cancel(world_eth.orders, world_eth.producer2, order)


def test_cancel_after_a_shipment_is_refused(world_eth):
    order, job = world_eth.shipped()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.AlreadyShipped, orderId=order, jobId=job):
        actions.cancel(world_eth.orders, world_eth.producer, order)


def test_cancel_after_a_completion_is_refused(world_eth):
    order, job = world_eth.shipped()
    actions.confirm(world_eth.orders, world_eth.alice, order, job)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.AlreadyShipped, jobId=job):
        actions.cancel(world_eth.orders, world_eth.producer, order)


def test_cancel_twice_is_refused(world_eth):
    order = world_eth.open()
    actions.cancel(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.CANCELLED):
        actions.cancel(world_eth.orders, world_eth.producer, order)


def test_cancel_of_an_unknown_order_is_refused(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.orders.OrderNotFound, orderId=0):
        actions.cancel(world_eth.orders, world_eth.producer, 0)


def test_revoked_producer_cannot_cancel(permissioned):
    order = permissioned.open()
    permissioned.membership.revokeRole(PRODUCER_ROLE, permissioned.producer, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.cancel(permissioned.orders, permissioned.producer, order)


def test_revoked_customer_cannot_cancel_its_request(permissioned):
    order = permissioned.request(permissioned.alice)
    permissioned.membership.revokeRole(CUSTOMER_ROLE, permissioned.alice, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=CUSTOMER_ROLE):
        actions.cancel(permissioned.orders, permissioned.alice, order)
