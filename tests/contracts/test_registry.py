"""CapacityRegistry: keys (publish, rotate) and machines (register, read)."""

from __future__ import annotations

import ape

from tests.utils import actions
from tests.utils.constants import (
    ANY_PARTICIPANT,
    ARMORED_KEY,
    FDM,
    MACHINE_ENVELOPE,
    PA12,
    PLA,
    PRODUCER_ROLE,
    SLS,
    ZERO_BYTES32,
    fingerprint32,
)

FP_A = fingerprint32(bytes(range(1, 21)))
FP_B = fingerprint32(bytes(range(21, 41)))


def test_publish_key_stores_fingerprint(world_eth):
    actions.publish_key(world_eth.registry, world_eth.alice, FP_A)
    assert world_eth.registry.fingerprintOf(world_eth.alice) == FP_A


def test_publish_key_emits_armored_key(world_eth):
    receipt = actions.publish_key(world_eth.registry, world_eth.alice, FP_A, ARMORED_KEY)
    event = actions.event_args(receipt, world_eth.registry.KeyPublished)
    assert event.account == world_eth.alice.address
    assert event.fingerprint == FP_A
    assert event.armoredKey == ARMORED_KEY


def test_rotation_replaces_fingerprint_and_keeps_history_in_logs(world_eth):
    registry = world_eth.registry
    first = actions.publish_key(registry, world_eth.alice, FP_A)
    second = actions.publish_key(registry, world_eth.alice, FP_B)
    assert registry.fingerprintOf(world_eth.alice) == FP_B
    history = [
        log.fingerprint
        for log in registry.KeyPublished.range(first.block_number, second.block_number + 1,
                                               search_topics={"account": world_eth.alice.address})
    ]
    assert history == [FP_A, FP_B]


def test_publish_key_refuses_empty_fingerprint(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.registry.EmptyFingerprint):
        actions.publish_key(world_eth.registry, world_eth.alice, ZERO_BYTES32)


def test_fingerprint_of_unknown_account_is_zero(world_eth):
    assert world_eth.registry.fingerprintOf(world_eth.stranger) == ZERO_BYTES32


def test_register_machine_stores_it(world_eth):
    registry = world_eth.registry
    count = registry.machineCount()
    receipt = actions.register_machine(registry, world_eth.producer2, process=FDM, material=PLA,
                                       envelope=(1, 2, 3), uri="https://example.org/m")
    machine = actions.machine_id(receipt, registry)
    assert machine == count + 1 == registry.machineCount()
    m = registry.machine(machine, skip_trace=True)
    assert (m.owner, m.x, m.y, m.z, m.process, m.material) == (
        world_eth.producer2.address, 1, 2, 3, FDM, PLA)
    assert registry.machineOwner(machine, skip_trace=True) == world_eth.producer2.address
    assert registry.machineURI(machine, skip_trace=True) == "https://example.org/m"


def test_register_machine_emits_event(world_eth):
    registry = world_eth.registry
    receipt = actions.register_machine(registry, world_eth.producer, uri="ipfs://m")
    event = actions.event_args(receipt, registry.MachineRegistered)
    assert event.owner == world_eth.producer.address
    assert (event.process, event.material) == (SLS, PA12)
    assert list(event.envelope) == list(MACHINE_ENVELOPE)
    assert event.metadataURI == "ipfs://m"


def test_machine_ids_are_sequential(world_eth):
    registry = world_eth.registry
    first = actions.machine_id(actions.register_machine(registry, world_eth.producer), registry)
    second = actions.machine_id(actions.register_machine(registry, world_eth.producer2), registry)
    assert second == first + 1


def test_register_machine_needs_a_published_key(public):
    with public.unchanged(), ape.reverts(public.registry.KeyNotPublished,
                                         account=public.stranger.address):
        actions.register_machine(public.registry, public.stranger)


def test_register_machine_refuses_zero_dimension(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.registry.InvalidMachine):
        actions.register_machine(world_eth.registry, world_eth.producer, envelope=(100, 0, 100))


def test_register_machine_refuses_empty_process(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.registry.InvalidMachine):
        actions.register_machine(world_eth.registry, world_eth.producer, process=b"\0" * 16)


def test_register_machine_refuses_empty_material(world_eth):
    with world_eth.unchanged(), ape.reverts(world_eth.registry.InvalidMachine):
        actions.register_machine(world_eth.registry, world_eth.producer, material=b"\0" * 16)


def test_unknown_machine_reads_zero_record(world_eth):
    m = world_eth.registry.machine(world_eth.registry.machineCount() + 1, skip_trace=True)
    assert m.owner == "0x" + "00" * 20 and (m.x, m.y, m.z) == (0, 0, 0)


def test_unknown_machine_owner_reverts(world_eth):
    missing = world_eth.registry.machineCount() + 1
    with ape.reverts(world_eth.registry.MachineNotFound, machineId=missing):
        world_eth.registry.machineOwner(missing, skip_trace=True)


def test_unknown_machine_uri_reverts(world_eth):
    with ape.reverts(world_eth.registry.MachineNotFound, machineId=0):
        world_eth.registry.machineURI(0, skip_trace=True)


def test_non_member_cannot_publish_key(permissioned):
    with permissioned.unchanged(), ape.reverts(
        permissioned.registry.NotMember, account=permissioned.stranger.address, role=ANY_PARTICIPANT
    ):
        actions.publish_key(permissioned.registry, permissioned.stranger, FP_A)


def test_customer_cannot_register_machine(permissioned):
    with permissioned.unchanged(), ape.reverts(
        permissioned.registry.NotMember, account=permissioned.alice.address, role=PRODUCER_ROLE
    ):
        actions.register_machine(permissioned.registry, permissioned.alice)


def test_revoked_producer_cannot_register_machine(permissioned):
    permissioned.membership.revokeRole(PRODUCER_ROLE, permissioned.producer, sender=permissioned.deployer)
    with permissioned.unchanged(), ape.reverts(permissioned.registry.NotMember):
        actions.register_machine(permissioned.registry, permissioned.producer)
