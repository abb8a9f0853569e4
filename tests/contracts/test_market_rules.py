"""Fair market rules (issue 12): one section per finding of the attack run.

1. pricing by build space, and the producer's reject of a mismatched model;
2. the job cap counts live jobs (job ids have a bound no one exhausts cheaply);
3. the delivery deadline is at most maxLeadTime after the window's end;
4. disputes: dispute, the arbiter's split, the default rule after the arbitration window;
5. the token allowlist;
6. the smaller findings (the rest are pinned in test_close_cancel, test_delivery, test_withdraw).
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from ape import chain

from offchain.chain import evm
from tests.utils import actions, checks
from tests.utils.constants import (
    ARBITER_ROLE,
    ARBITRATION_WINDOW,
    CAPACITY,
    CONFIRMATION_WINDOW,
    CUSTOMER_ROLE,
    DAY,
    HOUR,
    MAX_JOB_IDS,
    MAX_LEAD_TIME,
    MAX_LIVE_JOBS,
    MM,
    PART,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    REJECT_FEE_BPS,
    ZERO_ADDRESS,
    JobStatus,
    OrderStatus,
    build_space,
    price_of,
)

DEPOSIT = price_of(PRICE_PER_CM3, PART, 1)


def _job(world: Any, order: int, job: int) -> dict[str, Any]:
    return checks.job_dict(world.orders, order, job)


def _order(world: Any, order: int) -> dict[str, Any]:
    return checks.order_dict(world.orders, order)


def _disputable(world: Any) -> tuple[int, int, Any]:
    """Alice's shipped job and the account that arbitrates it: in permissioned mode `stranger`
    given ARBITER_ROLE, in public mode `stranger` named in the order's terms when it opened."""
    if world.membership is not None:
        world.membership.grantRole(ARBITER_ROLE, world.stranger, sender=world.deployer)
        order, job = world.shipped()
        return order, job, world.stranger
    order = world.open(arbiter=world.stranger)
    job = world.join(order, world.alice)
    actions.close(world.orders, world.producer, order)
    actions.submit_model(world.orders, world.alice, order, job)
    actions.ship(world.orders, world.producer, order, job)
    return order, job, world.stranger


def _disputed(world: Any) -> tuple[int, int, Any]:
    order, job, arbiter = _disputable(world)
    actions.dispute(world.orders, world.alice, order, job)
    return order, job, arbiter


def _arbitration_end(world: Any, order: int, job: int) -> int:
    return _job(world, order, job)["shippedAt"] + CONFIRMATION_WINDOW + ARBITRATION_WINDOW


# ---------------------------------------------------------------- 1. pricing and reject


def test_the_squatters_join_pays_for_the_space_it_takes(world):
    """Finding 1: a 100 x 100 x 200 mm box declaring 1 mm3 used to pay 1e12 wei for the whole
    2,000,000 mm3 order; it now pays for its 2,000 cm3, as an honest declaration does."""
    order = world.open()
    box = (100 * MM, 100 * MM, 200 * MM)
    squatter = world.join(order, world.alice, dims=box, volume=1)
    honest = world.join(world.open(), world.bob, dims=box, volume=1_500_000)
    assert _job(world, order, squatter)["deposit"] == _job(world, order + 1, honest)["deposit"]
    assert _job(world, order, squatter)["deposit"] == 2_000 * PRICE_PER_CM3 == price_of(PRICE_PER_CM3, box, 1)
    checks.check_order(world.orders, order, used=CAPACITY, status=OrderStatus.CLOSED)
    world.invariants()


def test_quote_prices_the_build_space(world_eth):
    order = world_eth.open(price=3)
    for volume in (1, 24_000):
        _, space, price = world_eth.orders.quote(order, PART, volume, 2)
        assert (space, price) == (48_000, 144)  # 48 cm3 at 3 wei, whatever the volume


