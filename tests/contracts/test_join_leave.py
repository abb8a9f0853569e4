"""join (a customer's part enters an open order) and leave."""

from __future__ import annotations

import ape
from ape import chain

from tests.utils import actions, checks
from tests.utils.constants import (
    CAPACITY,
    CUSTOMER_ROLE,
    DAY,
    MAX_LIVE_JOBS,
    MM,
    PART,
    PART_VOLUME,
    PRICE_PER_CM3,
    JobStatus,
    OrderStatus,
    box_volume,
    build_space,
    price_of,
)

SPACE = build_space(PART, 1)
DEPOSIT = price_of(PRICE_PER_CM3, PART, 1)


# ---------------------------------------------------------------- join


def test_join_records_the_job(world):
    order = world.open()
    job = world.join(order, world.alice, quantity=3)
    checks.check_job(
        world.orders, order, job, customer=world.alice, status=JobStatus.JOINED,
        deposit=price_of(PRICE_PER_CM3, PART, 3), dimX=PART[0], dimY=PART[1], dimZ=PART[2],
        partVolume=PART_VOLUME, quantity=3, shippedAt=0, digest=b"\0" * 32,
    )


def test_join_uses_build_space(world):
    order = world.open()
    world.join(order, world.alice, quantity=3)
    checks.check_order(world.orders, order, used=3 * SPACE, jobCount=1, status=OrderStatus.OPEN)
    assert world.orders.spaceLeft(order) == CAPACITY - 3 * SPACE


def test_join_holds_the_deposit_in_escrow(world):
    order = world.open()
    before_contract, before_customer = world.balance(world.orders), world.balance(world.alice)
    world.join(order, world.alice)
    assert world.balance(world.orders) - before_contract == DEPOSIT
    if world.currency == "token":
        assert before_customer - world.balance(world.alice) == DEPOSIT
    world.invariants()


def test_join_emits_job_joined(world):
    order = world.open()
    receipt = actions.join(world.orders, world.alice, order, quantity=2)
    event = actions.event_args(receipt, world.orders.JobJoined)
    assert (event.orderId, event.jobId, event.customer, event.buildSpace, event.deposit) == (
        order, 1, world.alice.address, 2 * SPACE, 2 * DEPOSIT)


def test_customers_share_an_order_with_sequential_job_ids(world):
    order = world.open()
    jobs = [world.join(order, c) for c in (world.alice, world.bob, world.alice)]
    assert jobs == [1, 2, 3]
    assert world.orders.jobCount(order) == 3
    checks.check_space(world.orders, order)


def test_join_with_price_zero_needs_no_payment(world):
    order = world.open(price=0)
    job = world.join(order, world.alice, value=0, approve=0)
    checks.check_job(world.orders, order, job, deposit=0, status=JobStatus.JOINED)


def test_join_rounds_the_price_up(world_eth):
    order = world_eth.open(price=1)
    dims = (7 * MM, 11 * MM, 13 * MM)  # 1,001 mm3 = 1.001 cm3 of build space at 1 wei per cm3
    job = world_eth.join(order, world_eth.alice, dims=dims, volume=1)
    checks.check_job(world_eth.orders, order, job, deposit=2)


def test_join_accepts_a_part_rotated_into_the_envelope(world_eth):
    order = world_eth.open()  # region 200 x 200 x 300 mm
    dims = (300 * MM, 10 * MM, 10 * MM)
    job = world_eth.join(order, world_eth.alice, dims=dims, volume=1000)
    checks.check_job(world_eth.orders, order, job, dimX=300 * MM)


def test_join_that_fills_the_capacity_closes_the_order(world):
    order = world.open(capacity=2 * SPACE)
    world.join(order, world.alice)
    receipt = actions.join(world.orders, world.bob, order)
    checks.check_order(world.orders, order, status=OrderStatus.CLOSED, used=2 * SPACE)
    assert receipt.decode_logs(world.orders.OrderClosed)[0].orderId == order


