"""joinParts (an assembly joins an order in one transaction, a job per part) and submitModels
(one encrypted model recorded for every job of the assembly): each part is checked, spaced and
priced as its own join, all or nothing, and is a job of its own afterwards."""

from __future__ import annotations

import ape

from tests.utils import actions, checks
from tests.utils.constants import (
    MAX_LIVE_JOBS,
    MM,
    PART,
    PART_VOLUME,
    PRICE_PER_CM3,
    JobStatus,
    OrderStatus,
    build_space,
    price_of,
)

#: A five-part assembly: (dims in micrometres, volume in mm3, quantity).
ASSEMBLY = [
    (PART, PART_VOLUME, 1),
    ((10 * MM, 10 * MM, 10 * MM), 500, 4),
    ((25 * MM, 5 * MM, 60 * MM), 3_000, 2),
    ((8 * MM, 8 * MM, 3 * MM), 100, 10),
    ((100 * MM, 40 * MM, 10 * MM), 20_000, 1),
]


def _space(parts: list) -> int:
    return sum(build_space(dims, q) for dims, _, q in parts)


def test_an_assembly_joins_as_one_job_per_part_each_priced_as_its_own_join(world):
    order = world.open()
    before = world.balance(world.orders)
    receipt = actions.join_parts(world.orders, world.alice, order, ASSEMBLY)
    joined = receipt.decode_logs(world.orders.JobJoined)
    assert [(e.jobId, e.customer, e.buildSpace, e.deposit) for e in joined] == [
        (i, world.alice.address, build_space(dims, q), price_of(PRICE_PER_CM3, dims, q))
        for i, (dims, _, q) in enumerate(ASSEMBLY, start=1)
    ]
    for job, (dims, volume, quantity) in enumerate(ASSEMBLY, start=1):
        checks.check_job(world.orders, order, job, customer=world.alice, status=JobStatus.JOINED,
                         deposit=price_of(PRICE_PER_CM3, dims, quantity), dimX=dims[0], dimY=dims[1],
                         dimZ=dims[2], partVolume=volume, quantity=quantity)
    checks.check_order(world.orders, order, used=_space(ASSEMBLY), jobCount=5, liveJobs=5,
                       status=OrderStatus.OPEN)
    assert world.balance(world.orders) - before == sum(
        price_of(PRICE_PER_CM3, dims, q) for dims, _, q in ASSEMBLY)
    world.invariants()


def test_the_job_ids_follow_the_jobs_already_in_the_order(world_eth):
    order = world_eth.open()
    world_eth.join(order, world_eth.bob)
    receipt = actions.join_parts(world_eth.orders, world_eth.alice, order, ASSEMBLY[:2])
    assert [e.jobId for e in receipt.decode_logs(world_eth.orders.JobJoined)] == [2, 3]
    assert receipt.return_value in (2, None)  # ape gives a transaction's return value only when traced


def test_an_assembly_that_fills_the_order_closes_it_once_after_its_last_part(world_eth):
    order = world_eth.open(capacity=_space(ASSEMBLY))
    receipt = actions.join_parts(world_eth.orders, world_eth.alice, order, ASSEMBLY)
    market = world_eth.orders.address
    names = [log.event_name for log in receipt.decode_logs() if log.contract_address == market]
    assert names == ["JobJoined"] * 5 + ["OrderClosed"]
    checks.check_order(world_eth.orders, order, status=OrderStatus.CLOSED, used=_space(ASSEMBLY))


def test_one_part_that_does_not_fit_refuses_the_whole_assembly(world_eth):
    order = world_eth.open()
    too_long = ((250 * MM, 250 * MM, 10 * MM), 100, 1)  # longer than the 200 x 200 x 300 mm region
    with world_eth.unchanged(), ape.reverts(world_eth.orders.DoesNotFit, dims=list(too_long[0])):
        actions.join_parts(world_eth.orders, world_eth.alice, order, [*ASSEMBLY[:3], too_long])


def test_the_space_left_counts_the_parts_before_the_one_that_has_no_room(world_eth):
    first_two = _space(ASSEMBLY[:2])
    order = world_eth.open(capacity=first_two + build_space(PART, 1) - 1)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NoSpaceLeft, orderId=order,
                                            needed=build_space(PART, 1),
                                            left=build_space(PART, 1) - 1):
        actions.join_parts(world_eth.orders, world_eth.alice, order, [*ASSEMBLY[:2], ASSEMBLY[0]])