def test_producer_rejects_a_model_that_does_not_match(world):
    order, job = world.submitted()
    before = _order(world, order)
    receipt = actions.reject(world.orders, world.producer, order, job)
    fee = DEPOSIT * REJECT_FEE_BPS // 10_000
    checks.check_job_status(world.orders, order, job, JobStatus.REJECTED)
    checks.check_credit(world.orders, world.producer, fee, world.pay)
    checks.check_credit(world.orders, world.alice, DEPOSIT - fee, world.pay)
    event = actions.event_args(receipt, world.orders.JobRejected)
    assert (event.orderId, event.jobId) == (order, job)
    assert (event.toProducer, event.toCustomer) == (fee, DEPOSIT - fee)
    after = _order(world, order)
    assert after["used"] == before["used"] - build_space(PART, 1)
    assert after["liveJobs"] == before["liveJobs"] - 1
    world.invariants()


def test_reject_rounds_the_producers_share_down(world_eth):
    order = world_eth.open(price=1)  # 24 cm3 at 1 wei: deposit 24, 10% = 2.4
    job = world_eth.join(order, world_eth.alice)
    actions.close(world_eth.orders, world_eth.producer, order)
    actions.submit_model(world_eth.orders, world_eth.alice, order, job)
    actions.reject(world_eth.orders, world_eth.producer, order, job)
    checks.check_credit(world_eth.orders, world_eth.producer, 2)
    checks.check_credit(world_eth.orders, world_eth.alice, 22)


def test_reject_needs_a_submitted_model(world_eth):
    order, (job, _) = world_eth.closed_order()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.JOINED):
        actions.reject(world_eth.orders, world_eth.producer, order, job)


def test_reject_after_shipping_is_refused(world_eth):
    order, job = world_eth.shipped()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.SHIPPED):
        actions.reject(world_eth.orders, world_eth.producer, order, job)


def test_reject_by_another_producer_is_refused(world_eth):
    order, job = world_eth.submitted()
    refused = ape.reverts(world_eth.orders.NotOrderProducer, caller=world_eth.producer2.address)
    with world_eth.unchanged(), refused:
        actions.reject(world_eth.orders, world_eth.producer2, order, job)


def test_reject_after_the_deadline_is_refused(world_eth):
    """After the deadline the customer reclaims its whole deposit: the producer did not act in time."""
    order, job = world_eth.submitted()
    deadline = _order(world_eth, order)["deadline"]
    chain.pending_timestamp = deadline
    with world_eth.unchanged(), ape.reverts(world_eth.orders.DeliveryDeadlinePassed, deadline=deadline):
        actions.reject(world_eth.orders, world_eth.producer, order, job)


def test_customer_cannot_reject(permissioned):
    order, job = permissioned.submitted()
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NotMember, role=PRODUCER_ROLE):
        actions.reject(permissioned.orders, permissioned.alice, order, job)


# ---------------------------------------------------------------- 2. the job cap


def _join_and_leave(public: Any, order: int, pairs: int) -> None:
    """PAIRS join + leave pairs of a 1 mm3 part by alice, as one burst of transactions."""
    join = public.orders.join.encode_input(order, (1 * MM, 1 * MM, 1 * MM), 1, 1)
    first = public.orders.jobCount(order) + 1
    calls = []
    for job in range(first, first + pairs):
        calls += [join, public.orders.leave.encode_input(order, job)]
    actions.burst(public.alice, public.orders, calls)


def test_100_join_and_leave_pairs_no_longer_block_an_order(public):
    """Finding 2: the cap counted jobs that had left; 100 pairs closed the order for good."""
    order = public.open(price=0)
    _join_and_leave(public, order, MAX_LIVE_JOBS)
    job = public.join(order, public.bob)
    assert job == MAX_LIVE_JOBS + 1
    checks.check_order(public.orders, order, liveJobs=1, jobCount=MAX_LIVE_JOBS + 1,
                       used=build_space(PART, 1))


