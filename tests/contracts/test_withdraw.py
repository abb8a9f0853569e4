"""withdraw: pull payments of credits, in ETH and per token; the reentrancy guard."""

from __future__ import annotations

import ape

from tests.utils import actions, checks
from tests.utils.constants import PART, PRICE_PER_CM3, ZERO_ADDRESS, price_of

DEPOSIT = price_of(PRICE_PER_CM3, PART, 1)


def _producer_paid(world):
    order, job = world.shipped()
    actions.confirm(world.orders, world.alice, order, job)
    return order, job


def test_withdraw_pays_the_producer(world):
    _producer_paid(world)
    before = world.balance(world.producer)
    receipt = actions.withdraw(world.orders, world.producer, world.pay)
    gained = world.balance(world.producer) - before
    if world.currency == "eth":
        gained += receipt.total_fees_paid
    assert gained == DEPOSIT


def test_withdraw_clears_the_credit(world):
    _producer_paid(world)
    actions.withdraw(world.orders, world.producer, world.pay)
    checks.check_credit(world.orders, world.producer, 0, world.pay)
    world.invariants()


def test_withdraw_emits_withdrawn(world):
    _producer_paid(world)
    receipt = actions.withdraw(world.orders, world.producer, world.pay)
    event = actions.event_args(receipt, world.orders.Withdrawn)
    assert (event.account, event.token, event.amount) == (world.producer.address, world.pay, DEPOSIT)


def test_withdraw_pays_a_refunded_customer(world):
    order = world.open()
    job = world.join(order, world.alice)
    actions.leave(world.orders, world.alice, order, job)
    before = world.balance(world.alice)
    receipt = actions.withdraw(world.orders, world.alice, world.pay)
    gained = world.balance(world.alice) - before
    if world.currency == "eth":
        gained += receipt.total_fees_paid
    assert gained == DEPOSIT


def test_credits_are_kept_per_token(world_eth, token):
    # one ETH job and one token job completed for the same producer
    eth_order, eth_job = world_eth.shipped()
    actions.confirm(world_eth.orders, world_eth.alice, eth_order, eth_job)
    token_order = world_eth.open(token=token.address)
    token_job = world_eth.join(token_order, world_eth.alice, quantity=2)
    actions.close(world_eth.orders, world_eth.producer, token_order)
    actions.submit_model(world_eth.orders, world_eth.alice, token_order, token_job)
    actions.ship(world_eth.orders, world_eth.producer, token_order, token_job)
    actions.confirm(world_eth.orders, world_eth.alice, token_order, token_job)
    checks.check_credit(world_eth.orders, world_eth.producer, DEPOSIT, ZERO_ADDRESS)
    checks.check_credit(world_eth.orders, world_eth.producer, 2 * DEPOSIT, token)
    actions.withdraw(world_eth.orders, world_eth.producer, token)
    checks.check_credit(world_eth.orders, world_eth.producer, DEPOSIT, ZERO_ADDRESS)
    checks.check_credit(world_eth.orders, world_eth.producer, 0, token)


def test_withdraw_without_credit_is_refused(world):
    with world.unchanged(), ape.reverts(world.orders.NothingToWithdraw, account=world.bob.address,
                                        token=world.pay):
        actions.withdraw(world.orders, world.bob, world.pay)


def test_withdraw_twice_is_refused(world_eth):
    _producer_paid(world_eth)
    actions.withdraw(world_eth.orders, world_eth.producer)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.NothingToWithdraw):
        actions.withdraw(world_eth.orders, world_eth.producer)


def test_non_member_without_credit_has_nothing_to_withdraw(permissioned):
    with permissioned.unchanged(), ape.reverts(permissioned.orders.NothingToWithdraw,
                                               account=permissioned.stranger.address, token=ZERO_ADDRESS):
        actions.withdraw(permissioned.orders, permissioned.stranger)


def test_reentrant_call_during_a_token_transfer_is_refused(world_eth, hook_token):
    """A token calling back into the orders contract during join's transferFrom hits the guard."""
    order = world_eth.open(token=hook_token.address)
    hook_token.setHook(world_eth.orders, world_eth.orders.withdraw.encode_input(hook_token.address),
                       sender=world_eth.alice)
    hook_token.approve(world_eth.orders, DEPOSIT, sender=world_eth.alice)
    with world_eth.unchanged(), ape.reverts(world_eth.orders.ReentrancyGuardReentrantCall):
        actions.join(world_eth.orders, world_eth.alice, order, approve=0)


def test_hook_token_without_hook_works(world_eth, hook_token):
    """Control for the reentrancy test: the same token and join succeed without the callback."""
    order = world_eth.open(token=hook_token.address)
    job = world_eth.join(order, world_eth.alice)
    checks.check_job(world_eth.orders, order, job, deposit=DEPOSIT)
    assert checks.balance_of(world_eth.orders, hook_token) == DEPOSIT
