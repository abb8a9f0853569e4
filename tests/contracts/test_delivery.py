"""submitModel, ship, confirmReceipt, finalize and reclaim."""

from __future__ import annotations

import ape
from ape import chain

from tests.utils import actions, checks
from tests.utils.constants import (
    CONFIRMATION_WINDOW,
    CUSTOMER_ROLE,
    MODEL_URI,
    PART,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    JobStatus,
    OrderStatus,
    build_space,
    price_of,
)
from tests.utils.constants import PART as PART_DIMS

DEPOSIT = price_of(PRICE_PER_CM3, PART, 1)
DIGEST = bytes.fromhex("5e" * 32)


def _deadline(world, order):
    return checks.order_dict(world.orders, order)["deadline"]


# ---------------------------------------------------------------- submitModel


def test_submit_model_records_the_digest(world):
    order, (job, _) = world.closed_order()
    actions.submit_model(world.orders, world.alice, order, job, digest=DIGEST)
    checks.check_job(world.orders, order, job, status=JobStatus.MODEL_SUBMITTED, digest=DIGEST)


def test_submit_model_emits_the_uri(world):
    order, (job, _) = world.closed_order()
    receipt = actions.submit_model(world.orders, world.alice, order, job, digest=DIGEST, uri=MODEL_URI)
    event = actions.event_args(receipt, world.orders.ModelSubmitted)
    assert (event.orderId, event.jobId, event.digest, event.uri) == (order, job, DIGEST, MODEL_URI)


def test_submit_model_of_an_auto_closed_order(world_eth):
    order = world_eth.open(capacity=build_space(PART_DIMS, 1))
    job = world_eth.join(order, world_eth.alice)
    actions.submit_model(world_eth.orders, world_eth.alice, order, job)
    checks.check_job_status(world_eth.orders, order, job, JobStatus.MODEL_SUBMITTED)


def test_submit_model_again_is_refused_and_the_digest_stays(world_eth):
    order, (job, _) = world_eth.closed_order()
    actions.submit_model(world_eth.orders, world_eth.alice, order, job, digest=DIGEST)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, jobId=job,
                                            status=JobStatus.MODEL_SUBMITTED):
        actions.submit_model(world_eth.orders, world_eth.alice, order, job, digest=b"\x01" * 32)
    checks.check_job(world_eth.orders, order, job, digest=DIGEST)


def test_submit_model_before_close_is_refused(world_eth):
    order = world_eth.open()
    job = world_eth.join(order, world_eth.alice)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, orderId=order,
                                            status=OrderStatus.OPEN):
        actions.submit_model(world_eth.orders, world_eth.alice, order, job)


def test_submit_model_by_another_customer_is_refused(world_eth):
    order, (job, _) = world_eth.closed_order()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, jobId=job,
                                            caller=world_eth.bob.address):
        actions.submit_model(world_eth.orders, world_eth.bob, order, job)


def test_submit_model_with_a_zero_digest_is_refused(world_eth):
    order, (job, _) = world_eth.closed_order()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EmptyModel):
        actions.submit_model(world_eth.orders, world_eth.alice, order, job, digest=b"\0" * 32)


def test_submit_model_with_an_empty_uri_is_refused(world_eth):
    order, (job, _) = world_eth.closed_order()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EmptyModel):
        actions.submit_model(world_eth.orders, world_eth.alice, order, job, uri="")


def test_submit_model_of_a_cancelled_order_is_refused(world_eth):
    order, (job, _) = world_eth.closed_order()
    actions.cancel(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.CANCELLED):
        actions.submit_model(world_eth.orders, world_eth.alice, order, job)


def test_producer_without_customer_role_cannot_submit(permissioned):
    order, (job, _) = permissioned.closed_order()
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.producer.address, role=CUSTOMER_ROLE):
        actions.submit_model(permissioned.orders, permissioned.producer, order, job)


# ---------------------------------------------------------------- ship


def test_ship_marks_the_job_shipped(world):
    order, job = world.submitted()
    receipt = actions.ship(world.orders, world.producer, order, job)
    block_time = chain.provider.get_block(receipt.block_number).timestamp
    checks.check_job(world.orders, order, job, status=JobStatus.SHIPPED, shippedAt=block_time)
    event = actions.event_args(receipt, world.orders.JobShipped)
    assert (event.orderId, event.jobId) == (order, job)


