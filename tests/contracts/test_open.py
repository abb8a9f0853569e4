"""open: a producer opens an order on its machine."""

from __future__ import annotations

import ape
from ape import chain

from tests.utils import actions, checks
from tests.utils.constants import (
    CAPACITY,
    DAY,
    MM,
    PA12,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    REGION,
    OrderStatus,
    box_volume,
)


def test_open_creates_an_open_order(world):
    start, end, deadline = actions.window()
    order = world.open(start=start, end=end, deadline=deadline)
    checks.check_order(
        world.orders, order, producer=world.producer, status=OrderStatus.OPEN, machineId=world.machine,
        jobCount=0, token=world.pay, pricePerCm3=PRICE_PER_CM3, capacity=CAPACITY, used=0,
        start=start, end=end, deadline=deadline, envX=REGION[0], envY=REGION[1], envZ=REGION[2],
        material=PA12,
    )
    assert world.orders.spaceLeft(order) == CAPACITY


def test_open_emits_order_opened(world):
    receipt = actions.open_order(world.orders, world.producer, world.machine, token=world.pay)
    event = actions.event_args(receipt, world.orders.OrderOpened)
    assert (event.producer, event.machineId, event.capacity, event.pricePerCm3, event.token) == (
        world.producer.address, world.machine, CAPACITY, PRICE_PER_CM3, world.pay)


def test_order_ids_are_sequential(world_eth):
    before = world_eth.orders.orderCount()
    first, second = world_eth.open(), world_eth.open()
    assert (first, second) == (before + 1, before + 2)
    assert world_eth.orders.orderCount() == before + 2


def test_open_takes_the_material_from_the_machine(world_eth):
    order = world_eth.open(machine=world_eth.stack.small_machine, envelope=(50 * MM,) * 3, capacity=1000)
    assert checks.order_dict(world_eth.orders, order)["material"] == b"PLA".ljust(16, b"\0")


def test_open_accepts_an_envelope_rotated_inside_the_machine(world_eth):
    # machine 340 x 340 x 600 mm; 600 x 300 x 340 fits once sorted
    order = world_eth.open(envelope=(600 * MM, 300 * MM, 340 * MM))
    assert checks.order_dict(world_eth.orders, order)["envX"] == 600 * MM


def test_open_accepts_capacity_equal_to_the_envelope_volume(world_eth):
    order = world_eth.open(capacity=box_volume(REGION))
    assert world_eth.orders.spaceLeft(order) == box_volume(REGION)


def test_open_accepts_price_zero(world):
    order = world.open(price=0)
    assert checks.order_dict(world.orders, order)["pricePerCm3"] == 0


def test_open_accepts_a_window_starting_later(world_eth):
    start = chain.pending_timestamp + 5 * DAY
    order = world_eth.open(start=start)
    assert checks.order_dict(world_eth.orders, order)["start"] == start


def test_open_refuses_a_machine_of_someone_else(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotMachineOwner,
                                            machineId=world_eth.stack.machine2,
                                            caller=world_eth.producer.address):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.stack.machine2)


def test_open_refuses_an_unknown_machine(world_eth):
    missing = world_eth.registry.machineCount() + 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotMachineOwner, machineId=missing):
        actions.open_order(world_eth.orders, world_eth.producer, missing)


def test_open_refuses_an_envelope_larger_than_the_machine(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EnvelopeTooLarge):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine,
                           envelope=(341 * MM, 341 * MM, 100 * MM))


def test_open_refuses_an_envelope_that_only_fits_unsorted(world_eth):
    # 600 x 600 x 100: the machine's sorted envelope is 340, 340, 600
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EnvelopeTooLarge):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine,
                           envelope=(600 * MM, 600 * MM, 100 * MM))


def test_open_refuses_zero_capacity(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidCapacity, capacity=0):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine, capacity=0)


def test_open_refuses_capacity_above_the_envelope_volume(world_eth):
    too_much = box_volume(REGION) + 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidCapacity, capacity=too_much,
                                            max=box_volume(REGION)):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine, capacity=too_much)


def test_open_refuses_an_envelope_with_a_zero_dimension(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidCapacity, max=0):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine,
                           envelope=(0, 100 * MM, 100 * MM))


def test_open_refuses_end_not_after_start(world_eth):
    start = chain.pending_timestamp + DAY
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidWindow, start=start, end=start):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine, start=start, end=start)


def test_open_refuses_a_window_already_over(world_eth):
    end = chain.pending_timestamp - 1
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidWindow, end=end):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine,
                           start=end - DAY, end=end)


def test_open_refuses_a_deadline_before_the_end(world_eth):
    start, end, _ = actions.window()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidWindow, deadline=end - 1):
        actions.open_order(world_eth.orders, world_eth.producer, world_eth.machine,
                           start=start, end=end, deadline=end - 1)


def test_customer_cannot_open(permissioned):
    # alice owns no machine either: the role is checked first
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.alice.address, role=PRODUCER_ROLE):
        actions.open_order(permissioned.orders, permissioned.alice, permissioned.machine)


def test_revoked_producer_cannot_open(permissioned):
    permissioned.membership.revokeRole(PRODUCER_ROLE, permissioned.producer, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember,
                                               account=permissioned.producer.address):
        actions.open_order(permissioned.orders, permissioned.producer, permissioned.machine)


def test_anyone_can_open_in_public_mode(public):
    # the stranger holds no role; in public mode it only needs a key and a machine
    actions.publish_key(public.registry, public.stranger)
    machine = actions.machine_id(actions.register_machine(public.registry, public.stranger), public.registry)
    order = public.open(sender=public.stranger, machine=machine)
    checks.check_order(public.orders, order, producer=public.stranger, status=OrderStatus.OPEN)