def test_job_ids_have_a_bound_that_takes_900_pairs_to_reach(public):
    """The refund loop of cancel stays bounded: at most MAX_JOB_IDS ids per order. Reaching
    them costs 900+ join and leave pairs (about 110M gas); sent here straight to Anvil."""
    order = public.open(price=0)
    _join_and_leave(public, order, MAX_JOB_IDS)
    checks.check_order(public.orders, order, jobCount=MAX_JOB_IDS, liveJobs=0, used=0)
    with public.unchanged(), ape.reverts(public.orders.TooManyJobs, orderId=order, max=MAX_JOB_IDS):
        actions.join(public.orders, public.bob, order)


# ---------------------------------------------------------------- 3. bounded lock-up


@pytest.mark.parametrize("step", ["open", "request"])
def test_a_deadline_past_the_lead_time_is_refused(world_eth, step):
    """Finding 3: a deadline of 2**40 - 1 used to lock deposits for ever once the order closed."""
    _, end, _ = actions.window()
    deadline = end + MAX_LEAD_TIME + 1
    with world_eth.unchanged(), ape.reverts(
        world_eth.orders.InvalidWindow, end=end, deadline=deadline, maxLeadTime=MAX_LEAD_TIME
    ):
        if step == "open":
            world_eth.open(end=end, deadline=deadline)
        else:
            world_eth.request(world_eth.alice, end=end, deadline=deadline)


def test_a_deadline_at_the_lead_time_is_accepted_and_bounds_the_lock_up(world):
    _, end, _ = actions.window()
    order = world.open(end=end, deadline=end + MAX_LEAD_TIME)
    job = world.join(order, world.alice)
    actions.close(world.orders, world.producer, order)  # the producer then does nothing
    chain.pending_timestamp = end + MAX_LEAD_TIME
    actions.reclaim(world.orders, world.alice, order, job)
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)


@pytest.mark.parametrize("step", ["open", "request"])
def test_a_deadline_equal_to_the_end_is_refused(world_eth, step):
    """Finding 6: nothing could ship in an order whose deadline is its end."""
    _, end, _ = actions.window()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidWindow, end=end, deadline=end):
        if step == "open":
            world_eth.open(end=end, deadline=end)
        else:
            world_eth.request(world_eth.alice, end=end, deadline=end)


# ---------------------------------------------------------------- 4. disputes


def test_a_dispute_stops_finalize(world):
    """Finding 4: the producer's 'shipped' no longer stands alone once the customer disputes it."""
    order, job, _ = _disputable(world)
    receipt = actions.dispute(world.orders, world.alice, order, job)
    assert actions.event_args(receipt, world.orders.JobDisputed).jobId == job
    checks.check_job_status(world.orders, order, job, JobStatus.DISPUTED)
    chain.pending_timestamp = _job(world, order, job)["shippedAt"] + CONFIRMATION_WINDOW
    with world.unchanged(), ape.reverts(world.orders.WrongJobStatus, status=JobStatus.DISPUTED):
        actions.finalize(world.orders, world.producer, order, job)
    world.invariants()


def test_a_dispute_after_the_confirmation_window_is_refused(world_eth):
    order, job = world_eth.shipped()
    until = _job(world_eth, order, job)["shippedAt"] + CONFIRMATION_WINDOW
    chain.pending_timestamp = until
    with world_eth.unchanged(), ape.reverts(world_eth.orders.ConfirmationWindowOver, until=until):
        actions.dispute(world_eth.orders, world_eth.alice, order, job)


def test_a_dispute_says_why_in_its_event(world_eth):
    """The customer's reason goes to the arbiter in the JobDisputed event, 1 to 280 bytes."""
    order, job = world_eth.shipped()
    for reason, length in (("", 0), ("é" * 140 + "x", 281)):  # bytes of UTF-8, not characters
        with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidReason, length=length, max=280):
            actions.dispute(world_eth.orders, world_eth.alice, order, job, reason)
    longest = "é" * 140
    receipt = actions.dispute(world_eth.orders, world_eth.alice, order, job, longest)
    assert actions.event_args(receipt, world_eth.orders.JobDisputed).reason == longest
    assert world_eth.orders.MAX_REASON_BYTES() == 280


