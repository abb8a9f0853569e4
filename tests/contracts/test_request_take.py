"""request (a customer creates an order) and take (a producer takes it)."""

from __future__ import annotations

import ape
from ape import chain

from tests.utils import actions, checks
from tests.utils.constants import (
    CAPACITY,
    CUSTOMER_ROLE,
    DAY,
    MM,
    PA12,
    PART,
    PART_VOLUME,
    PLA,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    REGION,
    ZERO_ADDRESS,
    JobStatus,
    OrderStatus,
    build_space,
    price_of,
)

MAX_PRICE = 3 * PRICE_PER_CM3
QTY = 2


def _request(world, **kw):
    kw.setdefault("max_price", MAX_PRICE)
    kw.setdefault("quantity", QTY)
    return world.request(world.alice, **kw)


# ---------------------------------------------------------------- request


def test_request_creates_a_requested_order(world):
    _, end, deadline = actions.window()
    order = _request(world, end=end, deadline=deadline)
    space = build_space(PART, QTY)
    checks.check_order(
        world.orders, order, producer=ZERO_ADDRESS, status=OrderStatus.REQUESTED, machineId=0,
        jobCount=1, token=world.pay, pricePerCm3=MAX_PRICE, capacity=space, used=space,
        end=end, deadline=deadline, envX=PART[0], envY=PART[1], envZ=PART[2], material=PA12,
    )


def test_request_makes_the_part_job_one(world):
    order = _request(world)
    checks.check_job(
        world.orders, order, 1, customer=world.alice, status=JobStatus.JOINED,
        deposit=price_of(MAX_PRICE, PART, QTY), dimX=PART[0], dimY=PART[1], dimZ=PART[2],
        partVolume=PART_VOLUME, quantity=QTY, shippedAt=0, digest=b"\0" * 32,
    )


def test_request_holds_the_deposit_at_the_max_price(world):
    before = world.balance(world.orders)
    _request(world)
    assert world.balance(world.orders) - before == price_of(MAX_PRICE, PART, QTY)
    world.invariants()


def test_request_emits_order_requested_and_job_joined(world):
    receipt = actions.request_order(world.orders, world.alice, max_price=MAX_PRICE, quantity=QTY,
                                    token=world.pay)
    requested = actions.event_args(receipt, world.orders.OrderRequested)
    joined = actions.event_args(receipt, world.orders.JobJoined)
    assert (requested.customer, requested.material, requested.maxPricePerCm3, requested.token) == (
        world.alice.address, PA12, MAX_PRICE, world.pay)
    assert (joined.orderId, joined.jobId, joined.customer) == (requested.orderId, 1, world.alice.address)
    assert joined.deposit == price_of(MAX_PRICE, PART, QTY)


def test_request_refuses_a_part_volume_above_its_box(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidPart):
        actions.request_order(world_eth.orders, world_eth.alice, volume=build_space(PART, 1) + 1)


def test_request_refuses_a_window_already_over(world_eth):
    end = chain.pending_timestamp - 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidWindow, end=end):
        actions.request_order(world_eth.orders, world_eth.alice, end=end, deadline=end + DAY)


def test_request_refuses_a_deadline_before_the_end(world_eth):
    _, end, _ = actions.window()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidWindow, deadline=end - 1):
        actions.request_order(world_eth.orders, world_eth.alice, end=end, deadline=end - 1)


def test_request_refuses_too_little_eth(world_eth):
    deposit = price_of(PRICE_PER_CM3, PART, 1)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongPayment, expected=deposit,
                                            got=deposit - 1):
        actions.request_order(world_eth.orders, world_eth.alice, value=deposit - 1)


def test_request_refuses_eth_with_a_token_order(world_token):
    world_token.token.approve(world_token.orders, 10**30, sender=world_token.alice)
    with world_token.unchanged(), ape.reverts(world_token.orders.WrongPayment, expected=0, got=1):
        actions.request_order(world_token.orders, world_token.alice, token=world_token.pay, value=1,
                              approve=0)


def test_request_refuses_without_token_allowance(world_token):
    with world_token.unchanged(), ape.reverts(world_token.token.ERC20InsufficientAllowance):
        actions.request_order(world_token.orders, world_token.alice, token=world_token.pay, approve=0)


def test_producer_without_customer_role_cannot_request(permissioned):
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.producer.address, role=CUSTOMER_ROLE):
        actions.request_order(permissioned.orders, permissioned.producer)


# ---------------------------------------------------------------- take


def test_take_opens_the_order_for_the_producer(world):
    order = _request(world)
    actions.take_order(world.orders, world.producer, order, world.machine, price=PRICE_PER_CM3)
    checks.check_order(
        world.orders, order, producer=world.producer, status=OrderStatus.OPEN, machineId=world.machine,
        pricePerCm3=PRICE_PER_CM3, capacity=CAPACITY, used=build_space(PART, QTY),
        envX=REGION[0], envY=REGION[1], envZ=REGION[2], material=PA12,
    )