def test_join_before_the_window_is_refused(world_eth):
    start = chain.pending_timestamp + DAY
    order = world_eth.open(start=start)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WindowNotStarted, orderId=order, start=start):
        actions.join(world_eth.orders, world_eth.alice, order)


def test_join_at_the_window_start_is_accepted(world_eth):
    start = chain.pending_timestamp + DAY
    order = world_eth.open(start=start)
    chain.pending_timestamp = start
    world_eth.join(order, world_eth.alice)
    checks.check_order(world_eth.orders, order, jobCount=1)


def test_join_after_the_window_is_refused(world_eth):
    _, end, _ = actions.window()
    order = world_eth.open(end=end)
    chain.pending_timestamp = end
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WindowOver, orderId=order, end=end):
        actions.join(world_eth.orders, world_eth.alice, order)


def test_join_of_a_closed_order_is_refused(world_eth):
    order = world_eth.open()
    actions.close(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, orderId=order,
                                            status=OrderStatus.CLOSED):
        actions.join(world_eth.orders, world_eth.alice, order)


def test_join_of_a_cancelled_order_is_refused(world_eth):
    order = world_eth.open()
    actions.cancel(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.CANCELLED):
        actions.join(world_eth.orders, world_eth.alice, order)


def test_join_of_a_requested_order_is_refused(world_eth):
    order = world_eth.request(world_eth.alice)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.REQUESTED):
        actions.join(world_eth.orders, world_eth.bob, order)


def test_join_of_an_unknown_order_is_refused(world_eth):
    missing = world_eth.orders.orderCount() + 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.OrderNotFound, orderId=missing):
        world_eth.orders.join(missing, PART, PART_VOLUME, 1, sender=world_eth.alice, value=DEPOSIT)


def test_join_with_a_part_that_does_not_fit_is_refused(world_eth):
    order = world_eth.open()  # region 200 x 200 x 300 mm
    dims = (250 * MM, 250 * MM, 10 * MM)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.DoesNotFit):
        actions.join(world_eth.orders, world_eth.alice, order, dims=dims, volume=1000)


def test_join_beyond_the_space_left_is_refused(world_eth):
    order = world_eth.open(capacity=30_000)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NoSpaceLeft, orderId=order,
                                            needed=2 * SPACE, left=30_000):
        actions.join(world_eth.orders, world_eth.alice, order, quantity=2)


def test_join_refuses_zero_quantity(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidPart, quantity=0):
        actions.join(world_eth.orders, world_eth.alice, order, quantity=0)


def test_join_refuses_zero_volume(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidPart, partVolume=0):
        actions.join(world_eth.orders, world_eth.alice, order, volume=0)


def test_join_refuses_a_volume_larger_than_the_box(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidPart, partVolume=box_volume(PART) + 1):
        actions.join(world_eth.orders, world_eth.alice, order, volume=box_volume(PART) + 1)


def test_join_refuses_a_zero_dimension(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidPart):
        actions.join(world_eth.orders, world_eth.alice, order, dims=(0, 10 * MM, 10 * MM), volume=1)


def test_join_refuses_too_little_eth(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongPayment, expected=DEPOSIT, got=DEPOSIT - 1):
        actions.join(world_eth.orders, world_eth.alice, order, value=DEPOSIT - 1)


def test_join_refuses_too_much_eth(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongPayment, expected=DEPOSIT, got=DEPOSIT + 1):
        actions.join(world_eth.orders, world_eth.alice, order, value=DEPOSIT + 1)


def test_join_refuses_eth_sent_to_a_token_order(world_token):
    order = world_token.open()
    world_token.token.approve(world_token.orders, DEPOSIT, sender=world_token.alice)
    with world_token.unchanged(), ape.reverts(world_token.orders.WrongPayment, expected=0, got=1):
        actions.join(world_token.orders, world_token.alice, order, value=1, approve=0)