def test_a_dispute_needs_a_shipped_job_of_ones_own(world_eth):
    order, job = world_eth.submitted()
    refused = ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.MODEL_SUBMITTED)
    with world_eth.unchanged(), refused:
        actions.dispute(world_eth.orders, world_eth.alice, order, job)
    order, job = world_eth.shipped()
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NotJobCustomer, caller=world_eth.bob.address):
        actions.dispute(world_eth.orders, world_eth.bob, order, job)


@pytest.mark.parametrize("share", [0, 1, 2])  # nothing, a third, everything to the producer
def test_the_arbiter_splits_the_deposit(world, share):
    order, job, arbiter = _disputed(world)
    deposit = _job(world, order, job)["deposit"]
    to_producer = deposit * share // 2
    receipt = actions.resolve(world.orders, arbiter, order, job, to_producer)
    checks.check_job_status(world.orders, order, job, JobStatus.RESOLVED)
    checks.check_credit(world.orders, world.producer, to_producer, world.pay)
    checks.check_credit(world.orders, world.alice, deposit - to_producer, world.pay)
    event = actions.event_args(receipt, world.orders.JobResolved)
    split = (event.arbiter, event.toProducer, event.toCustomer)
    assert split == (arbiter.address, to_producer, deposit - to_producer)
    checks.check_order(world.orders, order, used=build_space(PART, 1), liveJobs=1)  # the space was used
    world.invariants()


def test_a_split_above_the_deposit_is_refused(world_eth):
    order, job, arbiter = _disputed(world_eth)
    deposit = _job(world_eth, order, job)["deposit"]
    too_much = deposit + 1
    refused = ape.reverts(world_eth.orders.SplitTooLarge, toProducer=too_much, deposit=deposit)
    with world_eth.unchanged(), refused:
        actions.resolve(world_eth.orders, arbiter, order, job, deposit + 1)


def test_only_the_arbiter_resolves(world_eth):
    order, job, _ = _disputed(world_eth)
    for caller in (world_eth.producer2, world_eth.deployer):
        refused = ape.reverts(world_eth.orders.NotArbiter, orderId=order, caller=caller.address)
        with world_eth.unchanged(), refused:
            actions.resolve(world_eth.orders, caller, order, job, 0)


def test_an_arbiter_who_is_a_party_cannot_resolve(permissioned):
    """ARBITER_ROLE held by the job's producer or customer does not let it judge its own job."""
    order, job, _ = _disputed(permissioned)
    for party in (permissioned.producer, permissioned.alice):
        permissioned.membership.grantRole(ARBITER_ROLE, party, sender=permissioned.deployer)
        with permissioned.unchanged(), ape.reverts(permissioned.orders.NotArbiter, caller=party.address):
            actions.resolve(permissioned.orders, party, order, job, 0)


def test_a_named_arbiter_who_joined_cannot_resolve_its_own_job(public):
    order = public.open(arbiter=public.stranger)
    job = public.join(order, public.stranger)
    actions.close(public.orders, public.producer, order)
    actions.submit_model(public.orders, public.stranger, order, job)
    actions.ship(public.orders, public.producer, order, job)
    actions.dispute(public.orders, public.stranger, order, job)
    with public.unchanged(), ape.reverts(public.orders.NotArbiter, caller=public.stranger.address):
        actions.resolve(public.orders, public.stranger, order, job, 0)


def test_resolve_needs_a_dispute(world_eth):
    order, job, arbiter = _disputable(world_eth)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.SHIPPED):
        actions.resolve(world_eth.orders, arbiter, order, job, 0)


def test_the_default_rule_refunds_the_customer_after_the_arbitration_window(world):
    order, job, _ = _disputed(world)
    until = _arbitration_end(world, order, job)
    chain.pending_timestamp = until - 1
    with world.unchanged(), ape.reverts(world.orders.ArbitrationWindowOpen, until=until):
        actions.settle(world.orders, world.stranger, order, job)
    chain.pending_timestamp = until
    receipt = actions.settle(world.orders, world.bob, order, job)  # anyone may apply it
    checks.check_job_status(world.orders, order, job, JobStatus.RESOLVED)
    checks.check_credit(world.orders, world.alice, DEPOSIT, world.pay)
    checks.check_credit(world.orders, world.producer, 0, world.pay)
    event = actions.event_args(receipt, world.orders.JobResolved)
    assert (event.arbiter, event.toProducer, event.toCustomer) == (ZERO_ADDRESS, 0, DEPOSIT)
    world.invariants()