def test_ship_before_the_model_is_refused(world_eth):
    order, (job, _) = world_eth.closed_order()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, jobId=job,
                                            status=JobStatus.JOINED):
        actions.ship(world_eth.orders, world_eth.producer, order, job)


def test_ship_twice_is_refused(world_eth):
    order, job = world_eth.shipped()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.SHIPPED):
        actions.ship(world_eth.orders, world_eth.producer, order, job)


def test_ship_by_another_producer_is_refused(world_eth):
    order, job = world_eth.submitted()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotOrderProducer, orderId=order,
                                            caller=world_eth.producer2.address):
        actions.ship(world_eth.orders, world_eth.producer2, order, job)


def test_ship_after_the_deadline_is_refused(world_eth):
    order, job = world_eth.submitted()
    deadline = _deadline(world_eth, order)
    chain.pending_timestamp = deadline
    with world_eth.unchanged(), ape.reverts(world_eth.orders.DeliveryDeadlinePassed, orderId=order,
                                            deadline=deadline):
        actions.ship(world_eth.orders, world_eth.producer, order, job)


def test_ship_of_an_unknown_job_is_refused(world_eth):
    order, _ = world_eth.submitted()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.JobNotFound, orderId=order, jobId=9):
        actions.ship(world_eth.orders, world_eth.producer, order, 9)


def test_revoked_producer_cannot_ship(permissioned):
    order, job = permissioned.submitted()
    permissioned.membership.revokeRole(PRODUCER_ROLE, permissioned.producer, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.ship(permissioned.orders, permissioned.producer, order, job)


# ---------------------------------------------------------------- confirmReceipt


def test_confirm_completes_the_job(world):
    order, job = world.shipped()
    receipt = actions.confirm(world.orders, world.alice, order, job)
    checks.check_job_status(world.orders, order, job, JobStatus.COMPLETED)
    event = actions.event_args(receipt, world.orders.JobCompleted)
    assert (event.orderId, event.jobId, event.payment) == (order, job, DEPOSIT)
    assert event.confirmed


def test_confirm_credits_the_producer(world):
    order, job = world.shipped()
    actions.confirm(world.orders, world.alice, order, job)
    checks.check_credit(world.orders, world.producer, DEPOSIT, world.pay)
    checks.check_credit(world.orders, world.alice, 0, world.pay)
    world.invariants()


def test_confirm_before_shipment_is_refused(world_eth):
    order, job = world_eth.submitted()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus,
                                            status=JobStatus.MODEL_SUBMITTED):
        actions.confirm(world_eth.orders, world_eth.alice, order, job)


def test_confirm_twice_is_refused(world_eth):
    order, job = world_eth.shipped()
    actions.confirm(world_eth.orders, world_eth.alice, order, job)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.COMPLETED):
        actions.confirm(world_eth.orders, world_eth.alice, order, job)


def test_confirm_by_someone_else_is_refused(world_eth):
    order, job = world_eth.shipped()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, caller=world_eth.bob.address):
        actions.confirm(world_eth.orders, world_eth.bob, order, job)


def test_revoked_customer_cannot_confirm(permissioned):
    order, job = permissioned.shipped()
    permissioned.membership.revokeRole(CUSTOMER_ROLE, permissioned.alice, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=CUSTOMER_ROLE):
        actions.confirm(permissioned.orders, permissioned.alice, order, job)


# ---------------------------------------------------------------- finalize


def test_finalize_after_the_confirmation_window(world):
    order, job = world.shipped()
    shipped_at = checks.job_dict(world.orders, order, job)["shippedAt"]
    chain.pending_timestamp = shipped_at + CONFIRMATION_WINDOW
    receipt = actions.finalize(world.orders, world.producer, order, job)
    checks.check_job_status(world.orders, order, job, JobStatus.COMPLETED)
    checks.check_credit(world.orders, world.producer, DEPOSIT, world.pay)
    assert not actions.event_args(receipt, world.orders.JobCompleted).confirmed
    world.invariants()


def test_finalize_during_the_confirmation_window_is_refused(world_eth):
    order, job = world_eth.shipped()
    until = checks.job_dict(world_eth.orders, order, job)["shippedAt"] + CONFIRMATION_WINDOW
    chain.pending_timestamp = until - 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.ConfirmationWindowOpen, orderId=order, jobId=job,
                                            until=until):
        actions.finalize(world_eth.orders, world_eth.producer, order, job)