def test_join_refuses_a_token_order_without_allowance(world_token):
    order = world_token.open()
    with world_token.unchanged(), ape.reverts(world_token.token.ERC20InsufficientAllowance):
        actions.join(world_token.orders, world_token.alice, order, approve=0)


def test_join_refuses_a_fee_on_transfer_token(world_eth, fee_token):
    order = world_eth.open(token=fee_token.address)
    fee_token.approve(world_eth.orders, DEPOSIT, sender=world_eth.alice)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongPayment, expected=DEPOSIT,
                                            got=DEPOSIT - DEPOSIT // 100):
        actions.join(world_eth.orders, world_eth.alice, order, approve=0)


def test_join_refuses_past_the_live_job_limit(public):
    tiny = (1 * MM, 1 * MM, 1 * MM)
    order = public.open(capacity=MAX_LIVE_JOBS + 10, price=0)
    for _ in range(MAX_LIVE_JOBS):
        actions.join(public.orders, public.alice, order, dims=tiny, volume=1)
    with public.unchanged(), ape.reverts(public.orders.TooManyJobs, orderId=order, max=MAX_LIVE_JOBS):
        actions.join(public.orders, public.alice, order, dims=tiny, volume=1)


def test_producer_without_customer_role_cannot_join(permissioned):
    order = permissioned.open()
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.producer.address, role=CUSTOMER_ROLE):
        actions.join(permissioned.orders, permissioned.producer, order)


def test_non_member_cannot_join(permissioned):
    order = permissioned.open()
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.stranger.address):
        actions.join(permissioned.orders, permissioned.stranger, order)


def test_anyone_can_join_in_public_mode(public):
    order = public.open()
    job = public.join(order, public.stranger)
    checks.check_job(public.orders, order, job, customer=public.stranger)


# ---------------------------------------------------------------- leave


def test_leave_marks_the_job_left(world):
    order = world.open()
    job = world.join(order, world.alice)
    actions.leave(world.orders, world.alice, order, job)
    checks.check_job_status(world.orders, order, job, JobStatus.LEFT)


def test_leave_frees_the_space(world):
    order = world.open()
    job = world.join(order, world.alice, quantity=2)
    world.join(order, world.bob)
    actions.leave(world.orders, world.alice, order, job)
    checks.check_order(world.orders, order, used=SPACE)
    checks.check_space(world.orders, order)


def test_leave_credits_the_deposit_back(world):
    order = world.open()
    job = world.join(order, world.alice)
    receipt = actions.leave(world.orders, world.alice, order, job)
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)
    assert actions.event_args(receipt, world.orders.JobLeft).refund == DEPOSIT
    world.invariants()


def test_leave_by_another_customer_is_refused(world_eth):
    order = world_eth.open()
    job = world_eth.join(order, world_eth.alice)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, orderId=order, jobId=job,
                                            caller=world_eth.bob.address):
        actions.leave(world_eth.orders, world_eth.bob, order, job)


def test_leave_of_a_closed_order_is_refused(world_eth):
    order = world_eth.open()
    job = world_eth.join(order, world_eth.alice)
    actions.close(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.CLOSED):
        actions.leave(world_eth.orders, world_eth.alice, order, job)


def test_leave_twice_is_refused(world_eth):
    order = world_eth.open()
    job = world_eth.join(order, world_eth.alice)
    actions.leave(world_eth.orders, world_eth.alice, order, job)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, jobId=job,
                                            status=JobStatus.LEFT):
        actions.leave(world_eth.orders, world_eth.alice, order, job)


def test_leave_of_an_unknown_job_is_refused(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.JobNotFound, orderId=order, jobId=1):
        actions.leave(world_eth.orders, world_eth.alice, order, 1)


def test_revoked_customer_cannot_leave(permissioned):
    order = permissioned.open()
    job = permissioned.join(order, permissioned.alice)
    permissioned.membership.revokeRole(CUSTOMER_ROLE, permissioned.alice, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.alice.address, role=CUSTOMER_ROLE):
        actions.leave(permissioned.orders, permissioned.alice, order, job)