def test_a_public_order_without_arbiter_is_settled_by_the_default_rule(public):
    order, job = public.shipped()
    assert public.orders.arbiterOf(order) == ZERO_ADDRESS
    actions.dispute(public.orders, public.alice, order, job)
    with public.unchanged(), ape.reverts(public.orders.NotArbiter):
        actions.resolve(public.orders, public.stranger, order, job, 0)
    chain.pending_timestamp = _arbitration_end(public, order, job)
    actions.settle(public.orders, public.stranger, order, job)
    checks.check_credit(public.orders, public.alice, DEPOSIT)


def test_the_customer_may_still_confirm_a_disputed_job(world):
    order, job, _ = _disputed(world)
    receipt = actions.confirm(world.orders, world.alice, order, job)
    checks.check_job_status(world.orders, order, job, JobStatus.COMPLETED)
    checks.check_credit(world.orders, world.producer, DEPOSIT, world.pay)
    assert actions.event_args(receipt, world.orders.JobCompleted).confirmed
    world.invariants()


def test_settle_and_resolve_end_the_dispute(world_eth):
    order, job, arbiter = _disputed(world_eth)
    actions.resolve(world_eth.orders, arbiter, order, job, 0)
    chain.pending_timestamp = _arbitration_end(world_eth, order, job)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.RESOLVED):
        actions.settle(world_eth.orders, world_eth.alice, order, job)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.WrongJobStatus, status=JobStatus.RESOLVED):
        actions.confirm(world_eth.orders, world_eth.alice, order, job)


def test_the_producer_names_the_arbiter_when_it_opens_the_order(public):
    receipt = actions.open_order(public.orders, public.producer, public.machine, arbiter=public.stranger)
    order = actions.order_id(receipt, public.orders)
    assert actions.event_args(receipt, public.orders.ArbiterNamed).arbiter == public.stranger.address
    assert public.orders.arbiterOf(order) == public.stranger.address


def test_an_order_opened_without_an_arbiter_names_none(public):
    receipt = actions.open_order(public.orders, public.producer, public.machine)
    assert not [log for log in receipt.events if log.event_name == "ArbiterNamed"]
    assert public.orders.arbiterOf(actions.order_id(receipt, public.orders)) == ZERO_ADDRESS


def test_the_requester_names_the_arbiter_of_its_request(public):
    order = public.request(public.alice, arbiter=public.stranger)
    assert public.orders.arbiterOf(order) == public.stranger.address


@pytest.mark.parametrize("step", ["open", "request"])
def test_nobody_names_itself_arbiter(public, step):
    caller = public.producer if step == "open" else public.alice
    with public.unchanged(), ape.reverts(public.orders.CannotNameArbiter, caller=caller.address,
                                         arbiter=caller.address):
        if step == "open":
            actions.open_order(public.orders, caller, public.machine, arbiter=caller)
        else:
            actions.request_order(public.orders, caller, arbiter=caller)


@pytest.mark.parametrize("step", ["open", "request"])
def test_no_arbiter_is_named_in_permissioned_mode(permissioned, step):
    caller = permissioned.producer if step == "open" else permissioned.alice
    with permissioned.unchanged(), ape.reverts(permissioned.orders.CannotNameArbiter,
                                               arbiter=permissioned.stranger.address):
        if step == "open":
            actions.open_order(permissioned.orders, caller, permissioned.machine,
                               arbiter=permissioned.stranger)
        else:
            actions.request_order(permissioned.orders, caller, arbiter=permissioned.stranger)


# ---------------------------------------------------------------- 5. tokens