def test_the_payment_is_the_sum_of_the_parts_prices(world_eth):
    order = world_eth.open()
    total = sum(price_of(PRICE_PER_CM3, dims, q) for dims, _, q in ASSEMBLY)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongPayment, expected=total, got=total - 1):
        actions.join_parts(world_eth.orders, world_eth.alice, order, ASSEMBLY, value=total - 1)


def test_each_part_counts_as_a_live_job(world_eth):
    order = world_eth.open()
    tiny = ((1 * MM, 1 * MM, 1 * MM), 1, 1)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.TooManyJobs, orderId=order, max=MAX_LIVE_JOBS):
        actions.join_parts(world_eth.orders, world_eth.alice, order, [tiny] * (MAX_LIVE_JOBS + 1))


def test_an_assembly_without_parts_is_refused(world_eth):
    order = world_eth.open()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EmptyAssembly):
        world_eth.orders.joinParts(order, [], sender=world_eth.alice)


def test_an_assemblys_part_leaves_alone(world):
    order = world.open()
    actions.join_parts(world.orders, world.alice, order, ASSEMBLY)
    actions.leave(world.orders, world.alice, order, 2)
    checks.check_order(world.orders, order, used=_space(ASSEMBLY) - build_space(ASSEMBLY[1][0], 4),
                       liveJobs=4)
    assert checks.read(world.orders, "getJob", order, 3)["status"] == JobStatus.JOINED
    world.invariants()


# ---------------------------------------------------------------- one model for the assembly


def _closed_assembly(world) -> int:
    order = world.open()
    actions.join_parts(world.orders, world.alice, order, ASSEMBLY)
    actions.close(world.orders, world.producer, order)
    return order


def test_one_model_is_recorded_for_every_job_of_the_assembly(world_eth):
    order = _closed_assembly(world_eth)
    digest = bytes(range(32))
    receipt = actions.submit_models(world_eth.orders, world_eth.alice, order, [1, 2, 3, 4, 5], digest=digest)
    submitted = receipt.decode_logs(world_eth.orders.ModelSubmitted)
    assert [(e.jobId, bytes(e.digest), e.uri) for e in submitted] == [
        (job, digest, actions.MODEL_URI) for job in range(1, 6)]
    for job in range(1, 6):
        checks.check_job(world_eth.orders, order, job, status=JobStatus.MODEL_SUBMITTED, digest=digest)


def test_each_part_ships_and_completes_alone(world_eth):
    order = _closed_assembly(world_eth)
    actions.submit_models(world_eth.orders, world_eth.alice, order, [1, 2, 3, 4, 5])
    actions.ship(world_eth.orders, world_eth.producer, order, 3)
    before = world_eth.orders.credits(world_eth.producer, world_eth.pay)
    actions.confirm(world_eth.orders, world_eth.alice, order, 3)
    paid = world_eth.orders.credits(world_eth.producer, world_eth.pay) - before
    assert paid == price_of(PRICE_PER_CM3, ASSEMBLY[2][0], ASSEMBLY[2][2])
    assert checks.read(world_eth.orders, "getJob", order, 4)["status"] == JobStatus.MODEL_SUBMITTED
    world_eth.invariants()


def test_a_job_of_another_customer_refuses_the_whole_submission(world_eth):
    order = world_eth.open()
    actions.join_parts(world_eth.orders, world_eth.alice, order, ASSEMBLY[:2])
    world_eth.join(order, world_eth.bob)
    actions.close(world_eth.orders, world_eth.producer, order)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, orderId=order, jobId=3,
                                            caller=world_eth.alice.address):
        actions.submit_models(world_eth.orders, world_eth.alice, order, [1, 2, 3])


def test_a_job_named_twice_is_refused(world_eth):
    order = _closed_assembly(world_eth)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, orderId=order, jobId=1,
                                            status=JobStatus.MODEL_SUBMITTED):
        actions.submit_models(world_eth.orders, world_eth.alice, order, [1, 2, 1])


def test_a_model_waits_for_the_order_to_close(world_eth):
    order = world_eth.open()
    actions.join_parts(world_eth.orders, world_eth.alice, order, ASSEMBLY[:2])
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongOrderStatus, orderId=order,
                                            status=OrderStatus.OPEN):
        actions.submit_models(world_eth.orders, world_eth.alice, order, [1, 2])


def test_a_model_for_no_job_and_an_empty_model_are_refused(world_eth):
    order = _closed_assembly(world_eth)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EmptyAssembly):
        actions.submit_models(world_eth.orders, world_eth.alice, order, [])
    with world_eth.unchanged(), ape.reverts(world_eth.orders.EmptyModel):
        actions.submit_models(world_eth.orders, world_eth.alice, order, [1, 2], uri="")