def test_finalize_by_another_producer_is_refused(world_eth):
    order, job = world_eth.shipped()
    chain.pending_timestamp += CONFIRMATION_WINDOW
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotOrderProducer,
                                            caller=world_eth.producer2.address):
        actions.finalize(world_eth.orders, world_eth.producer2, order, job)


def test_finalize_before_shipment_is_refused(world_eth):
    order, job = world_eth.submitted()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus,
                                            status=JobStatus.MODEL_SUBMITTED):
        actions.finalize(world_eth.orders, world_eth.producer, order, job)


def test_finalize_after_confirmation_is_refused(world_eth):
    order, job = world_eth.shipped()
    actions.confirm(world_eth.orders, world_eth.alice, order, job)
    chain.pending_timestamp += CONFIRMATION_WINDOW
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.COMPLETED):
        actions.finalize(world_eth.orders, world_eth.producer, order, job)


def test_revoked_producer_cannot_finalize(permissioned):
    order, job = permissioned.shipped()
    chain.pending_timestamp += CONFIRMATION_WINDOW
    permissioned.membership.revokeRole(PRODUCER_ROLE, permissioned.producer, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.finalize(permissioned.orders, permissioned.producer, order, job)


# ---------------------------------------------------------------- reclaim


def test_reclaim_a_submitted_job_after_the_deadline(world):
    order, job = world.submitted()
    chain.pending_timestamp = _deadline(world, order)
    receipt = actions.reclaim(world.orders, world.alice, order, job)
    checks.check_job_status(world.orders, order, job, JobStatus.REFUNDED)
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)
    assert actions.event_args(receipt, world.orders.JobRefunded).refund == DEPOSIT
    world.invariants()


def test_reclaim_frees_the_space(world_eth):
    order, (job, _) = world_eth.closed_order()
    chain.pending_timestamp = _deadline(world_eth, order)
    actions.reclaim(world_eth.orders, world_eth.alice, order, job)
    checks.check_order(world_eth.orders, order, used=build_space(PART_DIMS, 1))
    checks.check_space(world_eth.orders, order)


def test_reclaim_a_request_never_taken_cancels_it(world):
    """Market-rules finding 6: the request no longer stays Requested with nothing in it."""
    order = world.request(world.alice)
    chain.pending_timestamp = _deadline(world, order)
    receipt = actions.reclaim(world.orders, world.alice, order, 1)
    checks.check_job_status(world.orders, order, 1, JobStatus.REFUNDED)
    checks.check_order_status(world.orders, order, OrderStatus.CANCELLED)
    assert [log.event_name for log in receipt.events] == ["JobRefunded", "OrderCancelled"]
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)
    world.invariants()


def test_reclaim_before_the_deadline_is_refused(world_eth):
    order, job = world_eth.submitted()
    deadline = _deadline(world_eth, order)
    chain.pending_timestamp = deadline - 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.DeliveryDeadlineNotPassed, orderId=order,
                                            deadline=deadline):
        actions.reclaim(world_eth.orders, world_eth.alice, order, job)


def test_reclaim_of_a_shipped_job_is_refused(world_eth):
    order, job = world_eth.shipped()
    chain.pending_timestamp = _deadline(world_eth, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.SHIPPED):
        actions.reclaim(world_eth.orders, world_eth.alice, order, job)


def test_reclaim_twice_is_refused(world_eth):
    order, job = world_eth.submitted()
    chain.pending_timestamp = _deadline(world_eth, order)
    actions.reclaim(world_eth.orders, world_eth.alice, order, job)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.REFUNDED):
        actions.reclaim(world_eth.orders, world_eth.alice, order, job)


def test_reclaim_by_someone_else_is_refused(world_eth):
    order, job = world_eth.submitted()
    chain.pending_timestamp = _deadline(world_eth, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, caller=world_eth.bob.address):
        actions.reclaim(world_eth.orders, world_eth.bob, order, job)


def test_revoked_customer_cannot_reclaim(permissioned):
    order, job = permissioned.submitted()
    chain.pending_timestamp = _deadline(permissioned, order)
    permissioned.membership.revokeRole(CUSTOMER_ROLE, permissioned.alice, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=CUSTOMER_ROLE):
        actions.reclaim(permissioned.orders, permissioned.alice, order, job)