def test_take_reprices_the_deposit_and_credits_the_excess(world):
    order = _request(world)
    actions.take_order(world.orders, world.producer, order, world.machine, price=PRICE_PER_CM3)
    paid = price_of(PRICE_PER_CM3, PART, QTY)
    checks.check_job(world.orders, order, 1, deposit=paid, status=JobStatus.JOINED)
    checks.check_credit(world.orders, world.alice, price_of(MAX_PRICE, PART, QTY) - paid, world.pay)
    world.invariants()


def test_take_emits_order_taken_with_the_refund(world):
    order = _request(world)
    receipt = actions.take_order(world.orders, world.producer, order, world.machine, price=PRICE_PER_CM3)
    event = actions.event_args(receipt, world.orders.OrderTaken)
    assert (event.orderId, event.producer, event.machineId, event.capacity, event.pricePerCm3) == (
        order, world.producer.address, world.machine, CAPACITY, PRICE_PER_CM3)
    assert event.refund == price_of(MAX_PRICE, PART, QTY) - price_of(PRICE_PER_CM3, PART, QTY)


def test_take_at_the_max_price_credits_nothing(world_eth):
    order = _request(world_eth)
    actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine, price=MAX_PRICE)
    checks.check_credit(world_eth.orders, world_eth.alice, 0)


def test_take_with_capacity_equal_to_the_request_closes_the_order(world_eth):
    order = _request(world_eth)
    receipt = actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine,
                                 capacity=build_space(PART, QTY))
    checks.check_order_status(world_eth.orders, order, OrderStatus.CLOSED)
    assert receipt.decode_logs(world_eth.orders.OrderClosed)


def test_others_can_join_a_taken_order(world):
    order = _request(world)
    actions.take_order(world.orders, world.producer, order, world.machine)
    job = world.join(order, world.bob)
    assert job == 2
    checks.check_order(world.orders, order, used=build_space(PART, QTY) + build_space(PART, 1))


def test_request_with_any_material_takes_the_machine_material(world_eth):
    order = _request(world_eth, material=b"\0" * 16)
    actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.stack.small_machine,
                       envelope=(100 * MM,) * 3, capacity=100_000)
    checks.check_order(world_eth.orders, order, material=PLA, status=OrderStatus.OPEN)


def test_take_refuses_an_open_order(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, orderId=order,
                                            status=OrderStatus.OPEN):
        actions.take_order(world_eth.orders, world_eth.producer2, order, world_eth.stack.machine2)


def test_take_refuses_a_taken_order(world_eth):
    order = _request(world_eth)
    actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, status=OrderStatus.OPEN):
        actions.take_order(world_eth.orders, world_eth.producer2, order, world_eth.stack.machine2)


def test_take_refuses_an_unknown_order(world_eth):
    missing = world_eth.orders.orderCount() + 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.OrderNotFound, orderId=missing):
        actions.take_order(world_eth.orders, world_eth.producer, missing, world_eth.machine)


def test_take_refuses_after_the_window(world_eth):
    _, end, deadline = actions.window()
    order = _request(world_eth, end=end, deadline=deadline)
    actions.advance_to(end)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WindowOver, orderId=order, end=end):
        actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine)


def test_take_refuses_a_machine_of_someone_else(world_eth):
    order = _request(world_eth)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotMachineOwner,
                                            machineId=world_eth.stack.machine2):
        actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.stack.machine2)


def test_take_refuses_another_material(world_eth):
    order = _request(world_eth)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.MaterialMismatch, requested=PA12, machine=PLA):
        actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.stack.small_machine,
                           envelope=(100 * MM,) * 3, capacity=100_000)


def test_take_refuses_a_price_above_the_max(world_eth):
    order = _request(world_eth)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.PriceAboveMax, price=MAX_PRICE + 1,
                                            maxPrice=MAX_PRICE):
        actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine,
                           price=MAX_PRICE + 1)


def test_take_refuses_an_envelope_the_part_does_not_fit(world_eth):
    order = _request(world_eth)
    envelope = (30 * MM, 30 * MM, 30 * MM)  # the part is 40 x 30 x 20 mm
    with world_eth.unchanged(), ape.reverts(world_eth.orders.DoesNotFit):
        actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine,
                           envelope=envelope, capacity=27_000)


def test_take_refuses_capacity_below_the_requested_space(world_eth):
    order = _request(world_eth)
    space = build_space(PART, QTY)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidCapacity, capacity=space - 1, min=space):
        actions.take_order(world_eth.orders, world_eth.producer, order, world_eth.machine, capacity=space - 1)


def test_customer_cannot_take(permissioned):
    order = _request(permissioned)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.bob.address, role=PRODUCER_ROLE):
        actions.take_order(permissioned.orders, permissioned.bob, order, permissioned.machine)
