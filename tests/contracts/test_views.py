"""Read functions: quote, spaceLeft, counts, lookups of unknown ids; the check helpers."""

from __future__ import annotations

import ape
import pytest

from tests.utils import actions, checks
from tests.utils.constants import (
    ARBITRATION_WINDOW,
    CAPACITY,
    CONFIRMATION_WINDOW,
    MAX_JOB_IDS,
    MAX_LEAD_TIME,
    MAX_LIVE_JOBS,
    MM,
    PART,
    PART_VOLUME,
    PRICE_PER_CM3,
    REJECT_FEE_BPS,
    ZERO_ADDRESS,
    build_space,
    price_of,
)


def test_quote_of_a_fitting_part(world_eth):
    order = world_eth.open()
    fits, space, price = world_eth.orders.quote(order, PART, PART_VOLUME, 3)
    assert (fits, space, price) == (True, build_space(PART, 3), price_of(PRICE_PER_CM3, PART, 3))


def test_quote_matches_what_join_charges(world_eth):
    order = world_eth.open(price=7)
    _, space, price = world_eth.orders.quote(order, PART, 1234, 5)
    receipt = actions.join(world_eth.orders, world_eth.alice, order, volume=1234, quantity=5)
    event = actions.event_args(receipt, world_eth.orders.JobJoined)
    assert (event.buildSpace, event.deposit) == (space, price)


def test_quote_of_a_part_that_does_not_fit(world_eth):
    order = world_eth.open()
    fits, _, _ = world_eth.orders.quote(order, (250 * MM, 250 * MM, 10 * MM), 1000, 1)
    assert fits is False


def test_quote_of_a_part_larger_than_the_space_left(world_eth):
    order = world_eth.open(capacity=build_space(PART, 2))
    fits, space, _ = world_eth.orders.quote(order, PART, PART_VOLUME, 3)
    assert fits is False and space == build_space(PART, 3)


def test_quote_refuses_an_invalid_part(world_eth):
    order = world_eth.open()
    with ape.reverts(world_eth.orders.InvalidPart):
        world_eth.orders.quote(order, PART, PART_VOLUME, 0, skip_trace=True)


def test_space_left_follows_joins(world_eth):
    order = world_eth.open()
    world_eth.join(order, world_eth.alice, quantity=4)
    assert world_eth.orders.spaceLeft(order) == CAPACITY - build_space(PART, 4)


def test_bounding_box_volume_rounds_up(world_eth):
    order = world_eth.open()
    _, space, _ = world_eth.orders.quote(order, (1001, 1000, 1000), 1, 1)  # 1.001 mm3
    assert space == 2


def test_get_order_of_an_unknown_order_reverts(world_eth):
    missing = world_eth.orders.orderCount() + 1
    with ape.reverts(world_eth.orders.OrderNotFound, orderId=missing):
        world_eth.orders.getOrder(missing, skip_trace=True)


def test_get_job_of_an_unknown_job_reverts(world_eth):
    order = world_eth.open()
    with ape.reverts(world_eth.orders.JobNotFound, orderId=order, jobId=1):
        world_eth.orders.getJob(order, 1, skip_trace=True)


def test_job_count_of_an_unknown_order_reverts(world_eth):
    with ape.reverts(world_eth.orders.OrderNotFound, orderId=0):
        world_eth.orders.jobCount(0, skip_trace=True)


def test_constructor_parameters_are_readable(world_eth):
    orders = world_eth.orders
    assert orders.registry() == world_eth.registry.address
    assert orders.confirmationWindow() == CONFIRMATION_WINDOW
    assert orders.arbitrationWindow() == ARBITRATION_WINDOW
    assert orders.maxLeadTime() == MAX_LEAD_TIME
    assert orders.tokenAdmin() == world_eth.deployer.address
    assert (orders.MAX_LIVE_JOBS(), orders.MAX_JOB_IDS()) == (MAX_LIVE_JOBS, MAX_JOB_IDS)
    assert orders.REJECT_FEE_BPS() == REJECT_FEE_BPS
    expected = world_eth.membership.address if world_eth.membership else ZERO_ADDRESS
    assert orders.membership() == expected == world_eth.registry.membership()


def test_credits_of_an_account_without_credit_are_zero(world_eth):
    assert world_eth.orders.credits(world_eth.stranger, ZERO_ADDRESS) == 0


def test_read_helper_agrees_with_ape(world_eth):
    order, (job, _) = world_eth.closed_order()
    o = world_eth.orders.getOrder(order, skip_trace=True)
    j = world_eth.orders.getJob(order, job, skip_trace=True)
    assert checks.order_dict(world_eth.orders, order)["capacity"] == o.capacity
    assert checks.order_dict(world_eth.orders, order)["producer"] == o.producer.lower()
    assert checks.job_dict(world_eth.orders, order, job)["deposit"] == j.deposit


def test_unchanged_detects_a_state_change(public):
    with pytest.raises(AssertionError, match="changed"), public.unchanged():
        public.open()


def test_invariants_hold_after_the_session_setup(world):
    world.invariants()
