"""Membership: roles of the permissioned mode."""

from __future__ import annotations

import ape

from tests.utils.constants import CUSTOMER_ROLE, DEFAULT_ADMIN_ROLE, PRODUCER_ROLE


def test_role_constants(permissioned):
    assert permissioned.membership.PRODUCER_ROLE() == PRODUCER_ROLE
    assert permissioned.membership.CUSTOMER_ROLE() == CUSTOMER_ROLE


def test_deployer_given_admin_role(permissioned):
    assert permissioned.membership.hasRole(DEFAULT_ADMIN_ROLE, permissioned.deployer)


def test_participants_are_producers_or_customers(permissioned):
    m = permissioned.membership
    assert m.isParticipant(permissioned.producer) and m.isParticipant(permissioned.alice)
    assert not m.isParticipant(permissioned.stranger)
    assert not m.isParticipant(permissioned.deployer)  # admin alone is not a participant


def test_admin_grants_a_role(permissioned):
    m = permissioned.membership
    m.grantRole(CUSTOMER_ROLE, permissioned.stranger, sender=permissioned.deployer)
    assert m.hasRole(CUSTOMER_ROLE, permissioned.stranger) and m.isParticipant(permissioned.stranger)


def test_admin_revokes_a_role(permissioned):
    m = permissioned.membership
    m.revokeRole(CUSTOMER_ROLE, permissioned.alice, sender=permissioned.deployer)
    assert not m.hasRole(CUSTOMER_ROLE, permissioned.alice)


def test_non_admin_cannot_grant(permissioned):
    m = permissioned.membership
    with ape.reverts(m.AccessControlUnauthorizedAccount, account=permissioned.producer.address,
                     neededRole=DEFAULT_ADMIN_ROLE):
        m.grantRole(PRODUCER_ROLE, permissioned.stranger, sender=permissioned.producer)
    assert not m.hasRole(PRODUCER_ROLE, permissioned.stranger)


def test_granted_stranger_can_take_part(permissioned):
    m = permissioned.membership
    m.grantRole(CUSTOMER_ROLE, permissioned.stranger, sender=permissioned.deployer)
    order = permissioned.open()
    job = permissioned.join(order, permissioned.stranger)
    assert permissioned.orders.getJob(order, job, skip_trace=True).customer == permissioned.stranger.address