@pytest.mark.parametrize("step", ["open", "request"])
def test_a_token_charging_its_fee_to_the_sender_is_refused(world_eth, sender_fee_token, step):
    """Finding 5: the received-amount check passes for such a token, then the escrow comes up
    short; only tokens the deployment allows are accepted."""
    assert not world_eth.orders.tokenAllowed(sender_fee_token)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.TokenNotAllowed, token=sender_fee_token.address):
        if step == "open":
            world_eth.open(token=sender_fee_token.address)
        else:
            world_eth.request(world_eth.alice, token=sender_fee_token.address, approve=0)


def test_only_the_token_admin_changes_the_allowlist(world_eth, sender_fee_token):
    orders = world_eth.orders
    assert orders.tokenAllowed(ZERO_ADDRESS)  # ETH always is
    with world_eth.unchanged(), ape.reverts(orders.NotTokenAdmin, caller=world_eth.producer.address):
        orders.allowToken(sender_fee_token, True, sender=world_eth.producer)
    receipt = orders.allowToken(sender_fee_token, True, sender=world_eth.deployer)
    event = actions.event_args(receipt, orders.TokenAllowed)
    assert (event.token, event.allowed) == (sender_fee_token.address, True)
    assert orders.tokenAllowed(sender_fee_token)


def test_a_delisted_token_stops_new_orders_not_existing_ones(world_eth, token):
    order = world_eth.open(token=token.address)
    world_eth.orders.allowToken(token, False, sender=world_eth.deployer)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.TokenNotAllowed, token=token.address):
        world_eth.open(token=token.address)
    job = world_eth.join(order, world_eth.alice)
    checks.check_job(world_eth.orders, order, job, status=JobStatus.JOINED)


# ---------------------------------------------------------------- 6. smaller findings


def test_a_removed_member_withdraws_what_it_earned(permissioned):
    order = permissioned.open()
    job = permissioned.join(order, permissioned.alice)
    actions.leave(permissioned.orders, permissioned.alice, order, job)
    permissioned.membership.revokeRole(CUSTOMER_ROLE, permissioned.alice, sender=permissioned.deployer)
    receipt = actions.withdraw(permissioned.orders, permissioned.alice)
    assert actions.event_args(receipt, permissioned.orders.Withdrawn).amount == DEPOSIT
    checks.check_credit(permissioned.orders, permissioned.alice, 0)


def test_a_zero_dimension_is_still_refused_without_its_own_check(world_eth):
    """The dead zero-dimension checks are gone: 0 < volume <= box volume already refuses them."""
    order = world_eth.open()
    dims = (0, 10 * MM, 10 * MM)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.InvalidPart, partVolume=1):
        actions.join(world_eth.orders, world_eth.alice, order, dims=dims, volume=1, value=0)


@pytest.mark.parametrize(
    ("confirmation", "arbitration", "lead", "bad", "most"),
    [
        (0, ARBITRATION_WINDOW, MAX_LEAD_TIME, 0, 90 * DAY),  # 0 let a producer finalize at once
        (HOUR - 1, ARBITRATION_WINDOW, MAX_LEAD_TIME, HOUR - 1, 90 * DAY),
        (2**255, ARBITRATION_WINDOW, MAX_LEAD_TIME, 2**255, 90 * DAY),  # overflowed finalize
        (CONFIRMATION_WINDOW, 90 * DAY + 1, MAX_LEAD_TIME, 90 * DAY + 1, 90 * DAY),
        (CONFIRMATION_WINDOW, ARBITRATION_WINDOW, 365 * DAY + 1, 365 * DAY + 1, 365 * DAY),
    ],
)
def test_deployment_windows_are_bounded(world_eth, evm_target, confirmation, arbitration, lead, bad, most):
    container = evm.container("ProductionOrders", evm_target)
    with ape.reverts(container.InvalidSetting, value=bad, min=HOUR, max=most):
        world_eth.deployer.deploy(container, world_eth.registry, ZERO_ADDRESS, world_eth.deployer,
                                  confirmation, arbitration, lead)
